import { describe, expect } from 'vitest';
import { test, fc } from '@fast-check/vitest';
import {
  HELP_KEYWORDS,
  OPT_IN_KEYWORDS,
  OPT_OUT_KEYWORDS,
  OPT_OUT_PHRASE_IDS,
  classifyInboundReply,
  type InboundIntent,
} from './inbound-intent.ts';
import { expectedForKeyword } from '../testing/keyword-expectations.ts';

const ALL_KEYWORDS = [...OPT_OUT_KEYWORDS, ...OPT_IN_KEYWORDS, ...HELP_KEYWORDS];
const CANONICAL_KEYWORDS = new Set(ALL_KEYWORDS.map((k) => k.replaceAll(' ', '')));

/** The contract for `phrase`: the pattern ids, never patient text. */
const PHRASE_IDS: ReadonlySet<string> = new Set(OPT_OUT_PHRASE_IDS);

/** One clear example per phrase id. */
const PHRASE_EXAMPLES: ReadonlyArray<readonly [string, string]> = [
  ['stop. wrong number', 'standalone-keyword'],
  ['stop please', 'stop-please'],
  ['please stop texting me', 'stop-texting'],
  ['stop messaging me', 'stop-messaging'],
  ['stop sending me messages', 'stop-sending'],
  ['stop the reminders', 'stop-messages'],
  ['no more texts please', 'no-more-messages'],
  ['no more', 'no-more'],
  ['unsubscribe me', 'unsubscribe-me'],
  ['opt me out', 'opt-me-out'],
  ['remove me from this list', 'remove-me'],
  ['take me off your list', 'take-me-off'],
  ["don't text me anymore", 'do-not-text'],
  ["i don't want these messages", 'dont-want-messages'],
  ['cancel my messages', 'cancel-messages'],
  ['leave me alone', 'leave-me-alone'],
  ['no más', 'es-no-mas'],
  ['no mas mensajes', 'es-no-mas-mensajes'],
  ['alto', 'es-alto'],
  ['cancelar', 'es-cancelar'],
  ['darme de baja', 'es-baja'],
  ['no me envíen más mensajes', 'es-no-enviar'],
  ['no quiero recibir mensajes', 'es-no-quiero-mensajes'],
  ['dejen de enviarme mensajes', 'es-dejen-de'],
];

/** Structural check of every variant of the union, including exact key sets. */
function isWellFormed(r: InboundIntent): boolean {
  const keys = Object.keys(r).sort().join(',');
  switch (r.kind) {
    case 'opt-out':
      return r.via === 'keyword'
        ? keys === 'allChannels,keyword,kind,via' &&
            CANONICAL_KEYWORDS.has(r.keyword) &&
            OPT_OUT_KEYWORDS.some((k) => k.replaceAll(' ', '') === r.keyword) &&
            r.allChannels === (r.keyword === 'STOPALL')
        : keys === 'allChannels,kind,phrase,via' && PHRASE_IDS.has(r.phrase) && !r.allChannels;
    case 'opt-in':
      return keys === 'keyword,kind' && OPT_IN_KEYWORDS.includes(r.keyword);
    case 'help':
      return keys === 'keyword,kind' && HELP_KEYWORDS.includes(r.keyword);
    case 'review':
      return (
        keys === 'kind,reason' &&
        ['possible-opt-out', 'possible-wrong-number', 'free-text'].includes(r.reason)
      );
  }
}

/** Whitespace, punctuation and emoji that may surround a keyword. */
const NOISE_CHARS = [
  ' ',
  '\t',
  '\n',
  '\r',
  '\u00A0',
  '\u3000',
  '\u200B',
  '!',
  '.',
  ',',
  ';',
  ':',
  '?',
  '¿',
  '¡',
  '"',
  "'",
  '“',
  '”',
  '‘',
  '’',
  '«',
  '»',
  '(',
  ')',
  '[',
  ']',
  '*',
  '~',
  '-',
  '_',
  '#',
  '…',
  '！',
  '。',
  '🙏',
  '🛑',
  '👍🏽',
  '❤️',
  '😡',
  '✋',
];
/** The same without question marks: a question is deliberately not a bare-word revocation ("Stop? what?"). */
const STATEMENT_NOISE_CHARS = NOISE_CHARS.filter((c) => c !== '?' && c !== '¿');

const noise = fc.string({ unit: fc.constantFrom(...NOISE_CHARS), maxLength: 6 });
const statementNoise = fc.string({ unit: fc.constantFrom(...STATEMENT_NOISE_CHARS), maxLength: 6 });

