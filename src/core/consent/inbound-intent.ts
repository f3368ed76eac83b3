/**
 * Classification of inbound patient replies (SMS, MMS, RCS, WhatsApp text) into consent intents.
 *
 * Pure domain logic: no I/O, no clock, no randomness. The caller records the reply, applies the intent
 * (revoke / re-grant consent, send the HELP reply) and puts every `review` result in front of staff.
 *
 * Sources (compliance-and-protocols digest §2.2, §2.4, §2.5, §3.1):
 * - FCC 24-24 (Revocation-of-Consent Order), 47 CFR 64.1200(a)(10): replying "stop", "quit", "end", "revoke",
 *   "opt out", "cancel" or "unsubscribe" is a reasonable revocation per se, and any other wording that
 *   "a reasonable person would understand ... to convey a request to revoke consent" must be honoured too
 *   (phrases, misspellings, other languages such as "No mas").
 * - Twilio default keywords: opt-out STOP, STOPALL, UNSUBSCRIBE, CANCEL, END, QUIT, REVOKE, OPTOUT; opt-in START,
 *   YES, UNSTOP; help HELP, INFO. Twilio only acts on single-keyword messages ("STOP PLEASE" is not a keyword),
 *   so free text has to be classified here.
 * - WhatsApp does not act on typed STOP: the same classification is applied to WhatsApp text.
 */

/**
 * Opt-out keywords: the union of the FCC 24-24 per-se list (47 CFR 64.1200(a)(10)) and Twilio's default opt-out
 * keywords. `'OPT OUT'` is the two-word FCC form; it (and "opt-out") is reported with the canonical keyword `'OPTOUT'`.
 */
export const OPT_OUT_KEYWORDS: readonly string[] = Object.freeze([
  'STOP',
  'STOPALL',
  'UNSUBSCRIBE',
  'CANCEL',
  'END',
  'QUIT',
  'REVOKE',
  'OPTOUT',
  'OPT OUT',
]);

/**
 * Opt-in keywords (Twilio defaults, CTIA). A bare "YES" is an opt-in keyword here exactly as in Twilio; a flow that
 * asks patients to reply YES for something else must interpret the reply in its own context.
 */
export const OPT_IN_KEYWORDS: readonly string[] = Object.freeze(['START', 'YES', 'UNSTOP']);

/** Help keywords (Twilio defaults, CTIA): the sender must answer with program name, contact and opt-out info. */
export const HELP_KEYWORDS: readonly string[] = Object.freeze(['HELP', 'INFO']);

/**
 * What an inbound reply asks for.
 * - `opt-out` via `keyword`: the whole message is one opt-out keyword; `keyword` is the canonical upper-case
 *   keyword and `allChannels` is true only for STOPALL.
 * - `opt-out` via `phrase`: a clear revocation in other words (FCC 24-24 "reasonable person" standard); `phrase`
 *   is the id of the pattern that matched, never the patient's text.
 * - `opt-in` / `help`: the whole message is one of those keywords.
 * - `review`: staff must look at it; nothing is silently ignored.
 */
export type InboundIntent =
  | { kind: 'opt-out'; via: 'keyword'; keyword: string; allChannels: boolean }
  | { kind: 'opt-out'; via: 'phrase'; phrase: string; allChannels: false }
  | { kind: 'opt-in'; keyword: string }
  | { kind: 'help'; keyword: string }
  | { kind: 'review'; reason: 'possible-opt-out' | 'possible-wrong-number' | 'free-text' };

// ---------------------------------------------------------------------------------------------------------------
// Keywords

type KeywordClass = 'opt-out' | 'opt-in' | 'help';

interface KeywordEntry {
  readonly kind: KeywordClass;
  readonly canonical: string;
}

function entries(keywords: readonly string[], kind: KeywordClass): Array<[string, KeywordEntry]> {
  return keywords.map((k) => [k, { kind, canonical: k.replaceAll(' ', '') }]);
}

