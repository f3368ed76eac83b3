import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PERMISSIONS as PERMISSIONS_ALL, SEEDED_PERMISSION_SET_NAMES, SEEDED_PERMISSION_SETS, sendPermission, viewPermission, type Permission, type SeededPermissionSetName } from '../src/core/access/permissions.ts';
import { CATEGORIES, type Category } from '../src/core/messaging/channel.ts';
import { givenPatient, givenPrincipal, givenToken, givenWard, grantConsent, mcpCall, sendMessage, TEMPLATE_FOR, type Headers } from './support/builders.ts';
import { givenSecureMessage } from './support/secure-links.ts';
import { createHarness, DATABASES, type Harness } from './support/harness.ts';

/**
 * The access matrix (issue 5, "Prove it"): every seeded permission set × message category × same / other ward ×
 * every endpoint that returns or changes patient data, on every database. The expected outcome of each case is
 * derived from the permission-set definitions (`SEEDED_PERMISSION_SETS`: permissions and orgWide) and the order in
 * which each use case checks (permission, then sharing, or sharing first where the category is only known from the
 * record); a few literal spot checks at the end pin the derivation to what the product promises.
 */

type Ward = 'A' | 'B';
type Where = 'same' | 'other';
type SetName = SeededPermissionSetName;

/** What a case must answer: a status, the problem code of a refusal, and for lists exactly which seeded messages. */
interface Outcome {
  readonly status: number;
  readonly code?: string;
  /** Seeded messages (`<category>.<direct|secure>`, of the target patient) the answer lists, exactly. */
  readonly items?: readonly string[];
  /** The refusal must be recorded as `access.denied` / `denied` with the request's id. */
  readonly audited?: boolean;
}

/** What a case observed. */
interface Observed {
  readonly status: number;
  readonly code?: string;
  readonly ids?: readonly string[];
  readonly requestId?: string;
}

const OTHER: Record<Ward, Ward> = { A: 'B', B: 'A' };
const WARDS: readonly Ward[] = ['A', 'B'];
const WHERES: readonly Where[] = ['same', 'other'];
const KINDS = ['direct', 'secure'] as const;

const FREE_TEXT = 'Please call the clinic about your next visit.';
const SECURE_CONTENT = 'Your lab work is complete; the care team will call.';
const WITHDRAW_WARNING = 'Text messages are not encrypted and others may read them on your phone.';

// ---- The model: what each set may do, from its definition alone ----------------------------------------------

const has = (set: SetName, p: Permission): boolean => (SEEDED_PERMISSION_SETS[set].permissions as readonly Permission[]).includes(p);
const reaches = (set: SetName, where: Where): boolean => SEEDED_PERMISSION_SETS[set].orgWide || where === 'same';
const viewable = (set: SetName): Category[] => CATEGORIES.filter((c) => has(set, viewPermission(c)));
const sendsAny = (set: SetName): boolean => CATEGORIES.some((c) => has(set, sendPermission(c)));
/** The ai_agent set is held by an AI agent principal (`POST /v1/agents`); every other set by a user. */
const isAgent = (set: SetName): boolean => set === 'ai_agent';

const ok = (status: number, items?: readonly string[]): Outcome => ({ status, ...(items === undefined ? {} : { items }) });
const denied: Outcome = { status: 403, code: 'ACCESS_DENIED', audited: true };
const hidden: Outcome = { status: 404, code: 'NOT_FOUND', audited: true };

/** Seeded messages (`<category>.<kind>`) of a read patient whose category the set may view. */
function seededOf(set: SetName): string[] {
  return viewable(set).flatMap((c) => KINDS.map((k) => `${c}.${k}`));
}

/** A permission check first (403), then sharing (404): the use cases that name the permission up front. */
const permissionThenSharing = (permitted: boolean, set: SetName, where: Where, success: Outcome): Outcome => (!permitted ? denied : !reaches(set, where) ? hidden : success);
/** Sharing first (404), then the permission the record decides (403): sends by template. */
const sharingThenPermission = (permitted: boolean, set: SetName, where: Where, success: Outcome): Outcome => (!reaches(set, where) ? hidden : !permitted ? denied : success);
/** Reading a message needs its category's view permission and the patient; either missing answers 404. */
const recordVisible = (set: SetName, where: Where, c: Category): Outcome => (has(set, viewPermission(c)) && reaches(set, where) ? ok(200) : hidden);
/** Consent state is shown to holders of consent.manage or of any send permission (src/app/consents.ts). */
const readsConsent = (set: SetName): boolean => has(set, 'consent.manage') || sendsAny(set);
/** Searching patients by phone needs patient.manage or any send permission (src/app/patients.ts). */
const searches = (set: SetName): boolean => has(set, 'patient.manage') || sendsAny(set);
const freeText = (set: SetName, where: Where, c: Category, success: number): Outcome =>
  isAgent(set) ? { status: 403, code: 'AGENT_FREE_TEXT_FORBIDDEN' } : permissionThenSharing(has(set, sendPermission(c)), set, where, ok(success));

