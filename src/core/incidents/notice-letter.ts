import { DomainError, type FieldIssue } from '../errors.ts';

/**
 * The individual breach notice (issue 7 item 4): the letter a hospital sends each affected patient after a decision
 * that a breach of unsecured PHI occurred. 45 CFR 164.404(c)(1) lists what it must contain "to the extent possible":
 * (A) what happened, with the date of the breach and the date of discovery if known; (B) the types of PHI involved;
 * (C) the steps the individual should take to protect themselves; (D) what the covered entity is doing to investigate,
 * mitigate and prevent a recurrence; (E) contact procedures, including a toll-free number, an e-mail address, a web
 * site or a postal address. (c)(2): it "shall be written in plain language".
 *
 * This module decides the letter's words and order; the PDF adapter (`adapters/report/breach-notice.pdf.ts`) lays
 * them out. Pure: no I/O, no clock. The recipient's name and address are PHI: they go into the document only, never
 * into an error (errors here name the missing element, not its text).
 */

/** Everything one letter needs. Dates are local calendar dates (YYYY-MM-DD) in the hospital's time zone. */
export interface NoticeLetterInput {
  readonly hospital: { readonly name: string; readonly address: readonly string[]; readonly tollFreePhone: string; readonly email: string; readonly website: string };
  /** PHI: only rendered into the PDF, never logged. */
  readonly recipient: { readonly name: string; readonly address: readonly string[] };
  /** YYYY-MM-DD, null if unknown. */
  readonly breachDate: string | null;
  /** YYYY-MM-DD */
  readonly discoveryDate: string;
  /** Plain language, no PHI of other people. */
  readonly whatHappened: string;
  /** Content classes / identifier kinds, in plain words ('appointment date and time', 'your first name'). */
  readonly phiInvolved: readonly string[];
  readonly stepsForIndividual: readonly string[];
  readonly whatWeAreDoing: readonly string[];
  /** YYYY-MM-DD */
  readonly letterDate: string;
  /** The incident id. */
  readonly incidentReference: string;
}

type Element = 'A' | 'B' | 'C' | 'D' | 'E';

interface LetterSection {
  readonly element: Element;
  readonly heading: string;
  readonly paragraphs: readonly string[];
}

/** A list item in a section's paragraphs starts with this bullet (U+2022, printable in the PDF standard fonts). */
const BULLET = '\u2022 ';

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'] as const;

/** 'March 5, 2026' for '2026-03-05' (US letter style, easier to read than ISO); null when not a real calendar date. */
function longDate(iso: string): string | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso);
  if (m === null) return null;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const d = new Date(Date.UTC(year, month - 1, day));
  if (d.getUTCFullYear() !== year || d.getUTCMonth() !== month - 1 || d.getUTCDate() !== day) return null;
  return `${MONTHS[month - 1] ?? ''} ${String(day)}, ${String(year)}`;
}

const blank = (s: string): boolean => s.trim() === '';

/** A list element is empty when it has no item, and broken when any item is blank (an empty bullet says nothing). */
function checkList(items: readonly string[], pointer: string, element: string, issues: FieldIssue[]): void {
  if (items.length === 0) issues.push({ pointer, message: `element ${element} needs at least one item` });
  else if (items.some(blank)) issues.push({ pointer, message: `element ${element} has a blank item` });
}

function checkText(value: string, pointer: string, element: string, issues: FieldIssue[]): void {
  if (blank(value)) issues.push({ pointer, message: `element ${element} must not be blank` });
}

function checkDate(value: string | null, pointer: string, required: boolean, issues: FieldIssue[]): void {
  if (value === null) {
    if (required) issues.push({ pointer, message: 'a date is required' });
  } else if (longDate(value) === null) issues.push({ pointer, message: 'must be a calendar date YYYY-MM-DD' });
}

