import type { ExportedEvent, ExportHeader, ExportTrailer } from './export-format.ts';

/**
 * Audit exports as FHIR R4 (4.0.1): a Bundle (type `collection`) of AuditEvent resources shaped after the IHE Basic
 * Audit Log Patterns (https://profiles.ihe.net/ITI/BALP), and Communication resources for the messages in scope.
 * Pure mapping, no I/O. docs/audit-export.md describes the mapping; reference §7.4 (BALP) and §7.2 (Communication).
 *
 * The Bundle is written one entry per line (the first entry on the line after `"entry":[`, every later one prefixed
 * with a comma), so `wardline audit verify-export` reads it line by line in constant memory, like JSON Lines.
 */

type Coding = { readonly system: string; readonly code: string; readonly display?: string };
type Json = Record<string, unknown>;

export const WARDLINE_FHIR = 'https://wardline.dev/fhir';
/** The AuditEvent extension that carries the event's chain link and the event exactly as the chain hashed it. */
export const CHAIN_LINK_EXTENSION = `${WARDLINE_FHIR}/StructureDefinition/audit-chain-link`;
/** Wardline's audit actions as a code system: every AuditEvent carries its action losslessly as a subtype. */
export const ACTION_SYSTEM = `${WARDLINE_FHIR}/CodeSystem/audit-action`;

const DCM = 'http://dicom.nema.org/resources/ontology/DCM';
const EVENT_TYPE = 'http://terminology.hl7.org/CodeSystem/audit-event-type';
const RESTFUL = 'http://hl7.org/fhir/restful-interaction';
const ENTITY_TYPE = 'http://terminology.hl7.org/CodeSystem/audit-entity-type';
const OBJECT_ROLE = 'http://terminology.hl7.org/CodeSystem/object-role';
const PARTICIPATION = 'http://terminology.hl7.org/CodeSystem/v3-ParticipationType';
const BALP_ENTITY = 'https://profiles.ihe.net/ITI/BALP/CodeSystem/BasicAuditEntityType';
const LIFECYCLE = 'http://terminology.hl7.org/CodeSystem/iso-21089-lifecycle';

/** The BALP pattern an action follows: event type, subtype, and FHIR action code (C R U D E). */
interface Pattern {
  readonly type: Coding;
  readonly subtype: readonly Coding[];
  readonly action: 'C' | 'R' | 'U' | 'D' | 'E';
}

const rest = (interaction: string, action: Pattern['action']): Pattern => ({
  type: { system: EVENT_TYPE, code: 'rest', display: 'Restful Operation' },
  subtype: [{ system: RESTFUL, code: interaction }],
  action,
});

/**
 * BALP's patterns by kind of action: reads (`PatientRead`), queries (`PatientQuery`), creates and updates, exports
 * (DICOM 110106 Export with the ISO 21089 `disclose` lifecycle, as BALP's PrivacyDisclosure.Source), sign-in
 * (DICOM 110114 User Authentication) and security alerts (DICOM 110113: denials, break-glass).
 * @param action - a Wardline audit action (`noun.verb`)
 */
export function balpPattern(action: string): Pattern {
  const [noun = '', verb = ''] = action.split('.');
  if (noun === 'audit') return { type: { system: DCM, code: '110106', display: 'Export' }, subtype: [{ system: LIFECYCLE, code: 'disclose' }], action: 'R' };
  if (noun === 'auth') {
    const out = verb === 'signed-out' || verb === 'session-expired';
    return { type: { system: DCM, code: '110114', display: 'User Authentication' }, subtype: [{ system: DCM, code: out ? '110123' : '110122', display: out ? 'Logout' : 'Login' }], action: 'E' };
  }
  if (noun === 'access' || noun === 'breakglass' || noun === 'security-event' || verb === 'rejected' || verb === 'throttled' || verb === 'locked') {
    return { type: { system: DCM, code: '110113', display: 'Security Alert' }, subtype: [], action: 'E' };
  }
  if (verb === 'viewed' || verb === 'opened') return rest('read', 'R');
  if (verb === 'listed') return rest('search-type', 'E');
  if (verb === 'created' || verb === 'queued' || verb === 'received' || verb === 'granted' || verb === 'shared' || verb === 'accepted' || verb.endsWith('-created')) return rest('create', 'C');
  return rest('update', 'U');
}

/** AuditEvent.outcome: 0 success, 4 minor failure (a denial, as FHIR's access-denied guidance), 8 serious failure. */
export function fhirOutcome(outcome: string): '0' | '4' | '8' {
  return outcome === 'success' ? '0' : outcome === 'denied' ? '4' : '8';
}