/** Words and punctuation that drive every branch of the classifier. */
const VOCAB = [
  'stop',
  'STOP',
  'Stop',
  'stopall',
  'texting',
  'sending',
  'me',
  'please',
  "don't",
  'don’t',
  'do',
  'not',
  'no',
  'more',
  'messages',
  'texts',
  'wrong',
  'number',
  'cancel',
  'my',
  'appointment',
  'unsubscribe',
  'opt',
  'out',
  'take',
  'off',
  'your',
  'list',
  'remove',
  'from',
  'this',
  'alto',
  'baja',
  'más',
  'mensajes',
  'who',
  'is',
  "I'm",
  'Maria',
  'yes',
  'start',
  'help',
  'info',
  'by',
  'tomorrow',
  'never',
  'again',
  'leave',
  'alone',
  'end',
  'quit',
  'revoke',
  'cancelar',
  ',',
  '.',
  '?',
  '!',
  '¿',
  '¡',
  '😡',
  '\n',
  '  ',
  '-',
  "'",
];
const vocabText = fc.array(fc.constantFrom(...VOCAB), { maxLength: 12 }).map((ws) => ws.join(' '));
const loneSurrogates = fc.string({
  unit: fc.oneof(
    fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c)),
    fc.constantFrom(...VOCAB),
  ),
});

const anyText = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary' }),
  fc.string({ unit: 'grapheme' }),
  fc.string({ unit: 'grapheme-composite' }),
  vocabText,
  loneSurrogates,
);

/** A separator that may stand between the two words of "OPT OUT". */
const innerSeparator = fc.constantFrom(' ', '  ', '-', '_', '–', '\t');

