-- Access control as data (issue 5): permission sets, care teams, explicit shares, break-glass and security events.
-- An actor's effective access is resolved from these tables on every request (src/adapters/db/access.repository.ts).

-- Named bundles of permissions. Seeded sets (src/core/access/permissions.ts) are written at start and cannot be
-- changed through the API; administrators add their own. `org_wide` is the organisation-wide sharing grant: holders
-- see every ward's patients (within the categories their permissions allow).
CREATE TABLE permission_set (
  name text PRIMARY KEY CHECK (name ~ '^[a-z][a-z0-9_]{1,62}$'),
  label text NOT NULL,
  permissions text[] NOT NULL,
  org_wide boolean NOT NULL DEFAULT false,
  seeded boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT now(),
  created_by uuid REFERENCES principal (id),
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- Care teams: members see the team's patients, whatever ward the patient is in.
CREATE TABLE care_team (
  id uuid PRIMARY KEY,
  name text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  created_by uuid REFERENCES principal (id)
);
CREATE UNIQUE INDEX care_team_name_idx ON care_team (lower(name));

CREATE TABLE care_team_member (
  care_team_id uuid NOT NULL REFERENCES care_team (id),
  principal_id uuid NOT NULL REFERENCES principal (id),
  PRIMARY KEY (care_team_id, principal_id)
);
CREATE INDEX care_team_member_principal_idx ON care_team_member (principal_id);

CREATE TABLE care_team_patient (
  care_team_id uuid NOT NULL REFERENCES care_team (id),
  patient_id uuid NOT NULL REFERENCES patient (id),
  PRIMARY KEY (care_team_id, patient_id)
);

-- Grants of one patient to one principal: an explicit share (optionally expiring) or a break-glass access
-- (always expiring, always with a reason). The reason may name clinical facts, so it is stored encrypted.
CREATE TABLE patient_grant (
  id uuid PRIMARY KEY,
  kind text NOT NULL CHECK (kind IN ('share', 'breakglass')),
  patient_id uuid NOT NULL REFERENCES patient (id),
  principal_id uuid NOT NULL REFERENCES principal (id),
  reason_enc text,
  granted_by uuid NOT NULL REFERENCES principal (id),
  granted_at timestamptz NOT NULL,
  expires_at timestamptz,
  revoked_at timestamptz,
  revoked_by uuid REFERENCES principal (id),
  CHECK (kind <> 'breakglass' OR (expires_at IS NOT NULL AND reason_enc IS NOT NULL))
);
CREATE INDEX patient_grant_principal_idx ON patient_grant (principal_id) WHERE revoked_at IS NULL;
CREATE INDEX patient_grant_patient_idx ON patient_grant (patient_id);

-- Events the security officer must see: break-glass use and attempts on data outside the actor's access.
-- Never PHI: ids, kinds and counts only.
CREATE TABLE security_event (
  id uuid PRIMARY KEY,
  kind text NOT NULL,
  occurred_at timestamptz NOT NULL,
  principal_id uuid REFERENCES principal (id),
  patient_id uuid,
  details jsonb NOT NULL DEFAULT '{}',
  acknowledged_at timestamptz,
  acknowledged_by uuid REFERENCES principal (id),
  webhook_state text NOT NULL DEFAULT 'none' CHECK (webhook_state IN ('none', 'pending', 'delivered', 'failed')),
  webhook_attempts integer NOT NULL DEFAULT 0,
  webhook_next_at timestamptz
);
CREATE INDEX security_event_occurred_idx ON security_event (occurred_at DESC);
CREATE INDEX security_event_webhook_idx ON security_event (webhook_next_at) WHERE webhook_state = 'pending';

-- Token scopes: a token may carry a subset of its principal's permissions (NULL: all of them).
ALTER TABLE api_token ADD COLUMN scopes text[];
