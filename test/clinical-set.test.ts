import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CLINICAL_TYPES, scanText } from '../src/core/phi/scanner.ts';

/**
 * The labelled clinical test set (`test/fixtures/clinical-messages.jsonl`): realistic outgoing hospital messages,
 * about half with clinical content. Message-level detection: a message is flagged when the scanner reports any
 * clinical finding. Failures name line numbers only, never message text.
 */
interface Row {
  readonly text: string;
  readonly clinical: boolean;
  readonly types: readonly string[];
}

const rows: Row[] = readFileSync(new URL('./fixtures/clinical-messages.jsonl', import.meta.url), 'utf8')
  .split('\n')
  .filter((l) => l.trim().length > 0)
  .map((l) => JSON.parse(l) as Row);

describe('labelled clinical test set', () => {
  it('is well-formed: ≥ 300 messages, 40–60 % positive, types only on positives and all known', () => {
    expect(rows.length).toBeGreaterThanOrEqual(300);
    const positives = rows.filter((r) => r.clinical).length;
    expect(positives / rows.length).toBeGreaterThanOrEqual(0.4);
    expect(positives / rows.length).toBeLessThanOrEqual(0.6);
    const bad = rows.flatMap((r, i) =>
      typeof r.text !== 'string' || r.text.length === 0 || typeof r.clinical !== 'boolean' || !Array.isArray(r.types) ||
      (r.clinical ? r.types.length === 0 : r.types.length > 0) || r.types.some((t) => !(CLINICAL_TYPES as readonly string[]).includes(t))
        ? [i + 1]
        : [],
    );
    expect(bad).toEqual([]);
    expect(new Set(rows.map((r) => r.text)).size).toBe(rows.length);
  });

  it('detects clinical messages with recall ≥ 0.9 and a false-positive rate ≤ 0.1', () => {
    const missed: number[] = [];
    const falseAlarms: number[] = [];
    rows.forEach((r, i) => {
      const flagged = scanText(r.text).some((f) => f.class === 'clinical');
      if (r.clinical && !flagged) missed.push(i + 1);
      if (!r.clinical && flagged) falseAlarms.push(i + 1);
    });
    const positives = rows.filter((r) => r.clinical).length;
    const recall = 1 - missed.length / positives;
    const fpr = falseAlarms.length / (rows.length - positives);
    expect(recall, `missed lines ${missed.join(', ')}`).toBeGreaterThanOrEqual(0.9);
    expect(fpr, `false alarms on lines ${falseAlarms.join(', ')}`).toBeLessThanOrEqual(0.1);
  });
});
