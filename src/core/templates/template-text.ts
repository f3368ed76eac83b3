import type { Channel } from '../messaging/channel.ts';
import { scanText, type PhiFinding } from '../phi/scanner.ts';
import { FIELDS, isFieldName, type FieldName } from './fields.ts';
import type { TemplateKind } from './kinds.ts';

/**
 * Template text: literal text with placeholders `{{field_name}}` (issue 4 items 1–2). Parsing, the checks a variant
 * must pass before it can be saved, and rendering. Pure.
 */

export type Segment = { readonly kind: 'text'; readonly text: string } | { readonly kind: 'field'; readonly name: FieldName };

/** One channel-and-language variant of a template version. */
export interface TemplateVariant {
  readonly channel: Channel;
  /** BCP 47 language, e.g. `en`, `es`, `es-MX`. */
  readonly language: string;
  readonly body: string;
  /** WhatsApp: the template's name as approved by Meta (or a Twilio ContentSid), and Meta's language code. */
  readonly metaTemplateName?: string | null | undefined;
  readonly metaLanguage?: string | null | undefined;
}

export type TemplateProblemCode = 'TEMPLATE_SYNTAX_INVALID' | 'TEMPLATE_PLACEHOLDER_UNKNOWN' | 'TEMPLATE_POLICY_VIOLATION' | 'TEMPLATE_TOO_LONG';

/** Why a variant cannot be saved; `message` names the placeholder or position and the rule, never any PHI. */
export interface TemplateProblem {
  readonly code: TemplateProblemCode;
  readonly message: string;
}

/** The longest body a channel takes: Twilio's 1,600 characters for SMS/text, Meta's 1,024 for a template body. */
export const CHANNEL_LIMITS: Record<Channel, number> = { sms: 1600, text: 1600, whatsapp: 1024 };

const PLACEHOLDER = /\{\{\s*([^{}]*?)\s*\}\}/y;
const FIELD_NAME = /^[a-z][a-z0-9_]{0,39}$/;

/**
 * @param text - template text
 * @returns its segments, or the first syntax problem (a stray brace, an empty or malformed placeholder, an unknown field)
 */
export function parseTemplateText(text: string): { ok: true; segments: Segment[] } | { ok: false; problem: TemplateProblem } {
  const segments: Segment[] = [];
  let literal = '';
  let i = 0;
  while (i < text.length) {
    const ch = text.charAt(i);
    if (ch === '{' && text[i + 1] === '{') {
      PLACEHOLDER.lastIndex = i;
      const match = PLACEHOLDER.exec(text);
      if (match === null) return syntax(`unbalanced braces: "{{" at character ${String(i)} has no matching "}}"`);
      const name = match[1] ?? '';
      if (!FIELD_NAME.test(name)) return syntax(`placeholder at character ${String(i)} is not a field name (lower case letters, digits, underscores)`);
      if (!isFieldName(name)) return { ok: false, problem: { code: 'TEMPLATE_PLACEHOLDER_UNKNOWN', message: `unknown placeholder {{${name}}} at character ${String(i)}` } };
      if (literal !== '') segments.push({ kind: 'text', text: literal });
      literal = '';
      segments.push({ kind: 'field', name });
      i += match[0].length;
      continue;
    }
    if (ch === '{' || ch === '}') return syntax(`unbalanced braces: stray "${ch}" at character ${String(i)} (placeholders look like {{first_name}})`);
    literal += ch;
    i++;
  }
  if (literal !== '') segments.push({ kind: 'text', text: literal });
  if (!segments.some((s) => s.kind === 'text' && s.text.trim() !== '')) return syntax('the text has no words besides placeholders');
  return { ok: true, segments };
}

function syntax(message: string): { ok: false; problem: TemplateProblem } {
  return { ok: false, problem: { code: 'TEMPLATE_SYNTAX_INVALID', message } };
}

/** @param segments - parsed text @returns the fields it names, in order of first appearance */
export function fieldsOf(segments: readonly Segment[]): FieldName[] {
  return [...new Set(segments.flatMap((s) => (s.kind === 'field' ? [s.name] : [])))];
}

/** @param segments - parsed text @returns the longest text it can render to */
export function maxRenderedLength(segments: readonly Segment[]): number {
  return segments.reduce((n, s) => n + (s.kind === 'text' ? s.text.length : FIELDS[s.name].maxLength), 0);
}

/**
 * The literal text with every placeholder replaced by spaces, offsets preserved: what the scanner reads at save.
 * @param text - template text that parsed
 */
function literalOnly(text: string): string {
  return text.replace(/\{\{[^{}]*\}\}/g, (m) => ' '.repeat(m.length));
}

