import { describe, it, expect } from 'vitest';
import {
  HELP_KEYWORDS,
  OPT_IN_KEYWORDS,
  OPT_OUT_KEYWORDS,
  OPT_OUT_PHRASE_IDS,
  classifyInboundReply,
} from './inbound-intent.ts';
import { expectedForKeyword } from '../testing/keyword-expectations.ts';

function titleCase(s: string): string {
  return s.toLowerCase().replace(/(^|\s)(\p{L})/gu, (_m, sep: string, c: string) => sep + c.toUpperCase());
}

/** ASCII letters and spaces as their full-width forms (NFKC maps them back). */
function fullWidth(s: string): string {
  return Array.from(s, (c) => (c === ' ' ? '\u3000' : String.fromCharCode(c.charCodeAt(0) + 0xfee0))).join(
    '',
  );
}

function variants(k: string): string[] {
  const lower = k.toLowerCase();
  return [
    k,
    lower,
    titleCase(k),
    `  ${lower}!! `,
    `${titleCase(k)}.`,
    `'${k}'`,
    `"${k}"`,
    `“${lower}”`,
    `¡${lower}!`,
    `¿${k}?`,
    `(${k})`,
    `*${k}*`,
    `${k}?!`,
    `${k} 🙏`,
    `🛑 ${k}`,
    `${k}❤️`,
    `👍🏽${lower}👍🏽`,
    `\t${k}\n`,
    `\u00A0${k}\u00A0`,
    `${k}\u200B`,
    fullWidth(k),
    `${fullWidth(k)}！`,
  ];
}

const ALL_KEYWORDS = [...OPT_OUT_KEYWORDS, ...OPT_IN_KEYWORDS, ...HELP_KEYWORDS];

describe('keyword lists', () => {
  it('opt-out is the union of the FCC 24-24 and Twilio default lists', () => {
    expect([...OPT_OUT_KEYWORDS].sort()).toEqual(
      ['STOP', 'STOPALL', 'UNSUBSCRIBE', 'CANCEL', 'END', 'QUIT', 'REVOKE', 'OPTOUT', 'OPT OUT'].sort(),
    );
  });
  it('opt-in and help are the Twilio defaults', () => {
    expect(OPT_IN_KEYWORDS).toEqual(['START', 'YES', 'UNSTOP']);
    expect(HELP_KEYWORDS).toEqual(['HELP', 'INFO']);
  });
  it('lists are frozen', () => {
    expect(Object.isFrozen(OPT_OUT_KEYWORDS)).toBe(true);
    expect(Object.isFrozen(OPT_IN_KEYWORDS)).toBe(true);
    expect(Object.isFrozen(HELP_KEYWORDS)).toBe(true);
  });
});

describe('classifyInboundReply — keywords', () => {
  const cases = ALL_KEYWORDS.flatMap((k) => variants(k).map((text) => [text, k] as const));
  it.each(cases)('%j is the keyword %s', (text, k) => {
    expect(classifyInboundReply(text)).toEqual(expectedForKeyword(k));
  });

  it.each([
    'opt-out',
    'opt out',
    'Opt Out',
    'OPT-OUT',
    'opt  out',
    'opt_out',
    'opt–out',
    'Opt-Out!',
    'optout',
    'ＯＰＴ－ＯＵＴ',
  ])('%j is OPTOUT', (text) => {
    expect(classifyInboundReply(text)).toEqual({
      kind: 'opt-out',
      via: 'keyword',
      keyword: 'OPTOUT',
      allChannels: false,
    });
  });

  it('only STOPALL applies to all channels', () => {
    expect(classifyInboundReply('stopall')).toEqual({
      kind: 'opt-out',
      via: 'keyword',
      keyword: 'STOPALL',
      allChannels: true,
    });
    for (const k of OPT_OUT_KEYWORDS.filter((x) => x !== 'STOPALL')) {
      const r = classifyInboundReply(k);
      expect(r.kind === 'opt-out' && r.allChannels).toBe(false);
    }
  });

  it.each([
    ['STOP PLEASE', 'opt-out'],
    ['PLEASE CANCEL', 'review'],
    ['STOP ALL', 'opt-out'],
    ['UN STOP', 'review'],
    ['yes please', 'review'],
    ['help me', 'review'],
    ['start over', 'review'],
    ['the end', 'review'],
  ] as const)('%j is not a keyword (Twilio: single word only) → %s', (text, kind) => {
    const r = classifyInboundReply(text);
    expect(r.kind).toBe(kind);
    if (r.kind === 'opt-out') expect(r.via).toBe('phrase');
  });

  it('"STOP ALL" as a phrase does not widen to all channels', () => {
    expect(classifyInboundReply('STOP ALL')).toEqual({
      kind: 'opt-out',
      via: 'phrase',
      phrase: 'stop-please',
      allChannels: false,
    });
  });

  it('does not fold diacritics into opt-in keywords', () => {
    expect(classifyInboundReply('YÉS').kind).toBe('review');
  });
});

