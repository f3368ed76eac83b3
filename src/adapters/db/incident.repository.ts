import { sql, type Kysely, type Selectable } from 'kysely';
import type { BreachExclusion, DetectionSource, IncidentState, Mitigation, NoticeRecord, RiskAssessment } from '../../core/incidents/incident.ts';
import type { InboundMessageId, MessageId, PatientId, WardId } from '../../core/ids.ts';
import type { Category, Channel } from '../../core/messaging/channel.ts';
import { phi, reveal } from '../../core/phi/phi.ts';
import type { ContactPointSuspension, IncidentMessageLink, IncidentRecord, IncidentStore, SuspensionStore } from '../../app/ports.ts';
import type { FieldCipher } from '../crypto/field-cipher.ts';
import type { Database, IncidentTable } from './schema.ts';

/**
 * Incident records (issue 7; migration 0016). Kept at least six years (45 CFR 164.530(j)) and never deleted: the
 * incident row is updated as the procedure advances, every other row is appended. Free text (note, assessment notes,
 * rationale, agency) is encrypted; everything else is ids, codes and dates.
 */

function contentClassesOf(allowed: readonly string[] | null, category: string): string[] {
  return allowed !== null && allowed.length > 0 ? [...allowed] : [`category:${category}`];
}

function messageLinksQuery(db: Kysely<Database>) {
  return db
    .selectFrom('message as m')
    .leftJoin('template_version as tv', 'tv.id', 'm.template_version_id')
    .leftJoin('template as t', 't.id', 'tv.template_id')
    .leftJoin('template_kind as k', 'k.name', 't.kind')
    .select(['m.id', 'm.patient_id', 'm.channel', 'm.category', 'm.delivery', 'm.created_at', 'k.allowed_classes']);
}

type LinkRow = { id: string; patient_id: string; channel: string; category: string; delivery: 'direct' | 'secure'; created_at: Date; allowed_classes: string[] | null };

function linkOf(r: LinkRow): IncidentMessageLink {
  return {
    messageId: r.id as MessageId,
    patientId: r.patient_id as PatientId,
    channel: r.channel as Channel,
    category: r.category as Category,
    delivery: r.delivery,
    contentClasses: contentClassesOf(r.allowed_classes, r.category),
    sentAt: r.created_at,
  };
}

/**
 * @param db - the database or a transaction
 * @param cipher - encrypts free text
 */