// ---- The world each case runs against ------------------------------------------------------------------------

interface World {
  readonly h: Harness;
  readonly ward: Record<Ward, string>;
  /** Per ward: a patient with one direct and one secure message per category (read cases). */
  readonly readPatient: Record<Ward, string>;
  /** The read patients' phone numbers (for the search by phone). */
  readonly readPhone: Record<Ward, string>;
  /** Per ward: a patient that the changing cases write to (sends, consent, PHI preferences). */
  readonly writePatient: Record<Ward, string>;
  /** Seeded message id by key `<ward>.<category>.<direct|secure>`. */
  readonly messages: Map<string, string>;
  readonly keyOf: Map<string, string>;
  readonly principal: Map<string, { id: string; headers: Headers }>;
  /** Messages created before this instant are the seeded ones. */
  readonly cutoff: string;
}

interface Endpoint {
  readonly name: string;
  readonly perCategory: boolean;
  readonly expect: (set: SetName, where: Where, c: Category) => Outcome;
  readonly run: (w: World, who: { id: string; headers: Headers }, target: Ward, c: Category) => Promise<Observed>;
}

function observed(res: LightMyRequestResponse, keys?: (body: unknown) => string[]): Observed {
  const body = res.statusCode === 204 ? {} : res.json<Record<string, unknown>>();
  const instance = typeof body['instance'] === 'string' ? body['instance'].replace('urn:uuid:', '') : undefined;
  return {
    status: res.statusCode,
    ...(typeof body['code'] === 'string' ? { code: body['code'] } : {}),
    ...(instance === undefined ? {} : { requestId: instance }),
    ...(keys !== undefined && res.statusCode === 200 ? { ids: keys(body) } : {}),
  };
}

async function tool(w: World, headers: Headers, name: string, args: Record<string, unknown>, keys?: (body: Record<string, unknown>) => string[]): Promise<Observed> {
  const result = await mcpCall(w.h, headers, name, args);
  const s = result.structuredContent ?? {};
  if (result.isError === true) {
    return { status: Number(s['status']), code: String(s['code']), ...(typeof s['instance'] === 'string' ? { requestId: s['instance'].replace('urn:uuid:', '') } : {}) };
  }
  return { status: 200, ...(keys === undefined ? {} : { ids: keys(s) }) };
}

const itemKeys = (w: World) => (body: unknown): string[] =>
  ((body as { items: { id: string }[] }).items ?? []).map((i) => w.keyOf.get(i.id) ?? `unseeded:${i.id}`).sort();
const patientKeys = (w: World) => (body: unknown): string[] =>
  ((body as { patients: { id: string }[] }).patients ?? []).map((i) => w.keyOf.get(i.id) ?? `unseeded:${i.id}`).sort();

function templateArgs(c: Category): { id: string; params: Record<string, string> } {
  return TEMPLATE_FOR[c];
}

