import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { phi, reveal } from '../../core/phi/phi.ts';
import { Secret } from '../../secret.ts';
import { createFieldCipher } from './field-cipher.ts';

const key = (id: string) => ({ id, key: new Secret(randomBytes(32)) });

describe('field cipher', () => {
  const lookupKey = new Secret(randomBytes(32));

  it('round-trips and never shows the plaintext', () => {
    const cipher = createFieldCipher({ active: key('k1'), retired: [], lookupKey });
    const ct = cipher.encrypt(phi('CANARY_PHI_Ada'));
    expect(ct).toMatch(/^v1\.k1\./);
    expect(ct).not.toContain('CANARY');
    expect(reveal(cipher.decrypt(ct))).toBe('CANARY_PHI_Ada');
    expect(cipher.encrypt(phi('x'))).not.toBe(cipher.encrypt(phi('x')));
  });

  it('reads rows written under a retired key after rotation', () => {
    const k1 = key('k1');
    const old = createFieldCipher({ active: k1, retired: [], lookupKey });
    const rotated = createFieldCipher({ active: key('k2'), retired: [k1], lookupKey });
    expect(reveal(rotated.decrypt(old.encrypt(phi('hello'))))).toBe('hello');
  });

  it('refuses tampered ciphertext and unknown keys', () => {
    const cipher = createFieldCipher({ active: key('k1'), retired: [], lookupKey });
    const ct = cipher.encrypt(phi('hello'));
    const parts = ct.split('.');
    parts[4] = Buffer.from('tampered').toString('base64url');
    expect(() => cipher.decrypt(parts.join('.'))).toThrow();
    expect(() => createFieldCipher({ active: key('k9'), retired: [], lookupKey }).decrypt(ct)).toThrow();
  });

  it('makes equal blind indexes for equal values, under the lookup key only', () => {
    const a = createFieldCipher({ active: key('k1'), retired: [], lookupKey });
    const b = createFieldCipher({ active: key('k2'), retired: [], lookupKey });
    expect(a.blindIndex(phi('+14155550100'))).toBe(b.blindIndex(phi('+14155550100')));
    expect(a.blindIndex(phi('+14155550100'))).not.toBe(a.blindIndex(phi('+14155550101')));
    expect(a.blindIndex(phi('+14155550100'))).not.toContain('4155550100');
  });
});
