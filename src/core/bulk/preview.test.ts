import { describe, expect, it } from 'vitest';
import { DomainError } from '../errors.ts';
import { SKIP_REASONS, summarisePreview, type RecipientVerdict } from './preview.ts';

const send = (id: string): RecipientVerdict => ({ recipientId: id, verdict: 'send' });

describe('summarisePreview', () => {
  it('counts sends and skips per reason, every reason listed', () => {
    const verdicts: RecipientVerdict[] = [
      send('r1'),
      { recipientId: 'r2', verdict: 'skip', reason: 'opted-out' },
      send('r3'),
      { recipientId: 'r4', verdict: 'skip', reason: 'no-consent' },
      { recipientId: 'r5', verdict: 'skip', reason: 'opted-out' },
    ];
    const s = summarisePreview(verdicts, 10);
    expect(s.total).toBe(5);
    expect(s.toSend).toBe(2);
    expect(s.skipped).toBe(3);
    expect(Object.keys(s.skippedByReason)).toEqual([...SKIP_REASONS]);
    expect(s.skippedByReason['opted-out']).toBe(2);
    expect(s.skippedByReason['no-consent']).toBe(1);
    expect(s.skippedByReason['quiet-hours']).toBe(0);
    expect(s.sampleRecipientIds).toEqual(['r1', 'r3']);
  });

  it('samples deterministically, spread over the list, among recipients to send to', () => {
    const verdicts = Array.from({ length: 100 }, (_, i) => send(`r${i}`));
    const a = summarisePreview(verdicts, 4);
    expect(a.sampleRecipientIds).toEqual(['r0', 'r25', 'r50', 'r75']);
    expect(summarisePreview(verdicts, 4)).toEqual(a);
    expect(summarisePreview(verdicts, 0).sampleRecipientIds).toEqual([]);
  });

  it('an empty list is a valid, empty preview', () => {
    expect(summarisePreview([], 5)).toMatchObject({ total: 0, toSend: 0, skipped: 0, sampleRecipientIds: [] });
  });

  it('refuses an unknown reason instead of dropping the recipient', () => {
    const bad = [{ recipientId: 'r1', verdict: 'skip', reason: 'because' }] as unknown as RecipientVerdict[];
    expect(() => summarisePreview(bad, 1)).toThrow(DomainError);
  });

  it('refuses a sample size out of range', () => {
    for (const n of [-1, 1.5, 51, Number.NaN]) expect(() => summarisePreview([], n)).toThrow(DomainError);
  });
});
