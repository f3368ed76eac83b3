import { generateKeyPairSync } from 'node:crypto';
import { test, fc } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { canonicalJson, chainHash, checkpointSignatureValid, checkpointSigner, GENESIS_HASH, keyIdOf, walkChain, type ChainedEvent } from './audit-chain.ts';

/** Invariants of the audit hash chain (issue 6 item 2): any single change to a sealed chain is found, at its position. */

const eventArb: fc.Arbitrary<ChainedEvent> = fc.record({
  eventId: fc.uuid(),
  occurredAt: fc.date({ min: new Date('2020-01-01'), max: new Date('2030-01-01'), noInvalidDate: true }).map((d) => d.toISOString()),
  actorType: fc.constantFrom('user', 'agent', 'integration', 'patient', 'carrier', 'system'),
  actorId: fc.option(fc.uuid(), { nil: null }),
  action: fc.constantFrom('message.queued', 'message.blocked', 'consent.granted', 'patient.viewed'),
  outcome: fc.constantFrom('success', 'denied', 'failure'),
  targetType: fc.constantFrom('message', 'patient', 'consent'),
  targetId: fc.option(fc.uuid(), { nil: null }),
  patientId: fc.option(fc.uuid(), { nil: null }),
  reason: fc.option(fc.constantFrom('CONSENT_REQUIRED', 'QUIET_HOURS', 'PHI_NOT_ALLOWED'), { nil: null }),
  requestId: fc.option(fc.string({ minLength: 1, maxLength: 12 }), { nil: null }),
  sourceAddress: fc.option(fc.ipV4(), { nil: null }),
  onBehalfOf: fc.option(fc.uuid(), { nil: null }),
  details: fc.dictionary(fc.string({ maxLength: 8 }), fc.oneof(fc.integer(), fc.boolean(), fc.constant(null), fc.string({ maxLength: 8 }))),
});

function seal(events: readonly ChainedEvent[]): { position: number; eventPk: number; event: ChainedEvent | null; hash: string }[] {
  let hash = GENESIS_HASH;
  return events.map((event, i) => {
    hash = chainHash(hash, event);
    return { position: i + 1, eventPk: 100 + i, event, hash };
  });
}

describe('the audit hash chain', () => {
  test.prop([fc.array(eventArb, { minLength: 1, maxLength: 30 })])('an untouched chain walks to its end', (events) => {
    const seals = seal(events);
    const walked = walkChain(seals);
    expect(walked.problem).toBeNull();
    expect(walked.position).toBe(events.length);
    expect(walked.hash).toBe(seals.at(-1)?.hash);
  });

  test.prop([fc.array(eventArb, { minLength: 1, maxLength: 30 }), fc.nat(), eventArb])('an altered event is found at its position', (events, at, replacement) => {
    const seals = seal(events);
    const i = at % seals.length;
    const original = seals[i]?.event as ChainedEvent;
    fc.pre(canonicalJson(original) !== canonicalJson({ ...replacement, eventId: original.eventId }));
    seals[i] = { ...(seals[i] as (typeof seals)[number]), event: { ...replacement, eventId: original.eventId } };
    expect(walkChain(seals).problem).toEqual({ kind: 'altered', position: i + 1, eventId: original.eventId });
  });

  test.prop([fc.array(eventArb, { minLength: 1, maxLength: 30 }), fc.nat()])('a deleted event is found at its position', (events, at) => {
    const seals = seal(events);
    const i = at % seals.length;
    seals[i] = { ...(seals[i] as (typeof seals)[number]), event: null };
    expect(walkChain(seals).problem).toMatchObject({ kind: 'deleted', position: i + 1 });
  });

  test.prop([fc.array(eventArb, { minLength: 2, maxLength: 30 }), fc.nat()])('a removed seal breaks the chain where it was', (events, at) => {
    const seals = seal(events);
    const i = at % (seals.length - 1);
    seals.splice(i, 1);
    expect(walkChain(seals).problem).toEqual({ kind: 'seal-broken', position: i + 1 });
  });

  test.prop([fc.array(eventArb, { minLength: 2, maxLength: 30 }), fc.nat()])('swapping two events (keeping the seals) is found', (events, at) => {
    const seals = seal(events);
    const i = at % (seals.length - 1);
    const a = seals[i] as (typeof seals)[number];
    const b = seals[i + 1] as (typeof seals)[number];
    fc.pre(canonicalJson(a.event) !== canonicalJson(b.event));
    seals[i] = { ...a, event: b.event };
    seals[i + 1] = { ...b, event: a.event };
    expect(walkChain(seals).problem).toMatchObject({ kind: 'altered', position: i + 1 });
  });

  test.prop([eventArb])('canonical form does not depend on key order', (event) => {
    const reversed = Object.fromEntries(Object.entries(event).reverse()) as unknown as ChainedEvent;
    expect(canonicalJson(reversed)).toBe(canonicalJson(event));
    expect(chainHash(GENESIS_HASH, reversed)).toBe(chainHash(GENESIS_HASH, event));
  });

  it('signs checkpoints with Ed25519: another key, position or hash does not verify', () => {
    const pem = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const signer = checkpointSigner(pem);
    const other = checkpointSigner(generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());
    const hash = 'a'.repeat(64);
    const signature = signer.sign(42, hash);
    expect(signer.keyId).toBe(keyIdOf(signer.publicKeyPem));
    expect(checkpointSignatureValid(signer.publicKeyPem, 42, hash, signature)).toBe(true);
    expect(checkpointSignatureValid(signer.publicKeyPem, 43, hash, signature)).toBe(false);
    expect(checkpointSignatureValid(signer.publicKeyPem, 42, 'b'.repeat(64), signature)).toBe(false);
    expect(checkpointSignatureValid(other.publicKeyPem, 42, hash, signature)).toBe(false);
    expect(checkpointSignatureValid(signer.publicKeyPem, 42, hash, 'not base64 at all')).toBe(false);
  });

  it('refuses a signing key that is not Ed25519', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    expect(() => checkpointSigner(rsa)).toThrow(/Ed25519/);
  });
});
