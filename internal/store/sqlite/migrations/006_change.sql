-- change is the outbox of execution changes: one row per change the
-- engine commits, in the same transaction, read in id order by the live
-- views (the SSE stream) of every server. Under SQLite's single writer ids
-- are handed out in commit order, so a reader that has seen id N has seen
-- every change before it. Rows older than an hour are deleted.
CREATE TABLE change (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    execution_id TEXT NOT NULL,
    application  TEXT NOT NULL,
    stage        TEXT NOT NULL DEFAULT '',
    status       TEXT NOT NULL DEFAULT '',
    at           TEXT NOT NULL
) STRICT;

CREATE INDEX change_at ON change (at);