/** Every phrase pattern id with examples; the set of ids is the contract for `phrase`. */
const PHRASE_EXAMPLES: ReadonlyArray<readonly [string, string]> = [
  ['Stop. Wrong number', 'standalone-keyword'],
  ['Wrong number, STOP', 'standalone-keyword'],
  ['Unsubscribe! This is not Ana', 'standalone-keyword'],
  ['stop please', 'stop-please'],
  ['Stop, please.', 'stop-please'],
  ['please stop', 'stop-please'],
  ['STOP PLEASE', 'stop-please'],
  ['Stop it!', 'stop-please'],
  ['STOP STOP STOP', 'stop-please'],
  ['I said stop', 'stop-please'],
  ['hello STOP', 'stop-please'],
  ['please stop texting me', 'stop-texting'],
  ['stop texting me', 'stop-texting'],
  ['Stop texting me!!! 😡', 'stop-texting'],
  ['Wrong number, stop texting me', 'stop-texting'],
  ['can you please stop texting me?', 'stop-texting'],
  ['stop messaging me', 'stop-messaging'],
  ['stop contacting me', 'stop-messaging'],
  ['Please stop bothering me', 'stop-messaging'],
  ['stop sending me messages', 'stop-sending'],
  ['stop sending texts to this number', 'stop-sending'],
  ['Stop sending', 'stop-sending'],
  ['stop the reminders', 'stop-messages'],
  ['stop all messages', 'stop-messages'],
  ['end these texts', 'stop-messages'],
  ['no more messages', 'no-more-messages'],
  ['no more texts please', 'no-more-messages'],
  ['No more reminders from you, thanks', 'no-more-messages'],
  ['no more', 'no-more'],
  ['Please, no more!', 'no-more'],
  ['unsubscribe me', 'unsubscribe-me'],
  ['I want to unsubscribe', 'unsubscribe-me'],
  ['unsubscribe me from this list', 'unsubscribe-me'],
  ['unsubcribe me', 'unsubscribe-me'],
  ['opt me out', 'opt-me-out'],
  ['I want to opt out', 'opt-me-out'],
  ['please opt me out of these texts', 'opt-me-out'],
  ['remove me from this list', 'remove-me'],
  ['remove my number', 'remove-me'],
  ['Please remove me', 'remove-me'],
  ['take me off your list', 'take-me-off'],
  ['take me off', 'take-me-off'],
  ['Take my number off your list', 'take-me-off'],
  ['do not text me', 'do-not-text'],
  ["don't text me anymore", 'do-not-text'],
  ['don’t text me anymore', 'do-not-text'],
  ['Never message me again', 'do-not-text'],
  ["don't send me reminders", 'do-not-text'],
  ["I don't want these messages", 'dont-want-messages'],
  ['I don’t want these messages', 'dont-want-messages'],
  ['I no longer want to receive texts', 'dont-want-messages'],
  ["I don't want to be contacted", 'dont-want-messages'],
  ['cancel my messages', 'cancel-messages'],
  ['cancel the text reminders', 'cancel-messages'],
  ['cancel subscription', 'cancel-messages'],
  ['leave me alone', 'leave-me-alone'],
  ['Leave me alone!!', 'leave-me-alone'],
  ['no más', 'es-no-mas'],
  ['No mas', 'es-no-mas'],
  ['¡No más, por favor!', 'es-no-mas'],
  ['no mas mensajes', 'es-no-mas-mensajes'],
  ['No más mensajes por favor', 'es-no-mas-mensajes'],
  ['alto', 'es-alto'],
  ['¡ALTO!', 'es-alto'],
  ['Alto, número equivocado', 'es-alto'],
  ['cancelar', 'es-cancelar'],
  ['Cancelar los mensajes', 'es-cancelar'],
  ['baja', 'es-baja'],
  ['darme de baja', 'es-baja'],
  ['Quiero darme de baja', 'es-baja'],
  ['no me envíen más mensajes', 'es-no-enviar'],
  ['No me escriban', 'es-no-enviar'],
  ['no quiero recibir mensajes', 'es-no-quiero-mensajes'],
  ['Ya no quiero más mensajes', 'es-no-quiero-mensajes'],
  ['dejen de enviarme mensajes', 'es-dejen-de'],
  ['Por favor dejen de escribirme', 'es-dejen-de'],
];

