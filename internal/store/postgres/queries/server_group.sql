-- Server groups: one immutable version of an application in an environment.

-- name: ServerGroupInsert
INSERT INTO server_group (name, application, environment, sequence, version, role, status, instances, weight, env, execution_id, last_good, rolled_back, created_at, updated_at)
VALUES (@name, @application, @environment, @sequence, @version, @role, @status, @instances, @weight, @env, @execution_id, @last_good, @rolled_back, @created_at, @updated_at);

-- name: ServerGroupGet
SELECT name, application, environment, sequence, version, role, status, instances, weight, env, execution_id, last_good, rolled_back, created_at, updated_at
FROM server_group WHERE environment = @environment AND name = @name;

-- name: ServerGroupList
SELECT name, application, environment, sequence, version, role, status, instances, weight, env, execution_id, last_good, rolled_back, created_at, updated_at
FROM server_group
WHERE (@application = '' OR application = @application)
  AND (@environment = '' OR environment = @environment)
  AND (@include_destroyed::boolean OR status <> 'destroyed')
ORDER BY created_at, sequence, name;

-- name: ServerGroupUpdate
-- A NULL field is left as it is; an empty from is any status.
UPDATE server_group
SET status = coalesce(@status::text, status),
    weight = coalesce(@weight::integer, weight),
    instances = coalesce(@instances::integer, instances),
    last_good = coalesce(@last_good::boolean, last_good),
    rolled_back = coalesce(@rolled_back::boolean, rolled_back),
    role = coalesce(@role::text, role),
    updated_at = @now
WHERE environment = @environment AND name = @name
  AND (cardinality(@from::text[]) = 0 OR status = ANY(@from::text[]));

-- name: ServerGroupStatus
SELECT status FROM server_group WHERE environment = @environment AND name = @name;

-- name: ServerGroupNextSequence
-- Sequences count per application and environment, as Spinnaker's count per
-- cluster: a server group is known by (environment, name). Destroyed groups
-- count too, so a name is never reused in its environment.
SELECT coalesce(max(sequence), 0) + 1 FROM server_group
WHERE application = @application AND environment = @environment;

-- name: ServerGroupListOfApplications
-- The server groups of the applications of @applications (at most
-- store.MaxBatchApplications), in every environment: one seek per
-- application into the (application, environment, sequence) key.
SELECT name, application, environment, sequence, version, role, status, instances, weight, env, execution_id, last_good, rolled_back, created_at, updated_at
FROM server_group
WHERE application = ANY(@applications::text[])
  AND (@include_destroyed::boolean OR status <> 'destroyed')
ORDER BY created_at, sequence, name;
