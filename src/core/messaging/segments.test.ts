import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { measureSegments } from './segments.ts';

describe('SMS encoding and segments (reference §5)', () => {
  it.each([
    ['a'.repeat(160), 'GSM-7', 1, 160],
    ['a'.repeat(161), 'GSM-7', 2, 161],
    ['a'.repeat(306), 'GSM-7', 2, 306],
    ['a'.repeat(307), 'GSM-7', 3, 307],
    ['é'.repeat(70) + 'ç', 'UCS-2', 2, 71],
    ['ç'.repeat(70), 'UCS-2', 1, 70],
    ['ç'.repeat(134), 'UCS-2', 2, 134],
    ['ç'.repeat(135), 'UCS-2', 3, 135],
    ['', 'GSM-7', 1, 0],
  ] as const)('case %#', (body, encoding, segments, characters) => {
    expect(measureSegments(body)).toEqual({ encoding, segments, characters });
  });

  it('counts extension characters as two septets: 80 euro signs fill one segment, 81 need two', () => {
    expect(measureSegments('€'.repeat(80))).toEqual({ encoding: 'GSM-7', segments: 1, characters: 160 });
    expect(measureSegments('€'.repeat(81))).toMatchObject({ segments: 2, characters: 162 });
  });

  it('never splits an escape pair: 152 septets then "[" moves the bracket to the next segment', () => {
    // 152 + 2 = 154 septets > 153 per concatenated segment: the pair goes whole into segment 2.
    expect(measureSegments(`${'a'.repeat(152)}[${'a'.repeat(10)}`)).toMatchObject({ encoding: 'GSM-7', segments: 2 });
    expect(measureSegments(`${'a'.repeat(152)}[${'a'.repeat(153)}`)).toMatchObject({ segments: 3 });
    expect(measureSegments(`${'a'.repeat(151)}[${'a'.repeat(153)}`)).toMatchObject({ segments: 2 });
  });

  it('never splits a surrogate pair at a 67-unit boundary', () => {
    // 66 units + an emoji (2 units) do not fit in 67: the emoji starts segment 2.
    expect(measureSegments(`${'ç'.repeat(66)}😀${'ç'.repeat(66)}`)).toMatchObject({ encoding: 'UCS-2', segments: 3 });
    expect(measureSegments(`${'ç'.repeat(65)}😀${'ç'.repeat(67)}`)).toMatchObject({ segments: 2 });
  });

  it('treats lowercase ç, curly quotes and emoji as UCS-2, and Spanish ¿Ñ and capital Ç as GSM-7', () => {
    expect(measureSegments('Français ç').encoding).toBe('UCS-2');
    expect(measureSegments('“quoted”').encoding).toBe('UCS-2');
    expect(measureSegments('Hi 👋').encoding).toBe('UCS-2');
    expect(measureSegments('¿Ñandu? Ça va').encoding).toBe('GSM-7');
    expect(measureSegments('line one\r\nline two').encoding).toBe('GSM-7');
  });
});

const gsmChar = fc.constantFrom(...'abcXYZ019 .,!?@£¥èéÄÖÑ\n'.split(''), '€', '[', '^');
const gsmText = fc.array(gsmChar, { maxLength: 500 }).map((a) => a.join(''));
const nonGsm = fc.constantFrom('ç', '“', '😀', 'ú', '中', '`');

describe('segment properties', () => {
  test.prop([gsmText])('text made of GSM characters is GSM-7', (text) => {
    expect(measureSegments(text).encoding).toBe('GSM-7');
  });

  test.prop([gsmText, nonGsm, gsmText])('one character outside GSM 03.38 makes the whole message UCS-2', (a, c, b) => {
    expect(measureSegments(a + c + b).encoding).toBe('UCS-2');
  });

  test.prop([fc.string({ maxLength: 400 }), fc.string({ maxLength: 50 })])('appending text never lowers the segment count', (a, b) => {
    const before = measureSegments(a);
    const after = measureSegments(a + b);
    if (before.encoding === after.encoding) expect(after.segments).toBeGreaterThanOrEqual(before.segments);
  });

  test.prop([gsmText])('GSM-7 segments hold what the characters need (160 alone, 153 each when concatenated)', (text) => {
    const { segments, characters } = measureSegments(text);
    if (characters <= 160) expect(segments).toBe(1);
    else expect(segments).toBeGreaterThanOrEqual(Math.ceil(characters / 153));
  });
});
