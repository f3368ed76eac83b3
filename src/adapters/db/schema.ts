import type { ColumnType, Generated, JSONColumnType } from 'kysely';

/** Row types of every table (STYLE.md §4 SQL naming). Kept in step with migrations/. */
type CreatedAt = ColumnType<Date, Date | string | undefined, never>;
type Timestamp = ColumnType<Date, Date | string, Date | string>;

export interface WardTable {
  id: string;
  name: string;
  created_at: CreatedAt;
}

export interface PrincipalTable {
  id: string;
  kind: 'user' | 'agent' | 'integration';
  username: string | null;
  display_name: string;
  password_hash: string | null;
  permission_sets: string[];
  ward_ids: string[];
  created_at: CreatedAt;
  created_by: string | null;
  disabled_at: Timestamp | null;
}

export interface ApiTokenTable {
  id: string;
  principal_id: string;
  token_hash: string;
  created_at: CreatedAt;
  expires_at: Timestamp | null;
  revoked_at: Timestamp | null;
  /** A subset of the principal's permissions; null: all of them. */
  scopes: string[] | null;
}

export interface PatientTable {
  id: string;
  ward_id: string | null;
  given_name_enc: string;
  family_name_enc: string;
  birth_date_enc: string;
  phone_enc: string;
  phone_index: string;
  whatsapp_enc: string | null;
  whatsapp_index: string | null;
  external_ids_enc: string | null;
  language: string | null;
  timezone: string | null;
  created_at: CreatedAt;
  created_by: string | null;
}

export interface InboundMessageTable {
  id: string;
  patient_id: string | null;
  ward_id: string | null;
  channel: string;
  from_index: string;
  body_enc: string;
  intent: string;
  review_reason: string | null;
  needs_review: boolean;
  provider_message_id: string | null;
  received_at: CreatedAt;
}

export interface ConsentEventTable {
  seq: Generated<number>;
  id: string;
  patient_id: string;
  channel: string;
  purpose: string;
  status: string;
  source: string;
  wording_shown: string | null;
  captured_by: string | null;
  captured_at: Timestamp | null;
  recorded_by_type: string;
  recorded_by_id: string | null;
  inbound_message_id: string | null;
  recorded_at: CreatedAt;
}

export interface MessageTable {
  id: string;
  patient_id: string;
  ward_id: string | null;
  channel: string;
  category: string;
  purpose: string;
  body_enc: string;
  template_version_id: string | null;
  template_meta_name: string | null;
  template_language: string | null;
  template_params_enc: string | null;
  delivery: ColumnType<'direct' | 'secure', 'direct' | 'secure' | undefined, never>;
  related_record: JSONColumnType<{ type: string; id: string } | null, string | null, string | null>;
  consent_basis: string;
  override_justification_enc: string | null;
  in_reply_to: string | null;
  status: string;
  status_reason: string | null;
  sender_type: string;
  sender_id: string;
  idempotency_key: string | null;
  request_hash: string | null;
  provider: string | null;
  provider_message_id: string | null;
  created_at: CreatedAt;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
  encoding: 'GSM-7' | 'UCS-2' | null;
  segments: number | null;
  characters: number | null;
  media_urls_enc: string | null;
  media_count: ColumnType<number, number | undefined, number>;
  urgent: ColumnType<boolean, boolean | undefined, boolean>;
  exempt: ColumnType<boolean, boolean | undefined, boolean>;
  held_until: Timestamp | null;
}

export interface MessageStatusEventTable {
  id: Generated<number>;
  message_id: string;
  status: string;
  reason: string | null;
  source: 'wardline' | 'carrier';
  occurred_at: Timestamp;
  recorded_at: CreatedAt;
}

export interface OutboxTable {
  id: Generated<number>;
  message_id: string;
  available_at: ColumnType<Date, Date | string | undefined, Date | string>;
  attempts: ColumnType<number, number | undefined, number>;
  last_error: string | null;
  in_doubt_since: Timestamp | null;
}

export interface SenderPaceTable {
  sender_id: string;
  next_slot_at: Timestamp;
}

export interface ContactPointStateTable {
  patient_id: string;
  kind: 'phone' | 'whatsapp';
  state: 'unreachable' | 'undeliverable' | 'landline';
  reason: string;
  changed_at: Timestamp;
}

export interface WebhookReceiptTable {
  provider: string;
  digest: string;
  received_at: CreatedAt;
}

export interface AuditEventTable {
  id: Generated<number>;
  event_id: string;
  occurred_at: CreatedAt;
  actor_type: string;
  actor_id: string | null;
  action: string;
  outcome: string;
  target_type: string;
  target_id: string | null;
  patient_id: string | null;
  reason: string | null;
  request_id: string | null;
  details: JSONColumnType<Record<string, unknown>, string, never>;
  source_address: string | null;
  on_behalf_of: string | null;
}

export interface TemplateKindTable {
  name: string;
  category: string;
  allowed_classes: string[];
  description: string;
  built_in: ColumnType<boolean, boolean | undefined, never>;
  created_by_type: string;
  created_by_id: string | null;
  created_at: CreatedAt;
}

