-- Verification runs of the audit chain (issue 6 items 2 and 5; docs/decisions/0015-audit-hash-chain.md "Continuous
-- verification"). A full run recomputes the chain from its start; a tail run starts at a signed checkpoint that an
-- earlier successful full run covered. The evidence report checks the tail on each request and names the full run
-- behind it, so a report on a large trail takes seconds, not minutes; a scheduled full run (WARDLINE_AUDIT_VERIFY_HOURS)
-- keeps that full run recent and raises a security event when it finds tampering.
CREATE TABLE audit_verification (
  id bigserial PRIMARY KEY,
  scope text NOT NULL CHECK (scope IN ('full', 'tail')),
  started_at timestamptz NOT NULL,
  finished_at timestamptz NOT NULL,
  -- Where the run started: 0 (genesis), the retention anchor, or the signed checkpoint a tail run started from.
  from_position bigint NOT NULL,
  -- The last position verified, and the chain's hash there.
  through_position bigint NOT NULL,
  through_hash text NOT NULL,
  ok boolean NOT NULL,
  tampering_kind text,
  tampering_position bigint,
  events bigint NOT NULL,
  checkpoints integer NOT NULL,
  run_by text NOT NULL CHECK (run_by IN ('cli', 'schedule', 'report', 'app'))
);
CREATE INDEX audit_verification_full_idx ON audit_verification (finished_at DESC) WHERE scope = 'full' AND ok;
CREATE TRIGGER audit_verification_append_only BEFORE UPDATE OR DELETE ON audit_verification
  FOR EACH ROW EXECUTE FUNCTION wardline_refuse_change();
CREATE TRIGGER audit_verification_no_truncate BEFORE TRUNCATE ON audit_verification FOR EACH STATEMENT EXECUTE FUNCTION wardline_refuse_truncate();
REVOKE UPDATE, DELETE, TRUNCATE ON audit_verification FROM PUBLIC;
DO $$
BEGIN
  EXECUTE format('REVOKE UPDATE, DELETE, TRUNCATE ON audit_verification FROM %I', current_user);
END $$;
