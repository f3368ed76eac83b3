import { describe, expect, it } from 'vitest';
import { DomainError } from '../errors.ts';
import { parseRiskAssessment, suggestOutcome } from './assessment.ts';
import { computeDeadlines, daysLeft, dueReminders, endOfLocalDay, type Deadline, type DeadlineInput } from './deadlines.ts';
import {
  allowedCommands,
  applyIncidentCommand,
  mediaStates,
  newIncidentState,
  outstandingNotices,
  type IncidentCommand,
  type IncidentState,
  type Mitigation,
  type RiskAssessment,
} from './incident.ts';
import { domainErrorOf } from '../testing/domain-error.ts';

const AT = new Date('2026-11-15T15:00:00Z');
const RATIONALE = 'The message reached a stranger who did not open the secure link.';

const ASSESSMENT: RiskAssessment = {
  natureAndExtent: { contentClasses: ['appointment'], identifiers: ['name'], note: 'First name and appointment time.' },
  recipient: { kind: 'unknown-person', note: 'Reassigned number, unknown holder.' },
  acquiredOrViewed: { viewed: 'no', evidence: 'The secure link was never opened.' },
  mitigation: { note: 'Links revoked, number suspended.' },
};

function run(state: IncidentState, ...commands: IncidentCommand[]): IncidentState {
  return commands.reduce(applyIncidentCommand, state);
}

const confirm: IncidentCommand = { kind: 'confirm', discoveredAt: AT };
const assess: IncidentCommand = { kind: 'assess', assessment: ASSESSMENT };
const decideBreach: IncidentCommand = { kind: 'decide', outcome: 'breach', exclusion: null, rationale: RATIONALE, by: 'u-1', at: AT };
const close: IncidentCommand = { kind: 'close', by: 'u-1', at: AT };

function input(over: Partial<DeadlineInput> = {}): DeadlineInput {
  return { discoveredAt: AT, affectedCount: 1, residentsByState: {}, lawEnforcementDelayUntil: null, timeZone: 'America/New_York', ...over };
}
function due(deadlines: readonly Deadline[], kind: Deadline['kind'], state: string | null = null): string | undefined {
  return deadlines.find((d) => d.kind === kind && d.state === state)?.dueDate;
}

const code = (fn: () => unknown): string => domainErrorOf(fn).code;

