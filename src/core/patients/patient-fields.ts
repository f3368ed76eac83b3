/**
 * Field rules for patient demographics, shared by the API schema and the CSV import so a value accepted by one is
 * accepted by the other. Each rule has a predicate and the sentence shown when it fails (never the value).
 */
export const NAME_MAX_LENGTH = 100;

const LANGUAGE_TAG = /^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/;
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

export const FIELD_RULE_TEXT = {
  language: 'must be a BCP 47 tag such as en or es-US',
  timezone: 'must be an IANA time zone such as America/Chicago',
  birthDate: 'must be a date, YYYY-MM-DD',
} as const;

/** @param value - a candidate language tag @returns true for a BCP 47 tag such as `en` or `es-US` */
export function isLanguageTag(value: string): boolean {
  return LANGUAGE_TAG.test(value);
}

/** @param value - a candidate time zone @returns true for an IANA zone the runtime knows */
export function isTimeZone(value: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: value });
    return true;
  } catch {
    return false;
  }
}

/** @param value - a candidate date @returns true for a real calendar date written YYYY-MM-DD */
export function isCalendarDate(value: string): boolean {
  const m = ISO_DATE.exec(value);
  if (m === null) return false;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}
