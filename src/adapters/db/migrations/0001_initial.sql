-- Wardline initial schema. Applied identically on PGlite and PostgreSQL.
-- PHI columns end in _enc (AES-256-GCM, see src/adapters/crypto/field-cipher.ts); *_index columns are
-- keyed HMAC blind indexes used for equality lookups. Ledgers (consent_event, message_status_event,
-- audit_event) are append-only: triggers refuse UPDATE and DELETE.

CREATE FUNCTION wardline_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'table % is append-only', TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE TABLE ward (
  id uuid PRIMARY KEY,
  name text NOT NULL UNIQUE,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE principal (
  id uuid PRIMARY KEY,
  kind text NOT NULL CHECK (kind IN ('user', 'agent', 'integration')),
  username text UNIQUE,
  display_name text NOT NULL,
  password_hash text,
  permission_sets text[] NOT NULL DEFAULT '{}',
  ward_ids uuid[] NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL DEFAULT now(),
  created_by uuid REFERENCES principal (id),
  disabled_at timestamptz
);

CREATE TABLE api_token (
  id uuid PRIMARY KEY,
  principal_id uuid NOT NULL REFERENCES principal (id),
  token_hash text NOT NULL UNIQUE,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz,
  revoked_at timestamptz
);

CREATE TABLE patient (
  id uuid PRIMARY KEY,
  ward_id uuid REFERENCES ward (id),
  given_name_enc text NOT NULL,
  family_name_enc text NOT NULL,
  birth_date_enc text NOT NULL,
  phone_enc text NOT NULL,
  phone_index text NOT NULL,
  whatsapp_enc text,
  whatsapp_index text,
  external_ids_enc text,
  language text,
  timezone text,
  created_at timestamptz NOT NULL DEFAULT now(),
  created_by uuid REFERENCES principal (id)
);
CREATE INDEX patient_phone_index_idx ON patient (phone_index);
CREATE INDEX patient_whatsapp_index_idx ON patient (whatsapp_index);
CREATE INDEX patient_ward_idx ON patient (ward_id);

CREATE TABLE inbound_message (
  id uuid PRIMARY KEY,
  patient_id uuid REFERENCES patient (id),
  ward_id uuid,
  channel text NOT NULL CHECK (channel IN ('sms', 'text', 'whatsapp')),
  from_index text NOT NULL,
  body_enc text NOT NULL,
  intent text NOT NULL CHECK (intent IN ('opt-out', 'opt-in', 'help', 'review')),
  review_reason text,
  needs_review boolean NOT NULL,
  provider_message_id text,
  received_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX inbound_message_review_idx ON inbound_message (received_at) WHERE needs_review;
CREATE INDEX inbound_message_patient_idx ON inbound_message (patient_id, received_at);

CREATE TABLE consent_event (
  seq bigserial PRIMARY KEY,
  id uuid NOT NULL UNIQUE,
  patient_id uuid NOT NULL REFERENCES patient (id),
  channel text NOT NULL CHECK (channel IN ('sms', 'text', 'whatsapp')),
  purpose text NOT NULL CHECK (purpose IN ('care', 'billing', 'marketing')),
  status text NOT NULL CHECK (status IN ('granted', 'revoked')),
  source text NOT NULL CHECK (source IN ('intake_form', 'sms_keyword', 'whatsapp_optout', 'phone', 'portal', 'staff', 'salesforce')),
  wording_shown text,
  captured_by text,
  captured_at timestamptz,
  recorded_by_type text NOT NULL,
  recorded_by_id text,
  inbound_message_id uuid REFERENCES inbound_message (id),
  recorded_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX consent_event_patient_idx ON consent_event (patient_id, seq);
CREATE TRIGGER consent_event_append_only BEFORE UPDATE OR DELETE ON consent_event
  FOR EACH ROW EXECUTE FUNCTION wardline_refuse_change();

CREATE TABLE message (
  id uuid PRIMARY KEY,
  patient_id uuid NOT NULL REFERENCES patient (id),
  ward_id uuid,
  channel text NOT NULL CHECK (channel IN ('sms', 'text', 'whatsapp')),
  category text NOT NULL CHECK (category IN ('clinical', 'billing', 'administrative')),
  purpose text NOT NULL CHECK (purpose IN ('care', 'billing', 'marketing')),
  body_enc text NOT NULL,
  template_id text,
  related_record jsonb,
  consent_basis text NOT NULL CHECK (consent_basis IN ('consent', 'override', 'keyword-reply')),
  override_justification_enc text,
  in_reply_to uuid REFERENCES inbound_message (id),
  status text NOT NULL CHECK (status IN ('queued', 'sending', 'sent', 'delivered', 'read', 'failed', 'cancelled')),
  status_reason text,
  sender_type text NOT NULL,
  sender_id text NOT NULL,
  idempotency_key text,
  request_hash text,
  provider text,
  provider_message_id text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (sender_id, idempotency_key)
);
CREATE INDEX message_patient_idx ON message (patient_id, created_at);
CREATE INDEX message_created_idx ON message (created_at);
CREATE INDEX message_queued_idx ON message (patient_id, channel) WHERE status = 'queued';
CREATE UNIQUE INDEX message_provider_idx ON message (provider, provider_message_id);

CREATE TABLE message_status_event (
  id bigserial PRIMARY KEY,
  message_id uuid NOT NULL REFERENCES message (id),
  status text NOT NULL,
  reason text,
  source text NOT NULL CHECK (source IN ('wardline', 'carrier')),
  occurred_at timestamptz NOT NULL,
  recorded_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (message_id, status)
);
CREATE TRIGGER message_status_event_append_only BEFORE UPDATE OR DELETE ON message_status_event
  FOR EACH ROW EXECUTE FUNCTION wardline_refuse_change();

CREATE TABLE outbox (
  id bigserial PRIMARY KEY,
  message_id uuid NOT NULL UNIQUE REFERENCES message (id),
  available_at timestamptz NOT NULL DEFAULT now(),
  attempts integer NOT NULL DEFAULT 0,
  last_error text
);
CREATE INDEX outbox_available_idx ON outbox (available_at, id);

CREATE TABLE audit_event (
  id bigserial PRIMARY KEY,
  event_id uuid NOT NULL UNIQUE,
  occurred_at timestamptz NOT NULL DEFAULT now(),
  actor_type text NOT NULL CHECK (actor_type IN ('user', 'agent', 'integration', 'patient', 'system')),
  actor_id text,
  action text NOT NULL,
  outcome text NOT NULL CHECK (outcome IN ('success', 'denied', 'failure')),
  target_type text NOT NULL,
  target_id text,
  patient_id uuid,
  reason text,
  request_id text,
  details jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_event_patient_idx ON audit_event (patient_id, occurred_at);
CREATE INDEX audit_event_action_idx ON audit_event (action, occurred_at);
CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE ON audit_event
  FOR EACH ROW EXECUTE FUNCTION wardline_refuse_change();