describe('incident state machine (45 CFR 164.400-414)', () => {
  it('walks draft → open → decided → closed for a small breach', () => {
    let s = newIncidentState(['p-1', 'p-2', 'p-1'], { NY: 2 });
    expect(s.affectedPatientIds).toEqual(['p-1', 'p-2']);
    expect(allowedCommands(s)).toEqual(['confirm', 'mitigate', 'residents', 'decide']);
    s = run(s, confirm, { kind: 'mitigate', mitigation: { kind: 'links-revoked', at: AT, by: 'u-1', count: 2 } }, assess, decideBreach);
    expect(s.status).toBe('decided');
    expect(allowedCommands(s)).not.toContain('close');
    expect(code(() => applyIncidentCommand(s, close))).toBe('INCIDENT_NOTICES_OUTSTANDING');
    expect(outstandingNotices(s).map((o) => o.kind)).toEqual(['individual', 'individual', 'annual-log']);
    s = run(
      s,
      { kind: 'record-notice', notice: { kind: 'individual', method: 'first-class-mail', at: AT, by: 'u-1', patientId: 'p-1', state: null } },
      { kind: 'record-notice', notice: { kind: 'individual', method: 'email', at: AT, by: 'u-1', patientId: 'p-2', state: null } },
      { kind: 'record-notice', notice: { kind: 'annual-log', method: 'hhs-portal', at: AT, by: 'u-1', patientId: null, state: null } },
    );
    expect(allowedCommands(s)).toContain('close');
    s = applyIncidentCommand(s, close);
    expect(s.status).toBe('closed');
    expect(allowedCommands(s)).toEqual([]);
    expect(code(() => applyIncidentCommand(s, { kind: 'mitigate', mitigation: { kind: 'queue-paused', at: AT, by: 'u', count: 0 } }))).toBe('INCIDENT_TRANSITION_INVALID');
  });

  it('closes a large breach only with HHS and media notices for states over 500', () => {
    const ids = Array.from({ length: 1200 }, (_, i) => `p-${i}`);
    let s = run(newIncidentState(ids, { NY: 700, NJ: 500 }), confirm, assess, decideBreach);
    expect(outstandingNotices(s).filter((o) => o.kind !== 'individual')).toEqual([
      { kind: 'hhs', patientId: null, state: null },
      { kind: 'media', patientId: null, state: 'NY' },
    ]);
    s = run(
      s,
      { kind: 'record-notice', notice: { kind: 'individual', method: 'substitute-notice', at: AT, by: 'u-1', patientId: null, state: null } },
      { kind: 'record-notice', notice: { kind: 'hhs', method: 'hhs-portal', at: AT, by: 'u-1', patientId: null, state: null } },
    );
    expect(code(() => applyIncidentCommand(s, close))).toBe('INCIDENT_NOTICES_OUTSTANDING');
    s = applyIncidentCommand(s, { kind: 'record-notice', notice: { kind: 'media', method: 'media-outlet', at: AT, by: 'u-1', patientId: null, state: 'NY' } });
    expect(applyIncidentCommand(s, close).status).toBe('closed');
  });

  it('lets a draft be decided as a false alarm, and nothing else from draft', () => {
    const s = newIncidentState(['p-1'], {});
    const d = applyIncidentCommand(s, { kind: 'decide', outcome: 'not-an-incident', exclusion: null, rationale: 'Patient confirmed the number is theirs.', by: 'u-1', at: AT });
    expect(d.status).toBe('decided');
    expect(applyIncidentCommand(d, close).status).toBe('closed');
    expect(code(() => applyIncidentCommand(s, decideBreach))).toBe('INCIDENT_TRANSITION_INVALID');
    expect(code(() => applyIncidentCommand(s, assess))).toBe('INCIDENT_TRANSITION_INVALID');
    expect(code(() => applyIncidentCommand(s, close))).toBe('INCIDENT_TRANSITION_INVALID');
  });

  it('refuses decisions without rationale, decider, assessment or with a wrong exclusion', () => {
    const open = applyIncidentCommand(newIncidentState(['p-1'], {}), confirm);
    expect(code(() => applyIncidentCommand(open, decideBreach))).toBe('INCIDENT_DECISION_INVALID'); // no assessment
    const assessed = applyIncidentCommand(open, assess);
    const bad: IncidentCommand[] = [
      { ...decideBreach, rationale: '   short rationale    ' },
      { ...decideBreach, rationale: '' },
      { ...decideBreach, by: '  ' },
      { ...decideBreach, exclusion: 'recipient-unable-to-retain' },
      { kind: 'decide', outcome: 'excluded', exclusion: null, rationale: RATIONALE, by: 'u-1', at: AT },
    ];
    for (const c of bad) expect(code(() => applyIncidentCommand(assessed, c))).toBe('INCIDENT_DECISION_INVALID');
    const excluded = applyIncidentCommand(assessed, { kind: 'decide', outcome: 'excluded', exclusion: 'recipient-unable-to-retain', rationale: RATIONALE, by: 'u-1', at: AT });
    expect(excluded.decision?.exclusion).toBe('recipient-unable-to-retain');
    // a re-decision before closing replaces the old one
    const low = applyIncidentCommand(excluded, { kind: 'decide', outcome: 'low-probability', exclusion: null, rationale: RATIONALE, by: 'u-2', at: AT });
    expect(low.decision).toMatchObject({ outcome: 'low-probability', by: 'u-2' });
  });

  it('does not echo input text in errors', () => {
    const open = run(newIncidentState(['p-1'], {}), confirm, assess);
    try {
      applyIncidentCommand(open, { ...decideBreach, rationale: 'Maria 555' });
    } catch (e) {
      expect(JSON.stringify(e) + String((e as DomainError).safeDetail)).not.toContain('Maria');
    }
  });

  it('records notices only for a breach, and validates them', () => {
    const low = run(newIncidentState(['p-1'], {}), confirm, assess, { ...decideBreach, outcome: 'low-probability' });
    const notice: IncidentCommand = { kind: 'record-notice', notice: { kind: 'individual', method: 'email', at: AT, by: 'u', patientId: 'p-1', state: null } };
    expect(code(() => applyIncidentCommand(low, notice))).toBe('INCIDENT_TRANSITION_INVALID');
    const breach = applyIncidentCommand(low, decideBreach);
    expect(applyIncidentCommand(breach, notice).notices).toHaveLength(1);
    expect(code(() => applyIncidentCommand(breach, { kind: 'record-notice', notice: { kind: 'individual', method: 'hhs-portal', at: AT, by: 'u', patientId: 'p-1', state: null } }))).toBe('VALIDATION_FAILED');
    expect(code(() => applyIncidentCommand(breach, { kind: 'record-notice', notice: { kind: 'individual', method: 'email', at: AT, by: 'u', patientId: 'p-9', state: null } }))).toBe('VALIDATION_FAILED');
  });

  it('caps an oral law-enforcement delay at 30 days (164.412(b))', () => {
    const open = applyIncidentCommand(newIncidentState(['p-1'], {}), confirm);
    const until = new Date(AT.getTime() + 31 * 86_400_000);
    expect(code(() => applyIncidentCommand(open, { kind: 'delay', delay: { agency: 'FBI', until, oral: true, by: 'u', at: AT } }))).toBe('VALIDATION_FAILED');
    expect(applyIncidentCommand(open, { kind: 'delay', delay: { agency: 'FBI', until, oral: false, by: 'u', at: AT } }).lawEnforcementDelay?.until).toEqual(until);
  });

  it('requires a valid discovery date to confirm', () => {
    expect(code(() => applyIncidentCommand(newIncidentState([], {}), { kind: 'confirm', discoveredAt: new Date(Number.NaN) }))).toBe('INCIDENT_DISCOVERY_DATE_REQUIRED');
  });
});

