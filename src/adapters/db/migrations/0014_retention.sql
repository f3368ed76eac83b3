-- Retention (issue 6 item 6; docs/audit.md "Retention"; docs/decisions/0015-audit-hash-chain.md).
-- Audit and message records are kept at least six years (45 CFR 164.316(b)(2)(i)). Past that, `wardline retention
-- purge` may remove the oldest part of the trail, but only a prefix of the hash chain that ends at a signed checkpoint
-- already exported to a third party: the anchor row keeps that checkpoint's position and hash, so `verify` starts
-- there and the third party's copy proves what was there before.

-- Each handover of the signed checkpoints (`wardline audit checkpoints`, GET /v1/audit/checkpoints).
CREATE TABLE audit_checkpoint_export (
  id bigserial PRIMARY KEY,
  through_position bigint NOT NULL,
  exported_at timestamptz NOT NULL DEFAULT now(),
  exported_by text NOT NULL
);
CREATE TRIGGER audit_checkpoint_export_append_only BEFORE UPDATE OR DELETE ON audit_checkpoint_export
  FOR EACH ROW EXECUTE FUNCTION wardline_refuse_change();

-- Where the retained chain starts after a purge.
CREATE TABLE audit_retention_anchor (
  position bigint PRIMARY KEY,
  hash text NOT NULL,
  event_time timestamptz NOT NULL,
  cutoff timestamptz NOT NULL,
  events_purged bigint NOT NULL,
  messages_purged bigint NOT NULL,
  purged_at timestamptz NOT NULL DEFAULT now()
);
CREATE TRIGGER audit_retention_anchor_append_only BEFORE UPDATE OR DELETE ON audit_retention_anchor
  FOR EACH ROW EXECUTE FUNCTION wardline_refuse_change();

-- The append-only triggers let a DELETE through only inside a retention purge's transaction (SET LOCAL
-- wardline.retention_purge = 'on'), and only on the tables a purge empties. Privileges stay the barrier: the
-- application's role has no DELETE on the audit tables (0012), so a purge runs with the database owner's role.
CREATE OR REPLACE FUNCTION wardline_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' AND current_setting('wardline.retention_purge', true) = 'on'
     AND TG_TABLE_NAME IN ('audit_event', 'audit_seal', 'message_status_event') THEN
    RETURN OLD;
  END IF;
  RAISE EXCEPTION 'table % is append-only', TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
END;
$$;

REVOKE UPDATE, DELETE, TRUNCATE ON audit_checkpoint_export, audit_retention_anchor FROM PUBLIC;
DO $$
BEGIN
  EXECUTE format('REVOKE UPDATE, DELETE, TRUNCATE ON audit_checkpoint_export, audit_retention_anchor FROM %I', current_user);
END $$;
