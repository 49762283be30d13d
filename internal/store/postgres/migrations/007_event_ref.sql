-- 007_event_ref: SQLite's 014. ref names what an event is about when it
-- is not an execution: the incident's ID on incident events, the object on
-- an out_of_band_change (model.Event.Ref). Older events keep ''.
ALTER TABLE event ADD COLUMN ref text NOT NULL DEFAULT '';
