import type { Actor, PrincipalKind } from '../core/access/actor.ts';
import type { PermissionSetName } from '../core/access/permissions.ts';
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
import type { CarrierStatus, MessageStatus } from '../core/messaging/delivery-status.ts';
import type { Phi } from '../core/phi/phi.ts';
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

/** The PHI-free view of a patient the send decision uses. */
export interface PatientConsentView {
  readonly id: PatientId;
  readonly wardId: WardId | null;
  readonly hasWhatsapp: boolean;
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

export interface NewMessage {
  readonly id: MessageId;
  readonly patientId: PatientId;
  readonly wardId: WardId | null;
  readonly channel: Channel;
  readonly category: Category;
  readonly purpose: Purpose;
  readonly body: Phi<string>;
  readonly templateId: string | null;
  readonly relatedRecord: { readonly type: string; readonly id: string } | null;
  readonly consentBasis: ConsentBasis;
  readonly overrideJustification: Phi<string> | null;
  readonly inReplyTo: InboundMessageId | null;
  readonly sender: { readonly type: string; readonly id: string };
  readonly idempotencyKey: string | null;
  readonly requestHash: string | null;
}

export interface MessageRecord extends Omit<NewMessage, 'body' | 'overrideJustification'> {
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
  /** Record-level sharing: null means every ward. */
  readonly wardIds: readonly WardId[] | null;
  readonly categories: readonly Category[];
  readonly limit: number;
  readonly before?: { readonly createdAt: Date; readonly id: MessageId };
}

export interface OutboxClaim {
  readonly outboxId: number;
  readonly messageId: MessageId;
  readonly attempts: number;
}

export interface PrincipalRecord {
  readonly id: PrincipalId;
  readonly kind: PrincipalKind;
  readonly username: string | null;
  readonly displayName: string;
  readonly permissionSets: readonly PermissionSetName[];
  readonly wardIds: readonly WardId[];
  readonly disabledAt: Date | null;
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
  readonly patients: {
    insert(patient: NewPatient): Promise<void>;
    get(id: PatientId): Promise<PatientRecord | null>;
    getMany(ids: readonly PatientId[]): Promise<PatientRecord[]>;
    /**
     * What deciding a send needs, in one read and without decrypting any PHI (minimum necessary): the patient's
     * ward, whether it has a WhatsApp number, and its consent ledger (oldest first).
     */
    getConsentView(id: PatientId): Promise<{ patient: PatientConsentView; ledger: ConsentEventRecord[] } | null>;
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
    bodies(ids: readonly MessageId[]): Promise<Map<MessageId, Phi<string>>>;
    findByIdempotencyKey(senderId: string, key: string): Promise<MessageRecord | null>;
    findByProviderId(provider: string, providerMessageId: string): Promise<MessageId | null>;
    list(filter: MessageFilter): Promise<MessageRecord[]>;
    /** Ids of queued messages for a patient on some channels, locked for update. */
    queuedFor(patientId: PatientId, channels: readonly Channel[]): Promise<MessageId[]>;
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
    retry(outboxId: number, availableAt: Date, errorCode: string): Promise<void>;
  };
  readonly inbound: {
    insert(record: InboundRecord & { readonly fromIndex: Phi<E164>; readonly body: Phi<string>; readonly providerMessageId: string | null }): Promise<void>;
    list(filter: { readonly needsReview: boolean; readonly wardIds: readonly WardId[] | null; readonly limit: number }): Promise<InboundRecord[]>;
  };
  readonly principals: {
    insert(principal: PrincipalRecord & { readonly createdBy: PrincipalId | null; readonly passwordHash: string | null }): Promise<void>;
    get(id: PrincipalId): Promise<PrincipalRecord | null>;
    usernameTaken(username: string): Promise<boolean>;
  };
  readonly tokens: {
    insert(token: { readonly id: string; readonly principalId: PrincipalId; readonly tokenHash: string; readonly expiresAt: Date | null }): Promise<void>;
    /** The active principal behind a token hash and the token's expiry, if the token is valid at `now`. */
    resolve(tokenHash: string, now: Date): Promise<{ actor: Actor; expiresAt: Date | null } | null>;
    exists(tokenHash: string): Promise<boolean>;
  };
  readonly wards: {
    insert(ward: { readonly id: WardId; readonly name: string }): Promise<void>;
    exists(id: WardId): Promise<boolean>;
    nameTaken(name: string): Promise<boolean>;
  };
  readonly audit: {
    append(event: AuditEventInput): Promise<void>;
  };
}

/** The store: sessions in or out of a transaction. */
export interface Store extends StoreSession {
  transaction<T>(fn: (tx: StoreSession) => Promise<T>): Promise<T>;
}

/** What a carrier adapter is given to send. */
export interface OutboundEnvelope {
  readonly messageId: MessageId;
  readonly channel: Channel;
  readonly to: Phi<E164>;
  readonly body: Phi<string>;
}

/** A carrier's answer to a send. */
export type SendResult =
  | { readonly ok: true; readonly providerMessageId: string }
  | { readonly ok: false; readonly retryable: boolean; readonly errorCode: string };

/** A delivery receipt from a carrier, already authenticated and parsed by its adapter. */
export interface CarrierStatusEvent {
  readonly provider: string;
  readonly providerMessageId: string;
  readonly status: CarrierStatus;
  readonly errorCode: string | null;
  readonly occurredAt: Date;
}

/** The carrier port (STYLE.md §3 MessagingProvider). */
export interface MessagingProvider {
  readonly name: string;
  /** Sends one message; `messageId` is the idempotency key: the same id never goes out twice. */
  send(envelope: OutboundEnvelope): Promise<SendResult>;
}
