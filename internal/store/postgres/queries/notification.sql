-- The notification outbox (see migrations/006_notification.sql).

-- name: NotifyCursorGet
SELECT after_id FROM notify_cursor WHERE name = 'events';

-- name: NotifyCursorInit
INSERT INTO notify_cursor (name, after_id) VALUES ('events', @to)
ON CONFLICT (name) DO NOTHING;

-- name: NotifyCursorMove
UPDATE notify_cursor SET after_id = @to WHERE name = 'events' AND after_id = @from;

-- name: DeliveryInsert
INSERT INTO notify_delivery (id, notification, event_id, pipeline, event, status, attempts, next_at, created_at)
VALUES (@id, @notification, @event_id, @pipeline, @event, 'pending', 0, @next_at, @created_at)
ON CONFLICT (id) DO NOTHING;

-- name: DeliveryDue
-- A read first: an idle server asks every second, and the claim is a write
-- (SQLite's single writer; a row lock on PostgreSQL) only worth taking
-- when something is due.
SELECT EXISTS (
    SELECT 1 FROM notify_delivery
    WHERE status = 'pending' AND next_at <= @now AND (claimed_until IS NULL OR claimed_until <= @now));

-- name: DeliveryClaim
-- SKIP LOCKED: concurrent claimers pass over the rows another is taking,
-- so each row goes to one.
UPDATE notify_delivery
SET claimed_by = @claimant, claimed_until = @until, attempts = attempts + 1
WHERE id IN (
    SELECT id FROM notify_delivery
    WHERE status = 'pending' AND next_at <= @now AND (claimed_until IS NULL OR claimed_until <= @now)
    ORDER BY next_at, id LIMIT @limit
    FOR UPDATE SKIP LOCKED)
RETURNING id, notification, event_id, pipeline, event, status, attempts, next_at,
    claimed_by, claimed_until, last_error, tried_at, created_at, sent_at;

-- name: DeliveryFinish
UPDATE notify_delivery
SET status = @status::text, next_at = @next_at, last_error = @error, tried_at = @at::timestamptz,
    sent_at = CASE WHEN @status::text = 'sent' THEN @at::timestamptz ELSE sent_at END,
    claimed_by = '', claimed_until = NULL
WHERE id = @id AND claimed_by = @claimant AND status = 'pending';

-- name: DeliveryList
SELECT id, notification, event_id, pipeline, event, status, attempts, next_at,
    claimed_by, claimed_until, last_error, tried_at, created_at, sent_at
FROM notify_delivery WHERE @notification::text = '' OR notification = @notification::text
ORDER BY created_at DESC, id DESC LIMIT @limit;

-- name: NotifyStats
SELECT notification,
    count(*) FILTER (WHERE status = 'pending'),
    count(*) FILTER (WHERE status = 'pending' AND last_error <> ''),
    count(*) FILTER (WHERE status = 'sent'),
    count(*) FILTER (WHERE status = 'dead'),
    max(sent_at)
FROM notify_delivery GROUP BY notification ORDER BY notification;

-- name: NotifyLastErrors
SELECT d.notification, d.last_error, d.tried_at FROM notify_delivery d
WHERE d.last_error <> '' AND d.tried_at = (
    SELECT max(e.tried_at) FROM notify_delivery e WHERE e.notification = d.notification AND e.last_error <> '');

-- name: DeliveryReleaseClaims
UPDATE notify_delivery SET claimed_by = '', claimed_until = NULL
WHERE status = 'pending' AND claimed_by <> '';

-- name: DeliveryDeleteBefore
DELETE FROM notify_delivery WHERE status <> 'pending' AND created_at < @before;
