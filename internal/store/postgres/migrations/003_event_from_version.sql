-- 003_event_from_version: SQLite's 010. from_version is, on a rolled_back
-- event, the version traffic moved away from; version is then the version
-- it went back to (model.Event). Older rollback events keep '' here.
ALTER TABLE event ADD COLUMN from_version text NOT NULL DEFAULT '';
