import PDFDocument from 'pdfkit';
import { composeNoticeLetter, type NoticeLetterInput } from '../../core/incidents/notice-letter.ts';

/**
 * The individual breach notice as a PDF letter (issue 7 item 4; docs/incident-response.md): one per affected patient,
 * printed and sent by first-class mail, or attached to an e-mail when the patient agreed to electronic notice
 * (45 CFR 164.404(d)(1)(i)); never sent as a text message. The words and their order (elements A–E of
 * 164.404(c)(1), plain language) come from `composeNoticeLetter`; this file only lays them out on US Letter paper:
 * the hospital's letterhead, the date and reference, the recipient's address block (it fits a left window envelope),
 * the heading, sections A–E, and a closing.
 *
 * Built with pdfkit and the standard PDF fonts (no font files), like the evidence report: text outside
 * Windows-1252 prints as the font's substitute glyph. The recipient's name and address are in this document by
 * design; never in a log, an error or the document's metadata.
 */

/** One inch. */
const MARGIN = 72;
const FONT = 'Helvetica';
const BOLD = 'Helvetica-Bold';
const BULLET = '\u2022 ';
const INDENT = 16;

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'] as const;

/** 'December 4, 2026' for '2026-12-04' (the letter's input was validated by composeNoticeLetter). */
function longDate(iso: string): string {
  const [y, m, d] = iso.split('-').map(Number);
  return `${MONTHS[(m ?? 1) - 1] ?? ''} ${String(d)}, ${String(y)}`;
}

/** Starts a new page when the next `height` points would not fit on this one. */
function fit(doc: PDFKit.PDFDocument, height: number): void {
  if (doc.y + height > doc.page.height - MARGIN) {
    doc.addPage();
    doc.x = MARGIN;
    doc.y = MARGIN;
  }
}

/** 'Reference … · Page n of N' at the foot of every page, so loose pages of a letter can be put back together. */
function footers(doc: PDFKit.PDFDocument, reference: string): void {
  const { start, count } = doc.bufferedPageRange();
  for (let i = start; i < start + count; i++) {
    doc.switchToPage(i);
    const bottom = doc.page.margins.bottom;
    doc.page.margins.bottom = 0; // writing inside the bottom margin must not open a new page
    doc.font(FONT).fontSize(8).fillColor('#555555');
    doc.text(`Reference ${reference} \u00b7 Page ${String(i - start + 1)} of ${String(count)}`, MARGIN, doc.page.height - MARGIN / 2, { width: doc.page.width - 2 * MARGIN, align: 'center', lineBreak: false });
    doc.fillColor('black');
    doc.page.margins.bottom = bottom;
  }
}

/**
 * Renders the letter.
 * @param input - the facts for one recipient (see `NoticeLetterInput`)
 * @returns the PDF document's bytes
 * @throws DomainError `VALIDATION_FAILED` (from `composeNoticeLetter`) when a required element would be empty,
 *   before any byte is produced
 */
export async function renderNoticeLetterPdf(input: NoticeLetterInput): Promise<Buffer> {
  const letter = composeNoticeLetter(input);
  const doc = new PDFDocument({
    size: 'LETTER',
    margin: MARGIN,
    bufferPages: true,
    // No recipient in the metadata: a file's properties are shown by viewers and indexers outside the page.
    info: { Title: letter.title, Author: input.hospital.name, Creator: 'Wardline', Subject: `Reference ${input.incidentReference}` },
  });
  const chunks: Buffer[] = [];
  doc.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise<void>((resolve, reject) => {
    doc.on('end', resolve);
    doc.on('error', reject);
  });
  const width = doc.page.width - 2 * MARGIN;

  // Letterhead.
  doc.font(BOLD).fontSize(16).text(input.hospital.name, { width });
  doc.font(FONT).fontSize(9).fillColor('#333333');
  doc.text(input.hospital.address.filter((l) => l.trim() !== '').join(' \u00b7 '), { width });
  doc.text(`Toll-free ${input.hospital.tollFreePhone} \u00b7 ${input.hospital.email} \u00b7 ${input.hospital.website}`, { width });
  doc.fillColor('black');
  doc.moveDown(0.3);
  doc.moveTo(MARGIN, doc.y).lineTo(MARGIN + width, doc.y).lineWidth(0.5).stroke('#999999');
  doc.moveDown(1.2);

  // Date, reference, recipient.
  doc.font(FONT).fontSize(11).text(longDate(input.letterDate));
  doc.text(`Reference: ${input.incidentReference}`);
  doc.moveDown(1.2);
  for (const line of [input.recipient.name, ...input.recipient.address]) if (line.trim() !== '') doc.text(line);
  doc.moveDown(1.5);

  // Heading and body.
  doc.font(BOLD).fontSize(14).text(letter.title, { width });
  doc.moveDown(0.6);
  const greeting = input.recipient.name.trim() === '' ? 'Dear Patient,' : `Dear ${input.recipient.name.trim()},`;
  doc.font(FONT).fontSize(11).text(greeting);
  doc.moveDown(0.6);
  for (const section of letter.sections) {
    // Keep a heading with the start of its text: no heading alone at the foot of a page.
    fit(doc, 60);
    doc.font(BOLD).fontSize(12).text(section.heading, MARGIN, doc.y, { width });
    doc.moveDown(0.25);
    doc.font(FONT).fontSize(11);
    let afterBullet = false;
    for (const p of section.paragraphs) {
      const bullet = p.startsWith(BULLET);
      if (afterBullet && !bullet) doc.moveDown(0.25);
      afterBullet = bullet;
      if (bullet) {
        const item = p.slice(BULLET.length);
        // Break the page ourselves: pdfkit would break between the bullet and its text.
        fit(doc, doc.heightOfString(item, { width: width - INDENT }));
        const y = doc.y;
        doc.text('\u2022', MARGIN + 4, y, { width: INDENT });
        doc.text(item, MARGIN + INDENT, y, { width: width - INDENT });
        doc.moveDown(0.15);
      } else {
        fit(doc, Math.min(doc.heightOfString(p, { width }), 3 * doc.currentLineHeight(true)));
        doc.text(p, MARGIN, doc.y, { width });
        doc.moveDown(0.4);
      }
    }
    doc.x = MARGIN;
    doc.moveDown(0.5);
  }

  // Closing.
  fit(doc, 110);
  doc.font(FONT).fontSize(11).text('We sincerely apologize for any concern this may cause you.', MARGIN, doc.y, { width });
  doc.moveDown(1);
  doc.text('Sincerely,');
  doc.moveDown(1.5);
  doc.text('Privacy Officer');
  doc.text(input.hospital.name);
  footers(doc, input.incidentReference);
  doc.end();
  await done;
  return Buffer.concat(chunks);
}