const PHRASE_IDS = OPT_OUT_PHRASE_IDS;

describe('classifyInboundReply — revocation phrases (FCC 24-24 reasonable person)', () => {
  it.each(PHRASE_EXAMPLES)('%j → phrase %s', (text, id) => {
    expect(classifyInboundReply(text)).toEqual({
      kind: 'opt-out',
      via: 'phrase',
      phrase: id,
      allChannels: false,
    });
  });

  it('every pattern id has examples', () => {
    expect(new Set(PHRASE_EXAMPLES.map(([, id]) => id))).toEqual(new Set(PHRASE_IDS));
  });

  it('the result carries the pattern id, never the patient text', () => {
    for (const [text] of PHRASE_EXAMPLES) {
      const r = classifyInboundReply(text);
      expect(Object.keys(r).sort()).toEqual(['allChannels', 'kind', 'phrase', 'via']);
      expect(r.kind === 'opt-out' && r.via === 'phrase' && PHRASE_IDS.some((id) => id === r.phrase)).toBe(
        true,
      );
    }
  });
});

describe('classifyInboundReply — negation is not revocation', () => {
  it.each([
    "don't stop",
    'don’t stop!',
    'Please don’t stop texting me',
    "please don't stop texting me",
    "Don't stop the reminders, they help",
    'I do not want to unsubscribe',
    "please don't remove me from the list",
    'Do not cancel my reminders',
    "I don't want you to stop texting me",
    'Never stop sending me these',
    'no cancelen los recordatorios',
    'no dejen de enviarme mensajes',
  ])('%j → review possible-opt-out', (text) => {
    expect(classifyInboundReply(text)).toEqual({ kind: 'review', reason: 'possible-opt-out' });
  });
});

describe('classifyInboundReply — ambiguous mentions go to staff', () => {
  it.each([
    'can you stop by tomorrow?',
    'I need to cancel my appointment',
    'cancel my appointment',
    'Cancel, I am sick',
    'stop sending to this number at work? call me instead',
    'Stop? what is this',
    'stop by the front desk at 3',
    "I'll text you when I'm outside",
    'Got your message, thanks',
    'remove me from the waitlist',
    "I'm not interested",
    'please cancel',
    'cancelar la cita',
    'unsubscribe from what?',
  ])('%j → review possible-opt-out', (text) => {
    expect(classifyInboundReply(text)).toEqual({ kind: 'review', reason: 'possible-opt-out' });
  });
});

describe('classifyInboundReply — wrong number', () => {
  it.each([
    'wrong number',
    'Wrong #',
    'you have the wrong number',
    'Sorry, wrong person',
    "I'm not Maria",
    'im not john smith',
    'I am not him',
    'who is this',
    "who's this?",
    'Who dis',
    "this isn't Maria's phone",
    'This is not her number anymore',
    'new number',
    'I have a new phone number',
    'not me',
    'Nobody by that name here',
    'no one by that name',
    'número equivocado',
    '¿Quién es?',
    'No soy Maria',
  ])('%j → review possible-wrong-number', (text) => {
    expect(classifyInboundReply(text)).toEqual({ kind: 'review', reason: 'possible-wrong-number' });
  });
});

