-- Tamper evidence for the audit trail (issue 6 item 2; docs/decisions/0015-audit-hash-chain.md).
-- A single sealer (an advisory lock) takes committed audit events in id order and appends one seal per event:
-- its position in the chain and hash(n) = SHA-256(hash(n-1) || '\n' || canonical event). Checkpoints sign the chain's
-- hash at a position with an Ed25519 key that never lives in the database. Seals and checkpoints are append-only like
-- the events themselves, and the connecting role gives up UPDATE, DELETE and TRUNCATE on all three.

-- Every event says where it came from (the caller's address) and on whose behalf an agent or integration acted;
-- carriers are actors of their own (status callbacks, webhook rejections).
ALTER TABLE audit_event ADD COLUMN source_address text, ADD COLUMN on_behalf_of text;
ALTER TABLE audit_event DROP CONSTRAINT audit_event_actor_type_check;
ALTER TABLE audit_event ADD CONSTRAINT audit_event_actor_type_check
  CHECK (actor_type IN ('user', 'agent', 'integration', 'patient', 'carrier', 'system'));

CREATE TABLE audit_seal (
  position bigint PRIMARY KEY,
  event_pk bigint NOT NULL UNIQUE,
  hash text NOT NULL,
  -- The sealed event's own time: the chain's clock. An event far older than the chain's head can only have been
  -- inserted behind the sealer (backdated), so it is never sealed and `verify` reports it.
  event_time timestamptz NOT NULL,
  sealed_at timestamptz NOT NULL DEFAULT now()
);
CREATE TRIGGER audit_seal_append_only BEFORE UPDATE OR DELETE ON audit_seal
  FOR EACH ROW EXECUTE FUNCTION wardline_refuse_change();

CREATE TABLE audit_checkpoint (
  position bigint PRIMARY KEY,
  hash text NOT NULL,
  key_id text NOT NULL,
  signature text NOT NULL,
  signed_at timestamptz NOT NULL DEFAULT now()
);
CREATE TRIGGER audit_checkpoint_append_only BEFORE UPDATE OR DELETE ON audit_checkpoint
  FOR EACH ROW EXECUTE FUNCTION wardline_refuse_change();

-- Row triggers do not fire on TRUNCATE.
CREATE FUNCTION wardline_refuse_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'table % is append-only', TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON audit_event FOR EACH STATEMENT EXECUTE FUNCTION wardline_refuse_truncate();
CREATE TRIGGER audit_seal_no_truncate BEFORE TRUNCATE ON audit_seal FOR EACH STATEMENT EXECUTE FUNCTION wardline_refuse_truncate();
CREATE TRIGGER audit_checkpoint_no_truncate BEFORE TRUNCATE ON audit_checkpoint FOR EACH STATEMENT EXECUTE FUNCTION wardline_refuse_truncate();

-- Grants as a second barrier (a superuser or the owner can take them back; the triggers and the chain remain).
REVOKE UPDATE, DELETE, TRUNCATE ON audit_event, audit_seal, audit_checkpoint FROM PUBLIC;
DO $$
BEGIN
  EXECUTE format('REVOKE UPDATE, DELETE, TRUNCATE ON audit_event, audit_seal, audit_checkpoint FROM %I', current_user);
END $$;
