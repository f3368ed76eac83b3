/**
 * The catalog of every error code Wardline returns. Codes are stable forever (STYLE.md §4): clients branch on them.
 * `docs/errors.md` documents each one and `test/errors-catalog.test.ts` checks that catalog, HTTP mapper and docs agree.
 */
export const ERROR_CATALOG = {
  VALIDATION_FAILED: { status: 400, title: 'The request is not valid' },
  MALFORMED_JSON: { status: 400, title: 'The request body is not valid JSON' },
  INVALID_PHONE_NUMBER: { status: 400, title: 'A phone number is not valid' },
  DATE_RANGE_INVALID: { status: 400, title: 'The date range is reversed, open where it must not be, or wider than the policy allows' },
  REPORT_TOO_LARGE: { status: 422, title: 'The report would hold more messages than one report may' },
  EXPORT_RANGE_INVALID: { status: 400, title: 'The export date range is empty or reversed' },
  UNAUTHENTICATED: { status: 401, title: 'Authentication required' },
  SIGN_IN_FAILED: { status: 401, title: 'The username, password or code is not right' },
  MFA_REQUIRED: { status: 401, title: 'A one-time code from the authenticator app is required' },
  SESSION_EXPIRED: { status: 401, title: 'The session has ended; sign in again' },
  CSRF_TOKEN_INVALID: { status: 403, title: 'The X-CSRF-Token header is missing or does not match the session' },
  MFA_ENROLMENT_REQUIRED: { status: 403, title: 'Enrol a second factor before using Wardline' },
  ACCOUNT_LOCKED: { status: 423, title: 'Too many failed sign-ins; the account is locked for a while' },
  PASSWORD_TOO_WEAK: { status: 422, title: 'The password does not meet the password policy' },
  ACCESS_DENIED: { status: 403, title: 'Access denied' },
  CONSENT_OVERRIDE_FORBIDDEN: { status: 403, title: 'Consent override not permitted' },
  AGENT_FREE_TEXT_FORBIDDEN: { status: 403, title: 'AI agents may send approved templates only' },
  NOT_FOUND: { status: 404, title: 'Not found' },
  CONSENT_REQUIRED: { status: 409, title: 'Patient consent required' },
  CONSENT_REVOKED: { status: 409, title: 'Patient has opted out' },
  CONSENT_REGRANT_REQUIRES_PATIENT: { status: 409, title: 'Only the patient can undo an opt-out' },
  IDEMPOTENCY_KEY_REUSED: { status: 409, title: 'Idempotency key already used for a different request' },
  CONFLICT: { status: 409, title: 'Conflict with the current state' },
  PERMISSION_SET_SEEDED: { status: 409, title: 'Seeded permission sets cannot be changed' },
  CONTACT_POINT_UNDELIVERABLE: { status: 409, title: 'The carrier reported that this number cannot receive these messages' },
  CONTACT_POINT_SUSPENDED: { status: 409, title: 'Incident response suspended this contact point until the patient re-verifies it' },
  INCIDENT_TRANSITION_INVALID: { status: 409, title: 'The incident cannot take this action in its current status' },
  INCIDENT_ASSESSMENT_INCOMPLETE: { status: 422, title: 'The risk assessment is missing one or more of its four factors' },
  INCIDENT_DECISION_INVALID: { status: 422, title: 'The incident decision is not valid' },
  INCIDENT_DISCOVERY_DATE_REQUIRED: { status: 422, title: 'The incident has no discovery date yet' },
  INCIDENT_NOTICES_OUTSTANDING: { status: 409, title: 'Required breach notices are not recorded yet' },
  WHATSAPP_WINDOW_CLOSED: { status: 409, title: 'Outside the WhatsApp 24-hour customer service window' },
  EXEMPT_LIMIT_REACHED: { status: 409, title: 'Healthcare-exemption frequency limit reached' },
  EXEMPT_BODY_TOO_LONG: { status: 422, title: 'Too long for a healthcare-exempt message' },
  CHANNEL_NOT_CONFIGURED: { status: 422, title: 'No carrier is configured for this channel' },
  WEBHOOK_SIGNATURE_INVALID: { status: 403, title: 'Webhook signature missing or invalid' },
  WEBHOOK_STALE: { status: 403, title: 'Webhook event too old' },
  WEBHOOK_REPLAYED: { status: 409, title: 'Webhook delivery already processed' },
  WEBHOOK_PAYLOAD_INVALID: { status: 400, title: "The webhook body is not in the carrier's format" },
  UNKNOWN_PROVIDER_MESSAGE: { status: 404, title: 'No message has this carrier id' },
  BODY_TOO_LARGE: { status: 413, title: 'Request body too large' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, title: 'Unsupported content type' },
  NO_CONTACT_POINT: { status: 422, title: 'The patient has no contact point for this channel' },
  TEMPLATE_NOT_FOUND: { status: 422, title: 'Unknown template' },
  TEMPLATE_NOT_APPROVED: { status: 409, title: 'The template has no approved version' },
  TEMPLATE_SYNTAX_INVALID: { status: 422, title: 'The template text is not well formed' },
  TEMPLATE_PLACEHOLDER_UNKNOWN: { status: 422, title: 'The template uses an unknown placeholder' },
  TEMPLATE_POLICY_VIOLATION: { status: 422, title: "The template carries content its kind does not allow" },
  TEMPLATE_TOO_LONG: { status: 422, title: 'The template is too long for its channel' },
  TEMPLATE_VARIANT_MISSING: { status: 422, title: 'The template has no variant for this channel' },
  TEMPLATE_PARAMS_INVALID: { status: 422, title: 'Template parameters missing or of the wrong type' },
  TEMPLATE_CATEGORY_MISMATCH: { status: 422, title: "The message category is not the template kind's category" },
  TEMPLATE_KIND_UNKNOWN: { status: 422, title: 'Unknown template kind' },
  TEMPLATE_SELF_APPROVAL: { status: 403, title: 'Authors cannot approve their own templates' },
  TEMPLATE_VERSION_DECIDED: { status: 409, title: 'This template version was already approved or rejected' },
  PHI_NOT_ALLOWED: { status: 422, title: 'The message carries PHI this message may not carry' },
  SECURE_LINK_NOT_FOUND: { status: 404, title: 'This secure link is not valid' },
  SECURE_LINK_EXPIRED: { status: 410, title: 'This secure link has expired' },
  SECURE_LINK_REVOKED: { status: 410, title: 'This secure link was withdrawn' },
  SECURE_LINK_LOCKED: { status: 423, title: 'This secure link is locked after too many wrong answers' },
  VERIFICATION_FAILED: { status: 401, title: 'The answers did not match' },
  VERIFICATION_CODE_EXPIRED: { status: 410, title: 'The one-time code has expired' },
  RATE_LIMITED: { status: 429, title: 'Too many attempts; wait and try again' },
  INTERNAL: { status: 500, title: 'Internal error' },
  PROVIDER_UNAVAILABLE: { status: 503, title: 'The carrier is unavailable' },
  PROVIDER_REJECTED: { status: 502, title: 'The carrier rejected the message' },
} as const satisfies Record<string, { status: number; title: string }>;