export interface TemplateTable {
  id: string;
  name: string;
  kind: string;
  created_by_type: string;
  created_by_id: string | null;
  created_at: CreatedAt;
}

/** One stored variant of a template version (JSON). */
export interface StoredVariant {
  channel: string;
  language: string;
  body: string;
  metaTemplateName?: string | null;
  metaLanguage?: string | null;
}

export interface TemplateVersionTable {
  id: string;
  template_id: string;
  version: number;
  variants: JSONColumnType<StoredVariant[], string, never>;
  status: 'pending' | 'approved' | 'rejected';
  authored_by_type: string;
  authored_by_id: string | null;
  authored_at: Timestamp;
  decided_by_type: string | null;
  decided_by_id: string | null;
  decided_at: Timestamp | null;
  decision_note: string | null;
}

export interface PhiChannelPreferenceTable {
  seq: Generated<number>;
  id: string;
  patient_id: string;
  channel: string;
  status: 'accepted' | 'withdrawn';
  contact_point_index: string;
  warning_text: string;
  source: string;
  captured_by: string | null;
  captured_at: Timestamp;
  recorded_by_type: string;
  recorded_by_id: string | null;
  recorded_at: CreatedAt;
}

export interface Database {
  ward: WardTable;
  principal: PrincipalTable;
  api_token: ApiTokenTable;
  patient: PatientTable;
  inbound_message: InboundMessageTable;
  consent_event: ConsentEventTable;
  message: MessageTable;
  message_status_event: MessageStatusEventTable;
  outbox: OutboxTable;
  audit_event: AuditEventTable;
  sender_pace: SenderPaceTable;
  contact_point_state: ContactPointStateTable;
  webhook_receipt: WebhookReceiptTable;
  template_kind: TemplateKindTable;
  template: TemplateTable;
  template_version: TemplateVersionTable;
  phi_channel_preference: PhiChannelPreferenceTable;
  secure_message: SecureMessageTable;
  secure_link: SecureLinkTable;
  attempt_throttle: AttemptThrottleTable;
  staff_session: StaffSessionTable;
  principal_credential: PrincipalCredentialTable;
  sign_in_failure: SignInFailureTable;
  principal_identity: PrincipalIdentityTable;
  permission_set: PermissionSetTable;
  care_team: CareTeamTable;
  care_team_member: CareTeamMemberTable;
  care_team_patient: CareTeamPatientTable;
  patient_grant: PatientGrantTable;
  security_event: SecurityEventTable;
  audit_seal: AuditSealTable;
  audit_checkpoint: AuditCheckpointTable;
  audit_checkpoint_export: AuditCheckpointExportTable;
  audit_retention_anchor: AuditRetentionAnchorTable;
  incident: IncidentTable;
  incident_signal: IncidentSignalTable;
  incident_contact_point: IncidentContactPointTable;
  incident_message: IncidentMessageTable;
  incident_mitigation: IncidentMitigationTable;
  incident_notice: IncidentNoticeTable;
  incident_reminder: IncidentReminderTable;
  contact_point_suspension: ContactPointSuspensionTable;
}

/** Incident response (migration 0016): free text is encrypted (*_enc); ids, codes and dates otherwise. */
export interface IncidentTable {
  id: string;
  status: 'draft' | 'open' | 'decided' | 'closed';
  source: 'patient-reply' | 'carrier-report' | 'staff-report' | 'bulk-cancelled';
  opened_at: Timestamp;
  opened_by_type: string;
  opened_by_id: string | null;
  note_enc: string | null;
  time_zone: string;
  discovered_at: Timestamp | null;
  content_classes: string[];
  residents_by_state: JSONColumnType<Record<string, number>>;
  assessment_enc: string | null;
  decision_outcome: 'breach' | 'low-probability' | 'excluded' | 'not-an-incident' | null;
  decision_exclusion: string | null;
  decision_rationale_enc: string | null;
  decided_by: string | null;
  decided_at: Timestamp | null;
  delay_agency_enc: string | null;
  delay_until: Timestamp | null;
  delay_oral: boolean | null;
  delay_by: string | null;
  delay_at: Timestamp | null;
  closed_at: Timestamp | null;
  closed_by: string | null;
  updated_at: Timestamp;
}

export interface IncidentSignalTable {
  source: string;
  source_ref: string;
  incident_id: string;
  inbound_message_id: string | null;
  recorded_at: Timestamp;
}

export interface IncidentContactPointTable {
  incident_id: string;
  patient_id: string;
  kind: 'phone' | 'whatsapp';
}

export interface IncidentMessageTable {
  incident_id: string;
  message_id: string;
  patient_id: string;
  channel: string;
  category: string;
  delivery: string;
  content_classes: string[];
  sent_at: Timestamp;
}

export interface IncidentMitigationTable {
  id: Generated<string>;
  incident_id: string;
  kind: 'links-revoked' | 'contact-point-suspended' | 'queue-paused';
  count: number;
  at: Timestamp;
  by_id: string;
}