/**
 * Everything a variant must satisfy before a version holding it can be saved: well-formed, known placeholders,
 * placeholder classes and literal content (by the PHI scanner) allowed by the kind, system fields only where allowed,
 * short enough for the channel, and Meta's rules for WhatsApp templates (no placeholder first or last).
 * @param variant - the variant
 * @param kind - the template's kind
 * @param options - `allowSystemFields` for Wardline's own notices (the secure link)
 * @returns the problems found (empty when the variant is valid)
 */
export function checkVariant(variant: TemplateVariant, kind: TemplateKind, options: { allowSystemFields?: boolean } = {}): TemplateProblem[] {
  const parsed = parseTemplateText(variant.body);
  if (!parsed.ok) return [parsed.problem];
  const problems: TemplateProblem[] = [];
  for (const name of fieldsOf(parsed.segments)) {
    const field = FIELDS[name];
    if (field.source === 'system' && options.allowSystemFields !== true) {
      problems.push({ code: 'TEMPLATE_PLACEHOLDER_UNKNOWN', message: `{{${name}}} is filled in by Wardline for its own notices and cannot be used in a template` });
    } else if (!kind.allowedClasses.includes(field.class)) {
      problems.push({ code: 'TEMPLATE_POLICY_VIOLATION', message: `{{${name}}} is ${field.class} content; kind ${kind.name} allows only ${kind.allowedClasses.join(', ')}` });
    }
  }
  for (const finding of literalFindings(variant.body)) {
    if (!kind.allowedClasses.includes(finding.class)) {
      problems.push({
        code: 'TEMPLATE_POLICY_VIOLATION',
        message: `the text contains ${finding.class} content (${finding.type}) at characters ${String(finding.start)}–${String(finding.end)}; kind ${kind.name} allows only ${kind.allowedClasses.join(', ')}`,
      });
    }
  }
  const longest = maxRenderedLength(parsed.segments);
  if (longest > CHANNEL_LIMITS[variant.channel]) {
    problems.push({ code: 'TEMPLATE_TOO_LONG', message: `with every placeholder at its longest the ${variant.channel} text is ${String(longest)} characters; the limit is ${String(CHANNEL_LIMITS[variant.channel])}` });
  }
  if (variant.channel === 'whatsapp' && (variant.metaTemplateName ?? null) !== null) {
    const first = parsed.segments[0];
    const last = parsed.segments.at(-1);
    if (first?.kind === 'field' || (first?.kind === 'text' && first.text.trim() === '') || last?.kind === 'field' || (last?.kind === 'text' && last.text.trim() === '')) {
      problems.push({ code: 'TEMPLATE_SYNTAX_INVALID', message: 'a WhatsApp template may not start or end with a placeholder (Meta rejects it)' });
    }
  }
  return problems;
}

/** @param body - template text @returns the scanner's findings in the literal text (placeholders blanked) */
export function literalFindings(body: string): PhiFinding[] {
  return scanText(literalOnly(body));
}

/** Where a field's value landed in rendered text (UTF-16 offsets, end exclusive). */
export interface FieldSpan {
  readonly name: FieldName;
  readonly start: number;
  readonly end: number;
}

/**
 * @param segments - parsed text
 * @param values - each field's rendered value
 * @returns the text, the values in order of appearance (Meta's {{1}}, {{2}} …) and where each landed
 */
export function renderSegments(segments: readonly Segment[], values: ReadonlyMap<FieldName, string>): { text: string; parameters: string[]; spans: FieldSpan[] } {
  let text = '';
  const parameters: string[] = [];
  const spans: FieldSpan[] = [];
  for (const s of segments) {
    if (s.kind === 'text') {
      text += s.text;
      continue;
    }
    const value = values.get(s.name) ?? '';
    spans.push({ name: s.name, start: text.length, end: text.length + value.length });
    text += value;
    parameters.push(value);
  }
  return { text, parameters, spans };
}

/**
 * The scanner's findings that a send must judge: those in literal text and in free-text parameters. A finding wholly
 * inside a value Wardline filled in (the patient's record, the organisation's settings, the secure link) or inside a
 * value whose type leaves no room for anything else (a date, a time, an amount) is what the field's class says it is,
 * already checked against the kind at save; so is a URL finding that is exactly a URL parameter.
 * @param findings - findings in the rendered text
 * @param spans - where the fields landed
 */
export function findingsToJudge<F extends { readonly type: string; readonly start: number; readonly end: number }>(findings: readonly F[], spans: readonly FieldSpan[]): F[] {
  return findings.filter(
    (f) =>
      !spans.some((s) => {
        const field = FIELDS[s.name];
        if (f.start < s.start || f.end > s.end) return false;
        if (field.source !== 'param') return true;
        if (field.type === 'datetime' || field.type === 'date' || field.type === 'money') return true;
        return field.type === 'url' && f.type === 'URL' && f.start === s.start && f.end === s.end;
      }),
  );
}
