import { describe, expect } from 'vitest';
import { test, fc } from '@fast-check/vitest';
import { DomainError } from '../errors.ts';
import {
  BREACH_EXCLUSIONS,
  DECISION_OUTCOMES,
  INCIDENT_STATUSES,
  MITIGATION_KINDS,
  NOTICE_KINDS,
  NOTICE_METHODS,
  allowedCommands,
  applyIncidentCommand,
  newIncidentState,
  type IncidentCommand,
  type IncidentState,
  type IncidentStatus,
  type RiskAssessment,
} from './incident.ts';

// Property tests of the incident state machine (45 CFR 164.400-414; issue 7 "Prove it").

const RANK: Readonly<Record<IncidentStatus, number>> = { draft: 0, open: 1, decided: 2, closed: 3 };
/** The only status changes the procedure knows (a command may also keep the status). */
const MOVES = new Set(['draft>open', 'open>decided', 'draft>decided', 'decided>closed']);

const STATES = ['NY', 'NJ', 'CA'] as const;

const dateArb = fc.oneof(
  { weight: 9, arbitrary: fc.date({ min: new Date('2024-01-01'), max: new Date('2030-12-31'), noInvalidDate: true }) },
  { weight: 1, arbitrary: fc.constant(new Date(Number.NaN)) },
);
const byArb = fc.oneof({ weight: 9, arbitrary: fc.constantFrom('user-1', 'user-2') }, { weight: 1, arbitrary: fc.constantFrom('', '   ', '\t') });
const rationaleArb = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom('The link was never opened and the number was suspended.', '  Reassigned number; the new holder viewed the reminder.  ') },
  { weight: 1, arbitrary: fc.constantFrom('', '   ', 'too short', `${' '.repeat(30)}x`, '1234567890123456789', ' 12345678901234567890 ') },
  { weight: 1, arbitrary: fc.string({ maxLength: 40 }) },
);
const nonBlank = fc.constantFrom('note', 'The secure link was not opened.');
const maybeBlank = fc.oneof({ weight: 8, arbitrary: nonBlank }, { weight: 1, arbitrary: fc.constantFrom('', '  ') });

const assessmentArb: fc.Arbitrary<RiskAssessment> = fc.record({
  natureAndExtent: fc.record({
    contentClasses: fc.oneof({ weight: 8, arbitrary: fc.constant(['appointment']) }, { weight: 1, arbitrary: fc.constant([]) }),
    identifiers: fc.constantFrom([], ['name']),
    note: maybeBlank,
  }),
  recipient: fc.record({ kind: fc.constantFrom('unknown-person', 'other-patient', 'family-member', 'covered-entity', 'business-associate', 'other'), note: maybeBlank }),
  acquiredOrViewed: fc.record({ viewed: fc.constantFrom('yes', 'no', 'unknown'), evidence: maybeBlank }),
  mitigation: fc.record({ note: maybeBlank }),
});

/** Patients p-0 … p-(n-1); sizes around the 500 thresholds. */
const affectedArb = fc.constantFrom(0, 1, 2, 3, 499, 500, 501).map((n) => Array.from({ length: n }, (_, i) => `p-${i}`));
const residentsArb = fc.dictionary(fc.constantFrom(...STATES), fc.constantFrom(0, 3, 500, 501, 900), { maxKeys: 3 });

