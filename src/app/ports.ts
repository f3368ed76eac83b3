import type { Actor, AuditActor, PrincipalKind, VisibilityFilter } from '../core/access/actor.ts';
import type { Permission } from '../core/access/permissions.ts';
import type { AuditEventInput } from '../core/audit/audit-event.ts';
import type { InboundIntent } from '../core/consent/inbound-intent.ts';
import type {
  ConsentEvent,
  ConsentEvidence,
  ConsentSource,
  ConsentStatus,
  Purpose,
} from '../core/consent/consent.ts';
import type { Category, Channel } from '../core/messaging/channel.ts';
import type { ContactPointState } from '../core/messaging/carrier-errors.ts';
import type { CarrierStatus, MessageStatus } from '../core/messaging/delivery-status.ts';
import type { Phi } from '../core/phi/phi.ts';
import type { PendingCode, SecureLinkState } from '../core/secure-link/secure-link.ts';
import type { ThrottleWindow } from '../core/secure-link/throttle.ts';
import type { FailureWindow } from '../core/auth/lockout.ts';
import type { TemplateKind } from '../core/templates/kinds.ts';
import type { TemplateVariant } from '../core/templates/template-text.ts';
import type { DetectionSource, IncidentState } from '../core/incidents/incident.ts';
import type { E164, InboundMessageId, MessageId, PatientId, PrincipalId, WardId } from '../core/ids.ts';

/**
 * The ports the use cases need (STYLE.md §3). Adapters implement them; use cases never see SQL, ciphertext
 * or a carrier's wire format. PHI crosses these ports only inside `Phi<T>`.
 */

/** Time, injected so tests can fix it. */
export interface Clock {
  now(): Date;
}

/** Fresh identifiers and secrets, injected so tests can make them predictable. */
export interface IdSource {
  readonly uuid: () => string;
  /** A new bearer token: high-entropy, URL-safe. */
  readonly token: () => string;
}

export interface PatientRecord {
  readonly id: PatientId;
  readonly wardId: WardId | null;
  readonly givenName: Phi<string>;
  readonly familyName: Phi<string>;
  readonly birthDate: Phi<string>;
  readonly phone: Phi<E164>;
  readonly whatsapp: Phi<E164> | null;
  readonly externalIds: Phi<Record<string, string>> | null;
  readonly language: string | null;
  readonly timezone: string | null;
  readonly createdAt: Date;
}

/** What deciding, scanning and rendering a send needs about the recipient. */
export interface PatientSendView {
  readonly id: PatientId;
  readonly wardId: WardId | null;
  readonly hasWhatsapp: boolean;
  readonly language: string | null;
  readonly timezone: string | null;
  /** Blind indexes of the contact points (an acceptance of unencrypted PHI is bound to one). */
  readonly contactIndex: { readonly phone: string; readonly whatsapp: string | null };
  /** Name, birth date and record numbers: the scanner's patient context and the template's patient fields. */
  readonly identity: Phi<PatientIdentity>;
}

export interface PatientIdentity {
  readonly givenName: string;
  readonly familyName: string;
  /** `YYYY-MM-DD`. */
  readonly birthDate: string;
  readonly externalIds: Readonly<Record<string, string>>;
}

/** The recipient and everything about them a send decision reads, in one query. */
export interface PatientSendState {
  readonly patient: PatientSendView;
  /** The consent ledger, oldest first. */
  readonly ledger: ConsentEventRecord[];
  /** Acceptances and withdrawals of unencrypted PHI, oldest first. */
  readonly phiPreferences: PhiPreferenceRecord[];
  /** What carriers reported about the contact points. */
  readonly contactPoints: ContactPointRecord[];
  /** Contact points incident response suspended for all sending until the patient re-verifies them (issue 7). */
  readonly suspendedKinds: readonly ContactPointKind[];
}

export type NewPatient = Omit<PatientRecord, 'createdAt'> & { readonly createdBy: PrincipalId | null };

export interface ConsentEventRecord extends ConsentEvent {
  readonly id: string;
  readonly evidence: ConsentEvidence;
  readonly recordedBy: { readonly type: string; readonly id: string | null };
}

export interface NewConsentEvent {
  readonly id: string;
  readonly patientId: PatientId;
  readonly channel: Channel;
  readonly purpose: Purpose;
  readonly status: ConsentStatus;
  readonly source: ConsentSource;
  readonly evidence: ConsentEvidence;
  readonly recordedBy: { readonly type: string; readonly id: string | null };
  readonly inboundMessageId: InboundMessageId | null;
}

export type ConsentBasis = 'consent' | 'override' | 'keyword-reply';

/** Encoding, segments and characters of a body, as `measureSegments` counts them (reference §5). */
export interface MessageSize {
  readonly encoding: 'GSM-7' | 'UCS-2';
  readonly segments: number;
  readonly characters: number;
}

export interface NewMessage {
  readonly id: MessageId;
  readonly patientId: PatientId;
  readonly wardId: WardId | null;
  readonly channel: Channel;
  readonly category: Category;
  readonly purpose: Purpose;
  readonly body: Phi<string>;
  /** The approved template version the body was rendered from; null for free text. */
  readonly template: MessageTemplate | null;
  /** `secure`: the body is a notice with a secure link; the content itself waits behind the link. */
  readonly delivery: MessageDelivery;
  /** Secure delivery: the content (stored encrypted) and the first link to it, written with the message. */
  readonly secure: { readonly content: Phi<string>; readonly link: NewSecureLink } | null;
  readonly relatedRecord: { readonly type: string; readonly id: string } | null;
  readonly consentBasis: ConsentBasis;
  readonly overrideJustification: Phi<string> | null;
  readonly inReplyTo: InboundMessageId | null;
  readonly sender: { readonly type: string; readonly id: string };
  readonly idempotencyKey: string | null;
  readonly requestHash: string | null;
  /** `text` only: MMS media URLs (may point at PHI, so wrapped and stored encrypted). */
  readonly mediaUrls: Phi<readonly string[]> | null;
  /** Marked urgent by the sender: may bypass quiet hours where the policy allows it for the category. */
  readonly urgent: boolean;
  /** Sent under the TCPA healthcare exemption policy: frequency and length limits apply. */
  readonly exempt: boolean;
  /** Encoding, segment and character count of the body (reference §5). */
  readonly size: MessageSize;
}

export type MessageDelivery = 'direct' | 'secure';

/** The template version a message came from, and what WhatsApp needs to send it as a template. */
export interface MessageTemplate {
  readonly versionId: string;
  /** The channel variant's Meta template name (or Twilio ContentSid); null when the variant has none. */
  readonly metaName: string | null;
  /** The variant's language (Meta's code when it has one, e.g. `en_US`). */
  readonly language: string;
  /** The variant's placeholder values in order of appearance ({{1}}, {{2}} … for Meta); may carry identifiers. */
  readonly parameters: Phi<readonly string[]>;
}

