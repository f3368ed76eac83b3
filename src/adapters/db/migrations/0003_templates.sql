-- Minimum necessary (issue 4): template kinds with the classes of content each may carry, versioned templates that
-- are used only once approved by someone other than their author, the exact template version every message came
-- from, how the message was delivered (directly, or as a notice with a secure link), and the patient's documented
-- acceptance of unencrypted PHI on a channel (reference 1.4).

CREATE TABLE template_kind (
  name text PRIMARY KEY CHECK (name ~ '^[a-z][a-z0-9_]{1,39}$'),
  category text NOT NULL CHECK (category IN ('clinical', 'billing', 'administrative')),
  -- Classes of content the kind may carry: none (routing information), identifier, clinical.
  allowed_classes text[] NOT NULL CHECK (allowed_classes <@ ARRAY['none', 'identifier', 'clinical']::text[]),
  description text NOT NULL,
  built_in boolean NOT NULL DEFAULT false,
  created_by_type text NOT NULL,
  created_by_id text,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TRIGGER template_kind_append_only BEFORE UPDATE OR DELETE ON template_kind
  FOR EACH ROW EXECUTE FUNCTION wardline_refuse_change();

CREATE TABLE template (
  id uuid PRIMARY KEY,
  name text NOT NULL UNIQUE,
  kind text NOT NULL REFERENCES template_kind (name),
  created_by_type text NOT NULL,
  created_by_id text,
  created_at timestamptz NOT NULL DEFAULT now()
);

-- Template text is routing information by construction (PHI-free; checked by the scanner at save), so it is stored
-- in clear. Variants: [{channel, language, body, metaTemplateName?, metaLanguage?}].
CREATE TABLE template_version (
  id uuid PRIMARY KEY,
  template_id uuid NOT NULL REFERENCES template (id),
  version integer NOT NULL CHECK (version >= 1),
  variants jsonb NOT NULL,
  status text NOT NULL CHECK (status IN ('pending', 'approved', 'rejected')),
  authored_by_type text NOT NULL,
  authored_by_id text,
  authored_at timestamptz NOT NULL,
  decided_by_type text,
  decided_by_id text,
  decided_at timestamptz,
  decision_note text,
  UNIQUE (template_id, version)
);
CREATE INDEX template_version_approved_idx ON template_version (template_id, version) WHERE status = 'approved';

-- A version is immutable: never deleted, and the only change ever allowed is the one decision on a pending version.
CREATE FUNCTION wardline_template_version_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    RAISE EXCEPTION 'template versions are never deleted' USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF OLD.status <> 'pending' OR NEW.status = 'pending'
     OR NEW.id <> OLD.id OR NEW.template_id <> OLD.template_id OR NEW.version <> OLD.version
     OR NEW.variants <> OLD.variants OR NEW.authored_by_type <> OLD.authored_by_type
     OR NEW.authored_by_id IS DISTINCT FROM OLD.authored_by_id OR NEW.authored_at <> OLD.authored_at THEN
    RAISE EXCEPTION 'template version % is immutable', OLD.id USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN NEW;
END;
$$;
CREATE TRIGGER template_version_immutable BEFORE UPDATE OR DELETE ON template_version
  FOR EACH ROW EXECUTE FUNCTION wardline_template_version_guard();

-- The exact template version a message came from (null for free text), what WhatsApp needs to send it outside the
-- 24-hour window (Meta template name and language, parameters in order, encrypted), and how it was delivered.
ALTER TABLE message DROP COLUMN template_id;
ALTER TABLE message ADD COLUMN template_version_id uuid REFERENCES template_version (id);
ALTER TABLE message ADD COLUMN template_meta_name text;
ALTER TABLE message ADD COLUMN template_language text;
ALTER TABLE message ADD COLUMN template_params_enc text;
ALTER TABLE message ADD COLUMN delivery text NOT NULL DEFAULT 'direct' CHECK (delivery IN ('direct', 'secure'));

-- The patient accepted (or withdrew) a documented risk warning for receiving PHI unencrypted on a channel
-- (164.522(b), HHS FAQ 570, reference 1.4). Valid only for the contact point it was given for (blind index).
CREATE TABLE phi_channel_preference (
  seq bigserial PRIMARY KEY,
  id uuid NOT NULL UNIQUE,
  patient_id uuid NOT NULL REFERENCES patient (id),
  channel text NOT NULL CHECK (channel IN ('sms', 'text', 'whatsapp')),
  status text NOT NULL CHECK (status IN ('accepted', 'withdrawn')),
  contact_point_index text NOT NULL,
  warning_text text NOT NULL,
  source text NOT NULL CHECK (source IN ('intake_form', 'phone', 'portal', 'staff', 'in_person', 'salesforce')),
  captured_by text,
  captured_at timestamptz NOT NULL,
  recorded_by_type text NOT NULL,
  recorded_by_id text,
  recorded_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX phi_channel_preference_patient_idx ON phi_channel_preference (patient_id, seq);
CREATE TRIGGER phi_channel_preference_append_only BEFORE UPDATE OR DELETE ON phi_channel_preference
  FOR EACH ROW EXECUTE FUNCTION wardline_refuse_change();
