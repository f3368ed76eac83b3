import { getDocument } from 'pdfjs-dist/legacy/build/pdf.mjs';

/** Opens a PDF for reading back in a test (pdfjs-dist, no fonts loaded); `destroy()` it when done. */
export function openPdf(bytes: Buffer): ReturnType<typeof getDocument>['promise'] {
  return getDocument({ data: new Uint8Array(bytes), disableFontFace: true, useSystemFonts: false, verbosity: 0 }).promise;
}

/** The text of each page of a PDF, items joined by spaces, runs of whitespace as one space. */
export async function pdfPages(bytes: Buffer): Promise<string[]> {
  const doc = await openPdf(bytes);
  const pages: string[] = [];
  for (let n = 1; n <= doc.numPages; n++) {
    const content = await (await doc.getPage(n)).getTextContent();
    pages.push(content.items.map((i) => ('str' in i ? i.str : '')).join(' ').replace(/\s+/g, ' '));
  }
  await doc.destroy();
  return pages;
}
