import { CLINICAL_TYPES, scanClinical, type ClinicalType } from './clinical.ts';

/**
 * The PHI scanner (issue 4, item 3). Two layers, one call:
 * - identifiers (HIPAA Safe Harbor, reference §1.6): names, dates, contact numbers, e-mail and web addresses, record
 *   and plan numbers, locations and ages over 89 in free text, by pattern and context word, plus whatever the
 *   recipient's own record says (their name, birth date and record numbers are identifiers by definition);
 * - clinical content (`clinical.ts`): medications, conditions, procedures, condition-revealing services and lab
 *   results, from public-domain vocabularies (`vocabulary/PROVENANCE.md`) with context rules that leave
 *   minimum-necessary notices ("your results are ready") alone.
 * Pure and synchronous; it returns classes, types and character offsets — callers must never log the matched text.
 */

export type FindingClass = 'identifier' | 'clinical';

export const IDENTIFIER_TYPES = [
  'NAME',
  'DATE',
  'PHONE',
  'FAX',
  'EMAIL',
  'URL',
  'IP_ADDRESS',
  'SSN',
  'MRN',
  'HEALTH_PLAN',
  'ACCOUNT',
  'ID',
  'ADDRESS',
  'ZIP',
  'LOCATION',
  'AGE_OVER_89',
] as const;
export type IdentifierType = (typeof IDENTIFIER_TYPES)[number];

export { CLINICAL_TYPES, type ClinicalType };
/** Every finding type: identifier types (class `identifier`) and clinical types (class `clinical`). */
export type FindingType = IdentifierType | ClinicalType;

export interface PhiFinding {
  readonly class: FindingClass;
  readonly type: FindingType;
  /** UTF-16 offsets into the scanned text, end exclusive. */
  readonly start: number;
  readonly end: number;
}

/** What the recipient's own record contributes (decrypted by the caller, never logged). */
export interface PatientContext {
  readonly names: readonly string[];
  /** `YYYY-MM-DD`. */
  readonly birthDate: string | null;
  readonly identifiers: readonly string[];
}

const MONTHS = 'January|February|March|April|May|June|July|August|September|October|November|December';
const MONTH_ABBR = 'Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec';
const MONTH = `(?:${MONTHS}|(?:${MONTH_ABBR})\\.?)`;
const DAY = '(?:[12]\\d|3[01]|0?[1-9])(?:st|nd|rd|th)?';
const YEAR = "(?:(?:19|20)\\d{2}|'\\d{2})";
const CAP = "[A-Z][a-zA-Z'’-]+";
const FACILITY =
  'Hospitals?|Clinic|Medical Cent(?:er|re)|Medical Group|Health(?: System| Center| Centre)?|Healthcare|Cent(?:er|re)|Infirmary|Institute|Memorial|Children\'s|Presbyterian|Langone|Sinai|Pavilion|Hospice|Nursing Home|Rehab(?:ilitation)?(?: Center)?|Urgent Care|Pharmacy|Lab(?:s|oratory)?|Practice|Surgery Center';