function commandArb(patients: number): fc.Arbitrary<IncidentCommand> {
  const patientId = fc.oneof(
    { weight: 8, arbitrary: patients === 0 ? fc.constant('p-0') : fc.integer({ min: 0, max: patients - 1 }).map((i) => `p-${i}`) },
    { weight: 1, arbitrary: fc.constant('stranger') },
  );
  const notice = fc.oneof(
    // well-formed notices of each kind
    fc.record({ kind: fc.constant('individual' as const), method: fc.constantFrom('first-class-mail' as const, 'email' as const), at: dateArb, by: byArb, patientId: patientId, state: fc.constant(null) }),
    fc.record({ kind: fc.constant('individual' as const), method: fc.constant('substitute-notice' as const), at: dateArb, by: byArb, patientId: fc.constant(null), state: fc.constant(null) }),
    fc.record({ kind: fc.constant('hhs' as const), method: fc.constant('hhs-portal' as const), at: dateArb, by: byArb, patientId: fc.constant(null), state: fc.constant(null) }),
    fc.record({ kind: fc.constant('annual-log' as const), method: fc.constant('hhs-portal' as const), at: dateArb, by: byArb, patientId: fc.constant(null), state: fc.constant(null) }),
    fc.record({ kind: fc.constant('media' as const), method: fc.constant('media-outlet' as const), at: dateArb, by: byArb, patientId: fc.constant(null), state: fc.constantFrom(...STATES) }),
    // anything
    fc.record({
      kind: fc.constantFrom(...NOTICE_KINDS),
      method: fc.constantFrom(...NOTICE_METHODS),
      at: dateArb,
      by: byArb,
      patientId: fc.option(patientId, { nil: null }),
      state: fc.option(fc.constantFrom(...STATES, 'ZZ'), { nil: null }),
    }),
  );
  return fc.oneof(
    fc.record({ kind: fc.constant('confirm' as const), discoveredAt: dateArb }),
    fc.record({ kind: fc.constant('mitigate' as const), mitigation: fc.record({ kind: fc.constantFrom(...MITIGATION_KINDS), at: dateArb, by: byArb, count: fc.integer({ min: -2, max: 50 }) }) }),
    fc.record({ kind: fc.constant('assess' as const), assessment: assessmentArb }),
    fc.record({ kind: fc.constant('residents' as const), residentsByState: fc.oneof(residentsArb, fc.constant({ zz: 1 }), fc.constant({ CA: -1 })) }),
    {
      weight: 3,
      arbitrary: fc.record({
        kind: fc.constant('decide' as const),
        outcome: fc.constantFrom(...DECISION_OUTCOMES),
        exclusion: fc.option(fc.constantFrom(...BREACH_EXCLUSIONS), { nil: null }),
        rationale: rationaleArb,
        by: byArb,
        at: dateArb,
      }),
    },
    { weight: 4, arbitrary: fc.record({ kind: fc.constant('record-notice' as const), notice }) },
    fc.record({
      kind: fc.constant('delay' as const),
      delay: fc.record({ agency: maybeBlank, until: dateArb, oral: fc.boolean(), by: byArb, at: dateArb }),
    }),
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('close' as const), by: byArb, at: dateArb }) },
  );
}

const GOOD_ASSESSMENT: RiskAssessment = {
  natureAndExtent: { contentClasses: ['appointment'], identifiers: [], note: 'n' },
  recipient: { kind: 'unknown-person', note: 'n' },
  acquiredOrViewed: { viewed: 'unknown', evidence: 'e' },
  mitigation: { note: 'm' },
};

/** The whole procedure for a breach, done right: confirm, mitigate, assess, decide, every notice, close. */
function happyPath(affected: readonly string[], residents: Readonly<Record<string, number>>, outcome: 'breach' | 'low-probability'): IncidentCommand[] {
  const at = new Date('2026-03-03T12:00:00Z');
  const commands: IncidentCommand[] = [
    { kind: 'confirm', discoveredAt: new Date('2026-03-01T12:00:00Z') },
    { kind: 'mitigate', mitigation: { kind: 'links-revoked', at, by: 'u', count: 1 } },
    { kind: 'assess', assessment: GOOD_ASSESSMENT },
    { kind: 'decide', outcome, exclusion: null, rationale: 'A rationale of enough length.', by: 'u', at },
  ];
  if (outcome === 'breach') {
    for (const id of affected.slice(0, 3)) commands.push({ kind: 'record-notice', notice: { kind: 'individual', method: 'first-class-mail', at, by: 'u', patientId: id, state: null } });
    if (affected.length > 3) commands.push({ kind: 'record-notice', notice: { kind: 'individual', method: 'substitute-notice', at, by: 'u', patientId: null, state: null } });
    commands.push({ kind: 'record-notice', notice: { kind: affected.length >= 500 ? 'hhs' : 'annual-log', method: 'hhs-portal', at, by: 'u', patientId: null, state: null } });
    for (const [st, c] of Object.entries(residents)) {
      if (c > 500) commands.push({ kind: 'record-notice', notice: { kind: 'media', method: 'media-outlet', at, by: 'u', patientId: null, state: st } });
    }
  }
  commands.push({ kind: 'close', by: 'u', at });
  return commands;
}