export interface IncidentNoticeTable {
  id: Generated<string>;
  incident_id: string;
  kind: 'individual' | 'hhs' | 'media' | 'annual-log';
  method: 'first-class-mail' | 'email' | 'substitute-notice' | 'hhs-portal' | 'media-outlet';
  patient_id: string | null;
  state: string | null;
  at: Timestamp;
  by_id: string;
}

export interface IncidentReminderTable {
  incident_id: string;
  key: string;
  sent_at: Timestamp;
}

export interface ContactPointSuspensionTable {
  id: string;
  patient_id: string;
  kind: 'phone' | 'whatsapp';
  incident_id: string;
  blocks_sending: boolean;
  created_at: Timestamp;
  created_by: string;
  lifted_at: Timestamp | null;
  lifted_by: string | null;
  lifted_evidence_enc: string | null;
}

export interface AuditSealTable {
  position: string;
  event_pk: string;
  hash: string;
  event_time: Date;
  sealed_at: CreatedAt;
}

export interface AuditCheckpointExportTable {
  id: Generated<string>;
  through_position: string;
  exported_at: CreatedAt;
  exported_by: string;
}

export interface AuditRetentionAnchorTable {
  position: string;
  hash: string;
  event_time: Date;
  cutoff: Date;
  events_purged: string;
  messages_purged: string;
  purged_at: CreatedAt;
}

export interface AuditCheckpointTable {
  position: string;
  hash: string;
  key_id: string;
  signature: string;
  signed_at: CreatedAt;
}

export interface PermissionSetTable {
  name: string;
  label: string;
  permissions: string[];
  org_wide: boolean;
  seeded: boolean;
  created_at: CreatedAt;
  created_by: string | null;
  updated_at: Timestamp;
}

export interface CareTeamTable {
  id: string;
  name: string;
  created_at: CreatedAt;
  created_by: string | null;
}

export interface CareTeamMemberTable {
  care_team_id: string;
  principal_id: string;
}

export interface CareTeamPatientTable {
  care_team_id: string;
  patient_id: string;
}

export interface PatientGrantTable {
  id: string;
  kind: 'share' | 'breakglass';
  patient_id: string;
  principal_id: string;
  reason_enc: string | null;
  granted_by: string;
  granted_at: Timestamp;
  expires_at: Timestamp | null;
  revoked_at: Timestamp | null;
  revoked_by: string | null;
}

export interface SecurityEventTable {
  id: string;
  kind: string;
  occurred_at: Timestamp;
  principal_id: string | null;
  patient_id: string | null;
  details: JSONColumnType<Record<string, string | number | boolean | null>>;
  acknowledged_at: Timestamp | null;
  acknowledged_by: string | null;
  webhook_state: Generated<'none' | 'pending' | 'delivered' | 'failed'>;
  webhook_attempts: Generated<number>;
  webhook_next_at: Timestamp | null;
}

export interface StaffSessionTable {
  id: string;
  principal_id: string;
  secret_hash: string;
  method: 'password' | 'oidc';
  mfa: boolean;
  enrolment_only: boolean;
  created_at: Timestamp;
  last_seen_at: Timestamp;
  idle_ms: number;
  expires_at: Timestamp;
  ended_at: Timestamp | null;
  end_reason: 'signed-out' | 'idle' | 'expired' | 'deactivated' | 'credentials-reset' | null;
}

export interface PrincipalCredentialTable {
  principal_id: string;
  mfa_required: ColumnType<boolean, boolean | undefined, boolean>;
  totp_secret_enc: string | null;
  totp_pending_enc: string | null;
  /** bigint: PGlite may return it as a bigint, pg as a number. */
  totp_last_step: ColumnType<number | bigint | null, number | null, number | null>;
  totp_enrolled_at: Timestamp | null;
}

export interface SignInFailureTable {
  subject: string;
  window_started_at: Timestamp;
  failures: number;
  locked_until: Timestamp | null;
}

export interface PrincipalIdentityTable {
  issuer: string;
  subject: string;
  principal_id: string;
  created_at: CreatedAt;
}

export interface SecureMessageTable {
  message_id: string;
  patient_id: string;
  content_enc: string;
  created_at: CreatedAt;
}

export interface SecureLinkTable {
  id: string;
  seq: Generated<number>;
  message_id: string;
  notice_message_id: string;
  token_hash: string;
  expires_at: Timestamp;
  revoked_at: Timestamp | null;
  revoked_by_type: string | null;
  revoked_by_id: string | null;
  revoked_reason: string | null;
  failed_attempts: ColumnType<number, number | undefined, number>;
  locked_at: Timestamp | null;
  otp_hash: string | null;
  otp_expires_at: Timestamp | null;
  otp_sent_at: Timestamp | null;
  otp_sends: ColumnType<number, number | undefined, number>;
  session_hash: string | null;
  session_expires_at: Timestamp | null;
  first_viewed_at: Timestamp | null;
  last_viewed_at: Timestamp | null;
  view_count: ColumnType<number, number | undefined, number>;
  created_at: Timestamp;
  created_by_type: string;
  created_by_id: string | null;
}

export interface AttemptThrottleTable {
  subject: string;
  window_started_at: Timestamp;
  count: number;
}