/** Large US cities and state names (public knowledge, US Census place names), matched as whole words. */
const PLACES = [
  'New York City', 'New York', 'Los Angeles', 'Chicago', 'Houston', 'Phoenix', 'Philadelphia', 'San Antonio', 'San Diego',
  'Dallas', 'San Jose', 'Austin', 'Jacksonville', 'Fort Worth', 'Columbus', 'Charlotte', 'San Francisco', 'Indianapolis',
  'Seattle', 'Denver', 'Washington', 'Boston', 'El Paso', 'Nashville', 'Detroit', 'Oklahoma City', 'Portland', 'Las Vegas',
  'Memphis', 'Louisville', 'Baltimore', 'Milwaukee', 'Albuquerque', 'Tucson', 'Fresno', 'Sacramento', 'Kansas City',
  'Mesa', 'Atlanta', 'Omaha', 'Colorado Springs', 'Raleigh', 'Miami', 'Long Beach', 'Virginia Beach', 'Oakland',
  'Minneapolis', 'Tulsa', 'Tampa', 'Arlington', 'New Orleans', 'Wichita', 'Cleveland', 'Bakersfield', 'Aurora', 'Anaheim',
  'Honolulu', 'Santa Ana', 'Riverside', 'Corpus Christi', 'Lexington', 'Pittsburgh', 'Anchorage', 'Stockton', 'Cincinnati',
  'Saint Paul', 'St. Paul', 'St. Louis', 'Toledo', 'Newark', 'Greensboro', 'Plano', 'Henderson', 'Lincoln', 'Buffalo',
  'Fort Wayne', 'Jersey City', 'Chula Vista', 'Orlando', 'Norfolk', 'Chandler', 'Laredo', 'Madison', 'Durham', 'Lubbock',
  'Winston-Salem', 'Garland', 'Glendale', 'Hialeah', 'Reno', 'Baton Rouge', 'Irvine', 'Rochester', 'Boise', 'Richmond',
  'Spokane', 'Des Moines', 'Salt Lake City', 'Birmingham', 'Providence', 'Hartford', 'Brooklyn', 'Queens', 'Bronx',
  'Manhattan', 'Harlem', 'Cambridge', 'Palo Alto', 'Pasadena', 'Ann Arbor', 'Rochester', 'New Haven', 'Scottsdale',
  'Alabama', 'Alaska', 'Arizona', 'Arkansas', 'California', 'Colorado', 'Connecticut', 'Delaware', 'Florida', 'Georgia',
  'Hawaii', 'Idaho', 'Illinois', 'Indiana', 'Iowa', 'Kansas', 'Kentucky', 'Louisiana', 'Maine', 'Maryland',
  'Massachusetts', 'Michigan', 'Minnesota', 'Mississippi', 'Missouri', 'Montana', 'Nebraska', 'Nevada', 'New Hampshire',
  'New Jersey', 'New Mexico', 'North Carolina', 'North Dakota', 'Ohio', 'Oregon', 'Pennsylvania', 'Rhode Island',
  'South Carolina', 'South Dakota', 'Tennessee', 'Texas', 'Utah', 'Vermont', 'Virginia', 'West Virginia', 'Wisconsin',
  'Wyoming', 'Bay Area', 'Midwest',
];

/** Well-known US health systems named without a facility word (public knowledge). */
const HEALTH_SYSTEMS = [
  'Johns Hopkins', 'Mayo', 'Cedars-Sinai', 'Cedar Sinai', 'Mount Sinai', 'Kaiser Permanente', 'Kaiser', 'NYU Langone',
  'UCSF', 'UCLA', 'UCSD', 'UC Davis', 'MGH', 'Mass General', 'Brigham', 'Stanford', 'Duke', 'Vanderbilt', 'Emory',
  'Penn Medicine', 'Northwestern', 'Sloan Kettering', 'MD Anderson', 'Bellevue', 'Montefiore', 'Beth Israel',
  'Cleveland Clinic', 'Geisinger', 'Intermountain', 'Ochsner', 'Baylor', 'Yale New Haven', 'Lenox Hill', 'Jefferson',
];

