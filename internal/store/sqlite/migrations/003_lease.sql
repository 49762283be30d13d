-- Leases: one holder (a stage of an execution) at a time per key, such as
-- one deploy per application and environment. A lease whose holder's stage
-- has ended (or is gone) is free, so a crash never leaves one held.
CREATE TABLE lease (
    key          TEXT PRIMARY KEY,
    execution_id TEXT NOT NULL,
    stage        TEXT NOT NULL,
    acquired_at  TEXT NOT NULL
) STRICT;