export function createIncidentRepository(db: Kysely<Database>, cipher: FieldCipher): IncidentStore {
  const enc = (value: string | null): string | null => (value === null ? null : cipher.encrypt(phi(value)));
  const dec = (value: string | null): string | null => (value === null ? null : reveal(cipher.decrypt(value)));

  async function recordOf(row: Selectable<IncidentTable>): Promise<IncidentRecord> {
    const [points, messages, signals, mitigations, notices] = await Promise.all([
      db
        .selectFrom('incident_contact_point as c')
        .innerJoin('patient as p', 'p.id', 'c.patient_id')
        .select(['c.patient_id', 'c.kind', 'p.ward_id'])
        .where('c.incident_id', '=', row.id)
        .orderBy('c.patient_id')
        .execute(),
      db.selectFrom('incident_message').selectAll().where('incident_id', '=', row.id).orderBy('sent_at', 'desc').execute(),
      db.selectFrom('incident_signal').selectAll().where('incident_id', '=', row.id).orderBy('recorded_at').execute(),
      db.selectFrom('incident_mitigation').selectAll().where('incident_id', '=', row.id).orderBy('id').execute(),
      db.selectFrom('incident_notice').selectAll().where('incident_id', '=', row.id).orderBy('id').execute(),
    ]);
    const assessmentText = dec(row.assessment_enc);
    const rationale = dec(row.decision_rationale_enc);
    const state: IncidentState = {
      status: row.status,
      discoveredAt: row.discovered_at,
      affectedPatientIds: [...new Set(points.map((p) => p.patient_id))],
      residentsByState: row.residents_by_state,
      mitigations: mitigations.map((m): Mitigation => ({ kind: m.kind, at: m.at, by: m.by_id, count: m.count })),
      assessment: assessmentText === null ? null : (JSON.parse(assessmentText) as RiskAssessment),
      decision:
        row.decision_outcome === null || row.decided_by === null || row.decided_at === null
          ? null
          : { outcome: row.decision_outcome, exclusion: row.decision_exclusion as BreachExclusion | null, rationale: rationale ?? '', by: row.decided_by, at: row.decided_at },
      notices: notices.map((n): NoticeRecord => ({ kind: n.kind, method: n.method, at: n.at, by: n.by_id, patientId: n.patient_id, state: n.state })),
      lawEnforcementDelay:
        row.delay_until === null || row.delay_by === null || row.delay_at === null
          ? null
          : { agency: dec(row.delay_agency_enc) ?? '', until: row.delay_until, oral: row.delay_oral ?? false, by: row.delay_by, at: row.delay_at },
    };
    return {
      id: row.id,
      source: row.source,
      openedAt: row.opened_at,
      openedBy: { type: row.opened_by_type, id: row.opened_by_id },
      note: row.note_enc === null ? null : cipher.decrypt(row.note_enc),
      timeZone: row.time_zone,
      state,
      contentClasses: row.content_classes,
      contactPoints: points.map((p) => ({ patientId: p.patient_id as PatientId, kind: p.kind, wardId: p.ward_id as WardId | null })),
      messages: messages.map((m) => ({
        messageId: m.message_id as MessageId,
        patientId: m.patient_id as PatientId,
        channel: m.channel as Channel,
        category: m.category as Category,
        delivery: m.delivery as 'direct' | 'secure',
        contentClasses: m.content_classes,
        sentAt: m.sent_at,
      })),
      signals: signals.map((s) => ({ source: s.source as DetectionSource, ref: s.source_ref, inboundMessageId: s.inbound_message_id as InboundMessageId | null, at: s.recorded_at })),
      closedAt: row.closed_at,
      closedBy: row.closed_by,
      updatedAt: row.updated_at,
    };
  }

  return {
    async addSignal(incidentId, signal) {
      const r = await db
        .insertInto('incident_signal')
        .values({ source: signal.source, source_ref: signal.ref, incident_id: incidentId, inbound_message_id: signal.inboundMessageId, recorded_at: signal.at })
        .onConflict((oc) => oc.columns(['source', 'source_ref']).doNothing())
        .executeTakeFirst();
      return (r.numInsertedOrUpdatedRows ?? 0n) > 0n;
    },
    async signalIncident(source, ref) {
      const row = await db.selectFrom('incident_signal').select('incident_id').where('source', '=', source).where('source_ref', '=', ref).executeTakeFirst();
      return row?.incident_id ?? null;
    },
    async activeFor(source, point) {
      const row = await db
        .selectFrom('incident as i')
        .innerJoin('incident_contact_point as c', 'c.incident_id', 'i.id')
        .select('i.id')
        .where('i.source', '=', source)
        .where('i.status', 'in', ['draft', 'open'])
        .where('c.patient_id', '=', point.patientId)
        .where('c.kind', '=', point.kind)
        .orderBy('i.opened_at', 'desc')
        .executeTakeFirst();
      return row?.id ?? null;
    },
    async insert(incident) {
      await db
        .insertInto('incident')
        .values({
          id: incident.id,
          status: incident.state.status,
          source: incident.source,
          opened_at: incident.openedAt,
          opened_by_type: incident.openedBy.type,
          opened_by_id: incident.openedBy.id,
          note_enc: incident.note === null ? null : cipher.encrypt(incident.note),
          time_zone: incident.timeZone,
          content_classes: [],
          residents_by_state: JSON.stringify(incident.state.residentsByState),
          updated_at: incident.openedAt,
        })
        .execute();
    },
    async link(incidentId, contactPoints, messages) {
      if (contactPoints.length > 0) {
        await db
          .insertInto('incident_contact_point')
          .values(contactPoints.map((c) => ({ incident_id: incidentId, patient_id: c.patientId, kind: c.kind })))
          .onConflict((oc) => oc.doNothing())
          .execute();
      }
      if (messages.length > 0) {
        await db
          .insertInto('incident_message')
          .values(
            messages.map((m) => ({
              incident_id: incidentId,
              message_id: m.messageId,
              patient_id: m.patientId,
              channel: m.channel,
              category: m.category,
              delivery: m.delivery,
              content_classes: [...m.contentClasses],
              sent_at: m.sentAt,
            })),
          )
          .onConflict((oc) => oc.doNothing())
          .execute();
      }
      // The incident's content classes: the union over its messages (factor 1's starting point).
      await sql`UPDATE incident SET content_classes = coalesce((SELECT array_agg(DISTINCT c ORDER BY c) FROM incident_message im, unnest(im.content_classes) AS c WHERE im.incident_id = ${incidentId}), '{}') WHERE id = ${incidentId}`.execute(db);
    },
    async get(id, options = {}) {
      let q = db.selectFrom('incident').selectAll().where('id', '=', id);
      if (options.forUpdate === true) q = q.forUpdate();
      const row = await q.executeTakeFirst();
      return row === undefined ? null : recordOf(row);
    },
    async list(filter) {
      let q = db.selectFrom('incident').selectAll().orderBy('opened_at', 'desc').orderBy('id').limit(filter.limit);
      if (filter.status !== undefined) q = q.where('status', '=', filter.status);
      const rows = await q.execute();
      const out: IncidentRecord[] = [];
      for (const row of rows) out.push(await recordOf(row));
      return out;
    },
    async save(id, previous, next, at, by) {
      const d = next.decision;
      const delay = next.lawEnforcementDelay;
      await db
        .updateTable('incident')
        .set({
          status: next.status,
          discovered_at: next.discoveredAt,
          residents_by_state: JSON.stringify(next.residentsByState),
          assessment_enc: next.assessment === null ? null : enc(JSON.stringify(next.assessment)),
          decision_outcome: d?.outcome ?? null,
          decision_exclusion: d?.exclusion ?? null,
          decision_rationale_enc: d === null ? null : enc(d.rationale),
          decided_by: d?.by ?? null,
          decided_at: d?.at ?? null,
          delay_agency_enc: delay === null ? null : enc(delay.agency),
          delay_until: delay?.until ?? null,
          delay_oral: delay?.oral ?? null,
          delay_by: delay?.by ?? null,
          delay_at: delay?.at ?? null,
          ...(next.status === 'closed' && previous.status !== 'closed' ? { closed_at: at, closed_by: by } : {}),
          updated_at: at,
        })
        .where('id', '=', id)
        .execute();
      const mitigations = next.mitigations.slice(previous.mitigations.length);
      if (mitigations.length > 0) {
        await db.insertInto('incident_mitigation').values(mitigations.map((m) => ({ incident_id: id, kind: m.kind, count: m.count, at: m.at, by_id: m.by }))).execute();
      }
      const notices = next.notices.slice(previous.notices.length);
      if (notices.length > 0) {
        await db.insertInto('incident_notice').values(notices.map((n) => ({ incident_id: id, kind: n.kind, method: n.method, patient_id: n.patientId, state: n.state, at: n.at, by_id: n.by }))).execute();
      }
    },
    async running() {
      return (await db.selectFrom('incident').select('id').where('status', 'in', ['open', 'decided']).orderBy('opened_at').execute()).map((r) => r.id);
    },
    async reminderKeys(id) {
      return new Set((await db.selectFrom('incident_reminder').select('key').where('incident_id', '=', id).execute()).map((r) => r.key));
    },
    async addReminder(id, key, at) {
      const r = await db.insertInto('incident_reminder').values({ incident_id: id, key, sent_at: at }).onConflict((oc) => oc.doNothing()).executeTakeFirst();
      return (r.numInsertedOrUpdatedRows ?? 0n) > 0n;
    },
    async messagesOf(patientId, channels, since, statuses) {
      if (channels.length === 0) return [];
      let q = messageLinksQuery(db).where('m.patient_id', '=', patientId).where('m.channel', 'in', [...channels]).where('m.created_at', '>=', since);
      if (statuses !== undefined) q = q.where('m.status', 'in', [...statuses]);
      return (await q.orderBy('m.created_at', 'desc').limit(200).execute()).map(linkOf);
    },
    async messageLinks(messageIds) {
      if (messageIds.length === 0) return [];
      return (await messageLinksQuery(db).where('m.id', 'in', [...messageIds]).execute()).map(linkOf);
    },
    async unlinkedWrongNumberReplies(since, limit) {
      const rows = await db
        .selectFrom('inbound_message as im')
        .select(['im.id', 'im.patient_id', 'im.channel', 'im.provider_message_id'])
        .where('im.review_reason', '=', 'possible-wrong-number')
        .where('im.patient_id', 'is not', null)
        .where('im.received_at', '>=', since)
        // Named by a signal: by its id, or by the carrier's id of the same message (a redelivery stored twice).
        .where((eb) =>
          eb.not(
            eb.exists(
              eb
                .selectFrom('incident_signal as s')
                .select('s.incident_id')
                .where((w) => w.or([w('s.inbound_message_id', '=', w.ref('im.id')), w('s.source_ref', '=', sql<string>`'provider:' || im.channel || ':' || im.provider_message_id`)])),
            ),
          ),
        )
        .orderBy('im.received_at')
        .limit(limit)
        .execute();
      return rows.flatMap((r) => (r.patient_id === null ? [] : [{ inboundId: r.id as InboundMessageId, patientId: r.patient_id as PatientId, channel: r.channel as Channel, providerMessageId: r.provider_message_id }]));
    },
  };
}