/** Frequent US given names (SSA baby-name statistics, public domain). */
const GIVEN_NAMES = [
  'James', 'John', 'Robert', 'Michael', 'William', 'David', 'Richard', 'Joseph', 'Thomas', 'Charles', 'Christopher', 'Daniel',
  'Matthew', 'Anthony', 'Mark', 'Donald', 'Steven', 'Paul', 'Andrew', 'Joshua', 'Kenneth', 'Kevin', 'Brian', 'George',
  'Timothy', 'Ronald', 'Edward', 'Jason', 'Jeffrey', 'Ryan', 'Jacob', 'Gary', 'Nicholas', 'Eric', 'Jonathan', 'Stephen',
  'Larry', 'Justin', 'Scott', 'Brandon', 'Benjamin', 'Samuel', 'Gregory', 'Frank', 'Alexander', 'Raymond', 'Patrick',
  'Jack', 'Dennis', 'Jerry', 'Tyler', 'Aaron', 'Jose', 'Adam', 'Henry', 'Nathan', 'Douglas', 'Zachary', 'Peter', 'Kyle',
  'Walter', 'Ethan', 'Jeremy', 'Harold', 'Keith', 'Christian', 'Roger', 'Noah', 'Gerald', 'Carl', 'Terry', 'Sean',
  'Austin', 'Arthur', 'Lawrence', 'Jesse', 'Dylan', 'Bryan', 'Joe', 'Jordan', 'Billy', 'Bruce', 'Albert', 'Willie',
  'Gabriel', 'Logan', 'Alan', 'Juan', 'Wayne', 'Roy', 'Ralph', 'Randy', 'Eugene', 'Vincent', 'Russell', 'Elijah', 'Louis',
  'Bobby', 'Philip', 'Johnny', 'Bob', 'Tom', 'Tony', 'Luis', 'Carlos', 'Miguel', 'Ahmed', 'Mohammed', 'Wei', 'Raj',
  'Mary', 'Patricia', 'Jennifer', 'Linda', 'Elizabeth', 'Barbara', 'Susan', 'Jessica', 'Sarah', 'Karen', 'Nancy', 'Lisa',
  'Betty', 'Margaret', 'Sandra', 'Ashley', 'Kimberly', 'Emily', 'Donna', 'Michelle', 'Dorothy', 'Carol', 'Amanda',
  'Melissa', 'Deborah', 'Stephanie', 'Rebecca', 'Sharon', 'Laura', 'Cynthia', 'Kathleen', 'Amy', 'Shirley', 'Angela',
  'Helen', 'Anna', 'Ana', 'Brenda', 'Pamela', 'Nicole', 'Emma', 'Samantha', 'Katherine', 'Christine', 'Debra', 'Rachel',
  'Catherine', 'Carolyn', 'Janet', 'Ruth', 'Maria', 'Heather', 'Diane', 'Virginia', 'Julie', 'Joyce', 'Victoria',
  'Olivia', 'Kelly', 'Christina', 'Lauren', 'Joan', 'Evelyn', 'Judith', 'Megan', 'Cheryl', 'Andrea', 'Hannah', 'Martha',
  'Jacqueline', 'Frances', 'Gloria', 'Ann', 'Teresa', 'Kathryn', 'Sara', 'Janice', 'Jean', 'Alice', 'Madison', 'Doris',
  'Abigail', 'Julia', 'Judy', 'Grace', 'Denise', 'Amber', 'Marilyn', 'Beverly', 'Danielle', 'Theresa', 'Sophia',
  'Marie', 'Diana', 'Brittany', 'Natalie', 'Isabella', 'Charlotte', 'Rose', 'Alexis', 'Kayla', 'Jane', 'Clara', 'Lucy',
  'Rosa', 'Carmen', 'Sofia', 'Mia', 'Chloe', 'Ella', 'Ava', 'Lily', 'Priya', 'Mei', 'Fatima', 'Aisha',
].join('|');

