import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { planSlots } from './pacing.ts';

const rates = fc.constantFrom(1, 3, 10, 80, 100);

describe('sender pacing (GCRA)', () => {
  test.prop([rates, fc.array(fc.record({ advanceMs: fc.integer({ min: 0, max: 1500 }), wanted: fc.integer({ min: 0, max: 150 }) }), { maxLength: 60 })])(
    'never more than the rate in any one-second window, however reservations from several dispatchers interleave',
    (rate, calls) => {
      let now = 1_700_000_000_000;
      let next: Date | null = null;
      const slots: number[] = [];
      for (const call of calls) {
        now += call.advanceMs;
        const plan = planSlots(next, new Date(now), call.wanted, { ratePerSecond: rate, leadMs: 25, horizonMs: 1000 });
        next = plan.next;
        for (const slot of plan.slots) {
          expect(slot.getTime()).toBeGreaterThanOrEqual(now + 25);
          expect(slot.getTime()).toBeLessThan(now + 1000);
          slots.push(slot.getTime());
        }
      }
      for (let i = 1; i < slots.length; i++) expect(slots[i]).toBeGreaterThan(slots[i - 1] ?? 0);
      // The slot `rate` places later is a full second or more after each slot.
      for (let i = 0; i + rate < slots.length; i++) expect((slots[i + rate] ?? 0) - (slots[i] ?? 0)).toBeGreaterThanOrEqual(1000);
    },
  );

  test.prop([rates, fc.integer({ min: 1, max: 500 })])('hands out at least one slot when the sender is free, and never more than fit the horizon', (rate, wanted) => {
    const now = new Date(1_700_000_000_000);
    const plan = planSlots(null, now, wanted, { ratePerSecond: rate, leadMs: 25, horizonMs: 1000 });
    expect(plan.slots.length).toBeGreaterThanOrEqual(1);
    expect(plan.slots.length).toBeLessThanOrEqual(Math.min(wanted, Math.ceil((1000 - 25) * rate / 1000)));
  });

  test.prop([rates])('a saturated sender gets no slot until its next one falls inside the horizon', (rate) => {
    const now = new Date(1_700_000_000_000);
    const busyUntil = new Date(now.getTime() + 5000);
    const plan = planSlots(busyUntil, now, 10, { ratePerSecond: rate, leadMs: 25, horizonMs: 1000 });
    expect(plan.slots).toEqual([]);
    expect(plan.next.getTime()).toBe(busyUntil.getTime());
  });
});
