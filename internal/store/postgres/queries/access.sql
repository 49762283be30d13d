-- Credentials: API tokens, browser sessions and one-time login links. Every
-- write that must happen once (revoking, consuming a link) is one
-- conditional statement, so two callers can never both win.

-- name: TokenInsert
INSERT INTO token (id, name, hash, role, scope, created_by, owner, creator_id, created_at, expires_at, revoked_at, revoked_by)
VALUES (@id, @name, @hash, @role, @scope, @created_by, @owner, @creator_id, @created_at, @expires_at, @revoked_at, @revoked_by);

-- name: TokenGet
SELECT id, name, hash, role, scope, created_by, owner, creator_id, created_at, expires_at, revoked_at, revoked_by
FROM token WHERE id = @id;

-- name: TokenList
-- Expired tokens are listed: only revoking takes a token off the list.
SELECT id, name, hash, role, scope, created_by, owner, creator_id, created_at, expires_at, revoked_at, revoked_by
FROM token
WHERE @include_revoked::boolean OR revoked_at IS NULL
ORDER BY name, created_at, id;

-- name: TokenRevoke
-- Under READ COMMITTED a second concurrent revoke waits on the row, then
-- finds it revoked and changes nothing.
UPDATE token SET revoked_at = @at, revoked_by = @by
WHERE name = @name AND revoked_at IS NULL
RETURNING id, name, hash, role, scope, created_by, owner, creator_id, created_at, expires_at, revoked_at, revoked_by;

-- name: SessionInsert
INSERT INTO session (id, identity, created_at, expires_at, source)
VALUES (@id, @identity, @created_at, @expires_at, @source);

-- name: SessionGet
SELECT id, identity, created_at, expires_at, source FROM session WHERE id = @id;

-- name: SessionDelete
DELETE FROM session WHERE id = @id;

-- name: SessionDeleteExpired
-- A session has expired at now when its expiry is not after now.
DELETE FROM session WHERE expires_at <= @now;

-- name: LoginLinkInsert
INSERT INTO login_link (id, token_id, created_at, expires_at)
VALUES (@id, @token_id, @created_at, @expires_at);

-- name: LoginLinkConsume
-- One statement: of two concurrent consumers, only the one whose DELETE
-- finds the row gets it back.
DELETE FROM login_link
WHERE id = @id AND expires_at > @now
RETURNING id, token_id, created_at, expires_at;
