import type { Kysely } from 'kysely';
import type { Store, StoreSession } from '../../app/ports.ts';
import type { FieldCipher } from '../crypto/field-cipher.ts';
import { createAuditRepository } from './audit.repository.ts';
import { createConsentRepository } from './consent.repository.ts';
import { createDirectoryRepositories } from './directory.repository.ts';
import { createInboundRepository } from './inbound.repository.ts';
import { createMessageRepository } from './message.repository.ts';
import { createOutboxRepository } from './outbox.repository.ts';
import { createPatientRepository } from './patient.repository.ts';
import type { Database } from './schema.ts';

function createSession(db: Kysely<Database>, cipher: FieldCipher, uuid: () => string): StoreSession {
  return {
    patients: createPatientRepository(db, cipher),
    consents: createConsentRepository(db),
    messages: createMessageRepository(db, cipher, uuid),
    outbox: createOutboxRepository(db),
    inbound: createInboundRepository(db, cipher),
    audit: createAuditRepository(db, uuid),
    ...createDirectoryRepositories(db),
  };
}

/**
 * The Kysely implementation of the `Store` port.
 * @param db - the database
 * @param cipher - field encryption for PHI columns
 * @param uuid - event id source for audit rows
 */
export function createKyselyStore(db: Kysely<Database>, cipher: FieldCipher, uuid: () => string): Store {
  return {
    ...createSession(db, cipher, uuid),
    transaction: (fn) => db.transaction().execute((trx) => fn(createSession(trx, cipher, uuid))),
  };
}
