-- Who was active when, stamped with the event that added the row, so a
-- reporter holding the rows in memory reads only those added since it
-- last looked (as kpi_day's event does for the rollups).
ALTER TABLE kpi_actor ADD COLUMN event INTEGER NOT NULL DEFAULT 0;
CREATE INDEX kpi_actor_event ON kpi_actor (event);
