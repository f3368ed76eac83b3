import { describe, expect } from 'vitest';
import { test, fc } from '@fast-check/vitest';
import { CONTENT_CLASSES, FIELDS, type FieldName } from './fields.ts';
import type { TemplateKind } from './kinds.ts';
import { checkVariant, fieldsOf, maxRenderedLength, parseTemplateText, renderSegments } from './template-text.ts';

const FIELD_NAMES = Object.keys(FIELDS) as FieldName[];
const words = fc.array(fc.constantFrom('Hello', 'please', 'call', 'the', 'office', 'today', 'thanks', 'see', 'you', 'soon'), { minLength: 1, maxLength: 6 }).map((w) => w.join(' '));
/** Template text built from words and known placeholders. */
const templateText = fc
  .array(fc.oneof(words, fc.constantFrom(...FIELD_NAMES).map((f) => `{{${f}}}`)), { minLength: 1, maxLength: 8 })
  .map((parts) => `Note: ${parts.join(' ')}.`);
const kind = fc.subarray([...CONTENT_CLASSES], { minLength: 1 }).map((allowed): TemplateKind => ({ name: 'k', category: 'administrative', allowedClasses: allowed, description: '' }));

describe('template properties', () => {
  test.prop([templateText, kind])('a saved variant never carries a placeholder of a class its kind disallows', (body, k) => {
    const problems = checkVariant({ channel: 'sms', language: 'en', body }, k, { allowSystemFields: true });
    const parsed = parseTemplateText(body);
    if (!parsed.ok) throw new Error('generated text always parses');
    const disallowed = fieldsOf(parsed.segments).filter((f) => !k.allowedClasses.includes(FIELDS[f].class));
    if (disallowed.length > 0) expect(problems.map((p) => p.code)).toContain('TEMPLATE_POLICY_VIOLATION');
  });

  test.prop([fc.string({ maxLength: 80 })])('text with a lone brace never saves', (s) => {
    const body = `Hello ${s.replaceAll('{', '').replaceAll('}', '')} { there`;
    expect(checkVariant({ channel: 'sms', language: 'en', body }, { name: 'k', category: 'administrative', allowedClasses: ['none', 'identifier', 'clinical'], description: '' })[0]?.code).toBe('TEMPLATE_SYNTAX_INVALID');
  });

  test.prop([templateText])('rendering stays within the computed maximum and keeps the literal text', (body) => {
    const parsed = parseTemplateText(body);
    if (!parsed.ok) throw new Error('generated text always parses');
    const values = new Map(fieldsOf(parsed.segments).map((f) => [f, 'x'.repeat(FIELDS[f].maxLength)]));
    const { text, spans } = renderSegments(parsed.segments, values);
    expect(text.length).toBe(maxRenderedLength(parsed.segments));
    for (const s of spans) expect(text.slice(s.start, s.end)).toBe(values.get(s.name));
  });

  test.prop([fc.string({ maxLength: 200 })])('parsing never throws', (s) => {
    expect(() => parseTemplateText(s)).not.toThrow();
  });
});