describe('parseRiskAssessment (164.402(2))', () => {
  it('accepts a complete assessment and drops unknown members', () => {
    expect(parseRiskAssessment({ ...ASSESSMENT, extra: 1 })).toEqual(ASSESSMENT);
  });

  it('names every missing factor, never the text', () => {
    try {
      parseRiskAssessment({ natureAndExtent: { contentClasses: ['appointment'], identifiers: [], note: 'Maria Lopez' }, recipient: { kind: 'martian', note: 'x' }, acquiredOrViewed: { viewed: 'no', evidence: ' ' } });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(DomainError);
      const err = e as DomainError;
      expect(err.code).toBe('INCIDENT_ASSESSMENT_INCOMPLETE');
      expect(err.extensions['missingFactors']).toEqual(['factor2', 'factor3', 'factor4']);
      expect(JSON.stringify([err.safeDetail, err.issues])).not.toMatch(/Maria|martian/);
    }
  });

  it.each([null, undefined, 'text', 42, [], {}])('rejects %j', (body) => {
    expect(code(() => parseRiskAssessment(body))).toBe('INCIDENT_ASSESSMENT_INCOMPLETE');
  });

  it('factor 1 needs at least one content class or identifier', () => {
    expect(code(() => parseRiskAssessment({ ...ASSESSMENT, natureAndExtent: { contentClasses: [], identifiers: [], note: 'n' } }))).toBe('INCIDENT_ASSESSMENT_INCOMPLETE');
  });
});

describe('suggestOutcome', () => {
  const all: Mitigation[] = (['links-revoked', 'contact-point-suspended', 'queue-paused'] as const).map((kind) => ({ kind, at: AT, by: 'u', count: 1 }));
  it('suggests low probability when nothing was viewed and every mitigation was taken', () => {
    expect(suggestOutcome(ASSESSMENT, all).outcome).toBe('low-probability');
  });
  it('keeps the breach presumption otherwise', () => {
    expect(suggestOutcome(ASSESSMENT, all.slice(0, 1)).outcome).toBe('breach');
    expect(suggestOutcome({ ...ASSESSMENT, acquiredOrViewed: { viewed: 'yes', evidence: 'opened' } }, all).outcome).toBe('breach');
    expect(suggestOutcome({ ...ASSESSMENT, acquiredOrViewed: { viewed: 'unknown', evidence: '?' } }, all).outcome).toBe('breach');
  });
  it('gives reasons without free text', () => {
    const { because } = suggestOutcome(ASSESSMENT, all);
    expect(because.join(' ')).not.toContain('stranger');
    expect(because.length).toBeGreaterThanOrEqual(4);
  });
});