describe('classifyInboundReply — wrong recipient (issue 7: each opens an incident draft)', () => {
  it.each([
    // English, as listed in issue 7
    'Wrong number',
    'WRONG NUMBER!!',
    'Who is this?',
    'who is this',
    "I'm not Carla",
    'I am not Jose',
    "This isn't me",
    'this is not me',
    'That wasnt me',
    'New number',
    'new number, who dis',
    // common misspellings and variants
    'worng number',
    'wromg number',
    'wrong numer',
    'wrong nunber',
    'wrng number',
    'rong number',
    'wrong numbers',
    'you have the wrong patient',
    'whose this',
    'who is dis',
    'whos dis',
    'who r u',
    'who are u?',
    'new #',
    'I changed numbers',
    "I'm not the patient",
    'that is not my name',
    // Spanish, as listed in issue 7
    'Número equivocado',
    'numero equivocado',
    '¿Quién es?',
    'quien es',
    'No soy Lucía',
    'no soy Carmen Ruiz',
    'Este no soy yo',
    'este no soy yo',
    'Número nuevo',
    'nuevo número',
    'Cambié de número',
    'cambie de numero',
    // Spanish misspellings and variants
    'numero equibocado',
    'numero ekivocado',
    'num equivocado',
    'se equivocaron de número',
    'kien es',
    'quien sos?',
    '¿quién me escribe?',
    'tengo nuevo numero',
    'cambié mi número',
    'ya no es mi número',
    'este no es mi celular',
    'no soy la paciente',
    'no conozco a esa persona',
    '# equivocado',
    // invisible characters and other scripts around the signal
    'wrong\u200Bnumber',
    '\u200Fwho is this?\u200F',
    '\uFEFFnúmero\u200D equivocado',
    '😕 wrong number 😕',
    'مرحبا wrong number',
    '你好 who is this',
  ])('%j → review possible-wrong-number', (text) => {
    expect(classifyInboundReply(text)).toEqual({ kind: 'review', reason: 'possible-wrong-number' });
  });

  it.each(["I'm not sure", "I'm not feeling well", 'No soy alérgica', 'no soy de aquí', 'see you Tuesday'])(
    '%j is not a wrong-recipient signal',
    (text) => {
      expect(classifyInboundReply(text)).not.toEqual({ kind: 'review', reason: 'possible-wrong-number' });
    },
  );

  it.each([
    ['wrong number. STOP', 'opt-out'],
    ['Número equivocado, no más mensajes', 'opt-out'],
    ['STOP', 'opt-out'],
  ])('%j: a revocation with the signal stays an opt-out', (text, kind) => {
    expect(classifyInboundReply(text).kind).toBe(kind);
  });

  it.each([
    ['Arabic', 'من أنت؟ هذا ليس رقمي'],
    ['Chinese', '你是谁？这不是我的号码'],
    ['Hebrew with RTL marks', '\u200Fמי זה?\u200F'],
    ['emoji only', '🤔🤔🤔'],
    ['zero-width only', '\u200B\u200C\u200D\u2060\uFEFF'],
    ['RTL override', '\u202Ewrong number\u202C'],
    ['very long mixed script', 'رقم خاطئ 号码错误 '.repeat(20_000)],
    ['very long zero-width', '\u200B'.repeat(100_000) + 'who is this'],
  ])('%s never throws and gives an intent', (_name, text) => {
    const started = performance.now();
    const r = classifyInboundReply(text);
    expect(['opt-out', 'opt-in', 'help', 'review']).toContain(r.kind);
    expect(performance.now() - started).toBeLessThan(5_000);
  });
});

describe('classifyInboundReply — everything else is free text, never ignored', () => {
  it.each([
    'thanks, see you Tuesday',
    'ok',
    'OK!',
    '',
    ' ',
    '\n\t  ',
    '👍',
    '???',
    '...',
    'Thank you!',
    'Yes please',
    'Help me',
    'See you at the end of the week',
    "I'm not sure",
    "I'm not feeling well",
    'Can I bring my daughter?',
  ])('%j → review free-text', (text) => {
    expect(classifyInboundReply(text)).toEqual({ kind: 'review', reason: 'free-text' });
  });
});

describe('classifyInboundReply — robustness', () => {
  it.each([
    ['long filler', 'a '.repeat(100_000)],
    ['long spaces then letter', ' '.repeat(100_000) + 'x'],
    ['long punctuation then STOP', '!'.repeat(100_000) + 'STOP'],
    ['STOP then long punctuation', 'STOP' + '!'.repeat(100_000)],
    ['long negations', "don't ".repeat(30_000)],
    ['long stops', 'stop '.repeat(30_000)],
    ['long please prefix', 'please '.repeat(30_000) + 'stop now'],
    ['long clauses', 'stop, '.repeat(30_000)],
  ])('%s is classified quickly', (_name, text) => {
    const started = performance.now();
    const r = classifyInboundReply(text);
    expect(['opt-out', 'opt-in', 'help', 'review']).toContain(r.kind);
    expect(performance.now() - started).toBeLessThan(5_000);
  });

  it('handles lone surrogates and control characters', () => {
    for (const text of ['\uD800', '\uDC00stop', 'stop\uD800', '\u0000', '\u0000STOP\u0000', '\uFEFFSTOP']) {
      expect(() => classifyInboundReply(text)).not.toThrow();
    }
    expect(classifyInboundReply('\uFEFFSTOP').kind).toBe('opt-out');
  });
});
