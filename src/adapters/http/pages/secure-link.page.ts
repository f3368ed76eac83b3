import { createHash } from 'node:crypto';
import type { ErrorCode } from '../../../core/errors.ts';
import { reveal } from '../../../core/phi/phi.ts';
import type { SecureLinkPage } from '../../../app/secure-link-access.ts';
import type { LinkLanguage } from '../../../app/secure-links.ts';

/**
 * The patient's secure-link page: server-rendered, works without JavaScript, inline CSS only (allowed by its hash
 * in the Content-Security-Policy, no `unsafe-inline`). Title, description and Open Graph text are the same generic
 * words on every page, so a phone's link preview shows nothing about the patient or the message.
 */

const STYLE = [
  ':root{color-scheme:light dark;font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}',
  'body{margin:0;padding:1rem;background:Canvas;color:CanvasText;line-height:1.5}',
  'main{max-width:32rem;margin:0 auto}',
  'h1{font-size:1.4rem;margin:.5rem 0 1rem}',
  '.org{color:GrayText;margin:0}',
  'label{display:block;font-weight:600;margin:1rem 0 .25rem}',
  'input{font-size:1.25rem;padding:.6rem;width:100%;box-sizing:border-box;border:1px solid GrayText;border-radius:.4rem}',
  'button{margin-top:1rem;font-size:1.1rem;padding:.7rem 1.2rem;width:100%;border:0;border-radius:.4rem;background:#0b5cad;color:#fff}',
  '.error{border-left:4px solid #b00020;padding:.5rem .75rem;margin:1rem 0;background:rgba(176,0,32,.08)}',
  '.content{white-space:pre-wrap;overflow-wrap:anywhere;border:1px solid GrayText;border-radius:.4rem;padding:1rem;font-size:1.1rem}',
  '.note{color:GrayText;font-size:.9rem}',
  'details{margin-top:1.5rem}',
].join('');

/** The page's Content-Security-Policy: nothing but this page's own style and same-origin form posts. */
export const SECURE_PAGE_CSP = [
  "default-src 'none'",
  `style-src 'sha256-${createHash('sha256').update(STYLE).digest('base64')}'`,
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ');

const TEXT = {
  en: {
    title: 'Secure message',
    description: 'A secure message. Verify your identity to read it.',
    intro: 'To protect your privacy, please confirm who you are.',
    dob: 'Your date of birth',
    dobHint: 'Format: YYYY-MM-DD',
    next: 'Continue',
    codeSent: 'We sent a 6-digit code to your phone. It is valid for 10 minutes.',
    code: 'Verification code',
    show: 'Show message',
    newCode: 'Need a new code? Enter your date of birth again.',
    sendCode: 'Send a new code',
    private: 'This page is not saved on your device. Close it when you are done.',
    contact: 'Questions?',
    errors: {
      SECURE_LINK_NOT_FOUND: 'This link is not valid. Make sure you opened the whole link from your message.',
      SECURE_LINK_EXPIRED: 'This link has expired. Contact us and we will send you a new one.',
      SECURE_LINK_REVOKED: 'This link is no longer available. Contact us if you need help.',
      SECURE_LINK_LOCKED: 'This link is locked after too many wrong answers. Contact us and we will send you a new one.',
      VERIFICATION_FAILED: 'That does not match our records. Please try again.',
      VERIFICATION_CODE_EXPIRED: 'That code has expired or was already used. Enter your date of birth to get a new code.',
      RATE_LIMITED: 'Too many attempts. Please wait a few minutes and try again.',
      VALIDATION_FAILED: 'Please check what you entered: a date as YYYY-MM-DD, or the 6-digit code.',
      OTHER: 'Something went wrong. Please try again later.',
    },
  },
  es: {
    title: 'Mensaje seguro',
    description: 'Un mensaje seguro. Verifique su identidad para leerlo.',
    intro: 'Para proteger su privacidad, confirme su identidad.',
    dob: 'Su fecha de nacimiento',
    dobHint: 'Formato: AAAA-MM-DD',
    next: 'Continuar',
    codeSent: 'Le enviamos un código de 6 dígitos a su teléfono. Es válido por 10 minutos.',
    code: 'Código de verificación',
    show: 'Mostrar mensaje',
    newCode: '¿Necesita un código nuevo? Escriba otra vez su fecha de nacimiento.',
    sendCode: 'Enviar un código nuevo',
    private: 'Esta página no se guarda en su dispositivo. Ciérrela cuando termine.',
    contact: '¿Preguntas?',
    errors: {
      SECURE_LINK_NOT_FOUND: 'Este enlace no es válido. Asegúrese de abrir el enlace completo de su mensaje.',
      SECURE_LINK_EXPIRED: 'Este enlace ha vencido. Comuníquese con nosotros y le enviaremos uno nuevo.',
      SECURE_LINK_REVOKED: 'Este enlace ya no está disponible. Comuníquese con nosotros si necesita ayuda.',
      SECURE_LINK_LOCKED: 'Este enlace está bloqueado por demasiadas respuestas incorrectas. Comuníquese con nosotros y le enviaremos uno nuevo.',
      VERIFICATION_FAILED: 'Eso no coincide con nuestros registros. Inténtelo de nuevo.',
      VERIFICATION_CODE_EXPIRED: 'Ese código venció o ya se usó. Escriba su fecha de nacimiento para recibir uno nuevo.',
      RATE_LIMITED: 'Demasiados intentos. Espere unos minutos e inténtelo de nuevo.',
      VALIDATION_FAILED: 'Revise lo que escribió: una fecha como AAAA-MM-DD, o el código de 6 dígitos.',
      OTHER: 'Algo salió mal. Inténtelo más tarde.',
    },
  },
} as const;

type Texts = (typeof TEXT)[LinkLanguage];

/**
 * @param language - the page's language
 * @param code - an error code
 * @returns the reviewed, PHI-free sentence the page shows for it (also the problem detail for JSON clients)
 */
export function patientErrorText(language: LinkLanguage, code: ErrorCode): string {
  const errors: Readonly<Record<string, string>> = TEXT[language].errors;
  return errors[code] ?? TEXT[language].errors.OTHER;
}

/** @param value - any text @returns it safe to place in HTML text and quoted attributes */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => `&#${String(c.charCodeAt(0))};`);
}

