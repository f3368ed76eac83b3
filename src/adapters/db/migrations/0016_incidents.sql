-- Incident response (issue 7; docs/incident-response.md; reference §1.5, the Breach Notification Rule).
-- An incident is the record the hospital shows to carry its burden of proof (45 CFR 164.414): it is kept at least six
-- years (164.530(j)) and Wardline never purges it. Incident rows change as the procedure advances (status, decision),
-- so `incident` takes UPDATE; everything else is append-only (triggers), and the connecting role gives up DELETE and
-- TRUNCATE on every incident table. The audit trail records every action (`incident.*` events).
-- Ids only: free text a privacy officer types (a staff report's note, the assessment's notes, the rationale, the
-- re-verification evidence) may name clinical facts, so it is stored encrypted (*_enc, field-cipher.ts).
-- Message ids are kept without a foreign key: the retention purge may remove a message after six years, and the
-- incident (with the content classes copied here) must outlive it.

CREATE TABLE incident (
  id uuid PRIMARY KEY,
  status text NOT NULL CHECK (status IN ('draft', 'open', 'decided', 'closed')),
  source text NOT NULL CHECK (source IN ('patient-reply', 'carrier-report', 'staff-report', 'bulk-cancelled')),
  opened_at timestamptz NOT NULL,
  opened_by_type text NOT NULL,
  opened_by_id text,
  note_enc text,
  -- The hospital's IANA time zone when the incident opened: the deadlines' calendar days are counted in it.
  time_zone text NOT NULL,
  discovered_at timestamptz,
  content_classes text[] NOT NULL DEFAULT '{}',
  residents_by_state jsonb NOT NULL DEFAULT '{}',
  assessment_enc text,
  decision_outcome text CHECK (decision_outcome IN ('breach', 'low-probability', 'excluded', 'not-an-incident')),
  decision_exclusion text,
  decision_rationale_enc text,
  decided_by text,
  decided_at timestamptz,
  delay_agency_enc text,
  delay_until timestamptz,
  delay_oral boolean,
  delay_by text,
  delay_at timestamptz,
  closed_at timestamptz,
  closed_by text,
  updated_at timestamptz NOT NULL
);
CREATE INDEX incident_status_idx ON incident (status, opened_at);

-- Each detection signal (a reply, a carrier report, a staff report, a cancelled bulk send), unique per event: a
-- duplicated webhook or a replayed reply finds its signal already recorded and opens nothing.
CREATE TABLE incident_signal (
  source text NOT NULL CHECK (source IN ('patient-reply', 'carrier-report', 'staff-report', 'bulk-cancelled')),
  source_ref text NOT NULL,
  incident_id uuid NOT NULL REFERENCES incident (id),
  inbound_message_id uuid,
  recorded_at timestamptz NOT NULL,
  PRIMARY KEY (source, source_ref)
);
CREATE INDEX incident_signal_incident_idx ON incident_signal (incident_id);

-- The affected patients and the contact point (phone or WhatsApp number) through which their PHI went astray.
CREATE TABLE incident_contact_point (
  incident_id uuid NOT NULL REFERENCES incident (id),
  patient_id uuid NOT NULL REFERENCES patient (id),
  kind text NOT NULL CHECK (kind IN ('phone', 'whatsapp')),
  PRIMARY KEY (incident_id, patient_id, kind)
);
CREATE INDEX incident_contact_point_patient_idx ON incident_contact_point (patient_id, kind);

-- The messages involved, and what was in them (content classes, never the content).
CREATE TABLE incident_message (
  incident_id uuid NOT NULL REFERENCES incident (id),
  message_id uuid NOT NULL,
  patient_id uuid NOT NULL,
  channel text NOT NULL,
  category text NOT NULL,
  delivery text NOT NULL,
  content_classes text[] NOT NULL DEFAULT '{}',
  sent_at timestamptz NOT NULL,
  PRIMARY KEY (incident_id, message_id)
);

CREATE TABLE incident_mitigation (
  id bigserial PRIMARY KEY,
  incident_id uuid NOT NULL REFERENCES incident (id),
  kind text NOT NULL CHECK (kind IN ('links-revoked', 'contact-point-suspended', 'queue-paused')),
  count integer NOT NULL CHECK (count >= 0),
  at timestamptz NOT NULL,
  by_id text NOT NULL
);
CREATE INDEX incident_mitigation_incident_idx ON incident_mitigation (incident_id, id);