const ident = (kind: string, value: string): Json => ({ identifier: { system: `${WARDLINE_FHIR}/${kind}`, value } });
const isIp = (address: string): boolean => /^[0-9.]+$/.test(address) || address.includes(':');

function agents(e: ExportedEvent['event']): Json[] {
  const requestor: Json = {
    type: { coding: [{ system: PARTICIPATION, code: 'IRCP', display: 'information recipient' }] },
    who: { ...ident(e.actorType, e.actorId ?? e.actorType), display: e.actorType },
    requestor: true,
    ...(e.sourceAddress === null ? {} : { network: { address: e.sourceAddress, type: isIp(e.sourceAddress) ? '2' : '1' } }),
  };
  const server: Json = { type: { coding: [{ system: DCM, code: '110153', display: 'Source Role ID' }] }, who: { ...ident('system', 'wardline'), display: 'Wardline' }, requestor: false };
  const onBehalf: Json[] =
    e.onBehalfOf === null ? [] : [{ type: { coding: [{ system: PARTICIPATION, code: 'RESP', display: 'responsible party' }] }, who: ident('on-behalf-of', e.onBehalfOf), requestor: false }];
  return [requestor, ...onBehalf, server];
}

function entities(e: ExportedEvent['event']): Json[] {
  const out: Json[] = [];
  if (e.patientId !== null) {
    out.push({ what: { reference: `Patient/${e.patientId}` }, type: { system: ENTITY_TYPE, code: '1', display: 'Person' }, role: { system: OBJECT_ROLE, code: '1', display: 'Patient' } });
  }
  const detail = Object.entries((e.details ?? {}) as Record<string, unknown>).map(([k, v]) => ({ type: k, valueString: typeof v === 'string' ? v : JSON.stringify(v) }));
  if (e.reason !== null) detail.unshift({ type: 'reason', valueString: e.reason });
  const what = e.targetType === 'message' && e.targetId !== null ? { reference: `Communication/${e.targetId}` } : ident(e.targetType, e.targetId ?? e.targetType);
  if (!(e.targetType === 'patient' && e.targetId === e.patientId) || detail.length > 0) {
    out.push({ what, type: { system: ENTITY_TYPE, code: '2', display: 'System Object' }, ...(detail.length === 0 ? {} : { detail }) });
  }
  if (e.requestId !== null) out.push({ what: { identifier: { value: e.requestId } }, type: { system: BALP_ENTITY, code: 'XrequestId', display: 'X-Request-Id' } });
  return out;
}

/**
 * One audit event as a FHIR R4 AuditEvent (IHE BALP shapes). Its chain link and the event as hashed travel in the
 * `audit-chain-link` extension, so the FHIR export verifies offline like the JSON Lines one.
 * @param x - the event and its chain link
 */
export function toFhirAuditEvent(x: ExportedEvent): Json {
  const e = x.event;
  const p = balpPattern(e.action);
  return {
    resourceType: 'AuditEvent',
    id: e.eventId,
    extension: [
      {
        url: CHAIN_LINK_EXTENSION,
        extension: [
          { url: 'position', valueInteger: x.chain.position },
          { url: 'previousHash', valueString: x.chain.previousHash },
          { url: 'hash', valueString: x.chain.hash },
          { url: 'event', valueString: JSON.stringify(e) },
        ],
      },
    ],
    type: p.type,
    subtype: [...p.subtype, { system: ACTION_SYSTEM, code: e.action }],
    action: p.action,
    recorded: e.occurredAt,
    outcome: fhirOutcome(e.outcome),
    ...(e.reason === null || e.outcome === 'success' ? {} : { outcomeDesc: e.reason }),
    agent: agents(e),
    source: { observer: { ...ident('system', 'wardline'), display: 'Wardline' }, type: [{ system: 'http://terminology.hl7.org/CodeSystem/security-source-type', code: '4', display: 'Application Server' }] },
    entity: entities(e),
  };
}

