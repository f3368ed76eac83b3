import { describe, expect, it } from 'vitest';
import { measureSegments } from './segments.ts';

const a = (n: number): string => 'a'.repeat(n);
/** `ç` is outside GSM 03.38: a run of them is UCS-2, one UTF-16 code unit each. */
const c = (n: number): string => 'ç'.repeat(n);

describe('measureSegments: GSM-7 (reference §5.1, §5.3)', () => {
  it.each([
    [160, 1],
    [161, 2],
    [306, 2],
    [307, 3],
    [459, 3],
    [460, 4],
  ])('%i basic characters take %i segment(s)', (length, segments) => {
    expect(measureSegments(a(length))).toEqual({ encoding: 'GSM-7', segments, characters: length });
  });

  it('counts an empty body as one GSM-7 segment of 0 characters', () => {
    expect(measureSegments('')).toEqual({ encoding: 'GSM-7', segments: 1, characters: 0 });
  });

  it.each(['€', '[', '{', '}', ']', '\\', '^', '~', '|', '\f'])('counts the extension character %j as 2', (ext) => {
    expect(measureSegments(ext)).toEqual({ encoding: 'GSM-7', segments: 1, characters: 2 });
    expect(measureSegments(ext.repeat(80))).toEqual({ encoding: 'GSM-7', segments: 1, characters: 160 });
    expect(measureSegments(ext.repeat(81))).toEqual({ encoding: 'GSM-7', segments: 2, characters: 162 });
    expect(measureSegments(`${ext}${a(158)}`)).toMatchObject({ segments: 1, characters: 160 });
    expect(measureSegments(`${ext}${a(159)}`)).toMatchObject({ segments: 2, characters: 161 });
  });

  it('never splits an escape pair: one that would straddle the 153-septet boundary moves to the next segment', () => {
    // 152 septets + "[" (2) = 154 > 153: the pair opens segment 2, which then holds "[" + 151, leaving 1 for a third.
    expect(measureSegments(`${a(152)}[${a(152)}`)).toEqual({ encoding: 'GSM-7', segments: 3, characters: 306 });
    // 151 + 2 = 153 fits exactly: the same 306 septets arranged differently take two segments.
    expect(measureSegments(`${a(151)}[${a(153)}`)).toEqual({ encoding: 'GSM-7', segments: 2, characters: 306 });
    // 153 escape pairs (306 septets): 76 pairs per segment at most, so three segments.
    expect(measureSegments(']'.repeat(153))).toEqual({ encoding: 'GSM-7', segments: 3, characters: 306 });
  });

  it('keeps Spanish ¿ ¡ Ñ ñ, capital Ç, é and the Greek capitals in GSM-7', () => {
    expect(measureSegments('¿Ñandú?')).toMatchObject({ encoding: 'UCS-2' }); // ú is not GSM
    expect(measureSegments('¿Señor Muñoz? ¡Cita mañana!')).toEqual({ encoding: 'GSM-7', segments: 1, characters: 27 });
    expect(measureSegments('¿Ñ')).toEqual({ encoding: 'GSM-7', segments: 1, characters: 2 });
    expect(measureSegments('Ça va, café? ΔΣΩ')).toMatchObject({ encoding: 'GSM-7' });
    expect(measureSegments('@£$¥èéùìòÇØøÅåÆæßÉÄÖÜ§äöüà_!"#¤%&\'()*+,-./:;<=>?')).toMatchObject({ encoding: 'GSM-7' });
  });

  it('counts CR LF as two characters and keeps it GSM-7, as the calculator does', () => {
    expect(measureSegments('\rabcde\r\n123')).toEqual({ encoding: 'GSM-7', segments: 1, characters: 11 });
    expect(measureSegments('\nabcde\n\n123\n')).toEqual({ encoding: 'GSM-7', segments: 1, characters: 12 });
  });
});

