-- A number every config apply and delete moves on, in its transaction
-- (store.Queries.ConfigRevision): what a server keeps of the config (the
-- webhooks' triggers) it reads again when the number changed. Its one row
-- is made by the first apply.
CREATE TABLE config_revision (
    id       INTEGER PRIMARY KEY CHECK (id = 1),
    revision INTEGER NOT NULL
) STRICT;