/** Keyword as typed (internal separators collapsed to one space) → class and canonical keyword ("OPT OUT" → OPTOUT). */
const KEYWORDS: ReadonlyMap<string, KeywordEntry> = new Map([
  ...entries(OPT_OUT_KEYWORDS, 'opt-out'),
  ...entries(OPT_IN_KEYWORDS, 'opt-in'),
  ...entries(HELP_KEYWORDS, 'help'),
]);

const LETTER_OR_DIGIT = /[\p{L}\p{N}]/u;

/** Drops leading and trailing characters that are not letters or digits (whitespace, punctuation, emoji, marks). */
function trimToLettersAndDigits(text: string): string {
  const chars = Array.from(text);
  let start = 0;
  let end = chars.length;
  while (start < end && !LETTER_OR_DIGIT.test(chars[start] ?? '')) start++;
  while (end > start && !LETTER_OR_DIGIT.test(chars[end - 1] ?? '')) end--;
  return chars.slice(start, end).join('');
}

// ---------------------------------------------------------------------------------------------------------------
// Revocation phrases (FCC 24-24 "reasonable person" standard)
//
// Patterns run on folded text: NFKC, lower case, diacritics removed ("más" → "mas"), punctuation other than
// in-word apostrophes turned into spaces, single spaces. Every pattern is anchored to a whole unit of text.
// Scope says which units it may match:
//   'message'   – only the whole message;
//   'clause'    – the whole message or one clause (text between . ! ? ; , or line breaks);
//   'statement' – like 'clause', but not a clause asked as a question ("Stop? what is this?").

type Scope = 'message' | 'clause' | 'statement';

interface PhrasePattern {
  readonly id: string;
  readonly scope: Scope;
  readonly pattern: RegExp;
}

/** Courtesy words that may precede a request: "please", "hi", "can you", "I said" … */
const LEAD =
  "(?:(?:ok|okay|hi|hello|hey|sorry|please|pls|plz|kindly|just|seriously|can you|could you|would you|will you|can u|could u|would u|i said|i want you to|i'd like you to|i need you to|i'm asking you to|i am asking you to) )*";
/** Words that may follow a request: "please", "now", "anymore", "thanks" … */
const TAIL_WORD =
  '(?:please|pls|plz|now|right now|thanks|thank you|thank u|thx|ty|anymore|any more|immediately|asap|already|for good|ever again|again|at all|ok|okay)';
const TAIL = `(?: ${TAIL_WORD})*`;
/** "I want to …" before a self-directed action (unsubscribe, opt out). */
const WANT =
  "(?:(?:i|we) (?:want|would like|wish|need|wanna) to |(?:i'd|we'd) like to |how (?:do|can) i |let me )?";
/** The patient or their number as an object. */
const ME = '(?:me|us|my (?:number|phone|phone number|cell|cell phone|mobile)|this number|this phone)';
/** Messaging nouns. */
const MSGS =
  '(?:messages?|texts?|txts?|msgs?|sms|sms messages?|text messages?|reminders?|notifications?|alerts?|whatsapps?|whatsapp messages?|emails?)';
/** Determiners before a messaging noun. */
const DET =
  '(?:(?:the|these|those|this|all|all the|all these|all of the|all of these|all your|your|ur|any|any more|anymore|more|further|my) )?';
/** Lists and systems someone asks to be taken off. */
const LIST =
  '(?:(?:your|ur|this|the|these|that|all|all your|all the|all of your|all of the|all of these|my) )?(?:list|lists|mailing list|text list|texting list|sms list|contact list|contacts|distribution list|messaging list|messages|texts|text messages|reminders|notifications|system|database|it|there)';
const FROM_YOU = '(?: from (?:you|you guys|this number|your office|the office|the clinic))?';

const ES_TAIL = '(?: (?:por favor|porfavor|porfa|gracias|ya|ahora))*';
const ES_MSGS = '(?:mensajes?|textos?|msjs|mjs|sms|recordatorios|notificaciones|whatsapps?)';

function phrase(id: string, scope: Scope, body: string): PhrasePattern {
  return { id, scope, pattern: new RegExp(`^(?:${body})$`, 'u') };
}

/**
 * Clear revocations that are not a single keyword. Order matters only for which id is reported; the first match
 * wins. Ambiguous mentions ("can you stop by", "cancel my appointment") deliberately match nothing here.
 */
