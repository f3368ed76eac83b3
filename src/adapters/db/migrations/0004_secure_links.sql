-- Secure patient links (issue 4 item 5). A message whose content its channel may not carry is stored here,
-- encrypted, and the patient receives only a notice with a link. The link's token is never stored: only its SHA-256
-- hash (the token has 144 random bits, so the hash cannot be reversed by guessing). One-time codes and client
-- addresses are stored only as keyed digests (the blind-index key of field-cipher.ts): a six-digit code or an IP
-- address could be recovered from a plain hash by trying every value.

-- The content behind the link. Written once, never changed (a correction is a new message).
CREATE TABLE secure_message (
  message_id uuid PRIMARY KEY REFERENCES message (id),
  patient_id uuid NOT NULL REFERENCES patient (id),
  content_enc text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX secure_message_patient_idx ON secure_message (patient_id);
CREATE TRIGGER secure_message_immutable BEFORE UPDATE ON secure_message
  FOR EACH ROW EXECUTE FUNCTION wardline_refuse_change();

-- A link to the content. A reissue adds a link (carried by a new notice message) and revokes the old one.
CREATE TABLE secure_link (
  id uuid PRIMARY KEY,
  -- Insertion order: the newest link of a message is its current one.
  seq bigserial NOT NULL UNIQUE,
  message_id uuid NOT NULL REFERENCES secure_message (message_id),
  -- The message that carried this link's URL: the content's own message, or a reissued notice.
  notice_message_id uuid NOT NULL REFERENCES message (id),
  token_hash text NOT NULL UNIQUE,
  expires_at timestamptz NOT NULL,
  revoked_at timestamptz,
  revoked_by_type text,
  revoked_by_id text,
  revoked_reason text,
  failed_attempts integer NOT NULL DEFAULT 0 CHECK (failed_attempts >= 0),
  locked_at timestamptz,
  otp_hash text,
  otp_expires_at timestamptz,
  otp_sent_at timestamptz,
  otp_sends integer NOT NULL DEFAULT 0 CHECK (otp_sends >= 0),
  session_hash text,
  session_expires_at timestamptz,
  first_viewed_at timestamptz,
  last_viewed_at timestamptz,
  view_count integer NOT NULL DEFAULT 0 CHECK (view_count >= 0),
  created_at timestamptz NOT NULL,
  created_by_type text NOT NULL,
  created_by_id text,
  CHECK ((revoked_at IS NULL) = (revoked_reason IS NULL))
);
CREATE INDEX secure_link_message_idx ON secure_link (message_id);
CREATE INDEX secure_link_notice_idx ON secure_link (notice_message_id);

-- Fixed-window counters of the patient pages' throttles. `subject` is `address:<keyed digest of the client address>`
-- (an IP address is an identifier, 164.514(b)(2)(i)(O)) or `link:<link id>`.
CREATE TABLE attempt_throttle (
  subject text PRIMARY KEY,
  window_started_at timestamptz NOT NULL,
  count integer NOT NULL CHECK (count >= 0)
);
CREATE INDEX attempt_throttle_window_idx ON attempt_throttle (window_started_at);
