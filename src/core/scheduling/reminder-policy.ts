import { classifyInboundReply } from '../consent/inbound-intent.ts';
import { DomainError, type FieldIssue } from '../errors.ts';

/**
 * Appointment reminder policies (issue 8 item 1): when reminders go relative to the appointment, with which approved
 * template, and which reply words confirm, cancel or rebook.
 *
 * Pure domain logic: the caller stores the policy under its clinic and category and checks that the template exists
 * and has an approved version (TEMPLATE_NOT_FOUND / TEMPLATE_NOT_APPROVED are the app layer's).
 *
 * Reply words must never be confused with carrier keywords (compliance-and-protocols digest §2.2, §2.4, §2.5):
 * - FCC 24-24 (Revocation-of-Consent Order), 47 CFR 64.1200(a)(10): "stop", "quit", "end", "revoke", "opt out",
 *   "cancel", "unsubscribe" revoke consent per se; so does any wording a reasonable person reads as a revocation.
 * - Twilio default keywords: opt-out STOP, STOPALL, UNSUBSCRIBE, CANCEL, END, QUIT, REVOKE, OPTOUT; opt-in START, YES,
 *   UNSTOP; help HELP, INFO. The carrier acts on these before Wardline sees the reply.
 *
 * So a reply word the consent classifier ({@link classifyInboundReply}) reads as an opt-out is refused — `CANCEL`
 * would silently opt the patient out of every message — and one it reads as opt-in or help is accepted with a
 * warning, because the carrier and Wardline treat a reply with it as that keyword first (a `YES` re-subscribes an
 * opted-out patient; see `classifyAppointmentReply`, where consent always wins).
 */

/** What a patient's reply to a reminder asks for. */
export const APPOINTMENT_REPLY_KINDS = ['confirm', 'cancel', 'rebook'] as const;
export type AppointmentReplyKind = (typeof APPOINTMENT_REPLY_KINDS)[number];

/**
 * How long before the appointment a reminder goes, as an ISO 8601 duration restricted to days, hours and minutes
 * (`P7D`, `PT48H`, `P1DT2H30M`). Days are calendar days in the appointment's time zone (7 days before a 10:00
 * appointment is 10:00 local a week earlier, across a DST change too); hours and minutes are elapsed time (48 hours
 * before is exactly 2,880 minutes before).
 */
export interface ReminderOffset {
  /** Canonical form, e.g. `P7D`, `PT48H`, `P1DT2H30M`. */
  readonly duration: string;
  readonly days: number;
  /** Hours and minutes of the duration, in minutes. */
  readonly minutes: number;
}

/** A validated reminder policy. Reply words are stored upper case with single spaces (the keyword matcher's form). */
export interface ReminderPolicy {
  /** The template's name; the app layer checks it exists and is approved. */
  readonly template: string;
  /** Distinct offsets, the largest first (a day counted as 24 hours to sort; across a DST change `P2D` and `PT48H` differ by an hour). */
  readonly offsets: readonly ReminderOffset[];
  readonly replyWords: Readonly<Record<AppointmentReplyKind, readonly string[]>>;
}

/** Something a person configuring the policy must be told, without the policy being refused. */
export interface PolicyWarning {
  readonly pointer: string;
  readonly code: 'reply-word-is-opt-in-keyword' | 'reply-word-is-help-keyword' | 'reply-word-mentions-opt-out';
  readonly message: string;
}

export interface ParsedReminderPolicy {
  readonly policy: ReminderPolicy;
  readonly warnings: readonly PolicyWarning[];
}

/** At most this many reminders per appointment. */
export const MAX_OFFSETS = 10;
/** A reminder goes at most a year ahead. */
export const MAX_OFFSET_DAYS = 365;
/** At most this many words per intent. */
export const MAX_REPLY_WORDS = 10;
/** A reply word is short: at most this many characters (after normalisation) and three words. */
export const MAX_REPLY_WORD_LENGTH = 20;
const MAX_TEMPLATE_NAME_LENGTH = 100;

const DURATION = /^P(?:(\d{1,3})D)?(?:T(?:(\d{1,4})H)?(?:(\d{1,6})M)?)?$/;
const WORD_FORM = /^[\p{L}\p{N}]+(?: [\p{L}\p{N}]+){0,2}$/u;
const CONTROL = /\p{Cc}|\p{Cf}/u;
const LETTER_OR_DIGIT = /[\p{L}\p{N}]/u;

/**
 * The form in which reply words are stored and compared: NFKC, surrounding non-letters trimmed, upper case, inner
 * runs of whitespace, dashes, underscores and dots made one space — as the inbound keyword matcher does.
 */
