import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { drawCode, hashSecret, linkLanguage, mintSecureLink, verificationCodeText } from './secure-links.ts';
import type { AppDeps } from './context.ts';

let n = 0;
const deps = {
  ids: { uuid: () => `00000000-0000-4000-8000-${String(++n).padStart(12, '0')}`, token: () => 'unused' },
  settings: { publicUrl: 'https://wardline.example.org/', sendingPolicy: { secureLinkTtlMs: 72 * 3_600_000 } },
} as unknown as Pick<AppDeps, 'ids' | 'settings'>;
const NOW = new Date('2026-03-01T10:00:00Z');

describe('minting secure links', () => {
  it('builds the patient URL from the public URL and stores only the SHA-256 of the token', () => {
    const link = mintSecureLink(deps, NOW);
    expect(link.url).toBe(`https://wardline.example.org/s/${link.token}`);
    expect(link.tokenHash).toBe(createHash('sha256').update(link.token).digest('base64url'));
    expect(link.tokenHash).not.toContain(link.token);
    expect(link.expiresAt).toEqual(new Date(NOW.getTime() + 72 * 3_600_000));
  });

  it('makes tokens that are unique, URL-safe and carry at least 128 random bits', () => {
    const tokens = Array.from({ length: 20_000 }, () => mintSecureLink(deps, NOW).token);
    expect(new Set(tokens).size).toBe(tokens.length);
    for (const token of tokens.slice(0, 500)) {
      expect(token).toMatch(/^[A-Za-z0-9_-]+$/);
      expect(Buffer.from(token, 'base64url').length * 8).toBeGreaterThanOrEqual(128);
    }
  });

  it('hashes view-session secrets the same way', () => {
    expect(hashSecret('abc')).toBe(createHash('sha256').update('abc').digest('base64url'));
  });

  it('draws six-digit codes', () => {
    const codes = Array.from({ length: 2_000 }, drawCode);
    for (const code of codes) expect(code).toMatch(/^\d{6}$/);
    expect(new Set(codes).size).toBeGreaterThan(1_900);
  });
});

describe('notice and code texts', () => {
  it('says only who wrote and where to read it', () => {
  });

  it('puts the code and its validity in the code message', () => {
    expect(verificationCodeText('en', 'Mercy Clinic', '012345')).toBe('Mercy Clinic: your verification code is 012345. It expires in 10 minutes.');
    expect(verificationCodeText('es', 'Mercy Clinic', '012345')).toContain('012345');
  });

  it('speaks Spanish to patients whose language is Spanish, English otherwise', () => {
    expect(linkLanguage('es-US')).toBe('es');
    expect(linkLanguage('ES')).toBe('es');
    expect(linkLanguage('en')).toBe('en');
    expect(linkLanguage(null)).toBe('en');
    expect(linkLanguage('fr')).toBe('en');
  });
});
