import { createHash, randomBytes, randomInt } from 'node:crypto';
import { CODE_DIGITS, formatCode, TOKEN_BYTES } from '../core/secure-link/verification.ts';
import { SECURE_LINK_POLICY } from '../core/secure-link/secure-link.ts';
import type { AuditActor } from '../core/access/actor.ts';
import type { AuditEventInput } from '../core/audit/audit-event.ts';
import type { MessageId, PatientId } from '../core/ids.ts';
import type { AppDeps } from './context.ts';

/**
 * Secure patient links, the building blocks the send path uses (issue 4 item 5; docs/secure-links.md): mint a
 * link and render the notice that carries it. The patient's side is in `secure-link-access.ts`, the staff's in
 * `secure-link-admin.ts`.
 */

/** A new link. The token goes only into the notice (encrypted like every body); the store keeps `tokenHash`. */
export interface MintedLink {
  readonly id: string;
  readonly token: string;
  readonly tokenHash: string;
  readonly url: string;
  readonly expiresAt: Date;
}

/**
 * A new link: a 144-bit random token (base64url, from the operating system's CSPRNG), its SHA-256 for storage, the
 * patient URL `${publicUrl}/s/${token}`, and its expiry (`WARDLINE_SECURE_LINK_TTL_HOURS`, default 72 hours).
 * @param deps - ids and settings
 * @param now - the current time
 */
export function mintSecureLink(deps: Pick<AppDeps, 'ids' | 'settings'>, now: Date): MintedLink {
  const token = randomBytes(TOKEN_BYTES).toString('base64url');
  return {
    id: deps.ids.uuid(),
    token,
    tokenHash: hashSecret(token),
    url: `${deps.settings.publicUrl.replace(/\/+$/, '')}/s/${token}`,
    expiresAt: new Date(now.getTime() + deps.settings.sendingPolicy.secureLinkTtlMs),
  };
}

/**
 * The audit event of a new secure message's first link (written with the message).
 * @param link - the link
 * @param message - the notice message carrying it, its patient and who sent it
 */
export function secureLinkCreatedAudit(link: MintedLink, message: { id: MessageId; patientId: PatientId; actor: AuditActor; requestId: string | null; sourceAddress?: string | null; onBehalfOf?: string | null }): AuditEventInput {
  return {
    actor: message.actor,
    action: 'secure-link.created',
    outcome: 'success',
    targetType: 'secure-link',
    targetId: link.id,
    patientId: message.patientId,
    reason: null,
    requestId: message.requestId,
    sourceAddress: message.sourceAddress ?? null,
    onBehalfOf: message.onBehalfOf ?? null,
    details: { messageId: message.id, expiresAt: link.expiresAt.toISOString() },
  };
}

/**
 * SHA-256 (base64url) of a high-entropy secret (a link token, a view-session cookie). A plain hash is enough for
 * 128+ random bits: no table or guessing reverses it.
 * @param secret - the secret
 */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('base64url');
}

/** @returns a new view-session secret (256 bits, base64url) */
export function newSessionSecret(): string {
  return randomBytes(32).toString('base64url');
}

/** @returns a new one-time code: six digits, uniformly drawn from the CSPRNG */
export function drawCode(): string {
  return formatCode(randomInt(0, 10 ** CODE_DIGITS));
}

/** The languages the notice, the code message and the pages come in. */
export type LinkLanguage = 'en' | 'es';

/** @param language - the patient's BCP 47 tag, if known @returns Spanish for `es*`, English otherwise */
export function linkLanguage(language: string | null | undefined): LinkLanguage {
  return language?.toLowerCase().startsWith('es') === true ? 'es' : 'en';
}

/**
 * The message that carries a one-time code.
 * @param language - the patient's language
 * @param org - the organisation's name
 * @param code - the six digits
 */
export function verificationCodeText(language: LinkLanguage, org: string, code: string): string {
  const minutes = SECURE_LINK_POLICY.codeTtlMs / 60_000;
  return language === 'es'
    ? `${org}: su codigo de verificacion es ${code}. Vence en ${String(minutes)} minutos.`
    : `${org}: your verification code is ${code}. It expires in ${String(minutes)} minutes.`;
}
