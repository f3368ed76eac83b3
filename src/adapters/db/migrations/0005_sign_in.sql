-- Staff sign-in (issue 5 item 1): browser sessions, the second factor, failed-attempt counters, OIDC identities.

-- A browser session. The cookie carries a random 256-bit secret; only its SHA-256 is stored, so a copy of this
-- table signs nobody in. A session ends at the first of: `idle_ms` without a request, `expires_at`, sign-out,
-- or the principal's deactivation (`ended_at` and `end_reason` record which).
CREATE TABLE staff_session (
  id uuid PRIMARY KEY,
  principal_id uuid NOT NULL REFERENCES principal (id),
  secret_hash text NOT NULL UNIQUE,
  method text NOT NULL CHECK (method IN ('password', 'oidc')),
  mfa boolean NOT NULL,
  -- Signed in with a password while a second factor is required but not yet enrolled: only enrolment is allowed.
  enrolment_only boolean NOT NULL,
  created_at timestamptz NOT NULL,
  last_seen_at timestamptz NOT NULL,
  idle_ms integer NOT NULL CHECK (idle_ms > 0),
  expires_at timestamptz NOT NULL,
  ended_at timestamptz,
  end_reason text CHECK (end_reason IN ('signed-out', 'idle', 'expired', 'deactivated')),
  CHECK ((ended_at IS NULL) = (end_reason IS NULL))
);
CREATE INDEX staff_session_principal_idx ON staff_session (principal_id) WHERE ended_at IS NULL;

-- The second factor of a local account. Secrets are encrypted with the field cipher; `totp_last_step` is the
-- RFC 6238 step of the last code accepted, so no code is accepted twice.
CREATE TABLE principal_credential (
  principal_id uuid PRIMARY KEY REFERENCES principal (id),
  mfa_required boolean NOT NULL DEFAULT false,
  totp_secret_enc text,
  totp_pending_enc text,
  totp_last_step bigint,
  totp_enrolled_at timestamptz
);

-- Failed sign-ins per subject: `user:<keyed digest of the lower-cased username>` (existing or not, so a lock says
-- nothing about whether an account exists) or `address:<keyed digest of the client address>`.
CREATE TABLE sign_in_failure (
  subject text PRIMARY KEY,
  window_started_at timestamptz NOT NULL,
  failures integer NOT NULL CHECK (failures >= 0),
  locked_until timestamptz
);
CREATE INDEX sign_in_failure_window_idx ON sign_in_failure (window_started_at);

-- Single sign-on: an identity provider's (issuer, subject) pair names exactly one principal.
CREATE TABLE principal_identity (
  issuer text NOT NULL,
  subject text NOT NULL,
  principal_id uuid NOT NULL REFERENCES principal (id),
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (issuer, subject)
);
CREATE INDEX principal_identity_principal_idx ON principal_identity (principal_id);
