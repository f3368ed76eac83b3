import { CONDITIONS } from './vocabulary/conditions.ts';
import { LAB_TESTS, RESULT_NOUNS, SENSITIVE_TESTS } from './vocabulary/lab-tests.ts';
import { MEDICATIONS } from './vocabulary/medications.ts';
import { PROCEDURES } from './vocabulary/procedures.ts';
import { SPECIALTIES } from './vocabulary/specialties.ts';

/**
 * The PHI scanner, clinical layer (issue 4, item 3): finds medications, conditions, procedures, condition-revealing
 * services and lab results in an outgoing message, by vocabulary (`vocabulary/*.ts`, US-Government public-domain
 * sources, see `vocabulary/PROVENANCE.md`) and a few context rules. Pure and synchronous; returns types and UTF-16
 * offsets, never the matched text.
 *
 * How it matches: the text is split into word tokens once; each token (lower-cased, diacritics and a possessive 's
 * dropped, then with a plural ending removed if the plain form is unknown) is looked up in a map from first word to
 * the phrases starting with it, longest first. This is a hash look-up per word, so the cost does not grow with the
 * vocabulary. Measured on the ASQ-PHI dev texts: a single case-insensitive alternation regex over the same ~2,600
 * terms (longest first, word boundaries) ran about 500 messages/s; this index about 140,000.
 *
 * Context rules, so routing notices stay clean ("your results are ready", "your prescription is ready for pickup"):
 * - analyte names ("glucose", "potassium", "A1c") are reported only with a value ("A1c 8.2", "glucose was 250") or a
 *   result word ("is high", "came back abnormal", "abnormal pap smear"); generic result words ("results", "labs",
 *   "test") only with a result word, never a number;
 * - "tested positive for …", "came back negative" are results whatever the test;
 * - a condition in a conditional clause ("if you are pregnant", "if you have diabetes") or naming a vaccine or a
 *   public-health campaign ("COVID-19 vaccines", "cancer awareness month") is not reported;
 * - short all-capital abbreviations that are also words or names (AIDS, ALS, ANA, BUN, PrEP) match only as written;
 * - a medication's dose next to it ("metformin 500 mg", "10 mg of lisinopril") is part of the finding;
 * - an unknown word with a drug-stem ending (-statin, -pril, -sartan, -olol, -mab, -tinib, -navir …, USAN stems) is
 *   reported as a medication.
 */

export const CLINICAL_TYPES = ['MEDICATION', 'CONDITION', 'PROCEDURE', 'SPECIALTY', 'LAB_RESULT'] as const;
export type ClinicalType = (typeof CLINICAL_TYPES)[number];

export interface ClinicalFinding {
  readonly class: 'clinical';
  readonly type: ClinicalType;
  /** UTF-16 offsets into the scanned text, end exclusive. */
  readonly start: number;
  readonly end: number;
}

/** What a phrase can be: a finding on its own, an analyte (value or result word), or a generic result word. */
type Role = ClinicalType | 'ANALYTE' | 'RESULT_NOUN';

interface Phrase {
  /** Normalised tokens. */
  readonly tokens: readonly string[];
  /** The tokens as written, when the phrase must match case-sensitively. */
  readonly exact: readonly string[] | null;
  readonly roles: Set<Role>;
}

interface Token {
  readonly key: string;
  readonly raw: string;
  readonly start: number;
  readonly end: number;
}

const WORD_CHAR = /^[\p{L}\p{N}]$/u;
const ONE_KEY: string[] = [''];
const NON_ASCII = /[^ -~\t\n\r]/;
const DIACRITICS = /\p{M}/gu;

/** Abbreviations written in capitals that are safe to match in any case (no English word or name collides). */
const ANY_CASE = new Set(['HIV', 'MRI', 'COPD', 'ADHD', 'PTSD', 'GERD', 'MRSA', 'HPV', 'STD', 'STI', 'UTI', 'EKG', 'ECG', 'PSA', 'TSH', 'INR', 'LDL', 'HDL', 'CBC', 'IVF', 'DVT', 'CKD', 'HbA1c', 'eGFR', 'AFib', 'hCG', 'HSV', 'HCV', 'HBV', 'DKA', 'CHF', 'IBS', 'OCD', 'LEEP', 'CPAP', 'DEXA', 'TAVR', 'CABG', 'PCOS', 'NICU', 'VIH', 'SIDA']);

