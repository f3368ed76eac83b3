import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Secret } from '../../secret.ts';
import type { CipherKeys } from './field-cipher.ts';

interface KeyFile {
  readonly activeKeyId: string;
  readonly keys: Record<string, string>;
  readonly lookupKey: string;
}

/**
 * Development keys: generated once into `<dataDir>/keys.json` (mode 0600), or kept in memory when there is
 * no data directory. Production refuses to start without configured keys (see config.ts).
 * @param dataDir - the data directory, or null for memory only
 */
export async function loadOrCreateDevKeys(dataDir: string | null): Promise<CipherKeys> {
  const path = dataDir === null ? null : join(dataDir, 'keys.json');
  let file: KeyFile | null = null;
  if (path !== null) {
    file = await readFile(path, 'utf8').then((t) => JSON.parse(t) as KeyFile, () => null);
  }
  if (file === null) {
    file = { activeKeyId: 'dev1', keys: { dev1: randomBytes(32).toString('base64') }, lookupKey: randomBytes(32).toString('base64') };
    if (path !== null && dataDir !== null) {
      await mkdir(dataDir, { recursive: true });
      await writeFile(path, JSON.stringify(file, null, 2), { mode: 0o600, flag: 'wx' }).catch(async () => {
        file = JSON.parse(await readFile(path, 'utf8')) as KeyFile;
      });
    }
  }
  const keys = file.keys;
  return {
    active: { id: file.activeKeyId, key: new Secret(Buffer.from(keys[file.activeKeyId] ?? '', 'base64')) },
    retired: Object.entries(keys)
      .filter(([id]) => id !== file?.activeKeyId)
      .map(([id, k]) => ({ id, key: new Secret(Buffer.from(k, 'base64')) })),
    lookupKey: new Secret(Buffer.from(file.lookupKey, 'base64')),
  };
}

/**
 * The development audit checkpoint key (Ed25519, PKCS#8 PEM): generated once into `<dataDir>/audit-signing-key.pem`
 * (mode 0600), or kept in memory when there is no data directory. Production refuses to start without
 * `WARDLINE_AUDIT_SIGNING_KEY` (see config.ts).
 * @param dataDir - the data directory, or null for memory only
 */
export async function loadOrCreateDevSigningKey(dataDir: string | null): Promise<string> {
  const path = dataDir === null ? null : join(dataDir, 'audit-signing-key.pem');
  const existing = path === null ? null : await readFile(path, 'utf8').catch(() => null);
  if (existing !== null) return existing;
  const pem = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  if (path === null || dataDir === null) return pem;
  await mkdir(dataDir, { recursive: true });
  return writeFile(path, pem, { mode: 0o600, flag: 'wx' }).then(
    () => pem,
    () => readFile(path, 'utf8'),
  );
}