/**
 * Contact points suspended by incident response (migration 0016: a table of its own, because a reply from the number
 * clears what carriers said about it, and must not lift a suspension).
 * @param db - the database or a transaction
 * @param cipher - encrypts the re-verification evidence (free text)
 */
export function createSuspensionRepository(db: Kysely<Database>, cipher: FieldCipher): SuspensionStore {
  return {
    async add(s) {
      await db
        .insertInto('contact_point_suspension')
        .values({ id: s.id, patient_id: s.patientId, kind: s.kind, incident_id: s.incidentId, blocks_sending: s.blocksSending, created_at: s.at, created_by: s.by })
        .execute();
    },
    async active(patientIds) {
      const result = new Map<PatientId, ContactPointSuspension[]>();
      if (patientIds.length === 0) return result;
      const rows = await db
        .selectFrom('contact_point_suspension')
        .select(['patient_id', 'kind', 'incident_id', 'blocks_sending'])
        .where('patient_id', 'in', [...patientIds])
        .where('lifted_at', 'is', null)
        .execute();
      for (const r of rows) {
        const list = result.get(r.patient_id as PatientId) ?? [];
        list.push({ kind: r.kind, incidentId: r.incident_id, blocksSending: r.blocks_sending });
        result.set(r.patient_id as PatientId, list);
      }
      return result;
    },
    async lift(patientId, kind, lifted) {
      const r = await db
        .updateTable('contact_point_suspension')
        .set({ lifted_at: lifted.at, lifted_by: lifted.by, lifted_evidence_enc: cipher.encrypt(lifted.evidence) })
        .where('patient_id', '=', patientId)
        .where('kind', '=', kind)
        .where('lifted_at', 'is', null)
        .executeTakeFirst();
      return Number(r.numUpdatedRows);
    },
    async resumeQueued(patientId, channels, at) {
      if (channels.length === 0) return 0;
      const ids = db.selectFrom('message').select('id').where('patient_id', '=', patientId).where('channel', 'in', [...channels]).where('status', '=', 'queued');
      await db.updateTable('message').set({ held_until: null }).where('id', 'in', ids).execute();
      const r = await db.updateTable('outbox').set({ available_at: at }).where('message_id', 'in', ids).executeTakeFirst();
      return Number(r.numUpdatedRows);
    },
  };
}
