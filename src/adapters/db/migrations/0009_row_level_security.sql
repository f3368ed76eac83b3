-- Row-level security (issue 5, item 3): the second line of defence behind the SQL filters of the data-access layer.
-- Staff reads run inside a transaction that switches to the role `wardline_viewer` and names the caller's visibility
-- in transaction-local settings (src/adapters/db/row-security.ts). The policies below admit only the rows that
-- visibility allows, so a staff read that forgot its WHERE clause still returns only what the caller may see.
-- Everything else (dispatcher, webhooks, carrier receipts, sign-in, migrations) runs as the connecting role, which
-- owns the tables (or is a superuser) and so is not subject to these policies: RLS is enabled, not forced.
-- docs/decisions/0013-row-level-security.md explains why the role switch (superusers and owners bypass RLS).

-- Roles belong to the cluster, not to a schema: several schemas (tests, benches) may migrate at once, so creating
-- it must tolerate a concurrent creator. NOLOGIN: nobody signs in as it, the application only switches to it.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'wardline_viewer') THEN
    CREATE ROLE wardline_viewer NOLOGIN NOSUPERUSER NOINHERIT NOBYPASSRLS;
  END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
  NULL;
END $$;

-- A non-superuser application role may switch to the viewer only as one of its members.
DO $$
BEGIN
  IF NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
    EXECUTE format('GRANT wardline_viewer TO %I', current_user);
  END IF;
END $$;

-- Grants are per schema: read-only, and only the tables staff reads touch. No INSERT, UPDATE or DELETE anywhere.
DO $$
BEGIN
  EXECUTE format('GRANT USAGE ON SCHEMA %I TO wardline_viewer', current_schema());
END $$;
GRANT SELECT ON patient, message, inbound_message, secure_message, message_status_event, consent_event,
  phi_channel_preference, contact_point_state TO wardline_viewer;

-- The caller's visibility, as set by row-security.ts for the current transaction only: organisation-wide, or the
-- rows of its wards or of its individually granted patients. Unset or empty settings admit nothing (default deny).
-- The policies call these inside scalar sub-selects, so each is evaluated once per query (an InitPlan), not once
-- per row, and `= ANY (…)` over its result can drive an index scan.
CREATE FUNCTION wardline_visible_org_wide() RETURNS boolean LANGUAGE sql STABLE AS $$
  SELECT coalesce(current_setting('wardline.org_wide', true), '') = 'on'
$$;
CREATE FUNCTION wardline_visible_ward_ids() RETURNS uuid[] LANGUAGE sql STABLE AS $$
  SELECT coalesce(NULLIF(current_setting('wardline.ward_ids', true), '')::uuid[], '{}')
$$;
CREATE FUNCTION wardline_visible_patient_ids() RETURNS uuid[] LANGUAGE sql STABLE AS $$
  SELECT coalesce(NULLIF(current_setting('wardline.patient_ids', true), '')::uuid[], '{}')
$$;

ALTER TABLE patient ENABLE ROW LEVEL SECURITY;
CREATE POLICY patient_viewer_read ON patient FOR SELECT TO wardline_viewer
  USING ((SELECT wardline_visible_org_wide()) OR ward_id = ANY ((SELECT wardline_visible_ward_ids())::uuid[])
    OR id = ANY ((SELECT wardline_visible_patient_ids())::uuid[]));

ALTER TABLE message ENABLE ROW LEVEL SECURITY;
CREATE POLICY message_viewer_read ON message FOR SELECT TO wardline_viewer
  USING ((SELECT wardline_visible_org_wide()) OR ward_id = ANY ((SELECT wardline_visible_ward_ids())::uuid[])
    OR patient_id = ANY ((SELECT wardline_visible_patient_ids())::uuid[]));

-- Replies carry the ward of their patient at arrival; unmatched senders (no patient, no ward) stay org-wide only.
ALTER TABLE inbound_message ENABLE ROW LEVEL SECURITY;
CREATE POLICY inbound_message_viewer_read ON inbound_message FOR SELECT TO wardline_viewer
  USING ((SELECT wardline_visible_org_wide()) OR ward_id = ANY ((SELECT wardline_visible_ward_ids())::uuid[])
    OR patient_id = ANY ((SELECT wardline_visible_patient_ids())::uuid[]));

-- Secure content is the message's content: visible exactly when its message is (the subquery is itself filtered).
ALTER TABLE secure_message ENABLE ROW LEVEL SECURITY;
CREATE POLICY secure_message_viewer_read ON secure_message FOR SELECT TO wardline_viewer
  USING (EXISTS (SELECT 1 FROM message m WHERE m.id = secure_message.message_id));