describe('computeDeadlines (164.404(b), 164.406, 164.408, 164.412)', () => {
  it('discovery 2026-11-15 → individual notice due 2027-01-14', () => {
    expect(due(computeDeadlines(input({ discoveredAt: new Date('2026-11-15T12:00:00Z') })), 'individual')).toBe('2027-01-14');
  });
  it('discovery 2027-12-31 under 500 → annual log due 2028-02-29 (leap year)', () => {
    const d = computeDeadlines(input({ discoveredAt: new Date('2027-12-31T17:00:00Z') }));
    expect(due(d, 'annual-log')).toBe('2028-02-29');
    expect(due(d, 'individual')).toBe('2028-02-29');
  });
  it('discovery 2026-06-01 under 500 → annual log due 2027-03-01', () => {
    expect(due(computeDeadlines(input({ discoveredAt: new Date('2026-06-01T12:00:00Z') })), 'annual-log')).toBe('2027-03-01');
  });
  it('uses the local date: 03:00 UTC on Jan 1 is still Dec 31 in New York', () => {
    const d = computeDeadlines(input({ discoveredAt: new Date('2027-01-01T03:00:00Z') }));
    expect(due(d, 'individual')).toBe('2027-03-01');
    // discovered in 2026 locally: the 2026 log, due 60 days after 2026-12-31 (not the 2027 log)
    expect(due(d, 'annual-log')).toBe('2027-03-01');
  });
  it('adds HHS (500 or more) and media (more than 500 in a state), no annual log', () => {
    const d = computeDeadlines(input({ affectedCount: 1001, residentsByState: { NY: 501, NJ: 500 } }));
    expect(d.map((x) => [x.kind, x.state, x.rule])).toEqual([
      ['individual', null, '45 CFR 164.404(b)'],
      ['hhs', null, '45 CFR 164.408(b)'],
      ['media', 'NY', '45 CFR 164.406'],
    ]);
    expect(new Set(d.map((x) => x.dueDate)).size).toBe(1);
  });
  it('dueAt is the last instant of the local due date', () => {
    const [ind] = computeDeadlines(input({ discoveredAt: new Date('2026-11-15T12:00:00Z') }));
    expect(ind?.dueAt.toISOString()).toBe('2027-01-15T04:59:59.999Z');
    // the day DST starts in New York (23 hours) and ends (25 hours)
    expect(endOfLocalDay('2027-03-13', 'America/New_York').toISOString()).toBe('2027-03-14T04:59:59.999Z');
    expect(endOfLocalDay('2027-03-14', 'America/New_York').toISOString()).toBe('2027-03-15T03:59:59.999Z');
    expect(endOfLocalDay('2027-11-07', 'America/New_York').toISOString()).toBe('2027-11-08T04:59:59.999Z');
    expect(endOfLocalDay('2027-06-30', 'Pacific/Honolulu').toISOString()).toBe('2027-07-01T09:59:59.999Z');
  });
  it('a law-enforcement delay postpones every notice until it ends (164.412)', () => {
    const d = computeDeadlines(input({ discoveredAt: new Date('2026-06-01T12:00:00Z'), lawEnforcementDelayUntil: new Date('2027-04-10T12:00:00Z') }));
    expect(due(d, 'individual')).toBe('2027-04-10');
    expect(due(d, 'annual-log')).toBe('2027-04-10');
    expect(d[0]?.rule).toContain('164.412');
  });
  it('throws INCIDENT_DISCOVERY_DATE_REQUIRED without a discovery date, VALIDATION_FAILED on a bad zone', () => {
    expect(code(() => computeDeadlines(input({ discoveredAt: null })))).toBe('INCIDENT_DISCOVERY_DATE_REQUIRED');
    expect(code(() => computeDeadlines(input({ timeZone: 'Mars/Olympus' })))).toBe('VALIDATION_FAILED');
  });
});

describe('daysLeft and dueReminders', () => {
  const [ind] = computeDeadlines(input({ discoveredAt: new Date('2026-11-15T12:00:00Z') }));
  const deadline = ind as Deadline;
  it('counts local days: 0 on the due date, negative after', () => {
    expect(daysLeft(deadline, new Date('2027-01-15T04:59:59.999Z'), 'America/New_York')).toBe(0);
    expect(daysLeft(deadline, new Date('2027-01-15T05:00:00Z'), 'America/New_York')).toBe(-1);
    expect(daysLeft(deadline, new Date('2026-12-15T12:00:00Z'), 'America/New_York')).toBe(30);
  });
  it('fires each threshold once and an overdue reminder', () => {
    const sent = new Set<string>();
    const fired: string[] = [];
    for (let t = new Date('2026-11-15T12:00:00Z').getTime(); t < new Date('2027-01-20T12:00:00Z').getTime(); t += 6 * 3_600_000) {
      for (const r of dueReminders([deadline], new Date(t), 'America/New_York', sent)) {
        expect(sent.has(r.key)).toBe(false);
        sent.add(r.key);
        fired.push(r.key);
      }
    }
    expect(fired).toEqual(['individual::30', 'individual::14', 'individual::7', 'individual::3', 'individual::1', 'individual::0', 'individual::overdue']);
  });
});

describe('residents by state (media notices, 45 CFR 164.406)', () => {
  it('records the counts the privacy office enters, and asks for a media notice only past 500 in a state', () => {
    let s = newIncidentState(['p-1'], {});
    s = applyIncidentCommand(s, { kind: 'residents', residentsByState: { CA: 501, NV: 500, OR: 0 } });
    expect(s.residentsByState).toEqual({ CA: 501, NV: 500 });
    expect(mediaStates(s.residentsByState)).toEqual(['CA']);
  });

  it('refuses codes that are not states and counts that are not whole numbers', () => {
    const s = newIncidentState(['p-1'], {});
    expect(() => applyIncidentCommand(s, { kind: 'residents', residentsByState: { california: 3 } })).toThrow(DomainError);
    expect(() => applyIncidentCommand(s, { kind: 'residents', residentsByState: { CA: 1.5 } })).toThrow(DomainError);
    expect(() => applyIncidentCommand(s, { kind: 'residents', residentsByState: { CA: -1 } })).toThrow(DomainError);
  });
});