/** Frequent US surnames (Census Bureau surname lists, public domain). */
const SURNAMES = [
  'Smith', 'Johnson', 'Williams', 'Brown', 'Jones', 'Garcia', 'Miller', 'Davis', 'Rodriguez', 'Martinez', 'Hernandez',
  'Lopez', 'Gonzalez', 'Wilson', 'Anderson', 'Thomas', 'Taylor', 'Moore', 'Jackson', 'Martin', 'Lee', 'Perez', 'Thompson',
  'White', 'Harris', 'Sanchez', 'Clark', 'Ramirez', 'Lewis', 'Robinson', 'Walker', 'Young', 'Allen', 'King', 'Wright',
  'Scott', 'Torres', 'Nguyen', 'Hill', 'Flores', 'Green', 'Adams', 'Nelson', 'Baker', 'Hall', 'Rivera', 'Campbell',
  'Mitchell', 'Carter', 'Roberts', 'Gomez', 'Phillips', 'Evans', 'Turner', 'Diaz', 'Parker', 'Cruz', 'Edwards',
  'Collins', 'Reyes', 'Stewart', 'Morris', 'Morales', 'Murphy', 'Cook', 'Rogers', 'Gutierrez', 'Ortiz', 'Morgan',
  'Cooper', 'Peterson', 'Bailey', 'Reed', 'Kelly', 'Howard', 'Ramos', 'Kim', 'Cox', 'Ward', 'Richardson', 'Watson',
  'Brooks', 'Chavez', 'Wood', 'James', 'Bennett', 'Gray', 'Mendoza', 'Ruiz', 'Hughes', 'Price', 'Alvarez', 'Castillo',
  'Sanders', 'Patel', 'Myers', 'Long', 'Ross', 'Foster', 'Jimenez', 'Powell', 'Jenkins', 'Perry', 'Russell', 'Sullivan',
  'Bell', 'Coleman', 'Butler', 'Henderson', 'Barnes', 'Gonzales', 'Fisher', 'Vasquez', 'Simmons', 'Romero', 'Jordan',
  'Patterson', 'Alexander', 'Hamilton', 'Graham', 'Reynolds', 'Griffin', 'Wallace', 'Moreno', 'West', 'Cole', 'Hayes',
  'Bryant', 'Herrera', 'Gibson', 'Ellis', 'Tran', 'Medina', 'Aguilar', 'Stevens', 'Murray', 'Ford', 'Castro', 'Marshall',
  'Owens', 'Harrison', 'Fernandez', 'McDonald', 'Woods', 'Washington', 'Kennedy', 'Wells', 'Vargas', 'Henry', 'Chen',
  'Freeman', 'Webb', 'Tucker', 'Guzman', 'Burns', 'Crawford', 'Olson', 'Simpson', 'Porter', 'Hunter', 'Gordon', 'Mendez',
  'Silva', 'Shaw', 'Snyder', 'Mason', 'Dixon', 'Munoz', 'Hunt', 'Hicks', 'Holmes', 'Palmer', 'Wagner', 'Black',
  'Robertson', 'Boyd', 'Rose', 'Stone', 'Salazar', 'Fox', 'Warren', 'Mills', 'Meyer', 'Rice', 'Schmidt', 'Garza',
  'Daniels', 'Ferguson', 'Nichols', 'Stephens', 'Soto', 'Weaver', 'Ryan', 'Gardner', 'Payne', 'Grant', 'Dunn', 'Kelley',
  'Spencer', 'Hawkins', 'Arnold', 'Pierce', 'Vazquez', 'Hansen', 'Peters', 'Santos', 'Hart', 'Bradley', 'Knight',
  'Elliott', 'Cunningham', 'Duncan', 'Armstrong', 'Hudson', 'Carroll', 'Lane', 'Riley', 'Andrews', 'Alvarado', 'Ray',
  'Delgado', 'Berry', 'Perkins', 'Hoffman', 'Johnston', 'Matthews', 'Pena', 'Richards', 'Contreras', 'Willis',
  'Carpenter', 'Lawrence', 'Sandoval', 'Wong', 'Wang', 'Li', 'Zhang', 'Liu', 'Singh', 'Khan', 'Doe', 'Miles',
].join('|');

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const alternation = (words: readonly string[]): string => [...words].sort((a, b) => b.length - a.length).map(escape).join('|');

interface Rule {
  readonly type: IdentifierType;
  readonly re: RegExp;
  /** The capture group holding the identifier (the rest is context), default the whole match. */
  readonly group?: number;
  /** A cheap test that must pass before the rule runs (most messages have no digits, no @). */
  readonly needs?: RegExp;
}

const DIGIT = /\d/;

/** An identifier value: letters, digits, dashes, at least one digit, four characters or more. */
const ID_VALUE = '((?=[A-Z0-9#-]*\\d)[A-Z0-9][A-Z0-9#-]{2,}[A-Z0-9])';
const CONTEXT_SEP = '\\s*(?:number|no\\.?|num|#|ID)?\\s*(?:[:#=]|is)?\\s*';

