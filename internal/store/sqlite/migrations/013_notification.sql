-- Notifications (kind Notification) and their durable delivery, the
-- notification outbox. The dispatcher reads the event log after its cursor
-- (notify_cursor) and, in one transaction, inserts one notify_delivery per
-- (event, notification) and moves the cursor. A delivery's id is
-- deterministic (sha256 of the event id and the notification's name): a
-- second dispatcher's insert of the same delivery is a no-op, and the
-- receiver sees the id, so it can drop a redelivery. Workers claim due
-- pending rows, send, and record sent, or failed with the next attempt's
-- time, or dead after the last attempt.
CREATE TABLE notification (
    name       TEXT PRIMARY KEY,
    spec       TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
) STRICT;

CREATE TABLE notify_cursor (
    name     TEXT PRIMARY KEY,
    after_id INTEGER NOT NULL
) STRICT;

CREATE TABLE notify_delivery (
    id            TEXT PRIMARY KEY,
    notification  TEXT NOT NULL,
    event_id      INTEGER NOT NULL,
    pipeline      TEXT NOT NULL DEFAULT '',
    event         TEXT NOT NULL,
    status        TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'dead')),
    attempts      INTEGER NOT NULL DEFAULT 0,
    next_at       TEXT NOT NULL,
    claimed_by    TEXT NOT NULL DEFAULT '',
    claimed_until TEXT,
    last_error    TEXT NOT NULL DEFAULT '',
    tried_at      TEXT,
    created_at    TEXT NOT NULL,
    sent_at       TEXT
) STRICT;

CREATE INDEX notify_delivery_due ON notify_delivery (status, next_at);
CREATE INDEX notify_delivery_notification ON notify_delivery (notification, status);