/** A lower-case key without diacritics ("Diálisis" → "dialisis"). */
function normalise(lowerWord: string): string {
  return NON_ASCII.test(lowerWord) ? lowerWord.normalize('NFD').replace(DIACRITICS, '') : lowerWord;
}

/** Phrases that must match as written: short all-capital abbreviations, and "Plan B". */
function needsExactCase(term: string): boolean {
  if (ANY_CASE.has(term)) return false;
  if (term === 'Plan B') return true;
  return term.length <= 5 && /[A-Z]/.test(term.slice(1)) && !term.includes(' ');
}

/** Letters and digits: ASCII by code, anything else by Unicode property (astral letters count, as a pair). */
function wordCharAt(text: string, i: number): number {
  const c = text.charCodeAt(i);
  if (c < 128) return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) ? 1 : 0;
  const cp = text.codePointAt(i) ?? 0;
  return WORD_CHAR.test(String.fromCodePoint(cp)) ? (cp > 0xffff ? 2 : 1) : 0;
}

/**
 * Word tokens with offsets: runs of letters and digits, with a possessive 's kept on the word. A hand-written scan,
 * about three times faster than a Unicode regex here.
 * @param lower - `text.toLowerCase()`, used for keys when it keeps every offset (unless the text holds e.g. 'İ')
 */
function tokensOf(text: string, lower: string = text.toLowerCase()): Token[] {
  const out: Token[] = [];
  const sameLength = lower.length === text.length;
  const n = text.length;
  let i = 0;
  while (i < n) {
    let step = wordCharAt(text, i);
    if (step === 0) {
      i++;
      continue;
    }
    const start = i;
    let ascii = true;
    while (step > 0) {
      if (text.charCodeAt(i) >= 128) ascii = false;
      i += step;
      step = i < n ? wordCharAt(text, i) : 0;
    }
    let end = i;
    const q = text.charCodeAt(end);
    const possessive = (q === 39 || q === 0x2019) && (text.charCodeAt(end + 1) | 32) === 115 && (end + 2 >= n || wordCharAt(text, end + 2) === 0);
    const word = text.slice(start, end);
    if (possessive) {
      end += 2;
      i = end;
    }
    const key = sameLength ? lower.slice(start, start + word.length) : word.toLowerCase();
    out.push({ key: ascii ? key : normalise(key), raw: word, start, end });
  }
  return out;
}

/** First token → phrases starting with it, longest first. Built once at module load. */
const INDEX = new Map<string, Phrase[]>();

function addTerms(terms: readonly string[], role: Role): void {
  for (const term of terms) {
    const raw = tokensOf(term);
    if (raw.length === 0) continue;
    const tokens = raw.map((t) => t.key);
    const exact = needsExactCase(term) ? raw.map((t) => t.raw) : null;
    const first = tokens[0] ?? '';
    const list = INDEX.get(first) ?? [];
    const same = list.find((p) => p.tokens.join(' ') === tokens.join(' ') && (p.exact === null) === (exact === null));
    if (same !== undefined) same.roles.add(role);
    else list.push({ tokens, exact, roles: new Set([role]) });
    INDEX.set(first, list);
  }
}

addTerms(MEDICATIONS, 'MEDICATION');
addTerms(CONDITIONS, 'CONDITION');
addTerms(PROCEDURES, 'PROCEDURE');
addTerms(SPECIALTIES, 'SPECIALTY');
addTerms(SENSITIVE_TESTS, 'LAB_RESULT');
addTerms(LAB_TESTS, 'ANALYTE');
addTerms(RESULT_NOUNS, 'RESULT_NOUN');
for (const list of INDEX.values()) list.sort((a, b) => b.tokens.length - a.tokens.length);

