-- ref names what an event is about when it is not an execution: the
-- incident's ID on incident_opened and incident_resolved, the object on an
-- out_of_band_change (model.Event.Ref). Older events keep ''.
ALTER TABLE event ADD COLUMN ref TEXT NOT NULL DEFAULT '';
