import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERROR_CATALOG } from '../src/core/errors.ts';

// Like fastify's test/internals/errors.test.js: the catalog, the mapper and docs/errors.md must agree.
describe('error catalog', () => {
  const doc = readFileSync(new URL('../docs/errors.md', import.meta.url), 'utf8');
  const documented = new Map(
    [...doc.matchAll(/^\| `([A-Z_]+)` \| (\d{3}) \|/gm)].map((m) => [m[1], Number(m[2])]),
  );

  it('documents every code with its status', () => {
    for (const [code, { status }] of Object.entries(ERROR_CATALOG)) {
      expect(documented.get(code), code).toBe(status);
    }
  });

  it('documents no code the catalog lacks', () => {
    expect([...documented.keys()].sort()).toEqual(Object.keys(ERROR_CATALOG).sort());
  });

  it('uses SCREAMING_SNAKE codes and 4xx/5xx statuses', () => {
    for (const [code, { status }] of Object.entries(ERROR_CATALOG)) {
      expect(code).toMatch(/^[A-Z]+(_[A-Z]+)*$/);
      expect(status).toBeGreaterThanOrEqual(400);
      expect(status).toBeLessThan(600);
    }
  });
});