/** Plural and inflection endings tried when the plain token is unknown: "statins", "migraines", "allergies". */
function singulars(key: string): string[] {
  if (key.length < 4) return [];
  const out: string[] = [];
  if (key.endsWith('ies')) out.push(`${key.slice(0, -3)}y`);
  if (key.endsWith('es')) out.push(key.slice(0, -2));
  if (key.endsWith('s') && !key.endsWith('ss')) out.push(key.slice(0, -1));
  return out;
}

function sameToken(want: string, token: Token, exact: string | undefined): boolean {
  if (exact !== undefined) return token.raw === exact;
  return token.key === want || (token.key.endsWith('s') && singulars(token.key).includes(want));
}

/** Between the words of one phrase: spaces, a hyphen, a slash, a comma, an initial's dot ("H. pylori"), "&" ("D&C"). */
const GAP = /^(?:['’]?[\s,/-]{1,3}|\.\s{0,2}|\s?&\s?)$/;

function matchAt(text: string, tokens: readonly Token[], i: number): { phrase: Phrase; last: number } | null {
  const head = tokens[i];
  if (head === undefined) return null;
  let keys = ONE_KEY;
  if (INDEX.has(head.key)) ONE_KEY[0] = head.key;
  else if (head.key.endsWith('s')) keys = singulars(head.key);
  else return null;
  for (const key of keys) {
    const candidates = INDEX.get(key);
    if (candidates === undefined) continue;
    for (const phrase of candidates) {
      let ok = true;
      for (let k = 0; k < phrase.tokens.length && ok; k++) {
        const token = tokens[i + k];
        if (token === undefined) {
          ok = false;
          break;
        }
        if (k > 0) {
          const prev = tokens[i + k - 1];
          if (prev === undefined || !GAP.test(text.slice(prev.end, token.start))) ok = false;
        }
        if (ok) ok = sameToken(phrase.tokens[k] ?? '', token, phrase.exact?.[k]);
      }
      if (ok) return { phrase, last: i + phrase.tokens.length - 1 };
    }
  }
  return null;
}

// ---------------------------------------------------------------------------------------------------------------
// Context rules
// ---------------------------------------------------------------------------------------------------------------

const QUALIFIER =
  'high(?:er)?|low(?:er)?|elevated|raised|abnormal(?:ly\\s+\\w+)?|positive|negative|normal|reactive|non-?reactive|undetectable|detectable|not\\s+detected|detected|borderline|critical(?:ly\\s+(?:high|low))?|out\\s+of\\s+range|in\\s+(?:the\\s+)?normal\\s+range|in\\s+range|within\\s+normal\\s+limits|benign|malignant|cancerous|precancerous|pre-cancerous|clear|inconclusive|concerning|worrisome|worse|better|improved|improving|increased|decreased|unchanged|stable|too\\s+(?:high|low)|' +
  'positiv[oa]s?|negativ[oa]s?|anormal(?:es)?|alt[oa]s?|elevad[oa]s?|baj[oa]s?|normales';
const INTENSIFIER = '(?:(?:slightly|a\\s+little(?:\\s+bit)?|a\\s+bit|very|mildly|moderately|quite|too|really|significantly|extremely|dangerously|still|all|completely|back|un\\s+poco|muy|todav[ií]a)\\s+)*';
const CONNECTOR =
  "(?:[:=-]|(?:was|is|were|are|came\\s+back|came\\s+in|comes\\s+back|come\\s+back|came\\s+out|returned|now|still|remains?|remained|has\\s+been|have\\s+been|had\\s+been|showed|shows|show|showing|looks?|looked|looking|read|measured|dropped|went\\s+(?:up|down)|rose|climbed|fell|up|down|increased|decreased|of|was\\s+found|it's|it\\s+is|'s|running|been\\s+running|trending|went\\s+from|dropped\\s+from|grew|is\\s+now|fue|sali[oó]|salieron|estaba|estaban|est[aá]n?|es|son|de|en|dio)(?![\\p{L}]))";
const LINK_WORD = '(?:level|levels|count|reading|readings|result|results|value|number|numbers|score|test|tests|panel|nivel|niveles)';
const UNITS = '%|percent|mg\\/dl|mg\\/l|mmol\\/l|mmol|meq\\/l|ng\\/ml|pg\\/ml|u\\/l|iu\\/l|g\\/dl|k\\/ul|mmhg|bpm|degrees|°f?|lbs?|pounds|kg';
const VALUE = `(?:[<>≤≥~]\\s*)?\\d+(?:[.,]\\d+)?(?:\\s*\\/\\s*\\d+)?(?!\\s*(?::\\d|[ap]\\.?m\\b|o'?clock|days?\\b|weeks?\\b|hours?\\b|hrs?\\b|business|minutes?\\b|mins?\\b|months?\\b|years?\\b|times\\b|[.,]?\\d))(?:\\s*(?:${UNITS})(?![\\p{L}]))?`;
const LOOKS_FINE = '(?:look(?:s|ed|ing)?|came\\s+back)\\s+(?:good|fine|great|ok|okay|reassuring|unremarkable)';

/** After an analyte: [level] then connectors then a value or a result word. */
const WHEN = '(?:\\s+(?:today|yesterday|this\\s+morning|last\\s+night|at\\s+(?:your|the)\\s+visit|hoy))?';
const AFTER_ANALYTE = new RegExp(`^(?:\\s+${LINK_WORD})?${WHEN}(?:\\s*${CONNECTOR}(?:\\s+(?:at|to|${CONNECTOR}))*)?\\s*${INTENSIFIER}(?:(?:${QUALIFIER})(?![\\p{L}\\p{N}])(?:,?\\s+(?:at|of|to)\\s+${VALUE})?|${VALUE}|${LOOKS_FINE}(?![\\p{L}]))`, 'iu');
/** "cholesterol pills", "thyroid medicine", "blood pressure meds": a treatment named by what it treats. */
const PILLS = /^\s+(?:pills?|meds|medicines?|medications?|tablets?)(?![\p{L}])/iu;
/** After a generic result word or a procedure: connectors then a result word (no numbers). */
const AFTER_RESULT = new RegExp(`^(?:\\s+(?:from|of|for)\\s+(?:your|the|this|last)\\s+[\\p{L}-]+)?(?:\\s*${CONNECTOR}(?:\\s+${CONNECTOR})*)?\\s*${INTENSIFIER}(?:(?:${QUALIFIER})(?![\\p{L}\\p{N}])|${LOOKS_FINE}(?![\\p{L}]))`, 'iu');
/** A result word just before an analyte, result word or procedure: "abnormal pap smear", "high potassium". */
const BEFORE = new Set(['abnormal', 'positive', 'negative', 'elevated', 'high', 'low', 'raised', 'reactive', 'borderline', 'critical', 'inconclusive', 'concerning', 'worrisome', 'normal', 'unremarkable', 'positivo', 'positiva', 'positivos', 'positivas', 'negativo', 'negativa', 'negativos', 'negativas', 'anormal', 'anormales', 'elevado', 'elevada', 'elevados', 'elevadas', 'alto', 'alta', 'altos', 'altas', 'bajo', 'baja', 'bajos', 'bajas']);
/** Words allowed between that result word and the test: "abnormal blood count", "high urine protein". */
const BEFORE_SAMPLE = new Set(['blood', 'urine', 'liver', 'kidney', 'thyroid']);
const SPACES = /^\s+$/;
/** "tested positive for strep", "positive for COVID", "salió positivo", "came back negative". */
const TESTED = /\b(?:(?:tested|screened|test(?:ed)?\s+(?:came\s+back|was|is))\s+)?(?:positive|negative|reactive|non-?reactive)\s+(?:result\s+)?for\s+[\p{L}\p{N}][\p{L}\p{N}'’-]*/giu;
const CAME_BACK = new RegExp(`\\b(?:came|comes)\\s+(?:back|out)\\s+${INTENSIFIER}(?:${QUALIFIER})(?![\\p{L}\\p{N}])|\\b(?:dio|sali[oó]|salieron)\\s+(?:positiv[oa]s?|negativ[oa]s?|anormal(?:es)?|alt[oa]s?)\\b`, 'giu');
const TESTED_NEEDS = ['positiv', 'negativ', 'reactiv', 'came', 'dio', 'sali'];

/** A condition in a conditional or general clause: "if you are pregnant", "if you have diabetes". */
const CONDITIONAL = /\b(?:if|in\s+case)\s+(?:you|your\s+child)(?:'re|’re|\s+are|\s+have|\s+had|\s+may|\s+might|\s+think|\s+feel|\s+experience|\s+develop|\s+notice|\s+or\s+\w+)\b[^.!?;\n]{0,20}$/i;
const IF_WORD = /\b(?:if|in\s+case)\b/i;
function isConditional(text: string, start: number): boolean {
  const window = text.slice(Math.max(0, start - 60), start);
  return IF_WORD.test(window) && CONDITIONAL.test(window);
}

/**
 * A term naming a vaccine or a campaign rather than the patient's care: the next word ("hepatitis B vaccine", "flu
 * season", "infection control", "cancer awareness") or, after "and"/"or" and one word, a vaccine word ("COVID-19 and
 * flu vaccines").
 */
const VACCINE = /^(?:vaccin|vacun|shots?$|boosters?$|immuniz|immunis|jabs?$)/;
const CAMPAIGN = /^(?:season|polic|precaution|guideline|safety|restriction|prevention|control|awareness|fundrais|research|foundation|society|walk$)/;

/** A dose next to a medication: after ("metformin 500 mg", "Lantus 20 units") or before ("10 mg of lisinopril"). */
const DOSE_AFTER = /^(?:\s+(?:ER|XR|XL|SR|CR|DR|ODT|HCl|HCT|extended[- ]release))?\s*\d+(?:[.,]\d+)?(?:\s*\/\s*\d+(?:[.,]\d+)?)?\s*(?:mg|mcg|µg|g|ml|mL|units?|iu|IU|meq|mEq|%)(?![\p{L}])/u;
const DOSE_BEFORE = /\d+(?:[.,]\d+)?\s*(?:mg|mcg|µg|g|ml|mL|units?|iu|IU|meq|mEq)\s+(?:of\s+)?$/u;

/** USAN stems of established drug names (public, US Adopted Names Council), for names missing from the list. */
const STEMS = ['statin', 'opril', 'april', 'ipril', 'sartan', 'olol', 'dipine', 'prazole', 'tidine', 'gliptin', 'gliflozin', 'glutide', 'tinib', 'ciclib', 'parib', 'xaban', 'gatran', 'triptan', 'lukast', 'setron', 'azepam', 'azolam', 'oxetine', 'floxacin', 'cillin', 'mycin', 'cycline', 'conazole', 'navir', 'tegravir', 'buvir', 'previr', 'asvir', 'umab', 'ximab', 'zumab', 'dronate', 'parin', 'vudine', 'afil'];
const DRUG_STEM = new RegExp(`^[a-z]{3,}(?:${STEMS.join('|')})$`);
/** Last three letters of every stem: a cheap test before the regex. */
const STEM_TAILS = new Set(STEMS.map((s) => s.slice(-3)));

const PRIORITY: readonly ClinicalType[] = ['MEDICATION', 'CONDITION', 'LAB_RESULT', 'PROCEDURE', 'SPECIALTY'];

/** "… test is at 10" is a time, not a value: a whole number up to 12 after "at". */
const AT_HOUR = /\bat\s+(\d{1,2})$/i;
function isClockTime(after: string): boolean {
  const m = AT_HOUR.exec(after);
  return m?.[1] !== undefined && Number(m[1]) <= 12;
}

function push(out: ClinicalFinding[], type: ClinicalType, start: number, end: number): void {
  if (end > start) out.push({ class: 'clinical', type, start, end });
}

const NEXT_WORDS = /^[^\p{L}.!?;:\n]*(\p{L}+)(?:[^\p{L}.!?;:\n]+(\p{L}+))?(?:[^\p{L}.!?;:\n]+(\p{L}+))?/u;

function isCampaign(text: string, end: number): boolean {
  const m = NEXT_WORDS.exec(text.slice(end, end + 48));
  if (m === null) return false;
  const next = (m[1] ?? '').toLowerCase();
  const second = (m[2] ?? '').toLowerCase();
  const third = (m[3] ?? '').toLowerCase();
  return VACCINE.test(next) || CAMPAIGN.test(next) || ((next === 'and' || next === 'or') && VACCINE.test(third) && second.length > 0);
}

/** Extends a finding back over a result word written just before it ("abnormal pap smear", "high urine protein"). */
function startWithQualifier(text: string, tokens: readonly Token[], i: number): number | null {
  let k = i - 1;
  const adjacent = (a: Token | undefined, b: Token | undefined): boolean => a !== undefined && b !== undefined && SPACES.test(text.slice(a.end, b.start));
  if (BEFORE_SAMPLE.has(tokens[k]?.key ?? '') && adjacent(tokens[k], tokens[k + 1])) k--;
  const word = tokens[k];
  return word !== undefined && BEFORE.has(word.key) && adjacent(word, tokens[k + 1]) ? word.start : null;
}

/**
 * @param text - the message text
 * @returns clinical findings, unsorted and possibly overlapping (the scanner sorts and merges)
 */
export function scanClinical(text: string): ClinicalFinding[] {
  const out: ClinicalFinding[] = [];
  const lower = text.toLowerCase();
  const tokens = tokensOf(text, lower);
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i];
    if (token === undefined) continue;
    const hit = matchAt(text, tokens, i);
    if (hit === null) {
      if (token.key.length >= 7 && STEM_TAILS.has(token.key.slice(-3)) && DRUG_STEM.test(token.key)) push(out, 'MEDICATION', token.start, token.end);
      continue;
    }
    const start = token.start;
    const end = tokens[hit.last]?.end ?? token.end;
    const { roles } = hit.phrase;
    // One finding per phrase, the most specific role first (a phrase may be listed as a procedure and a specialty).
    const role = PRIORITY.find((r) => roles.has(r));
    if (role !== undefined) {
      if (role === 'MEDICATION') {
        const after = DOSE_AFTER.exec(text.slice(end, end + 32));
        const before = DOSE_BEFORE.exec(text.slice(Math.max(0, start - 24), start));
        push(out, 'MEDICATION', before === null ? start : start - before[0].length, after === null ? end : end + after[0].length);
      } else if (role === 'CONDITION') {
        if (!isConditional(text, start) && !isCampaign(text, end)) push(out, 'CONDITION', start, end);
      } else if (role === 'LAB_RESULT' || !isCampaign(text, end)) {
        push(out, role, start, end);
      }
    }
    // Results: an analyte with a value or result word; a result word or procedure with a result word; either with
    // a result word before it.
    if (roles.has('ANALYTE')) {
      const pills = PILLS.exec(text.slice(end, end + 16));
      if (pills !== null) push(out, 'MEDICATION', start, end + pills[0].length);
    }
    const resultLike = roles.has('ANALYTE') || roles.has('RESULT_NOUN') || roles.has('PROCEDURE') || roles.has('LAB_RESULT');
    if (resultLike) {
      const tail = text.slice(end, end + 80);
      const after = (roles.has('ANALYTE') ? AFTER_ANALYTE : AFTER_RESULT).exec(tail);
      const from = startWithQualifier(text, tokens, i);
      if (after !== null && after[0].trim().length > 0 && !isClockTime(after[0])) push(out, 'LAB_RESULT', from ?? start, end + after[0].length);
      else if (from !== null) push(out, 'LAB_RESULT', from, end);
    }
    i = hit.last;
  }
  if (TESTED_NEEDS.some((w) => lower.includes(w))) {
    for (const m of text.matchAll(TESTED)) push(out, 'LAB_RESULT', m.index, m.index + m[0].length);
    for (const m of text.matchAll(CAME_BACK)) push(out, 'LAB_RESULT', m.index, m.index + m[0].length);
  }
  return out;
}
