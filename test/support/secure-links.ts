import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { expect } from 'vitest';
import type { MessageId, PatientId } from '../../src/core/ids.ts';
import { measureSegments } from '../../src/core/messaging/segments.ts';
import { phi } from '../../src/core/phi/phi.ts';
import { mintSecureLink, secureLinkCreatedAudit } from '../../src/app/secure-links.ts';
import { grantConsent, nextPhone } from './builders.ts';
import type { Harness } from './harness.ts';

/**
 * Builders for the secure-link suites. The send path decides when to send securely (test/minimum-necessary.test.ts
 * covers that end to end); these store a secure message the way it does — the notice message and
 * its secure content and link in one statement (`messages.queue`) — for any content, so the link's own behaviour can be tested in isolation.
 */

/** A patient with chosen demographics (the defaults of `givenPatient` are not unique enough for canaries). */
export async function givenSecurePatient(
  h: Harness,
  p: {
    givenName?: string;
    familyName?: string;
    birthDate?: string;
    language?: string;
    wardId?: string;
    timezone?: string;
    consent?: boolean;
  } = {},
): Promise<{ id: string; phone: string; birthDate: string }> {
  const phone = nextPhone();
  const birthDate = p.birthDate ?? '1980-12-10';
  const res = await h.app.inject({
    method: 'POST',
    url: '/v1/patients',
    headers: h.admin,
    payload: {
      givenName: p.givenName ?? 'Ada',
      familyName: p.familyName ?? 'Lovelace',
      birthDate,
      phone,
      ...(p.language === undefined ? {} : { language: p.language }),
      ...(p.wardId === undefined ? {} : { wardId: p.wardId }),
      ...(p.timezone === undefined ? {} : { timezone: p.timezone }),
    },
  });
  expect(res.statusCode, res.body).toBe(201);
  const id = res.json<{ id: string }>().id;
  if (p.consent !== false) expect((await grantConsent(h, id, 'sms')).statusCode).toBe(201);
  return { id, phone, birthDate };
}

/** Stores a secure message (notice + encrypted content + first link) and returns the link's token. */
export async function givenSecureMessage(
  h: Harness,
  patientId: string,
  content: string,
  options: { category?: 'clinical' | 'billing' | 'administrative' } = {},
): Promise<{ messageId: string; token: string; url: string }> {
  const deps = h.container.deps;
  const now = deps.clock.now();
  const patient = await deps.store.patients.get(patientId as PatientId);
  if (patient === null) throw new Error('no such patient');
  const minted = mintSecureLink(deps, now);
  const id = deps.ids.uuid() as MessageId;
  const body = `You have a new message from ${deps.settings.organisation.name}. View securely: ${minted.url}`;
  const category = options.category ?? 'clinical';
  const system = { type: 'system', id: 'wardline' } as const;
  await deps.store.messages.queue(
    {
      id,
      patientId: patient.id,
      wardId: patient.wardId,
      channel: 'sms',
      category,
      purpose: category === 'billing' ? 'billing' : 'care',
      body: phi(body),
      template: null,
      delivery: 'secure',
      relatedRecord: null,
      consentBasis: 'consent',
      overrideJustification: null,
      inReplyTo: null,
      sender: system,
      idempotencyKey: null,
      requestHash: null,
      mediaUrls: null,
      urgent: false,
      exempt: false,
      size: measureSegments(body),
      secure: {
        content: phi(content),
        link: { id: minted.id, tokenHash: minted.tokenHash, expiresAt: minted.expiresAt },
      },
    },
    [
      {
        actor: system,
        action: 'message.queued',
        outcome: 'success',
        targetType: 'message',
        targetId: id,
        patientId: patient.id,
        reason: null,
        requestId: null,
      },
      secureLinkCreatedAudit(minted, { id, patientId: patient.id, actor: system, requestId: null }),
    ],
    now,
  );
  return { messageId: id, token: minted.token, url: minted.url };
}

let addressCounter = 0;

/** A patient's browser: one client address, its cookie jar, form posts. */
export function browser(h: Harness): {
  readonly ip: string;
  open(token: string, extra?: Partial<InjectOptions>): Promise<LightMyRequestResponse>;
  post(
    token: string,
    form: Record<string, string>,
    extra?: Partial<InjectOptions>,
  ): Promise<LightMyRequestResponse>;
  json(token: string, body: Record<string, string>): Promise<LightMyRequestResponse>;
} {
  addressCounter += 1;
  const ip = `198.51.100.${String(addressCounter)}`;
  let cookie: string | null = null;
  const remember = (res: LightMyRequestResponse): LightMyRequestResponse => {
    const set = res.headers['set-cookie'];
    const first = Array.isArray(set) ? set[0] : set;
    if (first !== undefined) cookie = first.split(';')[0] ?? null;
    return res;
  };
  const headers = (): Record<string, string> => (cookie === null ? {} : { cookie });
  return {
    ip,
    async open(token, extra = {}) {
      return remember(
        await h.app.inject({
          method: 'GET',
          url: `/s/${token}`,
          remoteAddress: ip,
          headers: headers(),
          ...extra,
        }),
      );
    },
    async post(token, form, extra = {}) {
      const payload = new URLSearchParams(form).toString();
      return remember(
        await h.app.inject({
          method: 'POST',
          url: `/s/${token}`,
          remoteAddress: ip,
          headers: { ...headers(), 'content-type': 'application/x-www-form-urlencoded' },
          payload,
          ...extra,
        }),
      );
    },
    async json(token, body) {
      return remember(
        await h.app.inject({
          method: 'POST',
          url: `/s/${token}`,
          remoteAddress: ip,
          headers: { ...headers(), accept: 'application/json' },
          payload: body,
        }),
      );
    },
  };
}

/** The last verification code the simulated phone received. */
export function lastCode(h: Harness, phone: string): string {
  const texts = h.container.simulator?.inbox(phone) ?? [];
  const match = /verification code is (\d{6})/.exec(texts.at(-1)?.body ?? '');
  if (match?.[1] === undefined) throw new Error('no code received');
  return match[1];
}