describe('classifyInboundReply properties', () => {
  // (1) keywords survive any surrounding whitespace/punctuation/emoji and any casing
  const casedKeyword = fc
    .tuple(fc.constantFrom(...ALL_KEYWORDS), innerSeparator)
    .chain(([keyword, sep]) =>
      fc.tuple(fc.constant(keyword), fc.mixedCase(fc.constant(keyword.replaceAll(' ', sep)))),
    );

  test.prop([casedKeyword, noise, noise], { numRuns: 1000 })(
    'a keyword with surrounding noise and random casing keeps its class',
    ([keyword, cased], before, after) => {
      expect(classifyInboundReply(`${before}${cased}${after}`)).toEqual(expectedForKeyword(keyword));
    },
  );

  // (2) the classifier is total
  test.prop([anyText], { numRuns: 1000 })(
    'is total: any string gives a well-formed intent, never throws',
    (text) => {
      const r = classifyInboundReply(text);
      expect(isWellFormed(r)).toBe(true);
    },
  );

  // (3) phrase results carry a pattern id only
  test.prop([anyText], { numRuns: 1000 })('an opt-out via phrase always names a pattern id', (text) => {
    const r = classifyInboundReply(text);
    if (r.kind === 'opt-out' && r.via === 'phrase') {
      expect(PHRASE_IDS.has(r.phrase)).toBe(true);
      expect(r.allChannels).toBe(false);
    }
  });

  test.prop(
    [
      fc
        .constantFrom(...PHRASE_EXAMPLES)
        .chain(([t, id]) => fc.tuple(fc.mixedCase(fc.constant(t)), fc.constant(id))),
      statementNoise,
      statementNoise,
    ],
    { numRuns: 500 },
  )('a revocation phrase with noise and random casing yields its pattern id', ([text, id], before, after) => {
    expect(classifyInboundReply(`${before}${text}${after}`)).toEqual({
      kind: 'opt-out',
      via: 'phrase',
      phrase: id,
      allChannels: false,
    });
  });

  test('every phrase id has an example', () => {
    expect(new Set(PHRASE_EXAMPLES.map(([, id]) => id))).toEqual(PHRASE_IDS);
  });

  // (4) only a message that IS the keyword is a keyword
  const nonKeywordWord = fc
    .stringMatching(/^[A-Za-zÀ-ÖØ-öø-ÿ]{1,12}$/)
    .filter((w) => !CANONICAL_KEYWORDS.has(w.normalize('NFKC').toUpperCase()));
  const wordSeparator = fc.constantFrom(' ', '  ', ', ', '\n', ' - ', '-', '.', '! ');

  test.prop([nonKeywordWord, wordSeparator, fc.constantFrom(...ALL_KEYWORDS), noise, noise], {
    numRuns: 1000,
  })('a leading non-keyword word never yields a keyword match', (word, sep, keyword, before, after) => {
    const r = classifyInboundReply(`${before}${word}${sep}${keyword}${after}`);
    expect(r.kind === 'opt-out' && r.via === 'keyword').toBe(false);
    expect(r.kind === 'opt-in' || r.kind === 'help').toBe(false);
  });

  test.prop([nonKeywordWord, wordSeparator, fc.constantFrom(...ALL_KEYWORDS)], { numRuns: 500 })(
    'a trailing non-keyword word never yields a keyword match',
    (word, sep, keyword) => {
      const r = classifyInboundReply(`${keyword}${sep}${word}`);
      expect(r.kind === 'opt-out' && r.via === 'keyword').toBe(false);
      expect(r.kind === 'opt-in' || r.kind === 'help').toBe(false);
    },
  );

  // Negation: "don't" before any revocation phrase is never an opt-out
  test.prop([
    fc.constantFrom("don't", 'do not', 'please don’t', 'never'),
    fc.constantFrom(
      'stop',
      'stop texting me',
      'unsubscribe me',
      'cancel my messages',
      'opt me out',
      'remove me from this list',
    ),
  ])('a negated revocation is sent to review, not applied', (negation, phrase) => {
    expect(classifyInboundReply(`${negation} ${phrase}`)).toEqual({
      kind: 'review',
      reason: 'possible-opt-out',
    });
  });

  // (issue 7) replies in unexpected scripts never crash the classifier, and never hide a wrong-recipient signal
  const arabic = fc.integer({ min: 0x0600, max: 0x06ff }).map((c) => String.fromCodePoint(c));
  const cjk = fc.integer({ min: 0x4e00, max: 0x9fff }).map((c) => String.fromCodePoint(c));
  const hebrew = fc.integer({ min: 0x0590, max: 0x05ff }).map((c) => String.fromCodePoint(c));
  const emoji = fc.integer({ min: 0x1f300, max: 0x1faff }).map((c) => String.fromCodePoint(c));
  const invisible = fc.constantFrom('\u200B', '\u200C', '\u200D', '\u200E', '\u200F', '\u202A', '\u202B', '\u202C', '\u202E', '\u2066', '\u2069', '\u2060', '\uFEFF', '\u061C');
  const anyCodePoint = fc.integer({ min: 0, max: 0x10ffff }).map((c) => String.fromCodePoint(c));
  const scriptUnit = fc.oneof(arabic, cjk, hebrew, emoji, invisible, anyCodePoint, fc.constantFrom(' ', '?', '¿', '#', "'"));
  const scriptText = fc.oneof(
    fc.string({ unit: scriptUnit, maxLength: 80 }),
    fc.string({ unit: emoji, minLength: 1, maxLength: 20 }),
    fc.string({ unit: invisible, maxLength: 40 }),
    fc.tuple(fc.string({ unit: scriptUnit, maxLength: 20 }), fc.integer({ min: 100, max: 3_000 })).map(([t, n]) => t.repeat(n)),
  );

  test.prop([scriptText], { numRuns: 500 })(
    'never throws on arbitrary scripts, emoji, RTL marks and zero-width characters, and gives a valid intent',
    (text) => {
      let r: InboundIntent | undefined;
      expect(() => {
        r = classifyInboundReply(text);
      }).not.toThrow();
      expect(r !== undefined && isWellFormed(r)).toBe(true);
    },
  );

  const WRONG_RECIPIENT_EXAMPLES = [
    'wrong number',
    'who is this',
    "I'm not Carla",
    "this isn't me",
    'new number',
    'número equivocado',
    '¿quién es?',
    'no soy Carmen',
    'este no soy yo',
    'número nuevo',
    'cambié de número',
  ];
  const neutral = fc.string({ unit: fc.oneof(arabic, cjk, emoji, invisible), maxLength: 12 });
  test.prop([fc.constantFrom(...WRONG_RECIPIENT_EXAMPLES), neutral, neutral, fc.boolean()], { numRuns: 500 })(
    'a wrong-recipient phrase is still found among other scripts and invisible characters',
    (phrase, before, after, upper) => {
      // "I'm not <name>" must be a clause of its own, so other words stand in their own sentences
      const text = `${before}${before === '' ? '' : '. '}${upper ? phrase.toUpperCase() : phrase}${after === '' ? '' : '. '}${after}`;
      expect(classifyInboundReply(text)).toEqual({ kind: 'review', reason: 'possible-wrong-number' });
    },
  );

  // Pure: same input, same output
  test.prop([anyText])('is deterministic', (text) => {
    expect(classifyInboundReply(text)).toEqual(classifyInboundReply(text));
  });
});
