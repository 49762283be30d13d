-- from_version is, on a rolled_back event, the version traffic moved away
-- from; version is then the version it went back to (model.Event). Older
-- rollback events keep '' here: the events page shows what they recorded.
ALTER TABLE event ADD COLUMN from_version TEXT NOT NULL DEFAULT '';