export type ErrorCode = keyof typeof ERROR_CATALOG;

/** A pointer to the offending part of a request, with a rule message; never the submitted value. */
export interface FieldIssue {
  readonly pointer: string;
  readonly message: string;
}

/**
 * An expected failure with a stable code. `message` is the code itself so it can never carry PHI;
 * `safeDetail` is reviewed, human-readable text without PHI; `cause` keeps the original error for logs.
 */
export class DomainError extends Error {
  override readonly name = 'DomainError';
  readonly code: ErrorCode;
  readonly safeDetail: string | undefined;
  readonly issues: readonly FieldIssue[];
  /** Extra members of the problem document (RFC 9457 §3.2): reviewed, PHI-free (e.g. PHI findings as types and offsets). */
  readonly extensions: Readonly<Record<string, unknown>>;

  constructor(code: ErrorCode, safeDetail?: string, options?: ErrorOptions & { issues?: readonly FieldIssue[]; extensions?: Readonly<Record<string, unknown>> }) {
    super(code, options);
    this.code = code;
    this.safeDetail = safeDetail;
    this.issues = options?.issues ?? [];
    this.extensions = options?.extensions ?? {};
  }
}

/** @returns true when the value is a DomainError (across module copies too). */
export function isDomainError(value: unknown): value is DomainError {
  return value instanceof DomainError;
}