const ENDPOINTS: readonly Endpoint[] = [
  {
    name: 'GET /v1/patients/{id}',
    perCategory: false,
    expect: (set, where) => (reaches(set, where) ? ok(200) : hidden),
    run: async (w, who, t) => observed(await w.h.app.inject({ method: 'GET', url: `/v1/patients/${w.readPatient[t]}`, headers: who.headers })),
  },
  {
    name: 'POST /v1/patients/search (by phone)',
    perCategory: false,
    // Patients outside the caller's sharing are simply not found.
    expect: (set, where) => (!searches(set) ? denied : ok(200, reaches(set, where) ? ['patient'] : [])),
    run: async (w, who, t) => observed(await w.h.app.inject({ method: 'POST', url: '/v1/patients/search', headers: who.headers, payload: { phone: w.readPhone[t] } }), itemKeys(w)),
  },
  {
    name: 'GET /v1/patients/{id}/consents',
    perCategory: false,
    expect: (set, where) => permissionThenSharing(readsConsent(set), set, where, ok(200)),
    run: async (w, who, t) => observed(await w.h.app.inject({ method: 'GET', url: `/v1/patients/${w.readPatient[t]}/consents`, headers: who.headers })),
  },
  {
    name: 'POST /v1/patients/{id}/consents',
    perCategory: false,
    expect: (set, where) => permissionThenSharing(has(set, 'consent.manage'), set, where, ok(201)),
    run: async (w, who, t) =>
      observed(
        await w.h.app.inject({
          method: 'POST',
          url: `/v1/patients/${w.writePatient[t]}/consents`,
          headers: who.headers,
          payload: { channel: 'sms', status: 'granted', source: 'intake_form', evidence: { wordingShown: 'I agree to texts' } },
        }),
      ),
  },
  {
    name: 'GET /v1/patients/{id}/phi-preferences',
    perCategory: false,
    expect: (set, where) => permissionThenSharing(has(set, 'consent.manage'), set, where, ok(200)),
    run: async (w, who, t) => observed(await w.h.app.inject({ method: 'GET', url: `/v1/patients/${w.readPatient[t]}/phi-preferences`, headers: who.headers })),
  },
  {
    name: 'POST /v1/patients/{id}/phi-preferences',
    perCategory: false,
    expect: (set, where) => permissionThenSharing(has(set, 'consent.manage'), set, where, ok(201)),
    run: async (w, who, t) =>
      observed(
        await w.h.app.inject({
          method: 'POST',
          url: `/v1/patients/${w.writePatient[t]}/phi-preferences`,
          headers: who.headers,
          payload: { channel: 'sms', status: 'withdrawn', warningText: WITHDRAW_WARNING, source: 'staff' },
        }),
      ),
  },
  {
    name: 'POST /v1/patients (into the ward)',
    perCategory: false,
    // Placing a patient is not a read of someone's record: refused with 403 (audited as a denial).
    expect: (set, where) => (!has(set, 'patient.manage') ? denied : !reaches(set, where) ? denied : ok(201)),
    run: async (w, who, t) =>
      observed(
        await w.h.app.inject({
          method: 'POST',
          url: '/v1/patients',
          headers: who.headers,
          payload: { givenName: 'Grace', familyName: 'Hopper', birthDate: '1970-01-01', phone: '+14155550100', wardId: w.ward[t] },
        }),
      ),
  },
  {
    name: 'GET /v1/messages?patientId=',
    perCategory: false,
    // Another ward's patient named in the filter answers like an unknown id, audited, as the patient by id does.
    expect: (set, where) => permissionThenSharing(viewable(set).length > 0, set, where, ok(200, seededOf(set))),
    run: async (w, who, t) => observed(await w.h.app.inject({ method: 'GET', url: `/v1/messages?patientId=${w.readPatient[t]}`, headers: who.headers }), itemKeys(w)),
  },
  {
    name: 'GET /v1/messages/{id} (direct)',
    perCategory: true,
    expect: recordVisible,
    run: async (w, who, t, c) => observed(await w.h.app.inject({ method: 'GET', url: `/v1/messages/${w.messages.get(`${t}.${c}.direct`) ?? ''}`, headers: who.headers })),
  },
  {
    name: 'GET /v1/messages/{id} (secure)',
    perCategory: true,
    expect: recordVisible,
    run: async (w, who, t, c) => observed(await w.h.app.inject({ method: 'GET', url: `/v1/messages/${w.messages.get(`${t}.${c}.secure`) ?? ''}`, headers: who.headers })),
  },
  {
    name: 'GET /v1/messages/{id}/secure-link',
    perCategory: true,
    expect: recordVisible,
    run: async (w, who, t, c) => observed(await w.h.app.inject({ method: 'GET', url: `/v1/messages/${w.messages.get(`${t}.${c}.secure`) ?? ''}/secure-link`, headers: who.headers })),
  },
  {
    name: 'POST /v1/messages/{id}/secure-link/revoke',
    perCategory: true,
    expect: recordVisible,
    run: async (w, who, t, c) =>
      observed(await w.h.app.inject({ method: 'POST', url: `/v1/messages/${w.messages.get(`${t}.${c}.secure`) ?? ''}/secure-link/revoke`, headers: who.headers, payload: { reason: 'other' } })),
  },
  {
    name: 'POST /v1/messages/check (free text)',
    perCategory: true,
    expect: (set, where, c) => freeText(set, where, c, 200),
    run: async (w, who, t, c) =>
      observed(await w.h.app.inject({ method: 'POST', url: '/v1/messages/check', headers: who.headers, payload: { patientId: w.writePatient[t], channel: 'sms', category: c, body: FREE_TEXT } })),
  },
  {
    name: 'POST /v1/messages (free text)',
    perCategory: true,
    expect: (set, where, c) => freeText(set, where, c, 202),
    run: async (w, who, t, c) => observed(await sendMessage(w.h, { patientId: w.writePatient[t], category: c, body: FREE_TEXT, headers: who.headers })),
  },
  {
    name: 'POST /v1/messages (template)',
    perCategory: true,
    expect: (set, where, c) => sharingThenPermission(has(set, sendPermission(c)), set, where, ok(202)),
    run: async (w, who, t, c) =>
      observed(await w.h.app.inject({ method: 'POST', url: '/v1/messages', headers: who.headers, payload: { patientId: w.writePatient[t], channel: 'sms', template: templateArgs(c) } })),
  },
  {
    name: 'MCP find_patient',
    perCategory: false,
    // getPatient (sharing) first, then the consent overview (permission).
    expect: (set, where) => (!reaches(set, where) ? hidden : !readsConsent(set) ? denied : ok(200)),
    run: async (w, who, t) => tool(w, who.headers, 'find_patient', { patientId: w.readPatient[t] }),
  },
  {
    name: 'MCP search_patients',
    perCategory: false,
    // Each patient found is summarised with its consent state, which needs readsConsent.
    expect: (set, where) => (!searches(set) ? denied : !reaches(set, where) ? ok(200, []) : !readsConsent(set) ? denied : ok(200, ['patient'])),
    run: async (w, who, t) => tool(w, who.headers, 'search_patients', { phone: w.readPhone[t] }, patientKeys(w)),
  },
  {
    name: 'MCP check_consent',
    perCategory: false,
    expect: (set, where) => permissionThenSharing(readsConsent(set), set, where, ok(200)),
    run: async (w, who, t) => tool(w, who.headers, 'check_consent', { patientId: w.readPatient[t] }),
  },
  {
    name: 'MCP read_conversation',
    perCategory: false,
    expect: (set, where) =>
      viewable(set).length === 0 ? { status: 403, code: 'ACCESS_DENIED' } : !reaches(set, where) ? hidden : ok(200, [...seededOf(set), 'reply']),
    run: async (w, who, t) => tool(w, who.headers, 'read_conversation', { patientId: w.readPatient[t], limit: 50 }, itemKeys(w)),
  },
  {
    name: 'MCP check_message',
    perCategory: true,
    expect: (set, where, c) => sharingThenPermission(has(set, sendPermission(c)), set, where, ok(200)),
    run: async (w, who, t, c) => tool(w, who.headers, 'check_message', { patientId: w.writePatient[t], channel: 'sms', template: templateArgs(c).id, params: templateArgs(c).params }),
  },
  {
    name: 'MCP send_template',
    perCategory: true,
    expect: (set, where, c) => sharingThenPermission(has(set, sendPermission(c)), set, where, ok(200)),
    run: async (w, who, t, c) => tool(w, who.headers, 'send_template', { patientId: w.writePatient[t], channel: 'sms', template: templateArgs(c).id, params: templateArgs(c).params }),
  },
];

