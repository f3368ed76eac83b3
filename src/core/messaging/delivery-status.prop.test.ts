import { describe, expect, it } from 'vitest';
import { test, fc } from '@fast-check/vitest';
import { MESSAGE_STATUSES, canTransition, isTerminal, type MessageStatus } from './delivery-status.ts';

const statusArb = fc.constantFrom(...MESSAGE_STATUSES);
/** The progress order; failed/cancelled are terminal and rank above all progress states. */
const RANK: Record<MessageStatus, number> = { queued: 0, sending: 1, sent: 2, delivered: 3, read: 4, failed: 5, cancelled: 5 };

/** Applies each proposed status that canTransition allows; returns every state visited. */
function run(start: MessageStatus, proposals: readonly MessageStatus[]): MessageStatus[] {
  const visited: MessageStatus[] = [start];
  let current = start;
  for (const next of proposals) {
    if (canTransition(current, next)) {
      current = next;
      visited.push(current);
    }
  }
  return visited;
}

describe('delivery status properties', () => {
  test.prop([fc.array(statusArb, { maxLength: 40 })])('once terminal, nothing changes', (proposals) => {
    const visited = run('queued', proposals);
    const firstTerminal = visited.findIndex(isTerminal);
    if (firstTerminal >= 0) expect(visited.length - 1).toBe(firstTerminal);
  });

  test.prop([statusArb, statusArb])('a terminal state accepts no transition at all', (current, next) => {
    fc.pre(isTerminal(current));
    expect(canTransition(current, next)).toBe(false);
  });

  test.prop([statusArb, fc.array(statusArb, { maxLength: 40 })])('progress rank never decreases', (start, proposals) => {
    const visited = run(start, proposals);
    for (let i = 1; i < visited.length; i++) expect(RANK[visited[i]!]).toBeGreaterThan(RANK[visited[i - 1]!]);
  });

  test.prop([statusArb, statusArb])('cancelled only follows queued or sending', (current, next) => {
    fc.pre(next === 'cancelled');
    expect(canTransition(current, 'cancelled')).toBe(current === 'queued' || current === 'sending');
  });

  test.prop([statusArb, statusArb])('failed only follows a state before delivered', (current, next) => {
    fc.pre(next === 'failed');
    expect(canTransition(current, 'failed')).toBe(['queued', 'sending', 'sent'].includes(current));
  });

  test.prop([statusArb])('nothing ever moves back to queued, and no state repeats', (current) => {
    expect(canTransition(current, 'queued')).toBe(false);
    expect(canTransition(current, current)).toBe(false);
  });

  test.prop([fc.array(statusArb, { maxLength: 40 })])('a duplicated or late receipt is ignored', (proposals) => {
    const visited = run('queued', proposals);
    const final = visited.at(-1)!;
    for (const earlier of visited.slice(0, -1)) expect(canTransition(final, earlier)).toBe(false);
  });
});

describe('delivery status transitions', () => {
  it('follows the happy path queued → sending → sent → delivered → read', () => {
    expect(run('queued', ['sending', 'sent', 'delivered', 'read'])).toEqual(['queued', 'sending', 'sent', 'delivered', 'read']);
  });

  it('lets a receipt skip ahead (read before delivered) but ignores the late delivered', () => {
    expect(run('sent', ['read', 'delivered'])).toEqual(['sent', 'read']);
  });

  it('marks read, failed and cancelled terminal, and nothing else', () => {
    expect(MESSAGE_STATUSES.filter(isTerminal)).toEqual(['read', 'failed', 'cancelled']);
  });

  it('refuses to cancel a message the carrier has accepted', () => {
    for (const s of ['sent', 'delivered', 'read', 'failed'] as const) expect(canTransition(s, 'cancelled')).toBe(false);
  });

  it('refuses failed after delivered', () => {
    expect(canTransition('delivered', 'failed')).toBe(false);
    expect(canTransition('sent', 'failed')).toBe(true);
  });
});
