import { describe, expect } from 'vitest';
import { test, fc } from '@fast-check/vitest';
import { decidePhiHandling } from './phi-policy.ts';
import type { PhiFinding } from './scanner.ts';

const finding = fc.record({
  class: fc.constantFrom('identifier' as const, 'clinical' as const),
  type: fc.constantFrom('NAME' as const, 'DATE' as const),
  start: fc.nat(100),
  end: fc.nat(100),
}) as fc.Arbitrary<PhiFinding>;
const input = fc.record({
  findings: fc.array(finding, { maxLength: 6 }),
  allowed: fc.subarray(['none', 'identifier', 'clinical'] as const),
  policy: fc.record({ clinical: fc.constantFrom('secure' as const, 'block' as const), identifier: fc.constantFrom('secure' as const, 'block' as const) }),
  riskAccepted: fc.boolean(),
});

describe('PHI decision properties', () => {
  test.prop([input])('content beyond the kind never goes unencrypted unless the patient accepted the risk', (i) => {
    const d = decidePhiHandling(i);
    const beyond = i.findings.some((f) => !i.allowed.includes(f.class));
    if (beyond && !i.riskAccepted) expect(d.delivery).not.toBe('direct');
    if (!beyond) expect(d).toEqual({ delivery: 'direct', basis: 'within-kind', excess: [] });
  });

  test.prop([input])('a class whose policy is block is never sent securely instead, and excess is exactly what the kind disallows', (i) => {
    const d = decidePhiHandling({ ...i, riskAccepted: false });
    expect(d.excess).toEqual(i.findings.filter((f) => !i.allowed.includes(f.class)));
    if (d.excess.some((f) => i.policy[f.class] === 'block')) expect(d.delivery).toBe('blocked');
    else if (d.excess.length > 0) expect(d.delivery).toBe('secure');
  });
});
