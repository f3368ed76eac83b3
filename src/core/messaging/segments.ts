/**
 * SMS encoding and segment counting, exactly as Twilio's message-segment-calculator (`SegmentedMessage.ts`) does it
 * (reference §5), without Smart Encoding: no look-alike is replaced before counting.
 *
 * - The body is split into grapheme clusters (`Intl.Segmenter`); a CR LF pair is two characters, as the calculator
 *   splits it.
 * - The whole message is UCS-2 when any grapheme has two or more UTF-16 code units or one code unit outside the
 *   GSM 03.38 basic and extension tables (§5.2); otherwise GSM-7.
 * - Sizes: GSM-7 basic character 7 bits, extension character (ESC + code) 14 bits; UCS-2 16 bits per UTF-16 code unit.
 * - Segments hold 1120 bits. A message that fits one segment is one segment (160 GSM-7 septets, 70 UCS-2 units).
 *   Otherwise every segment carries a 48-bit user data header (153 septets / 67 units of room), and a character —
 *   escape pair, surrogate pair, whole grapheme — is never split across segments, so a segment can hold less.
 */

/** GSM 03.38 basic character set as UTF-16 code units: 7 bits each (reference §5.2). */
const GSM_BASIC: ReadonlySet<number> = new Set(
  [
    '\n\r !"#$%&\'()*+,-./0123456789:;<=>?@',
    'ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz',
    '¡£¤¥§¿ÄÅÆÉÑÖØÜßàäåæÇèéìñòöøùü',
    'ΓΔΘΛΞΠΣΦΨΩ',
  ]
    .join('')
    .split('')
    .map((c) => c.charCodeAt(0)),
);

/** GSM 03.38 extension table (escape 0x1B + code): 14 bits each (reference §5.2). */
const GSM_EXTENSION: ReadonlySet<number> = new Set('\f^{}\\[~]|€'.split('').map((c) => c.charCodeAt(0)));

/** Payload of one SMS: 140 octets. */
const SEGMENT_BITS = 1120;
/** User data header of a concatenated message: 6 octets in every segment. */
const UDH_BITS = 48;
const GSM_SEPTET_BITS = 7;
const UCS2_UNIT_BITS = 16;

export type SmsEncoding = 'GSM-7' | 'UCS-2';

/** Encoding, segment count and character count of a message body. */
export interface SegmentCount {
  readonly encoding: SmsEncoding;
  readonly segments: number;
  /** GSM-7: GSM code units (an extension character counts 2). UCS-2: grapheme clusters (CR LF counts 2). */
  readonly characters: number;
}

const graphemeSegmenter = new Intl.Segmenter('en', { granularity: 'grapheme' });

/** Grapheme clusters of the body, with CR LF split into CR and LF as the calculator does. */
function graphemesOf(body: string): string[] {
  const graphemes: string[] = [];
  for (const { segment } of graphemeSegmenter.segment(body)) {
    if (segment === '\r\n') graphemes.push('\r', '\n');
    else graphemes.push(segment);
  }
  return graphemes;
}

/** Size in bits of a grapheme in GSM-7, or null when it has no GSM-7 form. */
function gsmBits(grapheme: string): number | null {
  if (grapheme.length !== 1) return null;
  const unit = grapheme.charCodeAt(0);
  if (GSM_BASIC.has(unit)) return GSM_SEPTET_BITS;
  if (GSM_EXTENSION.has(unit)) return 2 * GSM_SEPTET_BITS;
  return null;
}

/**
 * How many segments characters of these sizes (bits, in message order) take, as the calculator builds them: fill the
 * first segment; when a character no longer fits, open a segment with a header, give the first segment its header
 * and move its trailing characters that no longer fit into the new one; later segments are opened with a header.
 * A character is pushed whole into the segment it starts, never split.
 */
function countSegments(sizes: readonly number[]): number {
  let segments = 1;
  // Sizes of the characters in the first segment while it is the only one.
  const first: number[] = [];
  let firstBits = 0;
  // Bits used in the current segment once the message is concatenated (header included).
  let current = 0;
  for (const size of sizes) {
    if (segments === 1) {
      if (SEGMENT_BITS - firstBits >= size) {
        first.push(size);
        firstBits += size;
        continue;
      }
      segments = 2;
      let kept = first.length;
      let keptBits = firstBits + UDH_BITS;
      while (keptBits > SEGMENT_BITS && kept > 0) {
        kept -= 1;
        keptBits -= first[kept] ?? 0;
      }
      const movedBits = firstBits + UDH_BITS - keptBits;
      current = UDH_BITS + movedBits + size;
      continue;
    }
    if (SEGMENT_BITS - current < size) {
      segments += 1;
      current = UDH_BITS;
    }
    current += size;
  }
  return segments;
}

/**
 * Measure an SMS body as Twilio's segment calculator does (reference §5.3).
 *
 * @param body - the message text, exactly as it will be sent
 * @returns the encoding (GSM-7 unless a character is outside GSM 03.38, then UCS-2 for the whole message), the
 *   number of segments, and the number of characters (GSM-7: code units, an extension character such as `€` or `[`
 *   counting 2; UCS-2: grapheme clusters). An empty body is one GSM-7 segment of 0 characters.
 */
export function measureSegments(body: string): SegmentCount {
  const graphemes = graphemesOf(body);
  const gsm: number[] = [];
  for (const grapheme of graphemes) {
    const bits = gsmBits(grapheme);
    if (bits === null) {
      // UCS-2: 16 bits per UTF-16 code unit; a grapheme (surrogate pair, emoji sequence) stays in one segment.
      return {
        encoding: 'UCS-2',
        segments: countSegments(graphemes.map((g) => g.length * UCS2_UNIT_BITS)),
        characters: graphemes.length,
      };
    }
    gsm.push(bits);
  }
  const septets = gsm.reduce((sum, bits) => sum + bits / GSM_SEPTET_BITS, 0);
  return { encoding: 'GSM-7', segments: countSegments(gsm), characters: septets };
}
