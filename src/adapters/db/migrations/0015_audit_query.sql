-- The audit events query (GET /v1/audit/events; docs/audit-events.md) pages newest first by primary key, filtered by
-- patient or by actor: each filter gets an index in that order, so a page is an ordered index scan that stops after
-- `limit` rows instead of a sort of the patient's or actor's whole history.
CREATE INDEX audit_event_patient_id_idx ON audit_event (patient_id, id);
CREATE INDEX audit_event_actor_id_idx ON audit_event (actor_id, id);
