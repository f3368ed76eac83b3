import { Secret, TOTP } from 'otpauth';

/**
 * Time-based one-time passwords (RFC 6238): SHA-1, 6 digits, 30-second steps, the authenticator apps' defaults.
 * A code is accepted in its own step and one step either side (clock drift), and only if its step is later than
 * the last step accepted for the account, so a code cannot be used twice, nor an older one after a newer.
 */
export const TOTP_PARAMS = { algorithm: 'SHA1', digits: 6, period: 30, window: 1 } as const;

export type TotpVerdict = { readonly ok: true; readonly step: number } | { readonly ok: false; readonly reason: 'invalid' | 'replayed' };

function totpOf(secretBase32: string, label = 'user', issuer = 'Wardline'): TOTP {
  return new TOTP({ issuer, label, algorithm: TOTP_PARAMS.algorithm, digits: TOTP_PARAMS.digits, period: TOTP_PARAMS.period, secret: Secret.fromBase32(secretBase32) });
}

/** @param now - a time @returns its RFC 6238 step number */
export function totpStep(now: Date): number {
  return Math.floor(now.getTime() / 1000 / TOTP_PARAMS.period);
}

/**
 * @param secretBase32 - the shared secret
 * @param code - what the user typed
 * @param now - the current time
 * @param lastStep - the last step accepted for this account (null: none yet)
 */
export function verifyTotp(secretBase32: string, code: string, now: Date, lastStep: number | null): TotpVerdict {
  if (!/^\d{6}$/.test(code)) return { ok: false, reason: 'invalid' };
  const delta = totpOf(secretBase32).validate({ token: code, timestamp: now.getTime(), window: TOTP_PARAMS.window });
  if (delta === null) return { ok: false, reason: 'invalid' };
  const step = totpStep(now) + delta;
  if (lastStep !== null && step <= lastStep) return { ok: false, reason: 'replayed' };
  return { ok: true, step };
}

/** @param secretBase32 - the shared secret @param at - a time @returns the code for that time (tests, enrolment checks) */
export function totpCode(secretBase32: string, at: Date): string {
  return totpOf(secretBase32).generate({ timestamp: at.getTime() });
}

/**
 * @param secretBase32 - the shared secret
 * @param account - the account label shown in the authenticator app
 * @param issuer - the organisation shown in the app
 * @returns the `otpauth://totp/...` URI for a QR code
 */
export function totpUri(secretBase32: string, account: string, issuer: string): string {
  return totpOf(secretBase32, account, issuer).toString();
}
