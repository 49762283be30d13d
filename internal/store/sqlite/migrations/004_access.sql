-- 004_access: who may use the server. Teams and grants are config objects
-- (kinds Team and Grant) stored like the other kinds; tokens, sessions and
-- login links are credentials; audit is the hash-chained, append-only record
-- of what was done and by whom.

CREATE TABLE team (
    name       TEXT PRIMARY KEY,
    spec       TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
) STRICT;

-- access_grant: GRANT is an SQL keyword.
CREATE TABLE access_grant (
    name       TEXT PRIMARY KEY,
    spec       TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
) STRICT;

-- token is an API token; hash is the SHA-256 of its secret, never the secret.
-- A revoked token stays, for the audit log and TokenGet.
CREATE TABLE token (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL CHECK (name <> ''),
    hash       TEXT NOT NULL,
    role       TEXT NOT NULL CHECK (role IN ('viewer', 'deployer', 'approver', 'admin')),
    scope      TEXT NOT NULL,
    created_by TEXT NOT NULL,
    -- owner is who answers for the token (the person at the root of a chain
    -- of tokens creating tokens); creator_id is the token that created it
    -- ('' when a person or the server did).
    owner      TEXT NOT NULL CHECK (owner <> ''),
    creator_id TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    revoked_at TEXT,
    revoked_by TEXT NOT NULL DEFAULT ''
) STRICT;

-- Two unrevoked tokens never share a name; a revoked token's name is free.
CREATE UNIQUE INDEX token_active_name ON token (name) WHERE revoked_at IS NULL;
CREATE INDEX token_creator ON token (creator_id) WHERE creator_id <> '';

-- session is a browser login; id is the SHA-256 of the cookie's secret.
CREATE TABLE session (
    id         TEXT PRIMARY KEY,
    identity   TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    source     TEXT NOT NULL DEFAULT ''
) STRICT;

CREATE INDEX session_expires ON session (expires_at);

-- login_link is a one-time URL; id is the SHA-256 of the URL's secret. It
-- opens a session for the identity of its token, so the token must exist.
CREATE TABLE login_link (
    id         TEXT PRIMARY KEY,
    token_id   TEXT NOT NULL REFERENCES token (id),
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
) STRICT;

-- audit is the tamper-evident record of requests: each entry holds the hash
-- of the one before it (prev_hash) and its own (hash). The audit_chain
-- trigger makes a fork impossible: an entry is refused unless it follows
-- the last one. Entries are never deleted, so the plain rowid never reuses
-- an ID (no AUTOINCREMENT, which would write sqlite_sequence on every
-- append: the log is on the write path of every pipeline start).
CREATE TABLE audit (
    id          INTEGER PRIMARY KEY,
    time        TEXT NOT NULL,
    actor       TEXT NOT NULL,
    source      TEXT NOT NULL DEFAULT '',
    action      TEXT NOT NULL,
    object      TEXT NOT NULL DEFAULT '',
    application TEXT NOT NULL DEFAULT '',
    outcome     TEXT NOT NULL CHECK (outcome IN ('ok', 'refused', 'failed')),
    detail      TEXT CHECK (detail IS NULL OR json_valid(detail)),
    prev_hash   TEXT NOT NULL,
    hash        TEXT NOT NULL
) STRICT;

CREATE TRIGGER audit_chain BEFORE INSERT ON audit
WHEN NEW.prev_hash != coalesce((SELECT hash FROM audit ORDER BY id DESC LIMIT 1), '')
BEGIN
    SELECT RAISE(ABORT, 'audit chain: an entry must follow the last one (appends are not serialized)');
END;

CREATE INDEX audit_application ON audit (application, id);
CREATE INDEX audit_actor ON audit (actor, id);

CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
BEGIN
    SELECT RAISE(ABORT, 'audit is append-only: entries are never updated');
END;

CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
BEGIN
    SELECT RAISE(ABORT, 'audit is append-only: entries are never deleted');
END;
