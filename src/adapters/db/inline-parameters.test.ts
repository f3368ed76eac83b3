import { CompiledQuery } from 'kysely';
import { describe, expect, it } from 'vitest';
import { inlineParameters } from './database.ts';

/** COPY takes no bind parameters: the export's query has them inlined as literals (database.ts `copyOut`). */
describe('inlineParameters', () => {
  const compiled = (text: string, parameters: readonly unknown[]): CompiledQuery => ({ ...CompiledQuery.raw(text), parameters });

  it('quotes every parameter, so a value can never close its literal', () => {
    const q = compiled('SELECT * FROM t WHERE a = $1 AND b = $2 AND c >= $3 AND d = $10', [
      "x' OR '1'='1",
      42,
      new Date('2026-01-02T03:04:05.678Z'),
      ...Array<string>(6).fill('pad'),
      'back\\slash',
    ]);
    expect(inlineParameters(q)).toBe(
      "SELECT * FROM t WHERE a = 'x'' OR ''1''=''1' AND b = '42' AND c >= '2026-01-02T03:04:05.678Z' AND d =  E'back\\\\slash'",
    );
  });

  it('refuses a value it cannot inline safely', () => {
    expect(() => inlineParameters(compiled('SELECT $1', [{ a: 1 }]))).toThrow(/cannot be inlined/);
    expect(() => inlineParameters(compiled('SELECT $1', [Number.NaN]))).toThrow(/cannot be inlined/);
  });
});