/**
 * A prefix of the right procedure, random commands (valid or not), then the rest of the procedure: random
 * interference at every stage, and many sequences that do reach `closed`.
 */
const scenarioArb = fc.tuple(affectedArb, residentsArb, fc.constantFrom('breach' as const, 'low-probability' as const)).chain(([affected, residents, outcome]) => {
  const happy = happyPath(affected, residents, outcome);
  return fc
    .tuple(fc.integer({ min: 0, max: happy.length }), fc.array(commandArb(affected.length), { maxLength: 30 }), fc.boolean())
    .map(([k, noise, finish]) => [affected, residents, [...happy.slice(0, k), ...noise, ...(finish ? happy.slice(k) : [])]] as const);
});

/** The notices 164.404-164.408 require, computed independently of the module. */
function requiredNoticesRecorded(s: IncidentState): boolean {
  const n = s.notices;
  const individualsDone =
    n.some((x) => x.kind === 'individual' && x.method === 'substitute-notice') ||
    s.affectedPatientIds.every((id) => n.some((x) => x.kind === 'individual' && x.patientId === id));
  const affected = s.affectedPatientIds.length;
  const hhsDone = affected < 500 || n.some((x) => x.kind === 'hhs');
  const logDone = affected >= 500 || n.some((x) => x.kind === 'annual-log');
  const mediaDone = Object.entries(s.residentsByState)
    .filter(([, c]) => c > 500)
    .every(([st]) => n.some((x) => x.kind === 'media' && x.state === st));
  return individualsDone && hhsDone && logDone && mediaDone;
}

function checkInvariants(s: IncidentState): void {
  expect(INCIDENT_STATUSES).toContain(s.status);
  if (s.status === 'open') expect(s.discoveredAt).not.toBeNull();
  if (s.status === 'decided' || s.status === 'closed') {
    expect(s.decision).not.toBeNull();
  }
  if (s.decision !== null) {
    expect(s.decision.by.trim()).not.toBe('');
    expect(s.decision.rationale.trim().length).toBeGreaterThanOrEqual(20);
    expect(s.decision.exclusion !== null).toBe(s.decision.outcome === 'excluded');
    if (s.decision.outcome !== 'not-an-incident') {
      expect(s.assessment).not.toBeNull();
      expect(s.discoveredAt).not.toBeNull();
    }
  }
  if (s.notices.length > 0) expect(s.decision?.outcome).toBe('breach');
  if (s.status === 'closed' && s.decision?.outcome === 'breach') expect(requiredNoticesRecorded(s)).toBe(true);
}

