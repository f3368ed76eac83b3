import type { Kysely } from 'kysely';
import type { Store, StoreSession } from '../../app/ports.ts';
import type { FieldCipher } from '../crypto/field-cipher.ts';
import { createAuditRepository } from './audit.repository.ts';
import { createAuditQueryRepository } from './audit-query.repository.ts';
import { createContactPointRepository, createSenderRepository, createWebhookReceiptRepository } from './carrier-state.repository.ts';
import { createConsentRepository } from './consent.repository.ts';
import { createDirectoryRepositories } from './directory.repository.ts';
import { createIncidentRepository, createSuspensionRepository } from './incident.repository.ts';
import { createInboundRepository } from './inbound.repository.ts';
import { createMessageRepository } from './message.repository.ts';
import { createOutboxRepository } from './outbox.repository.ts';
import { createPatientRepository } from './patient.repository.ts';
import { createPhiPreferenceRepository } from './phi-preference.repository.ts';
import { createQueueBatcher } from './queue-batcher.ts';
import { viewerScope } from './row-security.ts';
import { createSecureLinkRepository, createThrottleRepository } from './secure-link.repository.ts';
import { createSecurityEventRepository } from './security-event.repository.ts';
import { createSignInRepository } from './session.repository.ts';
import { createSharingRepositories } from './sharing.repository.ts';
import { createTemplateRepository } from './template.repository.ts';
import type { Database } from './schema.ts';

type Approved = Awaited<ReturnType<StoreSession['templates']['approved']>>;

/** How long a template's latest approved version is reused before asking the database again. */
const APPROVED_TEMPLATE_TTL_MS = 5_000;

/**
 * Every send reads its template's latest approved version; versions are immutable, so the answer can be reused
 * briefly. Only found versions are kept; a decision taken in this process clears the cache at once, one taken in
 * another process is seen within the TTL (docs/decisions/0009-templates-and-minimum-necessary.md).
 */
function createApprovedTemplateCache(): { get: (key: string, load: () => Promise<Approved>) => Promise<Approved>; clear: () => void } {
  const entries = new Map<string, { value: Approved; until: number }>();
  return {
    async get(key, load) {
      const hit = entries.get(key);
      if (hit !== undefined && hit.until > Date.now()) return hit.value;
      const value = await load();
      if (value !== null) {
        entries.set(key, { value, until: Date.now() + APPROVED_TEMPLATE_TTL_MS });
        if (entries.size > 1_000) entries.delete(entries.keys().next().value as string);
      }
      return value;
    },
    clear() {
      entries.clear();
    },
  };
}

type ApprovedTemplateCache = ReturnType<typeof createApprovedTemplateCache>;

function cachedTemplates(db: Kysely<Database>, cache: ApprovedTemplateCache): StoreSession['templates'] {
  const templates = createTemplateRepository(db);
  return {
    ...templates,
    approved: (idOrName) => cache.get(idOrName, () => templates.approved(idOrName)),
    async decide(versionId, decision) {
      const decided = await templates.decide(versionId, decision);
      cache.clear();
      return decided;
    },
  };
}

function createSession(db: Kysely<Database>, cipher: FieldCipher, uuid: () => string, cache: ApprovedTemplateCache, securityWebhook: boolean): StoreSession {
  return {
    patients: createPatientRepository(db, cipher),
    consents: createConsentRepository(db),
    messages: createMessageRepository(db, cipher, uuid),
    outbox: createOutboxRepository(db),
    inbound: createInboundRepository(db, cipher),
    audit: createAuditRepository(db, uuid),
    auditEvents: createAuditQueryRepository(db),
    senders: createSenderRepository(db),
    contactPoints: createContactPointRepository(db),
    webhooks: createWebhookReceiptRepository(db),
    secureLinks: createSecureLinkRepository(db, cipher),
    throttles: createThrottleRepository(db, cipher),
    templates: cachedTemplates(db, cache),
    phiPreferences: createPhiPreferenceRepository(db),
    signIn: createSignInRepository(db, cipher),
    ...createDirectoryRepositories(db),
    ...createSharingRepositories(db, cipher),
    securityEvents: createSecurityEventRepository(db, uuid, securityWebhook),
    incidents: createIncidentRepository(db, cipher),
    suspensions: createSuspensionRepository(db, cipher),
    asViewer: viewerScope(db, (trx) => createSession(trx, cipher, uuid, cache, securityWebhook)),
  };
}

/** PostgreSQL's deadlock_detected and serialization_failure: the whole transaction may simply run again. */
const RETRYABLE_SQLSTATES = new Set(['40P01', '40001']);
const MAX_ATTEMPTS = 4;

function isRetryable(error: unknown): boolean {
  return typeof error === 'object' && error !== null && RETRYABLE_SQLSTATES.has(String((error as { code?: unknown }).code));
}

/**
 * The Kysely implementation of the `Store` port. A transaction that loses a deadlock or a serialization conflict
 * is run again (callbacks only touch the database and memory, so re-running them is safe).
 * @param db - the database
 * @param cipher - field encryption for PHI columns
 * @param uuid - event id source for audit rows
 * @param options - whether security events start pending for the security webhook
 */
export function createKyselyStore(db: Kysely<Database>, cipher: FieldCipher, uuid: () => string, options: { readonly securityWebhook?: boolean } = {}): Store {
  const securityWebhook = options.securityWebhook ?? false;
  const cache = createApprovedTemplateCache();
  const session = createSession(db, cipher, uuid, cache, securityWebhook);
  return {
    ...session,
    messages: { ...session.messages, queue: createQueueBatcher(db, cipher, uuid) },
    transaction: async (fn) => {
      for (let attempt = 1; ; attempt++) {
        try {
          return await db.transaction().execute((trx) => fn(createSession(trx, cipher, uuid, cache, securityWebhook)));
        } catch (error) {
          if (attempt >= MAX_ATTEMPTS || !isRetryable(error)) throw error;
        }
      }
    },
  };
}