/** Every problem at once (like config validation), so whoever fills the letter fixes it in one pass. */
function validate(input: NoticeLetterInput): void {
  const issues: FieldIssue[] = [];
  checkText(input.whatHappened, '/whatHappened', 'A (what happened)', issues);
  checkDate(input.discoveryDate, '/discoveryDate', true, issues);
  checkDate(input.breachDate, '/breachDate', false, issues);
  checkList(input.phiInvolved, '/phiInvolved', 'B (types of information involved)', issues);
  checkList(input.stepsForIndividual, '/stepsForIndividual', 'C (steps the individual should take)', issues);
  checkList(input.whatWeAreDoing, '/whatWeAreDoing', 'D (what the hospital is doing)', issues);
  const h = input.hospital;
  checkText(h.name, '/hospital/name', 'E (contact procedures)', issues);
  checkText(h.tollFreePhone, '/hospital/tollFreePhone', 'E (toll-free telephone number)', issues);
  checkText(h.email, '/hospital/email', 'E (e-mail address)', issues);
  checkText(h.website, '/hospital/website', 'E (web site)', issues);
  if (h.address.every(blank)) issues.push({ pointer: '/hospital/address', message: 'element E (postal address) must not be blank' });
  checkDate(input.letterDate, '/letterDate', true, issues);
  checkText(input.incidentReference, '/incidentReference', 'reference', issues);
  if (issues.length > 0) {
    throw new DomainError('VALIDATION_FAILED', 'The breach notice letter would miss a required element of 45 CFR 164.404(c).', { issues });
  }
}

const bullets = (items: readonly string[]): string[] => items.map((s) => `${BULLET}${s.trim()}`);

/**
 * Composes the individual notice as ordered sections A–E of 45 CFR 164.404(c)(1), in plain language (c)(2), with
 * headings a layperson understands. Element E carries all four contact routes (toll-free number, e-mail, web site and
 * postal address), although the rule's "or" would allow fewer: a patient should be able to use whichever suits them.
 *
 * @param input - the incident's facts for one recipient
 * @returns the title and sections A–E in order; list items start with a bullet
 * @throws DomainError `VALIDATION_FAILED` when an element would be empty or a date is not a calendar date; the issues
 *   name the fields and elements, never their text
 */
export function composeNoticeLetter(input: NoticeLetterInput): { readonly title: string; readonly sections: readonly LetterSection[] } {
  validate(input);
  const h = input.hospital;
  const discovered = longDate(input.discoveryDate) ?? input.discoveryDate;
  const breached = input.breachDate === null ? null : (longDate(input.breachDate) ?? input.breachDate);
  const postal = [h.name.trim(), ...h.address.filter((l) => !blank(l)).map((l) => l.trim())].join(', ');
  const sections: LetterSection[] = [
    {
      element: 'A',
      heading: 'What happened',
      paragraphs: [
        `We are writing to tell you about a privacy incident at ${h.name.trim()} that involved some of your health information. We take the privacy of your information seriously, and we are sorry this happened.`,
        input.whatHappened.trim(),
        breached === null ? 'We do not know the exact date on which this happened.' : `This happened on ${breached}.`,
        `We found out about it on ${discovered}.`,
      ],
    },
    {
      element: 'B',
      heading: 'What information was involved',
      paragraphs: ['The information involved was:', ...bullets(input.phiInvolved)],
    },
    {
      element: 'C',
      heading: 'What you can do to protect yourself',
      paragraphs: ['We recommend that you:', ...bullets(input.stepsForIndividual)],
    },
    {
      element: 'D',
      heading: 'What we are doing about it',
      paragraphs: ['To look into what happened, to limit any harm to you, and to keep it from happening again, we have:', ...bullets(input.whatWeAreDoing)],
    },
    {
      element: 'E',
      heading: 'How to reach us',
      paragraphs: [
        'If you have questions, or want to know more, please contact us in any of these ways:',
        `${BULLET}Call us free of charge at ${h.tollFreePhone.trim()} (toll-free).`,
        `${BULLET}Send an e-mail to ${h.email.trim()}.`,
        `${BULLET}Visit our website at ${h.website.trim()}.`,
        `${BULLET}Write to us at: ${postal}.`,
        `Please mention the reference ${input.incidentReference.trim()} so that we can help you quickly.`,
      ],
    },
  ];
  return { title: 'Notice about the privacy of your health information', sections };
}
