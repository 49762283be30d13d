-- The front door's per-second traffic (see the traffic_second table).

-- name: TrafficSecondInsert
-- A second is flushed once it is complete; flushing it again changes nothing.
INSERT INTO traffic_second (application, environment, server_group, second, requests, errors, sum_seconds, buckets)
VALUES (@application, @environment, @server_group, @second, @requests, @errors, @sum_seconds, @buckets)
ON CONFLICT DO NOTHING;

-- name: TrafficSecondList
SELECT second, requests, errors, sum_seconds, buckets FROM traffic_second
WHERE application = @application AND environment = @environment AND server_group = @server_group
  AND second >= @from AND second < @to
ORDER BY second;

-- name: TrafficSecondDeleteBefore
DELETE FROM traffic_second WHERE second < @before;
