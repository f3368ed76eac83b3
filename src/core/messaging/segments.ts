/**
 * SMS encoding and segment counting, as Twilio's message-segment-calculator (`SegmentedMessage.ts`) does it
 * (reference §5): GSM-7 unless any character is outside GSM 03.38, then UCS-2 for the whole message; 1120-bit
 * segments; a concatenated message spends 48 bits of each segment on the user data header; a character (an escape
 * pair, a surrogate pair) is never split across segments.
 */

/** GSM 03.38 basic character set: one septet each (reference §5.2). */
const GSM_BASIC = new Set(
  [
    '\n', '\r', ' ', '!', '"', '#', '$', '%', '&', "'", '(', ')', '*', '+', ',', '-', '.', '/',
    '0', '1', '2', '3', '4', '5', '6', '7', '8', '9', ':', ';', '<', '=', '>', '?', '@',
    ...Array.from('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'),
    '_', '¡', '£', '¤', '¥', '§', '¿', 'Ä', 'Å', 'Æ', 'É', 'Ñ', 'Ö', 'Ø', 'Ü', 'ß', 'à', 'ä', 'å', 'æ', 'Ç', 'è', 'é', 'ì',
    'ñ', 'ò', 'ö', 'ø', 'ù', 'ü', 'Γ', 'Δ', 'Θ', 'Λ', 'Ξ', 'Π', 'Σ', 'Φ', 'Ψ', 'Ω',
  ],
);

/** GSM 03.38 extension table: escape + code, two septets each (reference §5.2). */
const GSM_EXTENSION = new Set(['\f', '^', '{', '}', '\\', '[', '~', ']', '|', '€']);

const SEGMENT_BITS = 1120;
const UDH_BITS = 48;

export type SmsEncoding = 'GSM-7' | 'UCS-2';

export interface SegmentCount {
  readonly encoding: SmsEncoding;
  readonly segments: number;
  /** GSM-7: code units (an extension character counts 2). UCS-2: grapheme clusters. */
  readonly characters: number;
}

const segmenter = new Intl.Segmenter('en', { granularity: 'grapheme' });

/** Bits of a grapheme in GSM-7, or null when it has no GSM-7 form. (CR LF is one grapheme of two GSM characters.) */
function gsmBits(grapheme: string): number | null {
  let bits = 0;
  for (const char of grapheme) {
    if (GSM_BASIC.has(char)) bits += 7;
    else if (GSM_EXTENSION.has(char)) bits += 14;
    else return null;
  }
  return bits;
}

/** How many segments characters of these sizes (bits) fill when none may be split. */
function fill(sizes: readonly number[]): number {
  const total = sizes.reduce((a, b) => a + b, 0);
  if (total <= SEGMENT_BITS) return 1;
  const capacity = SEGMENT_BITS - UDH_BITS;
  let segments = 1;
  let used = 0;
  for (const size of sizes) {
    if (used + size > capacity) {
      segments += 1;
      used = 0;
    }
    used += size;
  }
  return segments;
}

/**
 * @param body - the message text
 * @returns its encoding, segment count and character count; an empty body is one GSM-7 segment of 0 characters
 */
export function measureSegments(body: string): SegmentCount {
  const graphemes = [...segmenter.segment(body)].map((s) => s.segment);
  const gsm = graphemes.map(gsmBits);
  if (gsm.every((bits) => bits !== null)) {
    const sizes = gsm.map((bits) => bits ?? 0);
    return { encoding: 'GSM-7', segments: fill(sizes), characters: sizes.reduce((a, b) => a + b / 7, 0) };
  }
  // UCS-2: 16 bits per UTF-16 code unit; a grapheme (surrogate pair, emoji sequence) stays in one segment.
  return { encoding: 'UCS-2', segments: fill(graphemes.map((g) => g.length * 16)), characters: graphemes.length };
}
