import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import { Phi, reveal } from '../../core/phi/phi.ts';
import type { Secret } from '../../secret.ts';

/**
 * AES-256-GCM encryption of PHI fields at rest, with versioned keys (HIPAA 45 CFR §164.312(a)(2)(iv)).
 * Ciphertext format: `v1.<keyId>.<iv>.<tag>.<ciphertext>` (base64url parts). Decryption picks the key by id,
 * so old rows stay readable after rotation. Blind indexes (HMAC-SHA-256 with a separate lookup key) let
 * Wardline find a patient by phone number without storing the number in clear.
 */
export interface FieldCipher {
  encrypt(value: Phi<string>): string;
  decrypt(ciphertext: string): Phi<string>;
  /** A deterministic, keyed digest for equality lookups (e.g. inbound phone → patient). */
  blindIndex(value: Phi<string>): string;
}

export interface CipherKeys {
  readonly active: { readonly id: string; readonly key: Secret<Buffer> };
  readonly retired: readonly { readonly id: string; readonly key: Secret<Buffer> }[];
  readonly lookupKey: Secret<Buffer>;
}

/** @param keys - the active key, retired keys (decrypt only) and the lookup key */
export function createFieldCipher(keys: CipherKeys): FieldCipher {
  const byId = new Map([keys.active, ...keys.retired].map((k) => [k.id, k.key.expose()]));
  const activeKey = keys.active.key.expose();
  const lookupKey = keys.lookupKey.expose();
  return {
    encrypt(value) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', activeKey, iv);
      cipher.setAAD(Buffer.from(keys.active.id));
      const ct = Buffer.concat([cipher.update(reveal(value), 'utf8'), cipher.final()]);
      return ['v1', keys.active.id, iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), ct.toString('base64url')].join('.');
    },
    decrypt(ciphertext) {
      const [version, keyId = '', iv = '', tag = '', ct = ''] = ciphertext.split('.');
      const key = byId.get(keyId);
      if (version !== 'v1' || key === undefined) throw new Error('ciphertext uses an unknown format or key');
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
      decipher.setAAD(Buffer.from(keyId));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return new Phi(Buffer.concat([decipher.update(Buffer.from(ct, 'base64url')), decipher.final()]).toString('utf8'));
    },
    blindIndex(value) {
      return createHmac('sha256', lookupKey).update(reveal(value)).digest('base64url');
    },
  };
}