describe('measureSegments: what forces UCS-2 (reference §5.2)', () => {
  it.each([
    ['lowercase ç', 'Français ç'],
    ['curly double quotes', '“quoted”'],
    ['curly single quote', 'it’s'],
    ['en dash', 'Mon – Fri'],
    ['ellipsis', 'wait…'],
    ['backtick', 'a`b'],
    ['ú', 'Perú'],
    ['emoji', 'Hi 👋'],
    ['a base letter with a combining accent', 'e\u0301'],
    ['CJK', '中文'],
  ])('%s', (_name, body) => {
    expect(measureSegments(body).encoding).toBe('UCS-2');
  });

  it('capital Ç stays GSM-7 while lowercase ç does not', () => {
    expect(measureSegments('Ç').encoding).toBe('GSM-7');
    expect(measureSegments('ç').encoding).toBe('UCS-2');
  });

  it('counts characters in UCS-2 as grapheme clusters', () => {
    expect(measureSegments('Hi 👋')).toEqual({ encoding: 'UCS-2', segments: 1, characters: 4 });
    expect(measureSegments('👩‍👩‍👧 ok')).toEqual({ encoding: 'UCS-2', segments: 1, characters: 4 });
    // In UCS-2 an extension character is one code unit like any other: no longer 2.
    expect(measureSegments('€ç')).toEqual({ encoding: 'UCS-2', segments: 1, characters: 2 });
  });
});

describe('measureSegments: UCS-2 segments', () => {
  it.each([
    [70, 1],
    [71, 2],
    [134, 2],
    [135, 3],
    [201, 3],
    [202, 4],
  ])('%i single-unit characters take %i segment(s)', (length, segments) => {
    expect(measureSegments(c(length))).toEqual({ encoding: 'UCS-2', segments, characters: length });
  });

  it('never splits a surrogate pair at the 67-unit boundary', () => {
    // 66 units + an emoji (2 units) = 68 > 67: the emoji opens segment 2; 134 units then need three segments.
    expect(measureSegments(`${c(66)}😀${c(66)}`)).toEqual({ encoding: 'UCS-2', segments: 3, characters: 133 });
    // 65 + 2 = 67 fits: 133 units in two segments.
    expect(measureSegments(`${c(65)}😀${c(66)}`)).toEqual({ encoding: 'UCS-2', segments: 2, characters: 132 });
  });

  it('keeps a multi-code-point grapheme whole in one segment', () => {
    // A 4-unit flag after 65 units: 69 > 67, so the whole flag opens segment 2, which holds the flag and 63 more.
    expect(measureSegments(`${c(65)}🇮🇹${c(63)}`)).toEqual({ encoding: 'UCS-2', segments: 2, characters: 129 });
    // 133 units would fit two segments of 67 if the flag could be split; it cannot.
    expect(measureSegments(`${c(65)}🇮🇹${c(64)}`)).toEqual({ encoding: 'UCS-2', segments: 3, characters: 130 });
  });

  // The calculator's own test cases (TwilioDevEd/message-segment-calculator tests/index.test.js).
  it.each([
    ['😜' + '2345678901'.repeat(6) + '23456789', 1, 69],
    ['😜' + '2345678901'.repeat(6) + '234567890', 2, 70],
    ['😜' + '2345678901'.repeat(13) + '234', 3, 134],
    ['🇮🇹' + '2345678901'.repeat(6) + '234567', 1, 67],
    ['🇮🇹' + '2345678901'.repeat(6) + '2345678', 2, 68],
    ['😀' + ']'.repeat(68), 1, 69],
    ['😀' + ']'.repeat(69), 2, 70],
    ['e\u0301\u0301\u0301' + a(66), 1, 67],
    ['e\u0301\u0301\u0301' + a(67), 2, 68],
  ])('agrees with the calculator on case %#', (body, segments, characters) => {
    expect(measureSegments(body)).toEqual({ encoding: 'UCS-2', segments, characters });
  });
});