export function normalizeReplyWord(text: string): string {
  const chars = Array.from(text.normalize('NFKC'));
  let start = 0;
  let end = chars.length;
  while (start < end && !LETTER_OR_DIGIT.test(chars[start] ?? '')) start++;
  while (end > start && !LETTER_OR_DIGIT.test(chars[end - 1] ?? '')) end--;
  return chars
    .slice(start, end)
    .join('')
    .toUpperCase()
    .replace(/[\s\p{Pd}_.]+/gu, ' ');
}

/** The form used for matching: {@link normalizeReplyWord} with every character that is not a letter or digit dropped. */
export function compactReplyWord(text: string): string {
  return normalizeReplyWord(text).replace(/[^\p{L}\p{N}]+/gu, '');
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function renderDuration(days: number, minutes: number): string {
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  const time = minutes > 0 ? `T${h > 0 ? `${h}H` : ''}${m > 0 ? `${m}M` : ''}` : '';
  return `P${days > 0 ? `${days}D` : ''}${time}`;
}

function parseOffset(value: unknown, pointer: string, issues: FieldIssue[]): ReminderOffset | null {
  if (typeof value !== 'string') {
    issues.push({ pointer, message: 'must be an ISO 8601 duration string such as "P7D" or "PT48H"' });
    return null;
  }
  const match = DURATION.exec(value);
  if (match === null || value === 'P' || value.endsWith('T')) {
    issues.push({ pointer, message: 'must be an ISO 8601 duration of days, hours and minutes, such as "P7D", "PT48H" or "P1DT2H30M"' });
    return null;
  }
  const days = Number(match[1] ?? 0);
  const minutes = Number(match[2] ?? 0) * 60 + Number(match[3] ?? 0);
  const total = days * 1440 + minutes;
  if (total <= 0) {
    issues.push({ pointer, message: 'must be longer than zero' });
    return null;
  }
  if (total > MAX_OFFSET_DAYS * 1440) {
    issues.push({ pointer, message: `must be at most ${MAX_OFFSET_DAYS} days` });
    return null;
  }
  return { duration: renderDuration(days, minutes), days, minutes };
}

function totalMinutes(o: ReminderOffset): number {
  return o.days * 1440 + o.minutes;
}

/** Why a reply word may not be used, or null. Checks the word as typed and its compact form ("C-A-N-CEL"). */
function refusal(word: string): string | null {
  for (const form of new Set([word, compactReplyWord(word)])) {
    const intent = classifyInboundReply(form);
    if (intent.kind === 'opt-out' && intent.via === 'keyword') {
      return `is the carrier opt-out keyword ${intent.keyword} (FCC 24-24, Twilio defaults): a patient replying with it is opted out of all messages; pick another word such as "C2" or "NO"`;
    }
    if (intent.kind === 'opt-out') {
      return 'reads as a request to stop messages (FCC 24-24 reasonable-person standard): a patient replying with it is opted out; pick another word such as "C2" or "NO"';
    }
  }
  return null;
}

function warningFor(word: string, pointer: string): PolicyWarning | null {
  const intent = classifyInboundReply(word);
  switch (intent.kind) {
    case 'opt-in':
      return {
        pointer,
        code: 'reply-word-is-opt-in-keyword',
        message: `${intent.keyword} is also a carrier opt-in keyword: a reply with it is handled as an opt-in (the carrier re-subscribes the patient and may send its own confirmation) and is not recorded against the appointment; prefer another word`,
      };
    case 'help':
      return {
        pointer,
        code: 'reply-word-is-help-keyword',
        message: `${intent.keyword} is also a carrier help keyword: a reply with it gets the program's HELP reply and is not recorded against the appointment; prefer another word`,
      };
    case 'review':
      return intent.reason === 'possible-opt-out'
        ? { pointer, code: 'reply-word-mentions-opt-out', message: 'this reply word resembles an opt-out request: replies with it are also shown to staff for review' }
        : null;
    case 'opt-out':
      return null;
  }
}

/**
 * Validates an untrusted reminder policy body:
 * `{ "template": "appointment_reminder", "offsets": ["P7D", "PT48H"],
 *    "replyWords": { "confirm": ["C", "YES"], "cancel": ["C2"], "rebook": ["R"] } }`.
 * `confirm` needs at least one word; `cancel` and `rebook` may be left out (no such replies are recognised).
 *
 * @param input - the parsed JSON body, untrusted
 * @returns the policy (offsets sorted largest first, reply words normalised) and warnings to show the
 *   person configuring it: reply words that are also carrier opt-in or help keywords (YES, START, HELP, INFO)
 * @throws DomainError VALIDATION_FAILED with one issue per problem (JSON pointers under `/body`, never the submitted
 *   value): a missing or malformed field, an offset that is not a positive duration of at most a year, a duplicate
 *   offset, a reply word that carriers or the FCC 24-24 standard read as an opt-out (STOP, CANCEL, END, QUIT, "stop
 *   texting me"…), a reply word used twice (in one intent or across intents)
 */
export function parseReminderPolicy(input: unknown): ParsedReminderPolicy {
  const issues: FieldIssue[] = [];
  const warnings: PolicyWarning[] = [];
  if (!isRecord(input)) {
    throw new DomainError('VALIDATION_FAILED', 'The reminder policy is not valid.', { issues: [{ pointer: '/body', message: 'must be an object' }] });
  }
  const known = new Set(['template', 'offsets', 'replyWords']);
  if (Object.keys(input).some((k) => !known.has(k))) {
    issues.push({ pointer: '/body', message: 'only template, offsets and replyWords are allowed' });
  }

  const template = input['template'];
  let templateName = '';
  if (typeof template !== 'string' || template.trim() === '' || template.length > MAX_TEMPLATE_NAME_LENGTH || CONTROL.test(template)) {
    issues.push({ pointer: '/body/template', message: `must be the name of an approved template (1 to ${MAX_TEMPLATE_NAME_LENGTH} characters)` });
  } else {
    templateName = template.trim();
  }

  const offsets: ReminderOffset[] = [];
  const rawOffsets = input['offsets'];
  if (!Array.isArray(rawOffsets) || rawOffsets.length === 0 || rawOffsets.length > MAX_OFFSETS) {
    issues.push({ pointer: '/body/offsets', message: `must be a list of 1 to ${MAX_OFFSETS} durations` });
  } else {
    const seen = new Set<string>();
    rawOffsets.forEach((value: unknown, i) => {
      const offset = parseOffset(value, `/body/offsets/${i}`, issues);
      if (offset === null) return;
      if (seen.has(offset.duration)) {
        issues.push({ pointer: `/body/offsets/${i}`, message: 'duplicates an earlier offset' });
        return;
      }
      seen.add(offset.duration);
      offsets.push(offset);
    });
  }
  offsets.sort((a, b) => totalMinutes(b) - totalMinutes(a) || b.days - a.days);

  const replyWords: Record<AppointmentReplyKind, string[]> = { confirm: [], cancel: [], rebook: [] };
  const rawWords = input['replyWords'];
  if (!isRecord(rawWords)) {
    issues.push({ pointer: '/body/replyWords', message: 'must be an object with confirm, cancel and rebook word lists' });
  } else {
    if (Object.keys(rawWords).some((k) => !(APPOINTMENT_REPLY_KINDS as readonly string[]).includes(k))) {
      issues.push({ pointer: '/body/replyWords', message: 'only confirm, cancel and rebook are allowed' });
    }
    const owner = new Map<string, string>();
    for (const kind of APPOINTMENT_REPLY_KINDS) {
      const list = rawWords[kind];
      const at = `/body/replyWords/${kind}`;
      if (list === undefined && kind !== 'confirm') continue;
      if (!Array.isArray(list) || list.length > MAX_REPLY_WORDS || (kind === 'confirm' && list.length === 0)) {
        issues.push({ pointer: at, message: kind === 'confirm' ? `must be a list of 1 to ${MAX_REPLY_WORDS} words` : `must be a list of at most ${MAX_REPLY_WORDS} words` });
        continue;
      }
      list.forEach((value: unknown, i) => {
        const pointer = `${at}/${i}`;
        if (typeof value !== 'string') {
          issues.push({ pointer, message: 'must be a string' });
          return;
        }
        const word = normalizeReplyWord(value);
        if (!WORD_FORM.test(word) || word.length > MAX_REPLY_WORD_LENGTH) {
          issues.push({ pointer, message: `must be one to three words of letters and digits, at most ${MAX_REPLY_WORD_LENGTH} characters` });
          return;
        }
        const refused = refusal(word);
        if (refused !== null) {
          issues.push({ pointer, message: refused });
          return;
        }
        const compact = compactReplyWord(word);
        const first = owner.get(compact);
        if (first !== undefined) {
          issues.push({ pointer, message: `is the same reply word as ${first}: each word may mean one thing only` });
          return;
        }
        owner.set(compact, pointer);
        const warning = warningFor(word, pointer);
        if (warning !== null) warnings.push(warning);
        replyWords[kind].push(word);
      });
    }
  }

  if (issues.length > 0) throw new DomainError('VALIDATION_FAILED', 'The reminder policy is not valid.', { issues });
  return { policy: { template: templateName, offsets, replyWords }, warnings };
}
