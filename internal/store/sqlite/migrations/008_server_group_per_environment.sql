-- Server-group numbers count per environment, as Spinnaker's do per
-- cluster: checkout-v001 can run in staging and in prod at once, so a
-- server group is known by (environment, name). SQLite cannot change a
-- primary key in place: the table is rebuilt with its rows.
CREATE TABLE server_group_new (
    name         TEXT NOT NULL,
    application  TEXT NOT NULL,
    environment  TEXT NOT NULL,
    sequence     INTEGER NOT NULL CHECK (sequence > 0),
    version      TEXT NOT NULL,
    role         TEXT NOT NULL CHECK (role IN ('production', 'canary', 'baseline')),
    status       TEXT NOT NULL CHECK (status IN ('creating', 'up', 'disabled', 'destroyed')),
    instances    INTEGER NOT NULL CHECK (instances >= 0),
    weight       INTEGER NOT NULL CHECK (weight BETWEEN 0 AND 100),
    env          TEXT NOT NULL,
    execution_id TEXT NOT NULL DEFAULT '',
    last_good    INTEGER NOT NULL DEFAULT 0 CHECK (last_good IN (0, 1)),
    rolled_back  INTEGER NOT NULL DEFAULT 0 CHECK (rolled_back IN (0, 1)),
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    PRIMARY KEY (environment, name),
    UNIQUE (application, environment, sequence)
) STRICT;

INSERT INTO server_group_new
SELECT name, application, environment, sequence, version, role, status, instances, weight, env,
       execution_id, last_good, rolled_back, created_at, updated_at
FROM server_group;

DROP TABLE server_group;
ALTER TABLE server_group_new RENAME TO server_group;