function dobForm(t: Texts, button: string): string {
  return `<form method="post" autocomplete="off"><label for="dob">${t.dob}</label><input id="dob" name="dob" type="date" required autocomplete="bday" placeholder="YYYY-MM-DD" aria-describedby="dob-hint"><p id="dob-hint" class="note">${t.dobHint}</p><button type="submit">${button}</button></form>`;
}

function codeForm(t: Texts): string {
  return `<p>${t.codeSent}</p><form method="post" autocomplete="off"><label for="code">${t.code}</label><input id="code" name="code" required inputmode="numeric" autocomplete="one-time-code" maxlength="8"><button type="submit">${t.show}</button></form><details><summary>${t.newCode}</summary>${dobForm(t, t.sendCode)}</details>`;
}

function bodyOf(t: Texts, page: SecureLinkPage | null): string {
  if (page === null) return '';
  switch (page.step) {
    case 'date-of-birth':
      return `<p>${t.intro}</p>${dobForm(t, t.next)}`;
    case 'code':
      return codeForm(t);
    case 'verified':
      return '';
    case 'content':
      return `<div class="content">${escapeHtml(reveal(page.content))}</div><p class="note">${t.private}</p>`;
  }
}

/**
 * Renders the page.
 * @param view - the language, the organisation, the step to show and the error to explain, if any
 */
export function renderSecureLinkPage(view: { language: LinkLanguage; org: { name: string; contact: string }; page: SecureLinkPage | null; error: ErrorCode | null }): string {
  const t = TEXT[view.language];
  const error = view.error === null ? '' : `<p class="error" role="alert">${patientErrorText(view.language, view.error)}</p>`;
  const contact = view.page === null || view.page.step === 'content' || view.error !== null ? `<p class="note">${t.contact} ${escapeHtml(view.org.name)}: ${escapeHtml(view.org.contact)}</p>` : '';
  return [
    '<!doctype html>',
    `<html lang="${view.language}">`,
    '<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">',
    '<meta name="robots" content="noindex, nofollow, noarchive"><meta name="referrer" content="no-referrer">',
    `<title>${t.title}</title><meta name="description" content="${t.description}">`,
    `<meta property="og:title" content="${t.title}"><meta property="og:description" content="${t.description}"><meta property="og:type" content="website">`,
    `<meta name="twitter:card" content="summary"><meta name="twitter:title" content="${t.title}"><meta name="twitter:description" content="${t.description}">`,
    `<style>${STYLE}</style></head>`,
    `<body><main><p class="org">${escapeHtml(view.org.name)}</p><h1>${t.title}</h1>${error}${bodyOf(t, view.page)}${contact}</main></body></html>`,
  ].join('\n');
}