const PHRASE_PATTERNS: readonly PhrasePattern[] = [
  // A clause that is exactly an unambiguous keyword: "Wrong number. STOP", "Stop, this is not Ana".
  // (CANCEL, END and QUIT are left out: "Cancel, I'm sick" is about an appointment.)
  phrase('standalone-keyword', 'statement', '(?:stop|stopall|unsubscribe|opt out|optout|revoke)'),
  // "stop please", "please stop", "stop it", "stop now", "stop stop", "stop all" (bare "stop" is the rule above)
  phrase('stop-please', 'clause', `(?!stop$)${LEAD}stop(?: (?:it|this|that|all|stop|${TAIL_WORD}))*`),
  // "stop texting me", "please stop texting my number"
  phrase(
    'stop-texting',
    'clause',
    `${LEAD}(?:stop|quit|cease) (?:texting|txting|texing)(?: ${ME})?${FROM_YOU}${TAIL}`,
  ),
  // "stop messaging me", "stop contacting me", "stop bothering me"
  phrase(
    'stop-messaging',
    'clause',
    `${LEAD}(?:stop|quit|cease) (?:messaging|msging|contacting|spamming|bothering|harassing|emailing|whatsapping)(?: ${ME})?${TAIL}`,
  ),
  // "stop sending me messages", "stop sending texts to this number", "stop sending"
  phrase(
    'stop-sending',
    'clause',
    `${LEAD}(?:stop|quit|cease) sending(?: (?:me|us))?(?: ${DET}${MSGS})?(?: to ${ME})?${TAIL}`,
  ),
  // "stop the reminders", "stop all messages", "end these texts"
  phrase('stop-messages', 'clause', `${LEAD}(?:stop|quit|end|cease) ${DET}${MSGS}${FROM_YOU}${TAIL}`),
  // "no more messages", "no more texts please"
  phrase('no-more-messages', 'clause', `${LEAD}no more ${MSGS}${FROM_YOU}${TAIL}`),
  // "no more", "please, no more"
  phrase('no-more', 'statement', `${LEAD}no more${TAIL}`),
  // "unsubscribe me", "I want to unsubscribe", "unsubscribe me from this list"
  phrase(
    'unsubscribe-me',
    'clause',
    `${WANT}${LEAD}(?:unsubscribe|unsubscribed|unsub|unsuscribe|unsubcribe|unsubscibe|unsubscrib)(?: (?:me|us|my number))?(?: from ${LIST})?${TAIL}`,
  ),
  // "opt me out", "I want to opt out", "opt out of these texts"
  phrase(
    'opt-me-out',
    'clause',
    `${WANT}${LEAD}(?:opt|opting) (?:(?:me|us|my number) )?out(?: of ${LIST})?${TAIL}`,
  ),
  // "remove me from this list", "remove my number", "delete me"
  phrase(
    'remove-me',
    'clause',
    `${WANT}${LEAD}(?:remove|delete|erase) (?:me|us|my number|my phone number|my name|this number)(?: (?:from|off|off of|out of) ${LIST})?${TAIL}`,
  ),
  // "take me off your list", "take me off"
  phrase(
    'take-me-off',
    'clause',
    `${LEAD}(?:take|get|cross) (?:me|us|my number|my phone number|my name|this number) (?:off|off of|out of|from)(?: ${LIST})?${TAIL}`,
  ),
  // "do not text me", "don't text me anymore", "never message me again", "don't send me reminders"
  phrase(
    'do-not-text',
    'clause',
    `${LEAD}(?:do not|don't|dont|never) (?:ever )?(?:(?:text|txt|message|msg|contact|sms|whatsapp)(?: ${ME})?|send (?:me|us|to me|to this number)(?: ${DET}${MSGS})?)${TAIL}`,
  ),
  // "I don't want these messages", "I no longer want to receive texts", "I don't want to be contacted"
  phrase(
    'dont-want-messages',
    'clause',
    `${LEAD}(?:(?:i|we) )?(?:do not|don't|dont|no longer|never) (?:(?:want|need|wanna|wish)(?: to (?:receive|get))? ${DET}${MSGS}${FROM_YOU}|(?:want|wanna|wish) to be (?:texted|messaged|contacted))${TAIL}`,
  ),
  // "cancel my messages", "cancel the text reminders", "cancel subscription"
  phrase(
    'cancel-messages',
    'clause',
    `${WANT}${LEAD}cancel ${DET}(?:(?:text|sms) )?(?:messages|texts|text messages|reminders|notifications|alerts|subscription|sms|messaging)${TAIL}`,
  ),
  // "leave me alone"
  phrase('leave-me-alone', 'clause', `${LEAD}leave (?:me|us) alone${TAIL}`),

  // Spanish (folded: no accents). "No más", "alto", "baja" and "cancelar" are the usual carrier translations.
  phrase('es-no-mas', 'statement', `(?:por favor )?(?:ya )?no mas${ES_TAIL}`),
  phrase('es-no-mas-mensajes', 'clause', `(?:por favor )?(?:ya )?no mas ${ES_MSGS}${ES_TAIL}`),
  phrase('es-alto', 'statement', `(?:por favor )?alto${ES_TAIL}`),
  phrase(
    'es-cancelar',
    'message',
    `(?:por favor )?cancelar(?: (?:los |mis |la |mi )?(?:mensajes|textos|suscripcion|recordatorios))?${ES_TAIL}`,
  ),
  phrase(
    'es-baja',
    'statement',
    `(?:por favor )?(?:(?:quiero|queremos) )?(?:(?:dar|darme|denme|deme|dame|darnos) de )?baja${ES_TAIL}`,
  ),
  phrase(
    'es-no-enviar',
    'clause',
    `(?:por favor )?(?:ya )?no (?:me |nos )?(?:envien|manden|escriban|envie|mande|escriba|envies|mandes|escribas|contacten|contacte)(?: mas)?(?: ${ES_MSGS})?(?: a este numero)?${ES_TAIL}`,
  ),
  phrase(
    'es-no-quiero-mensajes',
    'clause',
    `(?:ya )?no (?:quiero|queremos|deseo) (?:recibir )?(?:mas )?(?:(?:los|estos|sus) )?${ES_MSGS}${ES_TAIL}`,
  ),
  phrase(
    'es-dejen-de',
    'clause',
    `(?:por favor )?(?:dejen|deje|deja|dejar|paren|pare|para|parar) de (?:enviar|mandar|escribir|contactar)(?:me|nos)?(?: (?:mas )?${ES_MSGS})?${ES_TAIL}`,
  ),
];

