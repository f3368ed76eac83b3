import { randomBytes } from 'node:crypto';
import { hash, verify } from '@node-rs/argon2';
import type { PasswordHasher } from './ports.ts';

/**
 * Argon2id with OWASP's first recommended setting (19 MiB, 2 passes, 1 lane). The hash string carries its own
 * parameters and salt, so raising them later only affects new hashes.
 */
/** `algorithm: 2` is Argon2id (the package's const enum cannot be imported under verbatimModuleSyntax). */
const OPTIONS = { algorithm: 2, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

/** @returns the Argon2id password hasher; `verifyDummy` verifies against a hash of a random value made once */
export function createArgon2Hasher(): PasswordHasher {
  let dummy: Promise<string> | null = null;
  return {
    hash: (password) => hash(password, OPTIONS),
    async verify(stored, password) {
      try {
        return await verify(stored, password);
      } catch {
        return false;
      }
    },
    async verifyDummy(password) {
      dummy ??= hash(randomBytes(32).toString('base64url'), OPTIONS);
      await verify(await dummy, password).catch(() => false);
    },
  };
}