export interface MessageRecord extends Omit<NewMessage, 'body' | 'overrideJustification' | 'mediaUrls' | 'template' | 'secure'> {
  readonly template: Omit<MessageTemplate, 'parameters'> | null;
  readonly mediaCount: number;
  /** Quiet hours: when a held message will be released. */
  readonly heldUntil: Date | null;
  readonly status: MessageStatus;
  readonly statusReason: string | null;
  readonly provider: string | null;
  readonly providerMessageId: string | null;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

export interface StatusEventRecord {
  readonly status: MessageStatus;
  readonly reason: string | null;
  readonly source: 'wardline' | 'carrier';
  readonly occurredAt: Date;
}

/** What a batch of status changes writes: each message's new status, the timeline, the audit trail. */
export interface StatusChangeBatch {
  readonly finals: readonly {
    readonly messageId: MessageId;
    readonly status: MessageStatus;
    readonly reason: string | null;
    /** The carrier's id, kept when the message has none yet (a receipt that beat the send's bookkeeping). */
    readonly provider: { readonly name: string; readonly messageId: string } | null;
  }[];
  readonly events: readonly (StatusEventRecord & { readonly messageId: MessageId })[];
  readonly audits: readonly AuditEventInput[];
}

export interface MessageFilter {
  readonly patientId?: PatientId;
  readonly from?: Date;
  readonly to?: Date;
  /** Record-level sharing (`visibilityFilter`): null means every patient. */
  readonly visibility: VisibilityFilter | null;
  readonly categories: readonly Category[];
  readonly limit: number;
  readonly before?: { readonly createdAt: Date; readonly id: MessageId };
}

/** A message as the regulator's query reports it: who sent it, who approved its template, when it was delivered and read. */
export interface ReportedMessage extends MessageRecord {
  /** The sending principal's display name (a person, an AI agent or an integration); null for the system or a patient. */
  readonly senderName: string | null;
  /** The template version the message came from, and its approval decision; null for free text. */
  readonly approval: {
    readonly templateId: string;
    readonly templateName: string;
    readonly version: number;
    readonly status: string;
    readonly decidedBy: { readonly type: string; readonly id: string; readonly name: string | null } | null;
    readonly decidedAt: Date | null;
  } | null;
  /** When the timeline first reached each status (null: not reached). */
  readonly times: { readonly sentAt: Date | null; readonly deliveredAt: Date | null; readonly readAt: Date | null; readonly failedAt: Date | null };
  /** Decrypted content, only when the caller asked for it (and holds `audit.read`). */
  readonly content: {
    readonly body: Phi<string>;
    /** What the patient reads behind a secure link. */
    readonly secureContent: Phi<string> | null;
    readonly overrideJustification: Phi<string> | null;
  } | null;
}

export interface OutboxClaim {
  readonly outboxId: number;
  readonly messageId: MessageId;
  readonly attempts: number;
  /** An earlier attempt's outcome is unknown (it started then): ask the carrier before sending again. */
  readonly inDoubtSince: Date | null;
}

/** What a message's content is at dispatch: its body and any media (decrypted only for the carrier). */
export interface MessageContent {
  readonly body: Phi<string>;
  readonly mediaUrls: Phi<readonly string[]>;
  /** Template parameters in order, for a WhatsApp template send; empty for free text. */
  readonly templateParameters: Phi<readonly string[]>;
}

/** What carriers reported about a patient's contact points. */
export interface ContactPointRecord {
  readonly kind: ContactPointKind;
  readonly state: ContactPointState;
  readonly reason: string;
  readonly changedAt: Date;
}

/** `phone` carries `sms` and `text`; `whatsapp` the WhatsApp number. */
export type ContactPointKind = 'phone' | 'whatsapp';

export interface PrincipalRecord {
  readonly id: PrincipalId;
  readonly kind: PrincipalKind;
  readonly username: string | null;
  readonly displayName: string;
  readonly permissionSets: readonly string[];
  readonly wardIds: readonly WardId[];
  readonly disabledAt: Date | null;
}

export interface PrincipalChange {
  readonly displayName?: string;
  readonly permissionSets?: readonly string[];
  readonly wardIds?: readonly WardId[];
}

export interface PermissionSetRecord {
  readonly name: string;
  readonly label: string;
  readonly permissions: readonly Permission[];
  readonly orgWide: boolean;
  readonly seeded: boolean;
}

export interface InboundRecord {
  readonly id: InboundMessageId;
  readonly patientId: PatientId | null;
  readonly wardId: WardId | null;
  readonly channel: Channel;
  readonly intent: InboundIntent['kind'];
  readonly reviewReason: string | null;
  readonly needsReview: boolean;
  readonly receivedAt: Date;
}

/** Everything a use case reads or writes, bound to one transaction (or to none, for plain reads). */
export interface StoreSession {
  /**
   * Runs staff reads under row-level security, the second line of defence behind the SQL filters (issue 5, HIPAA
   * §164.312(a)(1) access control): `fn` gets a session in which the database itself returns only the message,
   * patient and reply rows `visibility` allows, and refuses every write. Use it for reads only; audit and other
   * writes go through the caller's own session, after it returns. Inside a transaction the scope ends when `fn`
   * does; a nested call runs in the outer scope (docs/decisions/0013-row-level-security.md).
   * @param visibility - from `visibilityFilter(actor)`; null is organisation-wide (every row, still read-only)
   * @param fn - the reads, on the session it is given (never on another: PGlite has a single connection)
   */
  asViewer<T>(visibility: VisibilityFilter | null, fn: (viewer: StoreSession) => Promise<T>): Promise<T>;
  readonly patients: {
    insert(patient: NewPatient): Promise<void>;
    get(id: PatientId): Promise<PatientRecord | null>;
    getMany(ids: readonly PatientId[]): Promise<PatientRecord[]>;
    /** What deciding a send needs, in one read: see `PatientSendState`. */
    getSendState(id: PatientId): Promise<PatientSendState | null>;
    /** Patients whose phone (sms/text) or WhatsApp number equals `number`. */
    findByContact(channel: Channel, number: Phi<E164>): Promise<PatientRecord[]>;
  };
  readonly consents: {
    append(event: NewConsentEvent): Promise<void>;
    /** The patient's whole ledger, oldest first. */
    ledger(patientId: PatientId): Promise<ConsentEventRecord[]>;
    /** Takes a row lock serialising consent changes and dispatch decisions for one patient. */
    lockPatient(patientId: PatientId): Promise<void>;
    /** The same lock for the patients of several messages, taken in patient-id order (no deadlock). */
    lockPatientsOfMessages(messageIds: readonly MessageId[]): Promise<void>;
    /** The ledgers of several patients, each oldest first. */
    ledgers(patientIds: readonly PatientId[]): Promise<Map<PatientId, ConsentEventRecord[]>>;
  };
  readonly messages: {
    /**
     * Queues a message: the row, its `queued` timeline event, its outbox row and the given audit events,
     * all or nothing.
     */
    queue(message: NewMessage, audits: readonly AuditEventInput[], at: Date): Promise<void>;
    get(id: MessageId): Promise<MessageRecord | null>;
    /** Message rows locked for update, in id order (dispatch, status ingest). */
    getManyForUpdate(ids: readonly MessageId[]): Promise<MessageRecord[]>;
    body(id: MessageId): Promise<Phi<string> | null>;
    contents(ids: readonly MessageId[]): Promise<Map<MessageId, MessageContent>>;
    /**
     * When the patients' exempt messages (TCPA healthcare exemption policy) at or after `since` were created,
     * oldest first, counting those queued or on their way and not those cancelled or failed before the carrier.
     */
    exemptSends(patientIds: readonly PatientId[], since: Date): Promise<Map<PatientId, { readonly messageId: MessageId; readonly at: Date; readonly handedOver: boolean }[]>>;
    /** Quiet hours: records when a held message will be released. */
    hold(id: MessageId, until: Date): Promise<void>;
    findByIdempotencyKey(senderId: string, key: string): Promise<MessageRecord | null>;
    findByProviderId(provider: string, providerMessageId: string): Promise<MessageId | null>;
    list(filter: MessageFilter): Promise<MessageRecord[]>;
    /**
     * The regulator's query (issue 6 item 3): the page `list` returns, each message with its sender's name, its
     * template approval and its delivery and read times, in one statement; contents decrypted only when asked.
     */
    report(filter: MessageFilter, options: { readonly content: boolean }): Promise<ReportedMessage[]>;
    /** Ids of queued messages for a patient on some channels and purposes, locked for update. */
    queuedFor(patientId: PatientId, channels: readonly Channel[], purposes: readonly Purpose[]): Promise<MessageId[]>;
    /** Status changes of many messages, their timeline events and audit events, all or nothing. */
    recordStatusChanges(batch: StatusChangeBatch): Promise<void>;
    /** Remembers the carrier's ids of messages it accepted. */
    setProviders(accepted: readonly { messageId: MessageId; provider: string; providerMessageId: string }[]): Promise<void>;
    timeline(id: MessageId): Promise<StatusEventRecord[]>;
  };
  readonly outbox: {
    /** Claims up to `limit` due rows with FOR UPDATE SKIP LOCKED and leases them until `leaseUntil`. */
    claim(now: Date, limit: number, leaseUntil: Date): Promise<OutboxClaim[]>;
    complete(outboxIds: readonly number[]): Promise<void>;
    /**
     * Schedules another attempt. `inDoubtSince` is the start of an attempt whose outcome is unknown (kept until the
     * carrier has been asked), or null after a certain rejection.
     */
    retry(outboxId: number, availableAt: Date, errorCode: string, inDoubtSince: Date | null): Promise<void>;
    /**
     * Puts claimed rows back until `availableAt` without counting an attempt (pacing, quiet hours); `inDoubtSince`,
     * when given, replaces the row's doubt (a missed slot restores what it was before the attempt).
     */
    defer(rows: readonly { readonly outboxId: number; readonly availableAt: Date; readonly inDoubtSince?: Date | null }[]): Promise<void>;
    /** Marks rows whose message is about to be handed to the carrier: a crash from here on is reconciled. */
    markInDoubt(outboxIds: readonly number[], since: Date): Promise<void>;
  };
  readonly senders: {
    /**
     * Reserves send slots for a paced sender under its row lock (several dispatchers share one rate): reads the
     * sender's next free slot, lets `plan` hand out slots, stores the new next free slot.
     */
    reserve<T extends { readonly next: Date }>(senderId: string, plan: (next: Date | null) => T): Promise<T>;
  };
  readonly contactPoints: {
    get(patientIds: readonly PatientId[]): Promise<Map<PatientId, ContactPointRecord[]>>;
    set(patientId: PatientId, record: ContactPointRecord): Promise<void>;
    /** Clears the given states (all when omitted) of some contact points: the number proved it works. */
    clear(patientIds: readonly PatientId[], kind: ContactPointKind, states?: readonly ContactPointState[]): Promise<void>;
  };
  readonly webhooks: {
    /** Remembers a signed delivery; false when it was already processed (a replay). */
    remember(provider: string, digest: string): Promise<boolean>;
  };
  readonly inbound: {
    /** When each patient last wrote on a channel (the WhatsApp customer service window). */
    lastReceived(patientIds: readonly PatientId[], channel: Channel): Promise<Map<PatientId, Date>>;
    insert(record: InboundRecord & { readonly fromIndex: Phi<E164>; readonly body: Phi<string>; readonly providerMessageId: string | null }): Promise<void>;
    list(filter: { readonly needsReview: boolean; readonly visibility: VisibilityFilter | null; readonly limit: number }): Promise<InboundRecord[]>;
    /** A patient's replies, newest first, bodies decrypted — only for reading a conversation (`app/conversation.ts`). */
    ofPatient(patientId: PatientId, limit: number): Promise<(InboundRecord & { readonly body: Phi<string> })[]>;
  };
  readonly principals: {
    insert(principal: PrincipalRecord & { readonly createdBy: PrincipalId | null; readonly passwordHash: string | null }): Promise<void>;
    get(id: PrincipalId): Promise<PrincipalRecord | null>;
    /** Principals of a kind, by display name (the directory an administrator manages). */
    list(kind: PrincipalKind, limit: number): Promise<PrincipalRecord[]>;
    /** Replaces what is given of a principal's sets, wards and name; @returns false when no principal has this id */
    update(id: PrincipalId, change: PrincipalChange): Promise<boolean>;
    usernameTaken(username: string): Promise<boolean>;
  };
  readonly tokens: {
    insert(token: { readonly id: string; readonly principalId: PrincipalId; readonly tokenHash: string; readonly expiresAt: Date | null; readonly scopes: readonly Permission[] | null }): Promise<void>;
    /** The active principal behind a token hash and the token's expiry, if the token is valid at `now`. */
    resolve(tokenHash: string, now: Date): Promise<{ actor: Actor; expiresAt: Date | null } | null>;
    exists(tokenHash: string): Promise<boolean>;
  };
  /** Permission sets as data (issue 5 item 2): seeded at start, extended by administrators. */
  readonly permissionSets: {
    list(): Promise<PermissionSetRecord[]>;
    get(name: string): Promise<PermissionSetRecord | null>;
    /** @returns the given names that name no set */
    unknown(names: readonly string[]): Promise<string[]>;
    /** @returns false when the name is taken */
    insert(set: PermissionSetRecord & { readonly createdBy: PrincipalId }): Promise<boolean>;
    /** Changes a set administrators made; @returns false when no such custom set exists */
    update(name: string, change: Pick<PermissionSetRecord, 'label' | 'permissions' | 'orgWide'>, at: Date): Promise<boolean>;
    /** Writes the seeded sets as Wardline defines them (at start). */
    seed(sets: readonly PermissionSetRecord[], at: Date): Promise<void>;
  };
  readonly wards: {
    insert(ward: { readonly id: WardId; readonly name: string }): Promise<void>;
    exists(id: WardId): Promise<boolean>;
    nameTaken(name: string): Promise<boolean>;
  };
  readonly audit: {
    append(event: AuditEventInput): Promise<void>;
  };
  /** Secure patient links (issue 4 item 5; docs/secure-links.md). Tokens are never stored, only their hashes. */
  readonly secureLinks: {
    /** Another link to stored content (a reissue), whose URL `noticeMessageId` carries. */
    addLink(input: { readonly messageId: MessageId; readonly noticeMessageId: MessageId; readonly link: NewSecureLink; readonly createdBy: AuditActor; readonly at: Date }): Promise<void>;
    /** The link with this token hash; `forUpdate` locks its row (inside a transaction). */
    findByTokenHash(tokenHash: string, options?: { readonly forUpdate?: boolean }): Promise<SecureLinkRecord | null>;
    /** The links to a message's content or carried by it (a reissued notice), newest first. */
    forMessage(messageId: MessageId): Promise<SecureLinkRecord[]>;
    /** Stores what a verification step changed. */
    update(id: string, changes: SecureLinkChanges): Promise<void>;
    /** Counts one view of the content (first and last view times, number of views). */
    recordView(id: string, at: Date): Promise<void>;
    /** The secure content of a message, decrypted; null when the message has none. */
    content(messageId: MessageId): Promise<Phi<string> | null>;
    /**
     * Revokes every link not yet revoked of some messages (content or notice ids) or of a patient, at once; also
     * ends their view sessions and pending codes. Returns the links it revoked.
     */
    revoke(
      target: { readonly messageIds: readonly MessageId[] } | { readonly patientId: PatientId },
      revocation: { readonly at: Date; readonly by: AuditActor; readonly reason: string },
    ): Promise<{ readonly id: string; readonly messageId: MessageId; readonly patientId: PatientId }[]>;
    /** A keyed digest of a one-time code, bound to its link: the code is never stored, and a copy of the database alone cannot recover it. */
    digestCode(linkId: string, code: Phi<string>): string;
  };
  /** Fixed-window counters for the patient pages' throttles (`core/secure-link/throttle.ts`). */
  readonly throttles: {
    get(subject: ThrottleSubject): Promise<ThrottleWindow | null>;
    /** Counts one hit atomically; a window older than `windowMs` restarts at `at` with a count of one. */
    hit(subject: ThrottleSubject, at: Date, windowMs: number): Promise<ThrottleWindow>;
  };
  readonly templates: {
    kinds(): Promise<TemplateKindRecord[]>;
    kind(name: string): Promise<TemplateKindRecord | null>;
    /** @returns false when a kind of this name exists */
    insertKind(kind: TemplateKind, createdBy: Recorder): Promise<boolean>;
    /** @returns false when a template of this name exists */
    insertTemplate(template: { readonly id: string; readonly name: string; readonly kind: string; readonly createdBy: Recorder }): Promise<boolean>;
    /** Locks the template row (serialises version numbering) and returns it with its versions, oldest first. */
    getForUpdate(id: string): Promise<TemplateWithVersions | null>;
    /** By id (uuid) or by name. */
    get(idOrName: string): Promise<TemplateWithVersions | null>;
    list(): Promise<TemplateWithVersions[]>;
    insertVersion(version: NewTemplateVersion): Promise<void>;
    /** Decides a pending version; false when it was not pending (decided versions are immutable). */
    decide(versionId: string, decision: { readonly status: 'approved' | 'rejected'; readonly by: Recorder; readonly at: Date; readonly note: string | null }): Promise<boolean>;
    /** The latest approved version of a template (by id or name), with its kind: what a send uses. */
    approved(idOrName: string): Promise<{ readonly template: TemplateRecord; readonly kind: TemplateKindRecord; readonly version: TemplateVersionRecord } | null>;
  };
  readonly phiPreferences: {
    append(event: NewPhiPreference): Promise<void>;
    /** The patient's acceptances and withdrawals, oldest first. */
    history(patientId: PatientId): Promise<PhiPreferenceRecord[]>;
  };
  readonly signIn: SignInStore;
  /** Care teams (issue 5 item 3): members see the team's patients, whatever their ward. */
  readonly careTeams: CareTeamStore;
  /** Explicit shares and break-glass accesses of one patient to one principal (issue 5 items 3 and 4). */
  readonly grants: GrantStore;
  /** What the security officer must see: break-glass openings, attempts outside the actor's sharing. */
  readonly securityEvents: SecurityEventStore;
  /** Incident response (issue 7): incidents, their signals, links, mitigations, notices and reminders. */
  readonly incidents: IncidentStore;
  /** Contact points suspended by incident response until the patient re-verifies them (issue 7 item 2). */
  readonly suspensions: SuspensionStore;
  /** Reads of the audit trail (`GET /v1/audit/events`); writes go through `audit.append` only. */
  readonly auditEvents: {
    /** Events matching the filter, newest first (by primary key), at most `limit`. */
    list(filter: AuditEventFilter): Promise<AuditEventRecord[]>;
  };
}

/** What the audit events query asks for; `visibility` is the caller's record-level sharing (null: every event). */
export interface AuditEventFilter {
  readonly patientId?: PatientId;
  readonly actorId?: string;
  readonly action?: string;
  readonly from?: Date;
  readonly to?: Date;
  readonly visibility: VisibilityFilter | null;
  /** Keyset cursor: only events with a smaller primary key. */
  readonly before?: number;
  readonly limit: number;
}

/** One stored audit event as the query returns it: ids and codes only (never PHI), and its place in the hash chain. */
export interface AuditEventRecord {
  readonly id: number;
  readonly eventId: string;
  readonly occurredAt: Date;
  readonly actor: { readonly type: string; readonly id: string | null };
  readonly action: string;
  readonly outcome: string;
  readonly targetType: string;
  readonly targetId: string | null;
  readonly patientId: string | null;
  readonly reason: string | null;
  readonly requestId: string | null;
  readonly sourceAddress: string | null;
  readonly onBehalfOf: string | null;
  readonly details: Readonly<Record<string, unknown>>;
  /** The event's position in the sealed chain (docs/audit.md); null until the sealer has reached it. */
  readonly chainPosition: number | null;
}

/** A local account as sign-in sees it; the TOTP secrets are decrypted, and wrapped so they cannot be logged. */
export interface LocalCredentials {
  readonly actor: Pick<Actor, 'id' | 'kind' | 'permissionSets'>;
  readonly username: string;
  readonly displayName: string;
  readonly disabled: boolean;
  readonly passwordHash: string | null;
  readonly mfaRequired: boolean;
  readonly totpSecret: Phi<string> | null;
  readonly totpPendingSecret: Phi<string> | null;
  readonly totpLastStep: number | null;
}

export type StaffSessionEndReason = 'signed-out' | 'idle' | 'expired' | 'deactivated' | 'credentials-reset';

export interface NewStaffSession {
  readonly id: string;
  readonly principalId: PrincipalId;
  /** SHA-256 of the cookie's secret: the only form stored. */
  readonly secretHash: string;
  readonly method: 'password' | 'oidc';
  readonly mfa: boolean;
  readonly enrolmentOnly: boolean;
  readonly createdAt: Date;
  readonly idleMs: number;
  readonly expiresAt: Date;
}

export interface StaffSessionRecord extends Omit<NewStaffSession, 'secretHash'> {
  readonly actor: Actor;
  readonly username: string | null;
  readonly displayName: string;
  readonly principalDisabled: boolean;
  readonly lastSeenAt: Date;
  readonly endedAt: Date | null;
  readonly endReason: StaffSessionEndReason | null;
}

/** Whose failed sign-ins are counted: a username (existing or not) or a client address (an identifier, kept as a keyed digest). */
export type SignInSubject = { readonly kind: 'username'; readonly username: string } | { readonly kind: 'address'; readonly address: Phi<string> };

/** Password hashing (Argon2id). `verifyDummy` spends the time of a real verification, for unknown users. */
export interface PasswordHasher {
  hash(password: string): Promise<string>;
  verify(hash: string, password: string): Promise<boolean>;
  verifyDummy(password: string): Promise<void>;
}

/** An OpenID Connect relying party (authorization code flow with PKCE, state and nonce). */
export interface OidcRelyingParty {
  readonly issuer: string;
  /** @returns where to send the browser, and the values to keep until the callback (in a short-lived cookie) */
  start(): Promise<{ readonly url: string; readonly pending: { readonly state: string; readonly nonce: string; readonly codeVerifier: string } }>;
  /** Checks the callback and exchanges the code; @returns the verified `sub` of the ID token */
  finish(callbackUrl: URL, pending: { readonly state: string; readonly nonce: string; readonly codeVerifier: string }): Promise<{ readonly subject: string }>;
}

/** What staff sign-in needs besides the store (built in `container.ts`). */
export interface SignInServices {
  readonly idleMs: number;
  readonly maxMs: number;
  readonly requireMfa: boolean;
  /** Cookies carry `Secure` (and the `__Host-` name prefix) when the public URL is https. */
  readonly secureCookies: boolean;
  readonly passwords: PasswordHasher;
  readonly oidc: OidcRelyingParty | null;
}

/** Sign-in state (issue 5 item 1): sessions, local credentials and second factors, failure counters, SSO identities. */
export interface SignInStore {
  credentialsByUsername(username: string): Promise<LocalCredentials | null>;
  credentialsOf(principalId: PrincipalId): Promise<LocalCredentials | null>;
  setPassword(principalId: PrincipalId, passwordHash: string): Promise<void>;
  setMfaRequired(principalId: PrincipalId, required: boolean): Promise<void>;
  /** Keeps a secret offered for enrolment until a code confirms it (null clears it). */
  setPendingTotp(principalId: PrincipalId, secret: Phi<string> | null): Promise<void>;
  /** Removes the active and any pending TOTP secret (an administrator's reset); @returns false when there was none */
  clearTotp(principalId: PrincipalId): Promise<boolean>;
  /** Makes the pending secret the active one, with the step of the confirming code as the last one used. */
  activateTotp(principalId: PrincipalId, step: number, at: Date): Promise<void>;
  /** Records an accepted code's step, atomically; false when a code of this step or a later one was already used. */
  acceptTotpStep(principalId: PrincipalId, step: number): Promise<boolean>;
  /** Locks and returns the subject's counter (within a transaction). */
  failures(subject: SignInSubject): Promise<FailureWindow | null>;
  putFailures(subject: SignInSubject, state: FailureWindow): Promise<void>;
  clearFailures(subject: SignInSubject): Promise<void>;
  insertSession(session: NewStaffSession): Promise<void>;
  /** The session and its principal's access as of `now` (`loadActor`). */
  sessionBySecretHash(secretHash: string, now: Date): Promise<StaffSessionRecord | null>;
  touchSession(id: string, at: Date): Promise<void>;
  /** @returns false when the session had already ended */
  endSession(id: string, at: Date, reason: StaffSessionEndReason): Promise<boolean>;
  /** Ends every open session of a principal; @returns how many */
  endSessionsOf(principalId: PrincipalId, at: Date, reason: StaffSessionEndReason): Promise<number>;
  /** Marks the principal disabled and revokes its API tokens; @returns false when it was already disabled */
  deactivate(principalId: PrincipalId, at: Date): Promise<{ readonly deactivated: boolean; readonly tokensRevoked: number }>;
  /** Revokes one API token; @returns its principal, or null when no unrevoked token has this id */
  revokeToken(id: string, at: Date): Promise<PrincipalId | null>;
  identity(issuer: string, subject: string): Promise<PrincipalId | null>;
  /** @returns false when the pair is already linked */
  linkIdentity(issuer: string, subject: string, principalId: PrincipalId): Promise<boolean>;
}

/** Who recorded something (an audit actor's type and id). */
export interface Recorder {
  readonly type: string;
  readonly id: string | null;
}

export interface TemplateKindRecord extends TemplateKind {
  readonly builtIn: boolean;
}

export interface TemplateRecord {
  readonly id: string;
  readonly name: string;
  readonly kind: string;
  readonly createdBy: Recorder;
  readonly createdAt: Date;
}

export interface NewTemplateVersion {
  readonly id: string;
  readonly templateId: string;
  readonly version: number;
  readonly variants: readonly TemplateVariant[];
  readonly status: 'pending' | 'approved';
  readonly authoredBy: Recorder;
  readonly authoredAt: Date;
  /** Set for versions approved on creation (the starter library). */
  readonly decision: { readonly by: Recorder; readonly at: Date; readonly note: string } | null;
}

export interface TemplateVersionRecord extends Omit<NewTemplateVersion, 'status' | 'decision'> {
  readonly status: 'pending' | 'approved' | 'rejected';
  readonly decision: { readonly by: Recorder; readonly at: Date; readonly note: string | null } | null;
}

export interface TemplateWithVersions {
  readonly template: TemplateRecord;
  readonly versions: readonly TemplateVersionRecord[];
}

/** The patient's acceptance (or withdrawal) of unencrypted PHI on a channel, with the warning shown (reference 1.4). */
export interface NewPhiPreference {
  readonly id: string;
  readonly patientId: PatientId;
  readonly channel: Channel;
  readonly status: 'accepted' | 'withdrawn';
  /** Blind index of the contact point it was given for: a changed number voids it. */
  readonly contactPointIndex: string;
  readonly warningText: string;
  readonly source: PhiPreferenceSource;
  readonly capturedBy: string | null;
  readonly capturedAt: Date;
  readonly recordedBy: Recorder;
}

export const PHI_PREFERENCE_SOURCES = ['intake_form', 'phone', 'portal', 'staff', 'in_person', 'salesforce'] as const;
export type PhiPreferenceSource = (typeof PHI_PREFERENCE_SOURCES)[number];

export interface PhiPreferenceRecord extends NewPhiPreference {
  readonly recordedAt: Date;
}

/** A new link: its id, the SHA-256 of its token (never the token) and its expiry. */
export interface NewSecureLink {
  readonly id: string;
  readonly tokenHash: string;
  readonly expiresAt: Date;
}

/** A secure patient link as stored. */
export interface SecureLinkRecord extends SecureLinkState {
  readonly id: string;
  /** The message whose secure content the link shows. */
  readonly messageId: MessageId;
  /** The message that carried this link's URL: the content's own message, or a reissued notice. */
  readonly noticeMessageId: MessageId;
  readonly patientId: PatientId;
  /** The patient's language (the page's language); not PHI. */
  readonly language: string | null;
  readonly revokedReason: string | null;
  readonly session: SecureLinkSession | null;
  readonly firstViewedAt: Date | null;
  readonly lastViewedAt: Date | null;
  readonly viewCount: number;
  readonly createdAt: Date;
  readonly createdBy: { readonly type: string; readonly id: string | null };
}

/** A verified browser's view session: the SHA-256 of its cookie value and its expiry. */
export interface SecureLinkSession {
  readonly digest: string;
  readonly expiresAt: Date;
}

/** What a verification step may change on a link. */
export interface SecureLinkChanges {
  readonly failedAttempts?: number;
  readonly lockedAt?: Date | null;
  readonly code?: PendingCode | null;
  readonly codesSent?: number;
  readonly lastCodeSentAt?: Date | null;
  readonly session?: SecureLinkSession | null;
}

/** What a throttle counts: a client address (stored only as a keyed digest) or a link. */
export type ThrottleSubject =
  | { readonly kind: 'address'; readonly address: Phi<string> }
  | { readonly kind: 'link'; readonly linkId: string }
  | { readonly kind: 'agent-sends'; readonly principalId: PrincipalId };

/** The store: sessions in or out of a transaction. */
export interface Store extends StoreSession {
  transaction<T>(fn: (tx: StoreSession) => Promise<T>): Promise<T>;
}

/** A WhatsApp template send (outside the 24-hour customer service window only approved templates may go). */
export interface TemplateSend {
  /** Meta template name (Cloud API) — or, through Twilio, the Content API `ContentSid` (HX…). */
  readonly name: string;
  /** BCP 47 / Meta language code, e.g. `en_US`, `es`. */
  readonly language: string;
  /** Body parameters in order ({{1}}, {{2}} …); may carry identifiers, so PHI-wrapped. */
  readonly parameters: Phi<readonly string[]>;
}

/** What a carrier adapter is given to send. */
export interface OutboundEnvelope {
  /** Wardline's message id: the idempotency reference, echoed back by the carrier where it can. */
  readonly messageId: MessageId;
  readonly channel: Channel;
  readonly to: Phi<E164>;
  readonly body: Phi<string>;
  /** `text` only: MMS media (https URLs, at most 10). Empty otherwise. */
  readonly mediaUrls: Phi<readonly string[]>;
  /**
   * `text` only, for carriers that send RCS: whether the carrier may fall back to SMS when the handset cannot take
   * RCS. True only when the patient has SMS consent for the same purpose; false means RCS or nothing.
   */
  readonly smsFallback: boolean;
  /** A template send (WhatsApp); null for free text. */
  readonly template: TemplateSend | null;
}

/**
 * A carrier's answer to a send.
 * - `rejected`: the carrier certainly did not accept the message (4xx, 429): safe to send again.
 * - `unknown`: the carrier may have accepted it (timeout, connection reset, 5xx): the next attempt reconciles
 *   before sending, so the message never goes out twice.
 */
export type SendResult =
  | { readonly ok: true; readonly providerMessageId: string }
  | {
      readonly ok: false;
      readonly outcome: 'rejected' | 'unknown';
      /** Worth another attempt later (throughput limits, 5xx, network). */
      readonly retryable: boolean;
      /** The carrier's error code as it sent it (`21610`, `131047`), or `HTTP_<status>`, `TIMEOUT`, `NETWORK`. */
      readonly errorCode: string;
      /** The carrier asked to wait this long (Retry-After), if it said. */
      readonly retryAfterMs?: number;
    };

/** Whether the carrier accepted a message whose send outcome was unknown. */
export type ReconcileResult =
  | { readonly found: true; readonly providerMessageId: string }
  /** `certain`: the carrier can list what it accepted and this message is not there; safe to send. */
  | { readonly found: false; readonly certain: boolean };

/** A delivery receipt from a carrier, already authenticated and parsed by its adapter. */
export interface CarrierStatusEvent {
  readonly provider: string;
  readonly providerMessageId: string;
  readonly status: CarrierStatus;
  readonly errorCode: string | null;
  readonly occurredAt: Date;
}

/**
 * A configured sender: a carrier adapter, the channels it carries and its rate. Twilio may be two senders (its
 * SMS/MMS/RCS sender and its WhatsApp sender) sharing one adapter.
 */
export interface Sender {
  /** Stable id, e.g. `twilio:MG…`, `twilio:whatsapp:+1…`, `whatsapp-cloud:<phone number id>`, `simulator`. */
  readonly id: string;
  readonly provider: MessagingProvider;
  readonly channels: readonly Channel[];
  /** Messages per second; null when the sender is not paced (the simulator, benchmarks). */
  readonly ratePerSecond: number | null;
}

/** The carrier port (STYLE.md §3 MessagingProvider). */
export interface MessagingProvider {
  /** `simulator`, `twilio`, `whatsapp-cloud`: the namespace of `providerMessageId` and of error codes. */
  readonly name: string;
  /** Sends one message. Does not retry by itself; the dispatcher owns retries and pacing. */
  send(envelope: OutboundEnvelope): Promise<SendResult>;
  /**
   * After an attempt whose outcome was unknown: did the carrier accept this message at or after `since`?
   * Read-only; never sends.
   */
  reconcile(envelope: OutboundEnvelope, since: Date): Promise<ReconcileResult>;
}

/** A care team as listed: counts only (the members and patients are ids an administrator already manages). */
export interface CareTeamSummary {
  readonly id: string;
  readonly name: string;
  readonly members: number;
  readonly patients: number;
  readonly createdAt: Date;
}

/** Care teams and their memberships. Adding what is there, or removing what is not, changes nothing (false). */
export interface CareTeamStore {
  /** @returns false when a team of this name (case-insensitive) exists */
  insert(team: { readonly id: string; readonly name: string; readonly createdBy: PrincipalId }): Promise<boolean>;
  exists(id: string): Promise<boolean>;
  list(): Promise<CareTeamSummary[]>;
  /** @returns true when the membership was added (false: it was already there) */
  addMember(teamId: string, principalId: PrincipalId): Promise<boolean>;
  /** @returns true when the membership was removed (false: there was none) */
  removeMember(teamId: string, principalId: PrincipalId): Promise<boolean>;
  addPatient(teamId: string, patientId: PatientId): Promise<boolean>;
  removePatient(teamId: string, patientId: PatientId): Promise<boolean>;
}

export type GrantKind = 'share' | 'breakglass';

/** A new grant of one patient to one principal. The reason may name clinical facts: stored encrypted. */
export interface NewGrant {
  readonly id: string;
  readonly kind: GrantKind;
  readonly patientId: PatientId;
  readonly principalId: PrincipalId;
  readonly reason: Phi<string> | null;
  readonly grantedBy: PrincipalId;
  readonly grantedAt: Date;
  /** Required for break-glass; null for a share that lasts until revoked. */
  readonly expiresAt: Date | null;
}

/** A grant as stored; `reason` is decrypted only when asked for (break-glass review), null otherwise. */
export interface GrantRecord extends Omit<NewGrant, 'reason'> {
  readonly reason: Phi<string> | null;
  readonly revokedAt: Date | null;
  readonly revokedBy: PrincipalId | null;
}

export interface GrantStore {
  insert(grant: NewGrant): Promise<void>;
  get(id: string): Promise<GrantRecord | null>;
  /** The grant of this kind to this principal for this patient that is unrevoked and unexpired at `now`, if any. */
  open(kind: GrantKind, principalId: PrincipalId, patientId: PatientId, now: Date): Promise<GrantRecord | null>;
  /**
   * Grants of a kind, newest first: of one patient, and/or granted since a time or still open at `now`.
   * `reasons` decrypts the reasons (break-glass review by `audit.read` holders only).
   */
  list(filter: { readonly kind: GrantKind; readonly patientId?: PatientId; readonly openAt?: Date; readonly since?: Date; readonly limit: number }, options: { readonly reasons: boolean }): Promise<GrantRecord[]>;
  /** @returns false when the grant was already revoked (or does not exist) */
  revoke(id: string, by: PrincipalId, at: Date): Promise<boolean>;
}

/** Stable kinds of security event (never renamed: the webhook receiver branches on them). */
export type SecurityEventKind = 'breakglass.opened' | 'access.outside-sharing' | 'incident.opened' | 'incident.deadline-reminder' | 'audit.tampering-detected';

/** A security event: ids, kinds and codes only, never PHI (it leaves Wardline through the webhook). */
export interface NewSecurityEvent {
  readonly kind: SecurityEventKind;
  /** When; the database's clock when absent (callers without a clock, such as `admitPatient`). */
  readonly occurredAt?: Date;
  readonly principalId: PrincipalId | null;
  readonly patientId: PatientId | null;
  readonly details: Readonly<Record<string, string | number | boolean | null>>;
}

export interface SecurityEventRecord extends Omit<NewSecurityEvent, 'occurredAt'> {
  readonly id: string;
  readonly occurredAt: Date;
  readonly acknowledgedAt: Date | null;
  readonly acknowledgedBy: PrincipalId | null;
  readonly webhook: { readonly state: 'none' | 'pending' | 'delivered' | 'failed'; readonly attempts: number };
}

export interface SecurityEventStore {
  /**
   * Records an event (in the caller's transaction). When the security webhook is configured the row starts
   * `pending`, so the notification cannot be lost between the commit and the delivery.
   * @returns its id
   */
  record(event: NewSecurityEvent): Promise<string>;
  get(id: string): Promise<SecurityEventRecord | null>;
  list(filter: { readonly acknowledged?: boolean; readonly limit: number }): Promise<SecurityEventRecord[]>;
  /** @returns false when it was already acknowledged (or does not exist) */
  acknowledge(id: string, by: PrincipalId, at: Date): Promise<boolean>;
  /** Claims up to `limit` due webhook deliveries, pushing their next attempt to `leaseUntil` (so no two workers send one). */
  claimWebhooks(now: Date, leaseUntil: Date, limit: number): Promise<SecurityEventRecord[]>;
  /** Records a delivery attempt: delivered, to be retried at `nextAt`, or failed for good. */
  webhookAttempted(id: string, result: { readonly state: 'delivered' | 'failed' } | { readonly state: 'pending'; readonly nextAt: Date }): Promise<void>;
}

/** A signed checkpoint of the audit trail's hash chain (docs/audit.md). */
export interface AuditCheckpoint {
  readonly position: number;
  readonly hash: string;
  readonly keyId: string;
  /** Ed25519 over `wardline-audit-checkpoint:v1:<position>:<hash>`, base64. */
  readonly signature: string;
  readonly signedAt: Date;
}

/** What `verify` found: the first tampering as one line naming its position and kind, or null. */
export interface AuditChainReport {
  readonly ok: boolean;
  /** How many events the chain verified (up to the problem, if any). */
  readonly events: number;
  readonly checkpoints: number;
  readonly problem: string | null;
  /** The first tampering's kind and chain position (an inserted event has none: it is outside the chain). */
  readonly tampering: { readonly kind: 'altered' | 'deleted' | 'inserted' | 'seal-broken' | 'checkpoint-invalid'; readonly position: number | null } | null;
  /**
   * What the run covered: `full` from the start (or the retention anchor); `tail` from the signed checkpoint at `from`,
   * which the successful full run of `fullVerifiedAt` covered (the events before it were verified then, not now).
   */
  readonly coverage: { readonly scope: 'full' | 'tail'; readonly from: number; readonly fullVerifiedAt: Date | null };
}

/** Who asked for a verification run (kept with the run in `audit_verification`). */
export type VerificationRunBy = 'cli' | 'schedule' | 'report' | 'app';

/** The audit trail's hash chain (issue 6 item 2): sealing, verifying, and what an export covers. */
export interface AuditChain {
  /** Verifies the whole chain and its checkpoints against the trusted keys, and records the run. */
  verify(options?: { readonly runBy?: VerificationRunBy; readonly extraKeys?: ReadonlyMap<string, string> }): Promise<AuditChainReport>;
  /**
   * Verifies the tail from the newest signed checkpoint that a successful full run finished within `maxAgeMs` covered,
   * or the whole chain when there is no such run (or `maxAgeMs` is 0); records the run. What a report asks for.
   */
  verifyRecent(runBy: VerificationRunBy, maxAgeMs: number): Promise<AuditChainReport>;
  /** Seals every committed event now (the sealer does this every WARDLINE_AUDIT_SEAL_MS anyway). */
  sealAll(): Promise<number>;
  /** The chain's head and newest signed checkpoint, and the public key checkpoints verify against: an export's header. */
  head(): Promise<{ readonly position: number; readonly hash: string; readonly checkpoint: AuditCheckpoint | null; readonly publicKeyPem: string; readonly keyId: string }>;
}

/** A message linked to an incident: ids and what was in it (content classes), never its content. */
export interface IncidentMessageLink {
  readonly messageId: MessageId;
  readonly patientId: PatientId;
  readonly channel: Channel;
  readonly category: Category;
  readonly delivery: MessageDelivery;
  /** The template kind's content classes, or `category:<category>` for free text. */
  readonly contentClasses: readonly string[];
  readonly sentAt: Date;
}

/** A contact point an incident concerns: a patient's phone or WhatsApp number. */
export interface IncidentContactPoint {
  readonly patientId: PatientId;
  readonly kind: ContactPointKind;
}

/** A detection event: unique per (source, ref), so a replay finds it already recorded. */
export interface IncidentSignal {
  readonly source: DetectionSource;
  readonly ref: string;
  readonly inboundMessageId: InboundMessageId | null;
  readonly at: Date;
}

export interface NewIncident {
  readonly id: string;
  readonly source: DetectionSource;
  readonly openedAt: Date;
  readonly openedBy: Recorder;
  /** A staff report's note: may name clinical facts, stored encrypted. */
  readonly note: Phi<string> | null;
  readonly timeZone: string;
  readonly state: IncidentState;
}

/** An incident as stored: the state machine's state plus what it links to. */
export interface IncidentRecord extends Omit<NewIncident, 'state'> {
  readonly state: IncidentState;
  readonly contentClasses: readonly string[];
  readonly contactPoints: readonly (IncidentContactPoint & { readonly wardId: WardId | null })[];
  readonly messages: readonly IncidentMessageLink[];
  readonly signals: readonly IncidentSignal[];
  readonly closedAt: Date | null;
  readonly closedBy: string | null;
  readonly updatedAt: Date;
}

export interface IncidentStore {
  /** Records a detection signal for an incident; @returns false when this (source, ref) was already recorded */
  addSignal(incidentId: string, signal: IncidentSignal): Promise<boolean>;
  /** The incident a signal was recorded for, if any. */
  signalIncident(source: DetectionSource, ref: string): Promise<string | null>;
  /** A draft or open incident of this source about this contact point (a repeated signal joins it). */
  activeFor(source: DetectionSource, contactPoint: IncidentContactPoint): Promise<string | null>;
  insert(incident: NewIncident): Promise<void>;
  /** Adds contact points and messages (and their content classes) to an incident; what is there already stays. */
  link(incidentId: string, contactPoints: readonly IncidentContactPoint[], messages: readonly IncidentMessageLink[]): Promise<void>;
  /** `forUpdate` locks the incident row (inside a transaction: serialises its commands). */
  get(id: string, options?: { readonly forUpdate?: boolean }): Promise<IncidentRecord | null>;
  /** Newest first. */
  list(filter: { readonly status?: IncidentState['status']; readonly limit: number }): Promise<IncidentRecord[]>;
  /** Stores the state a command produced (by `by`, at `at`): the row's fields, and the mitigations and notices it added. */
  save(id: string, previous: IncidentState, next: IncidentState, at: Date, by: string): Promise<void>;
  /** Ids of incidents whose deadlines still run (open or decided). */
  running(): Promise<string[]>;
  reminderKeys(id: string): Promise<Set<string>>;
  /** @returns false when this reminder was already raised */
  addReminder(id: string, key: string, at: Date): Promise<boolean>;
  /**
   * A patient's messages on some channels created at or after `since` (and with one of `statuses` when given),
   * newest first, with their content classes: what a detection links.
   */
  messagesOf(patientId: PatientId, channels: readonly Channel[], since: Date, statuses?: readonly MessageStatus[]): Promise<IncidentMessageLink[]>;
  /** The content classes of some messages (a staff report links one message). */
  messageLinks(messageIds: readonly MessageId[]): Promise<IncidentMessageLink[]>;
  /**
   * Replies flagged `possible-wrong-number` from a known patient since `since` that no incident signal names: a
   * detection that did not happen (the process stopped after the reply committed), for the sweep to retry.
   */
  unlinkedWrongNumberReplies(since: Date, limit: number): Promise<{ readonly inboundId: InboundMessageId; readonly patientId: PatientId; readonly channel: Channel; readonly providerMessageId: string | null }[]>;
}

/** An active suspension of a contact point. */
export interface ContactPointSuspension {
  readonly kind: ContactPointKind;
  readonly incidentId: string;
  /** True: new sends are refused (CONTACT_POINT_SUSPENDED). Every active suspension holds queued messages. */
  readonly blocksSending: boolean;
}

export interface SuspensionStore {
  add(suspension: ContactPointSuspension & { readonly id: string; readonly patientId: PatientId; readonly at: Date; readonly by: string }): Promise<void>;
  /** The active suspensions of some patients' contact points. */
  active(patientIds: readonly PatientId[]): Promise<Map<PatientId, ContactPointSuspension[]>>;
  /** Lifts every active suspension of a contact point; @returns how many */
  lift(patientId: PatientId, kind: ContactPointKind, lifted: { readonly at: Date; readonly by: string; readonly evidence: Phi<string> }): Promise<number>;
  /** Makes the patient's queued messages on some channels due now (their outbox rows), after a suspension is lifted; @returns how many */
  resumeQueued(patientId: PatientId, channels: readonly Channel[], at: Date): Promise<number>;
}