describe('incident state machine properties', () => {
  test.prop([scenarioArb], { numRuns: 400 })(
    'random command sequences never produce an invalid state; rejected commands change nothing',
    ([affected, residents, commands]) => {
      let state = newIncidentState(affected, residents);
      checkInvariants(state);
      for (const command of commands) {
        const before = state;
        const snapshot = structuredClone(before);
        const allowed = allowedCommands(before);
        let next: IncidentState | undefined;
        try {
          next = applyIncidentCommand(before, command);
        } catch (e) {
          expect(e).toBeInstanceOf(DomainError);
          expect(before).toEqual(snapshot);
          continue;
        }
        // closed is terminal; a command that succeeds was listed as allowed
        expect(before.status).not.toBe('closed');
        expect(allowed).toContain(command.kind);
        expect(before).toEqual(snapshot);
        // status only moves forward, along the procedure
        expect(RANK[next.status]).toBeGreaterThanOrEqual(RANK[before.status]);
        if (next.status !== before.status) expect(MOVES.has(`${before.status}>${next.status}`)).toBe(true);
        if (before.status === 'draft' && next.status === 'decided') expect(next.decision?.outcome).toBe('not-an-incident');
        if (next.status === 'closed') expect(before.status).toBe('decided');
        checkInvariants(next);
        state = next;
      }
      if (state.status === 'closed') expect(allowedCommands(state)).toEqual([]);
    },
  );

  test.prop([scenarioArb], { numRuns: 200 })('closed is terminal: every command is refused', ([affected, residents, commands]) => {
    const closed = (['breach', 'not-an-incident'] as const).map((outcome) => {
      let s = newIncidentState(affected, residents);
      s = applyIncidentCommand(s, { kind: 'confirm', discoveredAt: new Date('2026-03-01T12:00:00Z') });
      s = applyIncidentCommand(s, {
        kind: 'assess',
        assessment: {
          natureAndExtent: { contentClasses: ['appointment'], identifiers: [], note: 'n' },
          recipient: { kind: 'unknown-person', note: 'n' },
          acquiredOrViewed: { viewed: 'unknown', evidence: 'e' },
          mitigation: { note: 'm' },
        },
      });
      s = applyIncidentCommand(s, { kind: 'decide', outcome, exclusion: null, rationale: 'A rationale of enough length.', by: 'u', at: new Date('2026-03-02T12:00:00Z') });
      if (outcome === 'breach') {
        const at = new Date('2026-03-03T12:00:00Z');
        s = applyIncidentCommand(s, { kind: 'record-notice', notice: { kind: 'individual', method: 'substitute-notice', at, by: 'u', patientId: null, state: null } });
        s = applyIncidentCommand(s, { kind: 'record-notice', notice: { kind: affected.length >= 500 ? 'hhs' : 'annual-log', method: 'hhs-portal', at, by: 'u', patientId: null, state: null } });
        for (const [st, c] of Object.entries(residents)) {
          if (c > 500) s = applyIncidentCommand(s, { kind: 'record-notice', notice: { kind: 'media', method: 'media-outlet', at, by: 'u', patientId: null, state: st } });
        }
      }
      return applyIncidentCommand(s, { kind: 'close', by: 'u', at: new Date('2026-03-04T12:00:00Z') });
    });
    for (const s of closed) {
      expect(s.status).toBe('closed');
      for (const command of commands) {
        expect(() => applyIncidentCommand(s, command)).toThrow(DomainError);
      }
    }
  });

  test.prop([affectedArb, residentsArb, rationaleArb, byArb])(
    'nothing reaches closed without a decision with a decider and a rationale of 20 characters',
    (affected, residents, rationale, by) => {
      const draft = newIncidentState(affected, residents);
      let decided: IncidentState;
      try {
        decided = applyIncidentCommand(draft, { kind: 'decide', outcome: 'not-an-incident', exclusion: null, rationale, by, at: new Date('2026-01-01') });
      } catch (e) {
        expect(e).toBeInstanceOf(DomainError);
        expect((e as DomainError).code).toBe('INCIDENT_DECISION_INVALID');
        expect(rationale.trim().length < 20 || by.trim() === '').toBe(true);
        expect(() => applyIncidentCommand(draft, { kind: 'close', by: 'u', at: new Date('2026-01-02') })).toThrow(DomainError);
        return;
      }
      expect(rationale.trim().length).toBeGreaterThanOrEqual(20);
      expect(by.trim()).not.toBe('');
      expect(applyIncidentCommand(decided, { kind: 'close', by: 'u', at: new Date('2026-01-02') }).status).toBe('closed');
    },
  );
});
