import { describe, expect } from 'vitest';
import { test, fc } from '@fast-check/vitest';
import { scanClinical } from './clinical.ts';
import { scanText } from './scanner.ts';
import { CONDITIONS } from './vocabulary/conditions.ts';
import { MEDICATIONS } from './vocabulary/medications.ts';
import { PROCEDURES } from './vocabulary/procedures.ts';
import { SPECIALTIES } from './vocabulary/specialties.ts';
import { SENSITIVE_TESTS } from './vocabulary/lab-tests.ts';

/** PHI-free templates a hospital sends; `{}` is where a term goes. Each is clean without the term. */
const TEMPLATES = [
  'Reminder: {} on Tuesday at 9:30. Reply C to confirm.',
  'Your {} is ready. Log in to the portal for details.',
  'Please call us about your {} when you can.',
  '{} - questions? Call the front desk.',
  'Hello, this is a message about {}. Thank you.',
  'Su cita: {}. Responda SI para confirmar.',
];

/** Vocabulary terms reported on their own (analytes and routing words need context by design). */
const STANDALONE = [...MEDICATIONS, ...CONDITIONS, ...PROCEDURES, ...SPECIALTIES, ...SENSITIVE_TESTS];

const anyText = fc.oneof(
  fc.string({ maxLength: 300 }),
  fc.string({ unit: 'grapheme', maxLength: 200 }),
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.array(fc.constantFrom(...STANDALONE, 'results', 'was', 'high', '8.2', 'mg', 'positive for', 'if you are', ' ', ', ', '’s', '-'), { maxLength: 30 }).map((w) => w.join(' ')),
);

describe('clinical layer properties', () => {
  test.prop([anyText])('never throws; findings lie inside the text and slice to a non-empty span', (text) => {
    for (const f of scanClinical(text)) {
      expect(f.class).toBe('clinical');
      expect(f.start).toBeGreaterThanOrEqual(0);
      expect(f.end).toBeLessThanOrEqual(text.length);
      expect(text.slice(f.start, f.end).trim().length).toBeGreaterThan(0);
    }
  });

  test.prop([anyText])('scanning is deterministic', (text) => {
    expect(scanText(text)).toEqual(scanText(text));
  });

  test.prop([fc.constantFrom(...TEMPLATES)])('the templates are clean without a term', (template) => {
    expect(scanClinical(template.replace('{}', 'your visit'))).toEqual([]);
  });

  test.prop([fc.constantFrom(...TEMPLATES), fc.constantFrom(...STANDALONE), fc.constantFrom('lower', 'as listed', 'upper-first')])(
    'a vocabulary term inserted into a clean template is found, covering it',
    (template, term, casing) => {
      const exactCase = term.length <= 5 || term === 'Plan B';
      const written = exactCase || casing === 'as listed' ? term : casing === 'lower' ? term.toLowerCase() : term.charAt(0).toUpperCase() + term.slice(1);
      const text = template.replace('{}', written);
      const at = template.indexOf('{}');
      const findings = scanClinical(text);
      expect(findings.some((f) => f.start <= at && f.end >= at + written.length), `${term} in ${template}`).toBe(true);
    },
  );

  test.prop([fc.string({ maxLength: 120 }), fc.string({ maxLength: 120 })])('the whole scanner keeps its findings sorted by offset', (a, b) => {
    const findings = scanText(`${a} metformin 500 mg ${b} Mary Johnson 415-555-0132`);
    for (let i = 1; i < findings.length; i++) expect(findings[i]!.start).toBeGreaterThanOrEqual(findings[i - 1]!.start);
  });
});