/** The ids an `opt-out` via `phrase` may report: stable names, never patient text. */
export const OPT_OUT_PHRASE_IDS: readonly string[] = Object.freeze(PHRASE_PATTERNS.map((p) => p.id));

// ---------------------------------------------------------------------------------------------------------------
// Review signals

/**
 * An opt-out word under negation: "don't stop", "please don't stop texting me", "I do not want to unsubscribe",
 * "no cancelen". Such a message is never treated as a revocation; staff review it.
 */
const NEGATED_OPT_OUT = [
  /\b(?:don't|dont|do not|never|not|no need to|doesn't|doesnt|does not)(?: (?:want|wanna|need|ask|asked|mean|meant|wish|like|please|you|u|to|ever|gonna|i|we)){0,4} (?:stop[a-z]*|cancel[a-z]*|unsub[a-z]*|opt|remove|take me off|end|quit|revoke)\b/u,
  /\bno (?:me |nos |lo |los )?(?:cancel[a-z]*|pares|paren|pare|dejen de|deje de|den de baja|des de baja|detengan?)\b/u,
];

/** Words in the message-stopping family that make a non-revocation worth a closer look. */
const OPT_OUT_MENTION =
  /\b(?:stop[a-z]*|stp|cancel[a-z]*|unsub[a-z]*|unsuscri[a-z]*|subscri[a-z]*|opt(?:ing|ed)? ?out|remove|removing|quit|revoke|block[a-z]*|spam[a-z]*|texts?|texting|texted|txts?|msgs?|messag[a-z]*|sms|whatsapp|contact(?:ing)? (?:me|us)|leave me alone|no more|not interested|take me off|baja|alto|cancelar|mensajes?|textos?|parar|detener|basta|no mas)\b/u;

