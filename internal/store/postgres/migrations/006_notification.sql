-- Notifications (kind Notification) and their durable delivery, the
-- notification outbox: see the SQLite migration 013_notification.sql. A
-- delivery's id is deterministic, so concurrent dispatchers insert it once
-- (ON CONFLICT DO NOTHING); workers claim due rows with FOR UPDATE SKIP
-- LOCKED, so two never take the same one.
CREATE TABLE notification (
    name       text PRIMARY KEY,
    spec       jsonb NOT NULL,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL
);

CREATE TABLE notify_cursor (
    name     text PRIMARY KEY,
    after_id bigint NOT NULL
);

CREATE TABLE notify_delivery (
    id            text PRIMARY KEY,
    notification  text NOT NULL,
    event_id      bigint NOT NULL,
    pipeline      text NOT NULL DEFAULT '',
    event         jsonb NOT NULL,
    status        text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'dead')),
    attempts      integer NOT NULL DEFAULT 0,
    next_at       timestamptz NOT NULL,
    claimed_by    text NOT NULL DEFAULT '',
    claimed_until timestamptz,
    last_error    text NOT NULL DEFAULT '',
    tried_at      timestamptz,
    created_at    timestamptz NOT NULL,
    sent_at       timestamptz
);

CREATE INDEX notify_delivery_due ON notify_delivery (status, next_at);
CREATE INDEX notify_delivery_notification ON notify_delivery (notification, status);
