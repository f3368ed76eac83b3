import { describe, expect, it } from 'vitest';
import { renderNoticeLetterPdf } from '../src/adapters/report/breach-notice.pdf.ts';
import { DomainError } from '../src/core/errors.ts';
import type { NoticeLetterInput } from '../src/core/incidents/notice-letter.ts';
import { openPdf, pdfPages } from './support/pdf.ts';

/**
 * Issue 7 "prove it": a notice letter contains every required element of 45 CFR 164.404(c)(1) for a given incident.
 * The PDF is rendered for a misdirected appointment reminder and parsed back (pdfjs-dist), and its text asserted.
 */

/** Compares without whitespace: lines wrap wherever the layout puts them. */
const squash = (s: string): string => s.replace(/\s+/g, '');

/** What the incident API hands the renderer for one affected patient of a wrong-number incident. */
const INCIDENT: NoticeLetterInput = {
  hospital: {
    name: 'Riverside General Hospital',
    address: ['Privacy Office', '100 River Road', 'Springfield, IL 62701'],
    tollFreePhone: '1-800-555-0199',
    email: 'privacy@riverside.example',
    website: 'https://riverside.example/privacy',
  },
  recipient: { name: 'Ana Canaryname', address: ['12 Elm Street, Apt 3', 'Springfield, IL 62702'] },
  breachDate: '2026-03-02',
  discoveryDate: '2026-03-05',
  whatHappened:
    'On the breach date we sent you a text message reminder about an appointment. Your mobile phone number had been given to another person by your phone company, so the message went to that person instead of you. They told us by replying "wrong number".',
  phiInvolved: ['your first name', 'the date and time of an appointment at our clinic', 'the name of the clinic'],
  stepsForIndividual: ['Tell us your current mobile phone number so we can update your record.', 'If anyone contacts you about this appointment and you do not know them, call us.'],
  whatWeAreDoing: ['stopped sending any message to the old number until you confirm a new one', 'withdrawn the secure link in the message, which had not been opened', 'reviewed how we check phone numbers before sending reminders'],
  letterDate: '2026-03-20',
  incidentReference: '5c1e0b2e-8d0b-4f51-9a57-2f4a6c1d0e11',
};

describe('the breach notice letter PDF', () => {
  it('is a US Letter PDF with letterhead, date, recipient block and elements A to E in order', async () => {
    const bytes = await renderNoticeLetterPdf(INCIDENT);
    expect(bytes.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    const doc = await openPdf(bytes);
    const [, , w, h] = (await doc.getPage(1)).view;
    expect([w, h]).toEqual([612, 792]); // 8.5 x 11 inches
    await doc.destroy();

    const text = (await pdfPages(bytes)).join(' ');
    const flat = squash(text);
    // Letterhead, date, reference and the recipient's address block.
    expect(text).toContain('Riverside General Hospital');
    expect(text).toContain('March 20, 2026');
    expect(flat).toContain(squash(`Reference: ${INCIDENT.incidentReference}`));
    expect(text).toContain('Ana Canaryname');
    expect(text).toContain('12 Elm Street, Apt 3');
    expect(text).toContain('Notice about the privacy of your health information');

    // The headings, in order A..E.
    const headings = ['What happened', 'What information was involved', 'What you can do to protect yourself', 'What we are doing about it', 'How to reach us'];
    const at = headings.map((x) => text.indexOf(x));
    for (const i of at) expect(i).toBeGreaterThanOrEqual(0);
    expect(at).toEqual([...at].sort((a, b) => a - b));
    const section = (n: number): string => squash(text.slice(at[n], at[n + 1] ?? text.length));

    // (A) what happened, with the date of the breach and the date of discovery.
    expect(section(0)).toContain(squash(INCIDENT.whatHappened));
    expect(section(0)).toContain(squash('This happened on March 2, 2026.'));
    expect(section(0)).toContain(squash('We found out about it on March 5, 2026.'));
    // (B) the types of PHI involved.
    for (const x of INCIDENT.phiInvolved) expect(section(1)).toContain(squash(x));
    // (C) the steps the individual should take.
    for (const x of INCIDENT.stepsForIndividual) expect(section(2)).toContain(squash(x));
    // (D) what the hospital is doing to investigate, mitigate and prevent.
    for (const x of INCIDENT.whatWeAreDoing) expect(section(3)).toContain(squash(x));
    // (E) contact procedures: toll-free number, e-mail, website, postal address.
    const e = section(4);
    expect(e).toContain(squash('1-800-555-0199 (toll-free)'));
    expect(e).toContain('privacy@riverside.example');
    expect(e).toContain('https://riverside.example/privacy');
    expect(e).toContain(squash('Riverside General Hospital, Privacy Office, 100 River Road, Springfield, IL 62701'));
  });

  it('says the breach date is unknown when it is, and keeps the recipient out of the metadata', async () => {
    const bytes = await renderNoticeLetterPdf({ ...INCIDENT, breachDate: null });
    const text = (await pdfPages(bytes)).join(' ');
    expect(text).toContain('We do not know the exact date on which this happened.');
    const doc = await openPdf(bytes);
    const meta = await doc.getMetadata();
    await doc.destroy();
    expect(JSON.stringify(meta.info)).not.toContain('Canaryname');
    expect(JSON.stringify(meta.info)).toContain('Notice about the privacy of your health information');
  });

  it('flows onto a second page when the lists are long, with nothing lost', async () => {
    const many = Array.from({ length: 30 }, (_, i) => `step number ${String(i + 1)} to take`);
    const pages = await pdfPages(await renderNoticeLetterPdf({ ...INCIDENT, stepsForIndividual: many }));
    expect(pages.length).toBeGreaterThanOrEqual(2);
    const text = pages.join(' ');
    for (const x of many) expect(text).toContain(x);
    // Every page is numbered and has text of its own (no page holding only a bullet or a footer).
    pages.forEach((p, i) => {
      expect(p).toContain(`Page ${String(i + 1)} of ${String(pages.length)}`);
      expect(p.replace(/Reference \S+ · Page \d+ of \d+/, '').trim().length).toBeGreaterThan(40);
    });
    expect(text).toContain('How to reach us');
  });

  it('refuses to render a letter with an empty element, before producing anything', async () => {
    await expect(renderNoticeLetterPdf({ ...INCIDENT, stepsForIndividual: [] })).rejects.toBeInstanceOf(DomainError);
    await expect(renderNoticeLetterPdf({ ...INCIDENT, hospital: { ...INCIDENT.hospital, tollFreePhone: ' ' } })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
  });
});