CREATE TABLE incident_notice (
  id bigserial PRIMARY KEY,
  incident_id uuid NOT NULL REFERENCES incident (id),
  kind text NOT NULL CHECK (kind IN ('individual', 'hhs', 'media', 'annual-log')),
  method text NOT NULL CHECK (method IN ('first-class-mail', 'email', 'substitute-notice', 'hhs-portal', 'media-outlet')),
  patient_id uuid REFERENCES patient (id),
  state text,
  at timestamptz NOT NULL,
  by_id text NOT NULL
);
CREATE INDEX incident_notice_incident_idx ON incident_notice (incident_id, id);

-- Deadline reminders raised, once each (keys of core/incidents/deadlines.ts `dueReminders`).
CREATE TABLE incident_reminder (
  incident_id uuid NOT NULL REFERENCES incident (id),
  key text NOT NULL,
  sent_at timestamptz NOT NULL,
  PRIMARY KEY (incident_id, key)
);

-- Suspensions of a contact point by incident response. A table of its own rather than a fourth state of
-- contact_point_state: that table holds what carriers said, and a reply from the number clears it (the number
-- works) — but a reply from a wrong or reassigned number proves nothing about whose number it is. A suspension ends
-- only when staff record that the patient re-verified the number (POST /v1/patients/{id}/contact-points/{kind}/reverify).
-- blocks_sending: new sends are refused (CONTACT_POINT_SUSPENDED); any active row holds queued messages at dispatch.
CREATE TABLE contact_point_suspension (
  id uuid PRIMARY KEY,
  patient_id uuid NOT NULL REFERENCES patient (id),
  kind text NOT NULL CHECK (kind IN ('phone', 'whatsapp')),
  incident_id uuid NOT NULL REFERENCES incident (id),
  blocks_sending boolean NOT NULL,
  created_at timestamptz NOT NULL,
  created_by text NOT NULL,
  lifted_at timestamptz,
  lifted_by text,
  lifted_evidence_enc text,
  CHECK ((lifted_at IS NULL) = (lifted_by IS NULL))
);
CREATE INDEX contact_point_suspension_active_idx ON contact_point_suspension (patient_id, kind) WHERE lifted_at IS NULL;

CREATE TRIGGER incident_signal_append_only BEFORE UPDATE OR DELETE ON incident_signal FOR EACH ROW EXECUTE FUNCTION wardline_refuse_change();
CREATE TRIGGER incident_contact_point_append_only BEFORE UPDATE OR DELETE ON incident_contact_point FOR EACH ROW EXECUTE FUNCTION wardline_refuse_change();
CREATE TRIGGER incident_message_append_only BEFORE UPDATE OR DELETE ON incident_message FOR EACH ROW EXECUTE FUNCTION wardline_refuse_change();
CREATE TRIGGER incident_mitigation_append_only BEFORE UPDATE OR DELETE ON incident_mitigation FOR EACH ROW EXECUTE FUNCTION wardline_refuse_change();
CREATE TRIGGER incident_notice_append_only BEFORE UPDATE OR DELETE ON incident_notice FOR EACH ROW EXECUTE FUNCTION wardline_refuse_change();
CREATE TRIGGER incident_reminder_append_only BEFORE UPDATE OR DELETE ON incident_reminder FOR EACH ROW EXECUTE FUNCTION wardline_refuse_change();
CREATE FUNCTION wardline_refuse_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'rows of % are kept (incident records are never deleted)', TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER incident_no_delete BEFORE DELETE ON incident FOR EACH ROW EXECUTE FUNCTION wardline_refuse_delete();
CREATE TRIGGER contact_point_suspension_no_delete BEFORE DELETE ON contact_point_suspension FOR EACH ROW EXECUTE FUNCTION wardline_refuse_delete();

REVOKE DELETE, TRUNCATE ON incident, incident_signal, incident_contact_point, incident_message, incident_mitigation,
  incident_notice, incident_reminder, contact_point_suspension FROM PUBLIC;
DO $$
BEGIN
  EXECUTE format('REVOKE DELETE, TRUNCATE ON incident, incident_signal, incident_contact_point, incident_message, incident_mitigation, incident_notice, incident_reminder, contact_point_suspension FROM %I', current_user);
END $$;
