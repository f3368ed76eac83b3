import { createHash, createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import type { ExportEvent } from '../../core/audit/export-format.ts';

/**
 * The audit trail's hash chain (issue 6 item 2; docs/decisions/0015-audit-hash-chain.md). Events are sealed in the
 * order a single sealer takes them; the seal at position n carries
 *   hash(n) = SHA-256(hash(n-1) ‖ "\n" ‖ canonical(event))
 * with hash(0) = 64 zeros, so altering, deleting, inserting or reordering any sealed event changes every later hash.
 * Signed checkpoints (Ed25519) pin the chain at positions, so rewriting the whole tail needs the signing key, which
 * never lives in the database.
 */

export const GENESIS_HASH = '0'.repeat(64);

/** The fields of an audit event the chain covers, as stored (`occurredAt`: ISO 8601 UTC with microseconds). */
export type ChainedEvent = ExportEvent;

/** JSON with object keys sorted at every depth: one text per value, whatever order a driver returns keys in. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

/** @param previous - the previous seal's hash @param event - the event @returns this seal's hash (hex) */
export function chainHash(previous: string, event: ChainedEvent): string {
  return createHash('sha256').update(previous).update('\n').update(canonicalJson(event)).digest('hex');
}

/** What a checkpoint signs: the chain's hash at a position (domain-separated, versioned). */
export function checkpointPayload(position: number, hash: string): Buffer {
  return Buffer.from(`wardline-audit-checkpoint:v1:${String(position)}:${hash}`);
}

/** An Ed25519 key pair for checkpoints, identified by the first 16 hex digits of the public key's SHA-256. */
export interface CheckpointSigner {
  readonly keyId: string;
  readonly publicKeyPem: string;
  sign(position: number, hash: string): string;
}

/** @param publicKeyPem - an Ed25519 public key (PEM) @returns its key id */
export function keyIdOf(publicKeyPem: string): string {
  return createHash('sha256').update(publicKeyPem.trim()).digest('hex').slice(0, 16);
}

/** @param privateKeyPem - an Ed25519 private key (PKCS#8 PEM) @returns a signer */
export function checkpointSigner(privateKeyPem: string): CheckpointSigner {
  const key = createPrivateKey(privateKeyPem);
  if (key.asymmetricKeyType !== 'ed25519') throw new Error('the audit signing key must be an Ed25519 private key');
  const publicKeyPem = createPublicKey(key).export({ type: 'spki', format: 'pem' }).toString();
  return {
    keyId: keyIdOf(publicKeyPem),
    publicKeyPem,
    sign: (position, hash) => sign(null, checkpointPayload(position, hash), key).toString('base64'),
  };
}

/**
 * @param publicKey - a trusted Ed25519 public key (PEM or key object)
 * @param position - the checkpoint's position @param hash - the chain hash it claims @param signature - base64
 * @returns true when the signature is the key's over that position and hash
 */
export function checkpointSignatureValid(publicKey: string | KeyObject, position: number, hash: string, signature: string): boolean {
  try {
    return verify(null, checkpointPayload(position, hash), typeof publicKey === 'string' ? createPublicKey(publicKey) : publicKey, Buffer.from(signature, 'base64'));
  } catch {
    return false;
  }
}

/** The first thing wrong with a chain, by position (1-based) and kind. */
export type ChainProblem =
  | { readonly kind: 'altered'; readonly position: number; readonly eventId: string }
  | { readonly kind: 'deleted'; readonly position: number; readonly eventPk: number }
  | { readonly kind: 'inserted'; readonly eventId: string; readonly eventPk: number }
  | { readonly kind: 'seal-broken'; readonly position: number }
  | { readonly kind: 'checkpoint-invalid'; readonly position: number; readonly reason: 'signature' | 'hash' | 'unknown-key' | 'beyond-chain' };

/**
 * Walks seals in position order against their events and recomputes the chain. Pure: the caller supplies the rows.
 * @param seals - (position, the sealed event or null when its row is gone, the stored hash), in position order
 * @returns the first problem, or null, and the last position and hash seen
 */
export function walkChain(
  seals: Iterable<{ readonly position: number; readonly eventPk: number; readonly event: ChainedEvent | null; readonly hash: string }>,
  from: { readonly position: number; readonly hash: string } = { position: 0, hash: GENESIS_HASH },
): { problem: ChainProblem | null; position: number; hash: string; hashes: Map<number, string> } {
  let { position, hash } = from;
  const hashes = new Map<number, string>();
  for (const seal of seals) {
    if (seal.position !== position + 1) return { problem: { kind: 'seal-broken', position: position + 1 }, position, hash, hashes };
    if (seal.event === null) return { problem: { kind: 'deleted', position: seal.position, eventPk: seal.eventPk }, position, hash, hashes };
    const expected = chainHash(hash, seal.event);
    if (expected !== seal.hash) {
      // Either the event changed after sealing, or the seal was rewritten: both break the chain at this position.
      return { problem: { kind: 'altered', position: seal.position, eventId: seal.event.eventId }, position, hash, hashes };
    }
    position = seal.position;
    hash = expected;
    hashes.set(position, hash);
  }
  return { problem: null, position, hash, hashes };
}

/** One line a compliance officer can act on: what is wrong, where. */
export function describeProblem(p: ChainProblem): string {
  switch (p.kind) {
    case 'altered':
      return `event ${p.eventId} at chain position ${String(p.position)} was altered after it was sealed (or its seal was rewritten)`;
    case 'deleted':
      return `the event sealed at chain position ${String(p.position)} (row ${String(p.eventPk)}) was deleted`;
    case 'seal-broken':
      return `the seal at chain position ${String(p.position)} is missing: seals were deleted or reordered`;
    case 'inserted':
      return `event ${p.eventId} (row ${String(p.eventPk)}) is not in the chain: inserted behind the sealer, or backdated`;
    case 'checkpoint-invalid':
      return `the checkpoint at chain position ${String(p.position)} does not hold (${p.reason}): ${
        p.reason === 'beyond-chain' ? 'the chain ends before it, so events were removed from the end' : p.reason === 'unknown-key' ? 'signed by a key you did not give as trusted' : 'the chain up to it was rewritten'
      }`;
  }
}