const RULES: readonly Rule[] = [
  { type: 'EMAIL', needs: /@/, re: /[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/g },
  { type: 'URL', needs: /http|www\./i, re: /\b(?:https?:\/\/|www\.)[^\s<>"]+/gi },
  { type: 'IP_ADDRESS', needs: DIGIT, re: /\b(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)\b/g },
  { type: 'SSN', needs: DIGIT, re: /\b\d{3}-\d{2}-\d{4}\b/g },
  { type: 'SSN', needs: DIGIT, re: /\b(?:SSN|social security(?: number)?|SS#)\s*(?:[:#]|is)?\s*(\d{9}|\d{3}[- ]\d{2}[- ]\d{4})\b/gi, group: 1 },
  { type: 'FAX', needs: DIGIT, re: /\bfax(?: number| no\.?)?\s*(?:[:#]|is)?\s*((?:\+?1[\s.-]?)?\(?\d{3}\)?[\s.-]?\d{3}[\s.-]?\d{4})\b/gi, group: 1 },
  { type: 'PHONE', needs: DIGIT, re: /(?<![\d-])(?:\+?1[\s.-]?)?\(?\d{3}\)?[\s.-]\d{3}[\s.-]\d{4}\b/g },
  { type: 'PHONE', needs: DIGIT, re: /(?<!\d)\+\d{10,14}\b/g },
  { type: 'PHONE', needs: DIGIT, re: /\b(?:phone|tel|cell|mobile|call|contact)\.?(?: number| no\.?)?\s*(?:[:#]|is|at)?\s*(\d{10})\b/gi, group: 1 },
  { type: 'MRN', needs: DIGIT, re: new RegExp(`\\b(?:MRN|MR#|medical record|med rec|record|chart|patient ID|pt ID|hospital ID)${CONTEXT_SEP}${ID_VALUE}\\b`, 'gi'), group: 1 },
  {
    type: 'HEALTH_PLAN',
    re: new RegExp(`\\b(?:insurance|policy|member|beneficiary|health plan|plan|Medicare|Medicaid|subscriber|group|HICN|MBI|coverage)(?: ID| number| no\\.?)?${CONTEXT_SEP}${ID_VALUE}\\b`, 'gi'),
    group: 1,
  },
  { type: 'ACCOUNT', needs: DIGIT, re: new RegExp(`\\b(?:account|acct|billing|invoice|claim)${CONTEXT_SEP}${ID_VALUE}\\b`, 'gi'), group: 1 },
  { type: 'ID', needs: DIGIT, re: new RegExp(`\\b(?:ID|identifier|case|ref(?:erence)?|license|licence|certificate|serial|device|VIN|DEA|NPI)${CONTEXT_SEP}${ID_VALUE}\\b`, 'gi'), group: 1 },
  { type: 'ID', needs: DIGIT, re: /(?<![\d.,/-])\d{6,}(?![\d.,/-])/g },
  { type: 'ID', needs: DIGIT, re: /\b[A-Z]{1,3}-?\d{5,}\b/g },
  { type: 'DATE', re: new RegExp(`\\b${MONTH}\\s+${DAY}(?:,?\\s+${YEAR})?\\b`, 'g') },
  { type: 'DATE', re: new RegExp(`\\b${DAY}\\s+(?:of\\s+)?${MONTH}(?:,?\\s+${YEAR})?\\b`, 'g') },
  { type: 'DATE', re: new RegExp(`\\b${MONTH}\\s+${YEAR}\\b`, 'g') },
  { type: 'DATE', re: /\b(?:0?[1-9]|1[0-2])[/.-](?:0?[1-9]|[12]\d|3[01])[/.-](?:\d{4}|\d{2})\b/g },
  { type: 'DATE', re: /\b(?:19|20)\d{2}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])\b/g },
  { type: 'DATE', re: /\b(?:0?[1-9]|1[0-2])\/(?:0?[1-9]|[12]\d|3[01])\b(?!\s*(?:mg|mmHg|ml|mL))/g },
  { type: 'AGE_OVER_89', needs: DIGIT, re: /\b(?:9\d|1[01]\d)[- ]?(?:years?|yrs?|y\/?o)(?:[- ]old)?\b/gi },
  { type: 'AGE_OVER_89', needs: DIGIT, re: /\b(?:aged?|age of)\s+(9\d|1[01]\d)\b/gi, group: 1 },
  { type: 'ZIP', needs: DIGIT, re: /\b(?:zip(?: code)?|postal code)\s*[:#]?\s*(\d{5}(?:-\d{4})?)\b/gi, group: 1 },
  { type: 'ADDRESS', needs: DIGIT, re: /\b\d{1,5}\s+(?:[A-Z][a-z]+\s){1,3}(?:St(?:reet)?|Ave(?:nue)?|Rd|Road|Blvd|Boulevard|Dr(?:ive)?|Ln|Lane|Way|Ct|Court|Pl(?:ace)?|Ter(?:race)?|Pkwy|Parkway|Hwy)\b\.?(?:,?\s+(?:Apt|Suite|Unit|#)\s*\w+)?/g },
  // Titles with a name, title included: "Mr. James T.", "Dr. Lee", "Mrs. L. Hernandez", "Dr. A. Barnes".
  { type: 'NAME', re: new RegExp(`\\b(?:Mr|Mrs|Ms|Mx|Miss|Dr|Prof|Nurse|Rev|Sr|Sra)\\.?\\s+(?:[A-Z]\\.\\s*)?${CAP}(?:\\s+(?:[A-Z]\\.?(?![a-z])|${CAP}))?`, 'g') },
  // Common given names (US SSA public-domain lists) followed by a surname or an initial: "Mary Johnson", "Paul M".
  { type: 'NAME', re: new RegExp(`\\b(?:${GIVEN_NAMES})\\s+(?:[A-Z]\\.?(?![a-z])|${CAP})`, 'g') },
  // Common surnames (US Census public-domain lists) after a capitalised word or an initial: "Lisa Wong", "L. Wang".
  { type: 'NAME', re: new RegExp(`\\b(?:${CAP}|[A-Z]\\.)\\s+(?:${SURNAMES})\\b`, 'g') },
  // A given name with an initial: "David S.", "Julie M."
  { type: 'NAME', re: /(?<!\b(?:St|Mt|Ft|Dr|Mr|Ms|Mrs)\.?\s)\b([A-Z][a-z]{1,15}\s[A-Z]\.)(?=[\s,;:)!?]|$)/g, group: 1 },
  // Context words: "patient Ana Ruiz", "named John", "for Maria Lopez", "my son Tom".
  {
    type: 'NAME',
    re: new RegExp(`\\b(?:patient|pt|named|name is|called|son|daughter|wife|husband|mother|father|mom|dad|sister|brother|child|baby|resident|client)\\s+(${CAP}(?:\\s+(?:[A-Z]\\.|${CAP}))?)`, 'g'),
    group: 1,
  },
  { type: 'NAME', re: new RegExp(`\\b(${CAP}\\s+${CAP}),\\s+(?:a|an|age|aged|who|DOB|born|\\d)`, 'g'), group: 1 },
  // Facilities: "St. Mary's Hospital", "Elm Clinic", "Dallas clinic", "Riverside Medical Center".
  { type: 'LOCATION', re: new RegExp(`(?:\\b(?:St\\.|Mt\\.|Saint|Mount)\\s+)?\\b(?:${CAP}\\s+){0,3}(?:${FACILITY})\\b`, 'g') },
  { type: 'LOCATION', re: new RegExp(`\\b${CAP}\\s+(?:clinic|hospital|medical center|health center|ER|ED|ICU)\\b`, 'g') },
  { type: 'LOCATION', re: new RegExp(`\\b(?:St\\.|Mt\\.|Saint|Mount)\\s+${CAP}(?:'s)?(?:\\s+${CAP})?`, 'g') },
  { type: 'LOCATION', re: new RegExp(`\\b(?:${alternation(HEALTH_SYSTEMS)})(?:\\s+(?:${FACILITY}))?\\b`, 'g') },
  { type: 'LOCATION', re: new RegExp(`\\b(?:${alternation(PLACES)})\\b`, 'g') },
  // "at/in/from <Capitalised place>" when the word is not a month, weekday or a sentence-initial common word.
  {
    type: 'LOCATION',
    re: new RegExp(`\\b(?:at|in|from|near|to)\\s+((?!(?:${MONTHS}|Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|Type|Stage|Grade|Class|Phase|English|Spanish|the|The)\\b)${CAP}(?:\\s+${CAP})?)\\s+(?:on|at|in|for|last|this|yesterday|today|since|and|,)`, 'g'),
    group: 1,
  },
];

function dateForms(iso: string): string[] {
  const [y = '', m = '', d = ''] = iso.split('-');
  const mi = Number(m);
  const di = Number(d);
  const months = MONTHS.split('|');
  const name = months[mi - 1] ?? '';
  return [iso, `${String(mi)}/${String(di)}/${y}`, `${m}/${d}/${y}`, `${String(mi)}/${String(di)}/${y.slice(2)}`, `${name} ${String(di)}, ${y}`, `${name.slice(0, 3)} ${String(di)}, ${y}`, `${String(di)} ${name} ${y}`];
}

function contextRules(context: PatientContext): Rule[] {
  const rules: Rule[] = [];
  const names = context.names.map((n) => n.trim()).filter((n) => n.length >= 2);
  if (names.length > 0) rules.push({ type: 'NAME', re: new RegExp(`\\b(?:${alternation(names)})\\b`, 'giu') });
  if (context.birthDate !== null && /^\d{4}-\d{2}-\d{2}$/.test(context.birthDate)) {
    rules.push({ type: 'DATE', re: new RegExp(`(?:${alternation(dateForms(context.birthDate))})`, 'gi') });
  }
  const ids = context.identifiers.map((i) => i.trim()).filter((i) => i.length >= 3);
  if (ids.length > 0) rules.push({ type: 'MRN', needs: DIGIT, re: new RegExp(`(?:${alternation(ids)})`, 'g') });
  return rules;
}

/**
 * @param text - the message text
 * @param context - the recipient's own identifiers, when known
 * @returns identifier and clinical findings, sorted by offset, overlapping findings of one type merged
 */
export function scanText(text: string, context?: PatientContext): PhiFinding[] {
  const found: PhiFinding[] = [];
  for (const rule of context === undefined ? RULES : [...RULES, ...contextRules(context)]) {
    if (rule.needs !== undefined && !rule.needs.test(text)) continue;
    for (const match of text.matchAll(rule.re)) {
      const group = rule.group ?? 0;
      const value = match[group];
      if (value === undefined || value.length === 0) continue;
      const offset = group === 0 ? 0 : match[0].indexOf(value);
      const start = match.index + offset;
      found.push({ class: 'identifier', type: rule.type, start, end: start + value.length });
    }
  }
  const identifiers = mergeSameType(found);
  // A bare number already named by a context word (MRN, member ID, account) is reported once, as the specific type.
  const specific = identifiers.filter((f) => f.type !== 'ID');
  // A clinical word inside a person's name ("Dr. Stroke", "Ms. Graves") is the name, not a condition.
  const names = identifiers.filter((f) => f.type === 'NAME');
  const clinical = mergeSameType(scanClinical(text)).filter((f) => !names.some((g) => g.start <= f.start && g.end >= f.end));
  return identifiers
    .filter((f) => f.type !== 'ID' || !specific.some((g) => g.start <= f.start && g.end >= f.end))
    .concat(clinical)
    .sort((a, b) => a.start - b.start);
}

/** Sorted by offset (longer first on a tie), overlapping findings of one type merged into one. */
function mergeSameType(found: PhiFinding[]): PhiFinding[] {
  found.sort((a, b) => a.start - b.start || b.end - a.end);
  const merged: PhiFinding[] = [];
  for (const f of found) {
    const same = merged.find((m) => m.type === f.type && f.start < m.end && f.end > m.start);
    if (same === undefined) merged.push(f);
    else merged.splice(merged.indexOf(same), 1, { ...same, start: Math.min(same.start, f.start), end: Math.max(same.end, f.end) });
  }
  return merged;
}