/** The named cases: the principal's set and ward, the endpoint, the category, and whose patient. */
interface Case {
  readonly label: string;
  readonly set: SetName;
  readonly home: Ward;
  readonly where: Where;
  readonly category: Category;
  readonly endpoint: Endpoint;
}

const CASES: Case[] = SEEDED_PERMISSION_SET_NAMES.flatMap((set) =>
  WARDS.flatMap((home) =>
    ENDPOINTS.flatMap((endpoint) =>
      WHERES.flatMap((where) =>
        (endpoint.perCategory ? CATEGORIES : (['clinical'] as const)).map((category) => ({
          label: `${set} (ward ${home}) · ${endpoint.name}${endpoint.perCategory ? ` · ${category}` : ''} · ${where}-ward patient`,
          set,
          home,
          where,
          category,
          endpoint,
        })),
      ),
    ),
  ),
);

/** The message list without a patient filter: every seeded message the set may view, of the wards it reaches. */
const LIST_CASES = SEEDED_PERMISSION_SET_NAMES.flatMap((set) => WARDS.map((home) => ({ label: `${set} (ward ${home}) · GET /v1/messages (all)`, set, home })));

const principalKey = (set: SetName, ward: Ward): string => `${set}.${ward}`;

describe.each(DATABASES)('access matrix (%s)', (database) => {
  let w: World;
  /** Whether the seeded replies wait in the review queue (they are filtered by it). */
  let needsReview = true;

  beforeAll(async () => {
    const h = await createHarness(database, { WARDLINE_AGENT_SENDS_PER_MINUTE: '10000' });
    const ward = { A: await givenWard(h, 'Ward A'), B: await givenWard(h, 'Ward B') };
    const readPatient = {} as Record<Ward, string>;
    const readPhone = {} as Record<Ward, string>;
    const writePatient = {} as Record<Ward, string>;
    const messages = new Map<string, string>();
    for (const wd of WARDS) {
      for (const target of [readPatient, writePatient]) {
        const p = await givenPatient(h, { wardId: ward[wd], consent: ['sms'] });
        expect((await grantConsent(h, p.id, 'sms', 'intake_form', 'billing')).statusCode).toBe(201);
        target[wd] = p.id;
        if (target === readPatient) readPhone[wd] = p.phone;
      }
      for (const c of CATEGORIES) {
        const sent = await sendMessage(h, { patientId: readPatient[wd], category: c, body: FREE_TEXT });
        expect(sent.statusCode, sent.body).toBe(202);
        messages.set(`${wd}.${c}.direct`, sent.json<{ id: string }>().id);
        messages.set(`${wd}.${c}.secure`, (await givenSecureMessage(h, readPatient[wd], SECURE_CONTENT, { category: c })).messageId);
      }
    }
    // A reply from each read patient: the review queue and the conversation show it to those who see the patient.
    const replies = new Map<string, string>();
    for (const wd of WARDS) {
      const res = await h.app.inject({ method: 'POST', url: '/v1/simulator/inbound', payload: { from: readPhone[wd], channel: 'sms', body: 'Thanks, see you then' } });
      expect(res.statusCode).toBe(202);
      const rows = await h.container.database.db.selectFrom('inbound_message').select(['id', 'needs_review']).where('patient_id', '=', readPatient[wd]).execute();
      expect(rows).toHaveLength(1);
      replies.set(`${wd}.reply`, rows[0]?.id ?? '');
      needsReview = rows[0]?.needs_review ?? true;
    }
    const principal = new Map<string, { id: string; headers: Headers }>();
    for (const set of SEEDED_PERMISSION_SET_NAMES) {
      for (const wd of WARDS) {
        principal.set(principalKey(set, wd), await givenPrincipal(h, { kind: isAgent(set) ? 'agent' : 'user', name: `${set}.${wd.toLowerCase()}`, permissionSets: [set], wardIds: [ward[wd]] }));
      }
    }
    await new Promise((r) => setTimeout(r, 5));
    const keyOf = new Map([...[...messages, ...replies].map(([k, v]) => [v, k] as const), ...WARDS.map((wd) => [readPatient[wd], `${wd}.patient`] as const)]);
    w = { h, ward, readPatient, readPhone, writePatient, messages, keyOf, principal, cutoff: new Date().toISOString() };
  });

  afterAll(async () => {
    await w?.h.close();
  });

  it.each(CASES)('$label', async ({ set, home, where, category, endpoint }) => {
    const who = w.principal.get(principalKey(set, home));
    if (who === undefined) throw new Error('no principal');
    const target = where === 'same' ? home : OTHER[home];
    const want = endpoint.expect(set, where, category);
    const got = await endpoint.run(w, who, target, category);
    const wantItems = want.items?.map((k) => `${target}.${k}`).sort();
    expect({ status: got.status, code: got.code, ids: got.ids }).toEqual({
      status: want.status,
      code: want.code,
      ids: wantItems,
    });
    if (want.audited === true) {
      expect(got.requestId).toBeDefined();
      const rows = await w.h.container.database.db
        .selectFrom('audit_event')
        .select(['actor_id', 'outcome', 'action'])
        .where('request_id', '=', got.requestId ?? '')
        .where('action', '=', 'access.denied')
        .execute();
      expect(rows).toContainEqual({ actor_id: who.id, outcome: 'denied', action: 'access.denied' });
    }
  });

  it.each(LIST_CASES)('$label', async ({ set, home }) => {
    const who = w.principal.get(principalKey(set, home));
    if (who === undefined) throw new Error('no principal');
    const res = await w.h.app.inject({ method: 'GET', url: `/v1/messages?to=${encodeURIComponent(w.cutoff)}&limit=500`, headers: who.headers });
    if (viewable(set).length === 0) {
      expect(res.statusCode).toBe(403);
      expect(res.json<{ code: string }>().code).toBe('ACCESS_DENIED');
      return;
    }
    expect(res.statusCode).toBe(200);
    const want = WARDS.filter((wd) => reaches(set, wd === home ? 'same' : 'other')).flatMap((wd) => viewable(set).flatMap((c) => KINDS.map((k) => `${wd}.${c}.${k}`)));
    expect(itemKeys(w)(res.json())).toEqual(want.sort());
  });

  it.each(LIST_CASES.map((c) => ({ ...c, label: c.label.replace('GET /v1/messages (all)', 'GET /v1/inbound (review queue)') })))('$label', async ({ set, home }) => {
    const who = w.principal.get(principalKey(set, home));
    if (who === undefined) throw new Error('no principal');
    const res = await w.h.app.inject({ method: 'GET', url: `/v1/inbound?needsReview=${String(needsReview)}&limit=500`, headers: who.headers });
    if (!has(set, 'consent.manage')) {
      expect(res.statusCode).toBe(403);
      expect(res.json<{ code: string }>().code).toBe('ACCESS_DENIED');
      return;
    }
    expect(res.statusCode).toBe(200);
    const want = WARDS.filter((wd) => reaches(set, wd === home ? 'same' : 'other')).map((wd) => `${wd}.reply`);
    expect(itemKeys(w)(res.json())).toEqual(want.sort());
  });

  // ---- Spot checks: the derivation above must agree with what the product promises, in plain words. -------------

  const as = (set: SetName, ward: Ward): Headers => {
    const who = w.principal.get(principalKey(set, ward));
    if (who === undefined) throw new Error('no principal');
    return who.headers;
  };
  const messageStatus = async (set: SetName, ward: Ward, key: string): Promise<number> =>
    (await w.h.app.inject({ method: 'GET', url: `/v1/messages/${w.messages.get(key) ?? ''}`, headers: as(set, ward) })).statusCode;
  const listed = async (set: SetName, ward: Ward, patientWard: Ward): Promise<string[]> =>
    itemKeys(w)((await w.h.app.inject({ method: 'GET', url: `/v1/messages?patientId=${w.readPatient[patientWard]}`, headers: as(set, ward) })).json());

  it('spot check: a nurse sees her own ward\'s clinical messages, not another ward\'s', async () => {
    expect(await messageStatus('nurse', 'A', 'A.clinical.direct')).toBe(200);
    expect(await messageStatus('nurse', 'A', 'B.clinical.direct')).toBe(404);
    expect(await listed('nurse', 'A', 'A')).toEqual(['A.administrative.direct', 'A.administrative.secure', 'A.clinical.direct', 'A.clinical.secure']);
    expect(await listed('nurse', 'A', 'B')).toEqual([]);
    expect((await w.h.app.inject({ method: 'GET', url: `/v1/patients/${w.readPatient.B}`, headers: as('nurse', 'A') })).statusCode).toBe(404);
  });

  it('spot check: a billing clerk sees billing messages (every ward), never clinical ones', async () => {
    expect(await messageStatus('billing_clerk', 'A', 'A.billing.direct')).toBe(200);
    expect(await messageStatus('billing_clerk', 'A', 'B.billing.direct')).toBe(200);
    expect(await messageStatus('billing_clerk', 'A', 'A.clinical.direct')).toBe(404);
    expect(await listed('billing_clerk', 'A', 'B')).toEqual(['B.billing.direct', 'B.billing.secure']);
  });

  it('spot check: the front desk sees administrative messages only', async () => {
    expect(await listed('front_desk', 'A', 'A')).toEqual(['A.administrative.direct', 'A.administrative.secure']);
    expect(await messageStatus('front_desk', 'A', 'A.clinical.secure')).toBe(404);
    expect(await messageStatus('front_desk', 'A', 'A.billing.direct')).toBe(404);
  });

  it('spot check: an AI agent is limited to administrative messages, templates only, in its own ward', async () => {
    const agent = as('ai_agent', 'A');
    expect(await listed('ai_agent', 'A', 'A')).toEqual(['A.administrative.direct', 'A.administrative.secure']);
    expect(await messageStatus('ai_agent', 'A', 'A.clinical.direct')).toBe(404);
    const freeText = await sendMessage(w.h, { patientId: w.writePatient.A, category: 'administrative', body: FREE_TEXT, headers: agent });
    expect(freeText.json<{ code: string }>().code).toBe('AGENT_FREE_TEXT_FORBIDDEN');
    expect((await mcpCall(w.h, agent, 'send_template', { patientId: w.writePatient.A, channel: 'sms', template: 'results_ready', params: TEMPLATE_FOR.clinical.params })).structuredContent).toMatchObject({ code: 'ACCESS_DENIED' });
    expect((await mcpCall(w.h, agent, 'send_template', { patientId: w.writePatient.B, channel: 'sms', template: 'appointment_reminder', params: TEMPLATE_FOR.administrative.params })).structuredContent).toMatchObject({ code: 'NOT_FOUND' });
    expect((await mcpCall(w.h, agent, 'send_template', { patientId: w.writePatient.A, channel: 'sms', template: 'appointment_reminder', params: TEMPLATE_FOR.administrative.params })).isError).toBeFalsy();
  });

  // ---- Gaps the matrix found, since fixed. ----------------------------------------------------------------------

  it('records a message list refused for lack of any view permission as access.denied (src/app/messages.ts listMessages)', async () => {
    const res = await w.h.app.inject({ method: 'GET', url: '/v1/messages', headers: as('security_officer', 'A') });
    expect(res.statusCode).toBe(403);
    const requestId = res.json<{ instance: string }>().instance.replace('urn:uuid:', '');
    const rows = await w.h.container.database.db.selectFrom('audit_event').select('action').where('request_id', '=', requestId).execute();
    expect(rows.map((r) => r.action)).toContain('access.denied');
  });

  it('records a message list filtered by another ward\'s patient as a denied attempt, answered like an unknown id (src/app/messages.ts listMessages)', async () => {
    const who = w.principal.get(principalKey('nurse', 'A'));
    const denials = async (): Promise<number> =>
      (
        await w.h.container.database.db
          .selectFrom('audit_event')
          .select('id')
          .where('actor_id', '=', who?.id ?? '')
          .where('patient_id', '=', w.readPatient.B)
          .where('action', '=', 'access.denied')
          .execute()
      ).length;
    const before = await denials();
    const res = await w.h.app.inject({ method: 'GET', url: `/v1/messages?patientId=${w.readPatient.B}`, headers: as('nurse', 'A') });
    expect(res.statusCode).toBe(404);
    expect(res.json<{ code: string }>().code).toBe('NOT_FOUND');
    expect(await denials()).toBeGreaterThan(before);
  });

  // ---- Bad input around access: clear errors, nothing changed. -------------------------------------------------

  describe('bad input around access', () => {
    interface Problem {
      code: string;
      errors?: { pointer: string; message: string }[];
    }
    const principalRow = (id: string) =>
      w.h.container.database.db.selectFrom('principal').select(['permission_sets', 'ward_ids', 'display_name']).where('id', '=', id).executeTakeFirstOrThrow();
    const setsListed = async (): Promise<{ name: string; permissions: string[]; orgWide: boolean }[]> =>
      (await w.h.app.inject({ method: 'GET', url: '/v1/permission-sets', headers: w.h.admin })).json<{ items: { name: string; permissions: string[]; orgWide: boolean }[] }>().items;

    it.each(['users', 'agents'] as const)('PATCH /v1/%s/{id} naming an unknown permission set: 400 at the field, nothing changed', async (collection) => {
      const who = w.principal.get(principalKey(collection === 'users' ? 'nurse' : 'ai_agent', 'A'));
      if (who === undefined) throw new Error('no principal');
      const before = await principalRow(who.id);
      const res = await w.h.app.inject({ method: 'PATCH', url: `/v1/${collection}/${who.id}`, headers: w.h.admin, payload: { permissionSets: ['administrator', 'no_such_set'], wardIds: [w.ward.B], displayName: 'Changed' } });
      expect(res.statusCode).toBe(400);
      const p = res.json<Problem>();
      expect(p.code).toBe('VALIDATION_FAILED');
      expect(p.errors?.map((e) => e.pointer)).toEqual(['/body/permissionSets/1']);
      expect(await principalRow(who.id)).toEqual(before);
      // Its access is what it was: the other ward's patient is still hidden.
      expect((await w.h.app.inject({ method: 'GET', url: `/v1/patients/${w.readPatient.B}`, headers: who.headers })).statusCode).toBe(404);
    });

    it.each(['users', 'agents'] as const)('POST /v1/%s naming an unknown permission set: 400 at the field, no principal created', async (collection) => {
      const count = async () => Number((await w.h.container.database.db.selectFrom('principal').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
      const before = await count();
      const res = await w.h.app.inject({
        method: 'POST',
        url: `/v1/${collection}`,
        headers: w.h.admin,
        payload: { ...(collection === 'users' ? { username: 'ghost.user' } : {}), displayName: 'Ghost', permissionSets: ['no_such_set'], wardIds: [w.ward.A] },
      });
      expect(res.statusCode).toBe(400);
      expect(res.json<Problem>()).toMatchObject({ code: 'VALIDATION_FAILED', errors: [{ pointer: '/body/permissionSets/0' }] });
      expect(await count()).toBe(before);
    });

    it('POST and PUT /v1/permission-sets with an unknown permission: 400 at the field, nothing stored or changed', async () => {
      const created = await w.h.app.inject({ method: 'POST', url: '/v1/permission-sets', headers: w.h.admin, payload: { name: 'bad_set', label: 'Bad', permissions: ['message.view.clinical', 'message.delete.all'] } });
      expect(created.statusCode).toBe(400);
      expect(created.json<Problem>().code).toBe('VALIDATION_FAILED');
      expect(created.json<Problem>().errors?.map((e) => e.pointer)).toContain('/body/permissions/1');
      expect((await setsListed()).map((s) => s.name)).not.toContain('bad_set');

      const ok1 = await w.h.app.inject({ method: 'POST', url: '/v1/permission-sets', headers: w.h.admin, payload: { name: 'good_set', label: 'Good', permissions: ['message.view.billing'] } });
      expect(ok1.statusCode).toBe(201);
      const put = await w.h.app.inject({ method: 'PUT', url: '/v1/permission-sets/good_set', headers: w.h.admin, payload: { label: 'Good', permissions: ['message.view.billing', 'everything'], orgWide: true } });
      expect(put.statusCode).toBe(400);
      expect(put.json<Problem>().errors?.map((e) => e.pointer)).toContain('/body/permissions/1');
      expect((await setsListed()).find((s) => s.name === 'good_set')).toMatchObject({ permissions: ['message.view.billing'], orgWide: false });

      const token = await w.h.app.inject({ method: 'POST', url: '/v1/tokens', headers: w.h.admin, payload: { principalId: w.principal.get(principalKey('nurse', 'A'))?.id, scopes: ['message.delete.all'] } });
      expect(token.statusCode).toBe(400);
      expect(token.json<Problem>().errors?.map((e) => e.pointer)).toContain('/body/scopes/0');
    });

    it('PUT /v1/permission-sets/nurse: 409 PERMISSION_SET_SEEDED, the nurse set unchanged', async () => {
      const res = await w.h.app.inject({ method: 'PUT', url: '/v1/permission-sets/nurse', headers: w.h.admin, payload: { label: 'Nurse', permissions: [...PERMISSIONS_ALL], orgWide: true } });
      expect(res.statusCode).toBe(409);
      expect(res.json<Problem>().code).toBe('PERMISSION_SET_SEEDED');
      expect((await setsListed()).find((s) => s.name === 'nurse')).toMatchObject({ permissions: [...SEEDED_PERMISSION_SETS.nurse.permissions], orgWide: false });
      expect(await messageStatus('nurse', 'A', 'B.clinical.direct')).toBe(404);
    });

    it('a token scoped to message.view.administrative is refused sends and clinical reads; the unscoped token of the same user is not', async () => {
      const nurse = w.principal.get(principalKey('nurse', 'A'));
      if (nurse === undefined) throw new Error('no principal');
      const scoped = await givenToken(w.h, nurse.id, ['message.view.administrative']);
      for (const c of ['clinical', 'administrative'] as const) {
        const send = await sendMessage(w.h, { patientId: w.writePatient.A, category: c, body: FREE_TEXT, headers: scoped });
        expect(send.statusCode).toBe(403);
        expect(send.json<Problem>().code).toBe('ACCESS_DENIED');
        expect((await sendMessage(w.h, { patientId: w.writePatient.A, category: c, body: FREE_TEXT, headers: nurse.headers })).statusCode).toBe(202);
      }
      const template = await w.h.app.inject({ method: 'POST', url: '/v1/messages', headers: scoped, payload: { patientId: w.writePatient.A, channel: 'sms', template: TEMPLATE_FOR.clinical } });
      expect(template.json<Problem>()).toMatchObject({ code: 'ACCESS_DENIED' });
      // A clinical message by id: refused like an unknown id (a category the caller may not view answers 404).
      const read = await w.h.app.inject({ method: 'GET', url: `/v1/messages/${w.messages.get('A.clinical.direct') ?? ''}`, headers: scoped });
      expect(read.statusCode).toBe(404);
      expect(read.json<Problem>().code).toBe('NOT_FOUND');
      expect((await w.h.app.inject({ method: 'GET', url: `/v1/messages/${w.messages.get('A.clinical.direct') ?? ''}`, headers: nurse.headers })).statusCode).toBe(200);
      // Lists and conversations through the scoped token leave clinical messages out.
      const list = await w.h.app.inject({ method: 'GET', url: `/v1/messages?patientId=${w.readPatient.A}`, headers: scoped });
      expect(itemKeys(w)(list.json())).toEqual(['A.administrative.direct', 'A.administrative.secure']);
      const convo = await mcpCall(w.h, scoped, 'read_conversation', { patientId: w.readPatient.A, limit: 50 });
      expect(itemKeys(w)(convo.structuredContent)).toEqual(['A.administrative.direct', 'A.administrative.secure', 'A.reply']);
      const full = await mcpCall(w.h, nurse.headers, 'read_conversation', { patientId: w.readPatient.A, limit: 50 });
      expect(itemKeys(w)(full.structuredContent)).toEqual(['A.administrative.direct', 'A.administrative.secure', 'A.clinical.direct', 'A.clinical.secure', 'A.reply']);
    });

    it('a custom permission set created through the API governs access once assigned, and a change to it applies at the next request', async () => {
      const created = await w.h.app.inject({ method: 'POST', url: '/v1/permission-sets', headers: w.h.admin, payload: { name: 'ward_billing', label: 'Ward billing', permissions: ['message.view.billing'], orgWide: false } });
      expect(created.statusCode).toBe(201);
      const user = await givenPrincipal(w.h, { kind: 'user', name: 'ward.billing.a', permissionSets: ['ward_billing'], wardIds: [w.ward.A] });
      const list = async (): Promise<string[]> => itemKeys(w)((await w.h.app.inject({ method: 'GET', url: `/v1/messages?to=${encodeURIComponent(w.cutoff)}&limit=500`, headers: user.headers })).json());
      expect(await list()).toEqual(['A.billing.direct', 'A.billing.secure']);
      expect((await sendMessage(w.h, { patientId: w.writePatient.A, category: 'billing', body: FREE_TEXT, headers: user.headers })).statusCode).toBe(403);
      const put = await w.h.app.inject({ method: 'PUT', url: '/v1/permission-sets/ward_billing', headers: w.h.admin, payload: { label: 'Ward billing', permissions: ['message.view.billing', 'message.view.clinical'], orgWide: true } });
      expect(put.statusCode).toBe(200);
      expect(await list()).toEqual(['A.billing.direct', 'A.billing.secure', 'A.clinical.direct', 'A.clinical.secure', 'B.billing.direct', 'B.billing.secure', 'B.clinical.direct', 'B.clinical.secure']);
    });
  });
});
