import type { FieldIssue } from '../errors.ts';
import { FIELDS, type FieldName } from './fields.ts';

/**
 * Binding a template's placeholders to values (issue 4 item 1: placeholders are typed and bound to known fields).
 * `param` fields come from the sender and are type-checked; `patient`, `organisation` and `system` fields are filled
 * in by Wardline and may not be sent. Dates and times are written in the patient's language and time zone. Pure.
 */

export interface BindingSources {
  /** What the sender gave in `template.params`. */
  readonly params: Readonly<Record<string, string>>;
  readonly patient: { readonly givenName: string; readonly familyName: string };
  readonly organisation: { readonly name: string; readonly contact: string };
  /** Wardline's own values (the secure link of a notice). */
  readonly system: Partial<Record<FieldName, string>>;
  readonly language: string;
  readonly timeZone: string;
}

const ISO_DATETIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,3})?)?(?:Z|[+-]\d{2}:\d{2})$/;
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const MONEY = /^\d{1,7}(?:\.\d{2})?$/;
// Control characters would let a value forge line breaks or invisible text into a message.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

function locale(language: string): string {
  return language.toLowerCase().startsWith('es') ? 'es-US' : 'en-US';
}

/** Building an Intl formatter costs far more than using one: one per locale, zone and style, reused. */
const formatters = new Map<string, Intl.DateTimeFormat | Intl.NumberFormat>();

function formatter<T extends Intl.DateTimeFormat | Intl.NumberFormat>(key: string, make: () => T): T {
  let f = formatters.get(key);
  if (f === undefined) {
    f = make();
    if (formatters.size < 500) formatters.set(key, f);
  }
  return f as T;
}

/** Formats one `param` value by its field's type; null when it is not of that type. */
function formatParam(name: FieldName, raw: string, language: string, timeZone: string): string | null {
  const field = FIELDS[name];
  const value = raw.trim();
  if (value === '' || CONTROL.test(value) || value.includes('{{') || value.includes('}}')) return null;
  switch (field.type) {
    case 'datetime': {
      if (!ISO_DATETIME.test(value)) return null;
      const at = new Date(value);
      if (Number.isNaN(at.getTime())) return null;
      const loc = locale(language);
      return formatter(`datetime:${loc}:${timeZone}`, () => new Intl.DateTimeFormat(loc, { weekday: 'short', month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit', timeZone })).format(at);
    }
    case 'date': {
      const m = ISO_DATE.exec(value);
      if (m === null) return null;
      const at = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
      if (at.toISOString().slice(0, 10) !== value) return null;
      const loc = locale(language);
      return formatter(`date:${loc}`, () => new Intl.DateTimeFormat(loc, { month: 'long', day: 'numeric', year: 'numeric', timeZone: 'UTC' })).format(at);
    }
    case 'money':
      if (!MONEY.test(value)) return null;
      return formatter(`money:${locale(language)}`, () => new Intl.NumberFormat(locale(language), { style: 'currency', currency: 'USD' })).format(Number(value));
    case 'url':
      return /^https:\/\/[^\s]+$/.test(value) && URL.canParse(value) && value.length <= field.maxLength ? value : null;
    case 'text':
      return value.length <= field.maxLength ? value : null;
  }
}

const TYPE_RULE: Record<string, string> = {
  datetime: 'must be an ISO 8601 date-time with an offset, e.g. 2026-12-01T10:30:00-05:00',
  date: 'must be a date, YYYY-MM-DD',
  money: 'must be an amount such as 40 or 40.00',
  url: 'must be an https URL',
  text: 'must be non-empty text without control characters or braces',
};

/**
 * @param fields - the fields the chosen variant names
 * @param sources - where values come from
 * @returns each field's rendered value, or the issues (by parameter name; never the value)
 */
export function bindFields(fields: readonly FieldName[], sources: BindingSources): { ok: true; values: Map<FieldName, string> } | { ok: false; issues: FieldIssue[] } {
  const issues: FieldIssue[] = [];
  const values = new Map<FieldName, string>();
  const pointer = (name: string): string => `/body/template/params/${name}`;
  for (const name of Object.keys(sources.params)) {
    if (!(fields as readonly string[]).includes(name)) {
      issues.push({ pointer: pointer(name), message: 'is not a placeholder of this template' });
    } else if (FIELDS[name as FieldName].source !== 'param') {
      issues.push({ pointer: pointer(name), message: `is filled in from the ${FIELDS[name as FieldName].source === 'patient' ? "patient's record" : "organisation's settings"}; do not send it` });
    }
  }
  for (const name of fields) {
    const field = FIELDS[name];
    const clip = (v: string): string => v.slice(0, field.maxLength);
    switch (field.source) {
      case 'patient':
        values.set(name, clip(name === 'first_name' ? sources.patient.givenName : sources.patient.familyName));
        break;
      case 'organisation':
        values.set(name, clip(name === 'clinic_name' ? sources.organisation.name : sources.organisation.contact));
        break;
      case 'system': {
        const v = sources.system[name];
        if (v === undefined) issues.push({ pointer: pointer(name), message: 'is filled in by Wardline and is not available here' });
        else values.set(name, v);
        break;
      }
      case 'param': {
        const raw = sources.params[name];
        if (raw === undefined) {
          issues.push({ pointer: pointer(name), message: 'is required by this template' });
          break;
        }
        const formatted = formatParam(name, raw, sources.language, sources.timeZone);
        if (formatted === null) issues.push({ pointer: pointer(name), message: `${TYPE_RULE[field.type] ?? 'is not valid'}${field.type === 'text' || field.type === 'url' ? ` (at most ${String(field.maxLength)} characters)` : ''}` });
        else values.set(name, formatted);
        break;
      }
    }
  }
  return issues.length > 0 ? { ok: false, issues } : { ok: true, values };
}
