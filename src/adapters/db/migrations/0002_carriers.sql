-- Real carriers (issue 3): sender pacing shared by every dispatcher, unknown-outcome attempts, message encoding,
-- media and sending policy, contact-point deliverability, webhook replay detection, carrier-reported opt-outs.

-- One row per sender (a Twilio Messaging Service or number, a WhatsApp phone number id). `next_slot_at` is the
-- theoretical arrival time of the generic cell rate algorithm: the earliest instant the next message may go.
-- Dispatchers reserve slots under this row's lock, so several processes on one database share one rate.
CREATE TABLE sender_pace (
  sender_id text PRIMARY KEY,
  next_slot_at timestamptz NOT NULL
);

-- An attempt whose outcome is unknown (timeout, 5xx, crash after handing over) started at `in_doubt_since`;
-- the next attempt asks the carrier before sending again.
ALTER TABLE outbox ADD COLUMN in_doubt_since timestamptz;

ALTER TABLE message ADD COLUMN encoding text CHECK (encoding IN ('GSM-7', 'UCS-2'));
ALTER TABLE message ADD COLUMN segments integer;
ALTER TABLE message ADD COLUMN characters integer;
ALTER TABLE message ADD COLUMN media_urls_enc text;
ALTER TABLE message ADD COLUMN media_count integer NOT NULL DEFAULT 0;
ALTER TABLE message ADD COLUMN urgent boolean NOT NULL DEFAULT false;
-- Sent under the TCPA healthcare exemption policy (frequency and length limits apply).
ALTER TABLE message ADD COLUMN exempt boolean NOT NULL DEFAULT false;
-- Quiet hours: when a held message will be released.
ALTER TABLE message ADD COLUMN held_until timestamptz;
CREATE INDEX message_exempt_idx ON message (patient_id, created_at) WHERE exempt;

-- What carriers told us about a patient's contact point (phone for sms/text, whatsapp).
CREATE TABLE contact_point_state (
  patient_id uuid NOT NULL REFERENCES patient (id),
  kind text NOT NULL CHECK (kind IN ('phone', 'whatsapp')),
  state text NOT NULL CHECK (state IN ('unreachable', 'undeliverable', 'landline')),
  reason text NOT NULL,
  changed_at timestamptz NOT NULL,
  PRIMARY KEY (patient_id, kind)
);

-- Signed webhook deliveries already processed (digest of signature and raw body): a replay changes nothing.
CREATE TABLE webhook_receipt (
  provider text NOT NULL,
  digest text NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (provider, digest)
);

-- A carrier reported that the patient opted out there (Twilio 21610/63014, WhatsApp 131050).
ALTER TABLE consent_event DROP CONSTRAINT consent_event_source_check;
ALTER TABLE consent_event ADD CONSTRAINT consent_event_source_check
  CHECK (source IN ('intake_form', 'sms_keyword', 'whatsapp_optout', 'carrier_optout', 'phone', 'portal', 'staff', 'salesforce'));

CREATE INDEX inbound_message_window_idx ON inbound_message (patient_id, channel, received_at);
