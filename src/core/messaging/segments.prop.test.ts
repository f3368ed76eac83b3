import { describe, expect } from 'vitest';
import { test, fc } from '@fast-check/vitest';
import { measureSegments } from './segments.ts';

const GSM_BASIC = '\n\r !"#$%&\'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz¡£¤¥§¿ÄÅÆÉÑÖØÜßàäåæÇèéìñòöøùüΓΔΘΛΞΠΣΦΨΩ'.split('');
const GSM_EXTENSION = '\f^{}\\[~]|€'.split('');
const NON_GSM = ['ç', 'ú', 'á', '`', '“', '”', '‘', '’', '–', '—', '…', '中', '😀', '👋🏽', '🇮🇹', 'e\u0301', '\u00a0', '\t'];

const gsmChar = fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...GSM_BASIC) }, { weight: 1, arbitrary: fc.constantFrom(...GSM_EXTENSION) });
const gsmText = fc.array(gsmChar, { maxLength: 500 }).map((chars) => chars.join(''));
const nonGsmChar = fc.constantFrom(...NON_GSM);
/** Text mixing every kind of character, long enough to cross several segment boundaries. */
const mixedText = fc
  .array(fc.oneof({ weight: 6, arbitrary: gsmChar }, { weight: 1, arbitrary: nonGsmChar }), { maxLength: 400 })
  .map((chars) => chars.join(''));
const anyText = fc.oneof(mixedText, fc.string({ unit: 'grapheme', maxLength: 300 }), fc.string({ unit: 'binary', maxLength: 300 }));

/** Bits the characters need, header excluded: 7 per GSM code unit, 16 per UTF-16 code unit. */
function bitsOf(body: string): number {
  const m = measureSegments(body);
  return m.encoding === 'GSM-7' ? m.characters * 7 : body.length * 16;
}

describe('segment properties', () => {
  test.prop([gsmText])('text made only of GSM 03.38 characters is GSM-7, extension characters counting 2', (text) => {
    const extensions = (text.match(/[\f^{}\\[~\]|€]/gu) ?? []).length;
    expect(measureSegments(text)).toMatchObject({ encoding: 'GSM-7', characters: text.length + extensions });
  });

  test.prop([gsmText, nonGsmChar, gsmText])('one character outside GSM 03.38 anywhere makes the whole message UCS-2', (before, odd, after) => {
    expect(measureSegments(before + odd + after).encoding).toBe('UCS-2');
  });

  test.prop([anyText, anyText])('appending text never lowers the segment count', (text, more) => {
    expect(measureSegments(text + more).segments).toBeGreaterThanOrEqual(measureSegments(text).segments);
  });

  test.prop([anyText])('the segments have room for every bit the characters need', (text) => {
    const { segments } = measureSegments(text);
    const capacity = segments === 1 ? 1120 : segments * (1120 - 48);
    expect(capacity).toBeGreaterThanOrEqual(bitsOf(text));
  });

  test.prop([anyText])('one segment exactly when the message fits one (160 GSM-7 / 70 UCS-2 units)', (text) => {
    const m = measureSegments(text);
    expect(m.segments === 1).toBe(bitsOf(text) <= 1120);
  });

  test.prop([gsmText])('GSM-7 wastes at most one septet per concatenated segment (never splitting an escape pair)', (text) => {
    const { segments, characters } = measureSegments(text);
    if (segments > 1) expect(segments).toBeLessThanOrEqual(Math.ceil(characters / 152));
  });

  test.prop([mixedText])('UCS-2 of one- and two-unit characters wastes at most one unit per concatenated segment', (text) => {
    fc.pre(!/🇮🇹|👋🏽|e\u0301/u.test(text));
    const m = measureSegments(text);
    if (m.encoding === 'UCS-2' && m.segments > 1) expect(m.segments).toBeLessThanOrEqual(Math.ceil(text.length / 66));
  });
});
