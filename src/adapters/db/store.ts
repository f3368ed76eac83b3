import type { Kysely } from 'kysely';
import type { Store, StoreSession } from '../../app/ports.ts';
import type { FieldCipher } from '../crypto/field-cipher.ts';
import { createAuditRepository } from './audit.repository.ts';
import { createContactPointRepository, createSenderRepository, createWebhookReceiptRepository } from './carrier-state.repository.ts';
import { createConsentRepository } from './consent.repository.ts';
import { createDirectoryRepositories } from './directory.repository.ts';
import { createInboundRepository } from './inbound.repository.ts';
import { createMessageRepository } from './message.repository.ts';
import { createOutboxRepository } from './outbox.repository.ts';
import { createPatientRepository } from './patient.repository.ts';
import { createPhiPreferenceRepository } from './phi-preference.repository.ts';
import { createQueueBatcher } from './queue-batcher.ts';
import { createSecureLinkRepository, createThrottleRepository } from './secure-link.repository.ts';
import { createTemplateRepository } from './template.repository.ts';
import type { Database } from './schema.ts';

function createSession(db: Kysely<Database>, cipher: FieldCipher, uuid: () => string): StoreSession {
  return {
    patients: createPatientRepository(db, cipher),
    consents: createConsentRepository(db),
    messages: createMessageRepository(db, cipher, uuid),
    outbox: createOutboxRepository(db),
    inbound: createInboundRepository(db, cipher),
    audit: createAuditRepository(db, uuid),
    senders: createSenderRepository(db),
    contactPoints: createContactPointRepository(db),
    webhooks: createWebhookReceiptRepository(db),
    secureLinks: createSecureLinkRepository(db, cipher, uuid),
    throttles: createThrottleRepository(db, cipher),
    templates: createTemplateRepository(db),
    phiPreferences: createPhiPreferenceRepository(db),
    ...createDirectoryRepositories(db),
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
 */
export function createKyselyStore(db: Kysely<Database>, cipher: FieldCipher, uuid: () => string): Store {
  const session = createSession(db, cipher, uuid);
  return {
    ...session,
    messages: { ...session.messages, queue: createQueueBatcher(db, cipher, uuid) },
    transaction: async (fn) => {
      for (let attempt = 1; ; attempt++) {
        try {
          return await db.transaction().execute((trx) => fn(createSession(trx, cipher, uuid)));
        } catch (error) {
          if (attempt >= MAX_ATTEMPTS || !isRetryable(error)) throw error;
        }
      }
    },
  };
}