/** "wrong" and its common misspellings ("worng", "wromg", "wrng", "rong"). */
const WRONG = '(?:wrong|worng|wromg|wrnog|wrng|rong)';
/** "number" and its common misspellings and abbreviations. */
const NUMBER = '(?:number|numbr|numer|nunber|numbet|nmber|numbe|num|nbr|no)';
/** Spanish "número" (folded) and its abbreviations. */
const ES_NUMERO = '(?:numero|numeros|nummero|numro|num|nro|telefono|celular|cel)';

/**
 * Wrong-recipient signals (issue 7: an incident draft opens on them), searched anywhere in the folded message, in
 * English and Spanish with common misspellings: "wrong number", "who is this", "this isn't me", "new number",
 * "número equivocado", "¿quién es?", "este no soy yo", "número nuevo", "cambié de número". "I'm not <name>" /
 * "no soy <nombre>" is IM_NOT_NAME below.
 */
const WRONG_NUMBER = [
  new RegExp(`\\b${WRONG} (?:${NUMBER}|numbers|person|persn|phone|cell|contact|guy|girl|lady|texter|recipient|patient)\\b`, 'u'),
  /\bnot (?:the )?(?:right|correct) (?:number|person)\b/u,
  /\b(?:who is this|who's this|whos this|whose this|who dis|who this|who is dis|who's dis|whos dis|hu is this|who is texting|who's texting|whos texting|who are you|who are u|who r u|who ru|who is sending|who sent this)\b/u,
  /\bnew (?:number|numbr|phone number|phone|cell|cell number)\b/u,
  /\b(?:changed|change) (?:my |his |her |their |the )?(?:number|numbers|phone number|phone numbers)\b/u,
  /\bnumber (?:has )?changed\b/u,
  /\bno longer (?:my|his|her|their) (?:number|phone|cell)\b/u,
  /\bnot me\b/u,
  /\b(?:this|that|it) (?:is not|isn't|isnt|was not|wasn't|wasnt|ain't|aint|is no longer) me\b/u,
  /\bnot my (?:name|appointment|appt)\b/u,
  /\b(?:i'm|im|i am) not (?:the|that|this) (?:patient|person)\b/u,
  /\bthis (?:is not|isn't|isnt|ain't|aint|is no longer) (?:\p{L}+(?:'s)? )?(?:phone|number|cell|mobile)\b/u,
  /\b(?:is not|isn't|isnt) \p{L}+'s (?:phone|number|cell)\b/u,
  /\b(?:no one|nobody|noone) (?:here )?(?:by|named|called|with) (?:that|this) name\b/u,
  /\b(?:don't|dont|do not) know (?:who (?:this|you|that) (?:is|are)|who this|any(?:one|body) (?:named|called|by that name))\b/u,
  /\b(?:numero equivocado|equivocad[oa]|quien (?:es|eres|habla)|cambie de numero)\b/u,
  // Spanish, with common misspellings: "numero equibocado", "kien es", "quien sos", "nuevo numero", "este no soy yo"
  new RegExp(`\\b${ES_NUMERO} (?:equivocado|equibocado|ekivocado|equivocao|equivicado|incorrecto|errado|erroneo)\\b`, 'u'),
  /\b(?:se )?equivoca(?:ron|ste|n|) de (?:numero|persona|telefono)\b/u,
  /\b(?:quien|kien|qien|quein) (?:es|eres|sos|habla|me escribe|escribe|me manda)\b/u,
  new RegExp(`\\b(?:nuevo ${ES_NUMERO}|${ES_NUMERO} nuevo)\\b`, 'u'),
  new RegExp(`\\bcambie (?:de|mi) ${ES_NUMERO}\\b`, 'u'),
  new RegExp(`\\b(?:ya )?no es mi (?:${ES_NUMERO}|nombre|cita)\\b`, 'u'),
  /\bno soy yo\b/u,
  /\bno soy (?:el|la|esa|ese) (?:paciente|persona)\b/u,
  /\bno conozco a (?:esa persona|nadie|ningun|ninguna)\b/u,
];

/** "wrong #" — run on folded text, before punctuation is dropped. */
const WRONG_NUMBER_SYMBOL = /\b(?:wrong|worng|wrng|rong) ?#|\bnew ?#/u;
/** "# equivocado", "# nuevo", "nuevo #". */
const WRONG_NUMBER_SYMBOL_ES = /# ?(?:equivocado|nuevo)\b|\bnuevo ?#/u;

/** "I'm not Maria" as a whole clause; the first word must not be one of these ordinary continuations. */
const IM_NOT_NAME =
  /^(?:sorry |no |nope )?(?:i'm|im|i am) not (\p{L}+)(?: \p{L}+)?$|^no soy (\p{L}+)(?: \p{L}+)?$/u;
const NOT_A_NAME: ReadonlySet<string> = new Set(
  (
    'a an the in at on into from for to that this so very too really quite even always never just still yet either ' +
    'sure certain positive able going gonna coming available interested ok okay well fine good great better worse ' +
    'ready free home here there sick ill aware worried kidding sorry happy upset mad angry busy late alone tired ' +
    'feeling doing getting taking using trying asking saying looking staying leaving working done allergic pregnant ' +
    'covered insured eligible due scheduled booked registered signed allowed comfortable confident convinced ' +
    'cancelling canceling your you no out up over ' +
    // Spanish continuations of "no soy …" that are not names ("no soy alérgica", "no soy de aquí")
    'de del muy tan alergico alergica diabetico diabetica capaz asi un una su tu mas menos bueno buena'
  ).split(' '),
);

// ---------------------------------------------------------------------------------------------------------------
// Folding and clauses

/** Lower case, NFKC, diacritics removed, typographic apostrophes unified. */
function fold(text: string): string {
  return text
    .normalize('NFKC')
    .toLowerCase()
    .normalize('NFD')
    .replace(/\p{M}+/gu, '')
    .replace(/[\u2018\u2019\u02BC\u0060\u2032]/gu, "'");
}

/** Words only: punctuation (except in-word apostrophes) becomes space, single spaces, trimmed. */
function words(folded: string): string {
  return folded
    .replace(/[^\p{L}\p{N}']+/gu, ' ')
    .replace(/(?<![\p{L}\p{N}])'|'(?![\p{L}\p{N}])/gu, ' ')
    .replace(/ {2,}/g, ' ')
    .trim();
}

interface Unit {
  readonly text: string;
  readonly question: boolean;
}

const CLAUSE_DELIMITER = /([.!?;,\n\r\u2026\u3002]+)/u;

/** Splits folded text into clauses; a clause is a question when a "?" follows it or it contains "¿". */
function clauses(folded: string): Unit[] {
  const parts = folded.split(CLAUSE_DELIMITER);
  const units: Unit[] = [];
  for (let i = 0; i < parts.length; i += 2) {
    const raw = parts[i] ?? '';
    const delimiter = parts[i + 1] ?? '';
    const text = words(raw);
    if (text !== '') units.push({ text, question: delimiter.includes('?') || raw.includes('¿') });
  }
  return units;
}

/** True when the last letter, digit or "?" of the text is a "?", or the text contains "¿". */
function isQuestion(folded: string): boolean {
  if (folded.includes('¿')) return true;
  for (let i = folded.length - 1; i >= 0; i--) {
    const c = folded[i] ?? '';
    if (c === '?') return true;
    if (LETTER_OR_DIGIT.test(c)) return false;
  }
  return false;
}

function matchPhrase(unit: Unit, wholeMessage: boolean): PhrasePattern | undefined {
  return PHRASE_PATTERNS.find(
    (p) =>
      (wholeMessage || p.scope !== 'message') &&
      !(p.scope === 'statement' && unit.question) &&
      p.pattern.test(unit.text),
  );
}

/** Invisible format characters (zero-width space and joiners, RTL/LTR marks, BOM) that split words apart. */
const FORMAT_CHARS = /\p{Cf}+/gu;

function looksLikeWrongNumber(foldedWithFormatChars: string): boolean {
  // "wrong\u200Bnumber" or an RTL mark inside "who is this" must not hide the signal.
  // A zero-width space separates words; the other format characters sit inside or around them.
  const folded = foldedWithFormatChars.replace(/\u200B/gu, ' ').replace(FORMAT_CHARS, '');
  const message = words(folded);
  const units = clauses(folded);
  if (WRONG_NUMBER.some((re) => re.test(message)) || WRONG_NUMBER_SYMBOL.test(folded) || WRONG_NUMBER_SYMBOL_ES.test(folded)) return true;
  return units.some((unit) => {
    const m = IM_NOT_NAME.exec(unit.text);
    const first = m?.[1] ?? m?.[2];
    return first !== undefined && !NOT_A_NAME.has(first);
  });
}

// ---------------------------------------------------------------------------------------------------------------

/**
 * Classifies one inbound reply. Total: returns an intent for every string and never throws.
 *
 * Order of checks:
 * 1. Keyword (Twilio defaults + FCC 24-24 list): the whole message, after NFKC normalisation and trimming of
 *    surrounding whitespace, punctuation and emoji, case-insensitive ("¡stop!", "'STOP'", full-width "ＳＴＯＰ").
 *    "OPT OUT" / "opt-out" report the canonical keyword `OPTOUT`.
 * 2. An opt-out word under negation ("don't stop") → review `possible-opt-out`.
 * 3. A clear revocation phrase (FCC 24-24 "reasonable person" standard, 47 CFR 64.1200(a)(10)), e.g.
 *    "please stop texting me", "no more messages", "take me off your list", "no más" → opt-out via `phrase`
 *    with the pattern id (never the patient's words).
 * 4. Wrong-recipient signals in English and Spanish, misspellings included ("wrong number", "who is this",
 *    "I'm not Maria", "this isn't me", "new number", "número equivocado", "¿quién es?", "no soy Ana", "este no soy yo",
 *    "número nuevo", "cambié de número"), also when zero-width or bidi marks split the words
 *    → review `possible-wrong-number` (issue 7: this opens an incident draft).
 * 5. Other messaging/stop wording ("can you stop by tomorrow?", "I need to cancel my appointment")
 *    → review `possible-opt-out`.
 * 6. Anything else, including empty text → review `free-text`.
 *
 * @param text - the reply body exactly as received from the provider (SMS/MMS/RCS body or WhatsApp text)
 * @returns the intent; opt-out results must be applied to consent, `review` results shown to staff
 */
export function classifyInboundReply(text: string): InboundIntent {
  const normalized = text.normalize('NFKC');
  const keywordForm = trimToLettersAndDigits(normalized)
    .toUpperCase()
    .replace(/[\s\p{Pd}_.]+/gu, ' ');
  const keyword = KEYWORDS.get(keywordForm);
  if (keyword !== undefined) {
    switch (keyword.kind) {
      case 'opt-out':
        return {
          kind: 'opt-out',
          via: 'keyword',
          keyword: keyword.canonical,
          allChannels: keyword.canonical === 'STOPALL',
        };
      case 'opt-in':
        return { kind: 'opt-in', keyword: keyword.canonical };
      case 'help':
        return { kind: 'help', keyword: keyword.canonical };
    }
  }

  const folded = fold(text);
  const message = words(folded);
  if (message === '') return { kind: 'review', reason: 'free-text' };

  if (NEGATED_OPT_OUT.some((re) => re.test(message))) return { kind: 'review', reason: 'possible-opt-out' };

  const units = clauses(folded);
  const matched =
    matchPhrase({ text: message, question: isQuestion(folded) }, true) ??
    (units.length > 1 ? units.map((u) => matchPhrase(u, false)).find((p) => p !== undefined) : undefined);
  if (matched !== undefined) {
    return { kind: 'opt-out', via: 'phrase', phrase: matched.id, allChannels: false };
  }
  if (looksLikeWrongNumber(folded)) {
    return { kind: 'review', reason: 'possible-wrong-number' };
  }
  if (OPT_OUT_MENTION.test(message)) return { kind: 'review', reason: 'possible-opt-out' };
  return { kind: 'review', reason: 'free-text' };
}