/** A message as the FHIR export shows it: metadata only, never its body or contact point (docs/decisions/0016). */
export interface ExportMessage {
  readonly id: string;
  readonly patientId: string;
  readonly channel: string;
  readonly category: string;
  readonly purpose: string;
  readonly status: string;
  readonly statusReason: string | null;
  readonly urgent: boolean;
  readonly senderType: string;
  readonly senderId: string;
  readonly inReplyTo: string | null;
  /** ISO 8601. */
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** EventStatus for a message status (reference §7.2). */
export function communicationStatus(status: string): 'in-progress' | 'completed' | 'stopped' | 'not-done' | 'unknown' {
  switch (status) {
    case 'queued':
    case 'sending':
    case 'sent':
      return 'in-progress';
    case 'delivered':
    case 'read':
      return 'completed';
    case 'failed':
      return 'stopped';
    case 'cancelled':
      return 'not-done';
    default:
      return 'unknown';
  }
}

/**
 * One message as a FHIR R4 Communication: status, subject, sender, category, medium, sent/received. No payload: the
 * body is PHI and an audit export is read more widely than the conversation (minimum necessary, §164.502(b)).
 * @param m - the message's metadata
 */
export function toFhirCommunication(m: ExportMessage): Json {
  const status = communicationStatus(m.status);
  const handedOver = m.status === 'sent' || m.status === 'delivered' || m.status === 'read';
  return {
    resourceType: 'Communication',
    id: m.id,
    identifier: [{ system: `${WARDLINE_FHIR}/message`, value: m.id }],
    status,
    ...(m.statusReason === null ? {} : { statusReason: { text: m.statusReason } }),
    category: [{ coding: [{ system: `${WARDLINE_FHIR}/CodeSystem/message-category`, code: m.category }] }, { coding: [{ system: `${WARDLINE_FHIR}/CodeSystem/purpose`, code: m.purpose }] }],
    priority: m.urgent ? 'urgent' : 'routine',
    medium: [
      {
        coding: [
          { system: 'http://terminology.hl7.org/CodeSystem/v3-ParticipationMode', code: 'ELECTRONIC', display: 'electronic data' },
          { system: `${WARDLINE_FHIR}/CodeSystem/channel`, code: m.channel },
        ],
      },
    ],
    subject: { reference: `Patient/${m.patientId}` },
    recipient: [{ reference: `Patient/${m.patientId}` }],
    sender: ident(m.senderType, m.senderId),
    ...(m.inReplyTo === null ? {} : { inResponseTo: [{ identifier: { system: `${WARDLINE_FHIR}/inbound`, value: m.inReplyTo } }] }),
    ...(handedOver ? { sent: m.createdAt } : {}),
    ...(status === 'completed' ? { received: m.updatedAt } : {}),
  };
}

/** The header or trailer as a Parameters resource; `record` holds the JSON Lines record verbatim. */
function parameters(id: string, record: ExportHeader | ExportTrailer, readable: readonly Json[]): Json {
  return { resourceType: 'Parameters', id, parameter: [{ name: 'record', valueString: JSON.stringify(record) }, ...readable] };
}

/** @param header - the export's header @returns the Bundle's opening line and its first entry's line */
export function fhirOpen(header: ExportHeader): string {
  const open = { resourceType: 'Bundle', id: header.exportId, meta: { lastUpdated: header.generatedAt }, type: 'collection', timestamp: header.generatedAt };
  const readable = [
    { name: 'chainPosition', valueInteger: header.chain.position },
    { name: 'chainHash', valueString: header.chain.hash },
    ...(header.checkpoint === null ? [] : [{ name: 'checkpointPosition', valueInteger: header.checkpoint.position }, { name: 'checkpointKeyId', valueString: header.checkpoint.keyId }]),
  ];
  const entry = { fullUrl: `urn:uuid:${header.exportId}`, resource: parameters(`${header.exportId}-header`.slice(0, 64), header, readable) };
  return `${JSON.stringify(open).slice(0, -1)},"entry":[\n${JSON.stringify(entry)}\n`;
}

/** @param resource - an AuditEvent or Communication @returns its entry line (every entry after the first) */
export function fhirEntry(resource: Json): string {
  const id = typeof resource['id'] === 'string' ? resource['id'] : '';
  const url = resource['resourceType'] === 'AuditEvent' ? `urn:uuid:${id}` : `${WARDLINE_FHIR}/${String(resource['resourceType'])}/${id}`;
  return `,${JSON.stringify({ fullUrl: url, resource })}\n`;
}

/** @param trailer - the trailer @returns its entry line and the Bundle's closing line */
export function fhirClose(trailer: ExportTrailer): string {
  const resource = parameters(`${trailer.exportId}-trailer`.slice(0, 64), trailer, [
    { name: 'complete', valueBoolean: true },
    { name: 'events', valueInteger: trailer.events },
    { name: 'communications', valueInteger: trailer.communications },
  ]);
  return `,${JSON.stringify({ fullUrl: `${WARDLINE_FHIR}/Parameters/${String(resource['id'])}`, resource })}\n]}\n`;
}
