import { randomBytes, randomUUID } from 'node:crypto';
import type { AppDeps } from './app/context.ts';
import { createAuthenticator } from './app/directory.ts';
import { createOidcRelyingParty } from './app/sign-in-oidc.ts';
import { createArgon2Hasher } from './app/sign-in-passwords.ts';
import { ingestStatuses } from './app/ingest-status.ts';
import { verifyAuditTrailOnSchedule } from './app/audit-verification.ts';
import { createPeriodicJob, type PeriodicJob } from './app/periodic-job.ts';
import { createIncidentReminderTimer } from './app/incident-reminders.ts';
import type { Clock, IdSource, Sender } from './app/ports.ts';
import type { CarrierChecker } from './adapters/carriers/check.ts';
import { createSimulatorProvider, type SimulatorOptions, type SimulatorProvider } from './adapters/carriers/simulator/simulator.provider.ts';
import { createTwilioProvider } from './adapters/carriers/twilio/twilio.provider.ts';
import { createWhatsAppCloudProvider } from './adapters/carriers/whatsapp-cloud/whatsapp-cloud.provider.ts';
import { loadOrCreateDevKeys, loadOrCreateDevSigningKey } from './adapters/crypto/dev-keys.ts';
import { createFieldCipher } from './adapters/crypto/field-cipher.ts';
import { migrate, openDatabase, type DatabaseHandle, type DatabaseOptions } from './adapters/db/database.ts';
import { createKyselyStore } from './adapters/db/store.ts';
import { createAuditExportReader } from './adapters/db/audit-export.repository.ts';
import { ensureSeededPermissionSets } from './app/permission-sets.ts';
import { ensureStarterLibrary } from './app/templates.ts';
import { createOutboxWorker, type OutboxWorker } from './adapters/dispatch/outbox-worker.ts';
import { createSecurityWebhookWorker, type SecurityWebhookWorker } from './adapters/dispatch/security-webhook.ts';
import { createAuditSealer, type AuditSealer } from './adapters/dispatch/audit-sealer.ts';
import { checkpointSigner } from './adapters/crypto/audit-chain.ts';
import type { Config, TwilioConfig, WhatsAppCloudConfig } from './config.ts';
import type { WebhookSettings } from './adapters/http/routes/webhooks.routes.ts';
import { createLogger, type Logger } from './logger.ts';

export interface Container {
  readonly config: Config;
  readonly deps: AppDeps;
  readonly database: DatabaseHandle;
  readonly worker: OutboxWorker;
  /** Delivers security events to WARDLINE_SECURITY_WEBHOOK_URL; null when not configured. Runs from creation to `close()`. */
  readonly securityWebhook: SecurityWebhookWorker | null;
  /** Seals the audit trail into its hash chain and signs checkpoints (docs/audit.md). Runs from creation to `close()`. */
  readonly auditSealer: AuditSealer;
  /** Raises incident deadline reminders every WARDLINE_INCIDENT_REMINDER_MINUTES (docs/incident-response.md). */
  readonly incidentReminders: PeriodicJob;
  /** Present when the simulator carries messages. */
  readonly simulator: SimulatorProvider | null;
  /** The configured carrier adapters, for `wardline carriers check`. */
  readonly checkers: readonly { readonly carrier: string; readonly checker: CarrierChecker }[];
  /** What the HTTP app needs to authenticate carrier webhooks. */
  readonly webhooks: WebhookSettings;
  close(): Promise<void>;
}

export interface ContainerOverrides {
  readonly logger?: Logger;
  readonly clock?: Clock;
  readonly random?: () => number;
  /** PostgreSQL schema to use (tests isolate each file in its own). */
  readonly schema?: string;
}

const systemClock: Clock = { now: () => new Date() };
const randomIds: IdSource = { uuid: () => randomUUID(), token: () => `wl_${randomBytes(32).toString('base64url')}` };

/**
 * @param config - validated configuration
 * @param schema - a PostgreSQL schema to use instead of the default search path
 * @returns how to open the configured database
 */
export function databaseOptions(config: Config, schema?: string): DatabaseOptions {
  return config.database.kind === 'pglite'
    ? { kind: 'pglite', dataDir: config.database.dataDir }
    : { kind: 'postgres', url: config.database.url.expose(), poolSize: config.database.poolSize, ...(schema ? { schema } : {}) };
}

function twilioProviderOf(config: Config, twilio: TwilioConfig): ReturnType<typeof createTwilioProvider> {
  return createTwilioProvider({
    accountSid: twilio.accountSid,
    credentials: twilio.apiKey === null ? { authToken: twilio.authToken } : { apiKeySid: twilio.apiKey.sid, apiKeySecret: twilio.apiKey.secret },
    messagingServiceSid: twilio.messagingServiceSid,
    from: twilio.fromNumber,
    whatsappFrom: twilio.whatsappFrom,
    rcs: twilio.rcs,
    statusCallbackUrl: `${config.http.publicUrl}/v1/webhooks/twilio/status`,
    ...(twilio.apiUrl === null ? {} : { apiBaseUrl: twilio.apiUrl }),
  });
}

function whatsappCloudProviderOf(cloud: WhatsAppCloudConfig): ReturnType<typeof createWhatsAppCloudProvider> {
  return createWhatsAppCloudProvider({
    phoneNumberId: cloud.phoneNumberId,
    accessToken: cloud.accessToken,
    apiVersion: cloud.apiVersion,
    ...(cloud.graphUrl === null ? {} : { graphBaseUrl: cloud.graphUrl }),
  });
}

/**
 * The configured carriers' read-only checks, without opening the database (`wardline carriers check`).
 * @param config - validated configuration
 */
export function carrierCheckers(config: Config): { readonly carrier: string; readonly checker: CarrierChecker }[] {
  const { twilio, whatsappCloud } = config.carriers;
  return [
    ...(twilio === null ? [] : [{ carrier: 'twilio', checker: twilioProviderOf(config, twilio) }]),
    ...(whatsappCloud === null ? [] : [{ carrier: 'whatsapp-cloud', checker: whatsappCloudProviderOf(whatsappCloud) }]),
  ];
}

interface Carriers {
  readonly senders: Sender[];
  readonly simulator: SimulatorProvider | null;
  readonly checkers: { readonly carrier: string; readonly checker: CarrierChecker }[];
}

/**
 * The configured senders. Twilio carries `sms` and `text` (MMS, or RCS with SMS fallback) when it has a Messaging
 * Service or a number, and `whatsapp` when it has a WhatsApp sender and the Cloud API is not configured; the Cloud API
 * carries `whatsapp`. With neither, the simulator carries everything.
 */
function buildCarriers(config: Config, simulatorHooks: Pick<SimulatorOptions, 'random' | 'onStatuses' | 'onError'>): Carriers {
  const { twilio, whatsappCloud, simulator } = config.carriers;
  const result: Carriers = { senders: [], simulator: null, checkers: [] };
  if (twilio !== null) {
    const provider = twilioProviderOf(config, twilio);
    result.checkers.push({ carrier: 'twilio', checker: provider });
    const smsSender = twilio.messagingServiceSid ?? twilio.fromNumber;
    if (smsSender !== null) result.senders.push({ id: `twilio:${smsSender}`, provider, channels: ['sms', 'text'], ratePerSecond: twilio.ratePerSecond });
    if (twilio.whatsappFrom !== null && whatsappCloud === null) {
      result.senders.push({ id: `twilio:whatsapp:${twilio.whatsappFrom}`, provider, channels: ['whatsapp'], ratePerSecond: twilio.whatsappRatePerSecond });
    }
  }
  if (whatsappCloud !== null) {
    const provider = whatsappCloudProviderOf(whatsappCloud);
    result.checkers.push({ carrier: 'whatsapp-cloud', checker: provider });
    result.senders.push({ id: `whatsapp-cloud:${whatsappCloud.phoneNumberId}`, provider, channels: ['whatsapp'], ratePerSecond: whatsappCloud.ratePerSecond });
  }
  if (simulator !== null) {
    const provider = createSimulatorProvider({
      latencyMs: simulator.latencyMs,
      failureRate: simulator.failureRate,
      readReceipts: simulator.readReceipts,
      ...simulatorHooks,
    });
    result.senders.push({ id: 'simulator', provider, channels: ['sms', 'text', 'whatsapp'], ratePerSecond: simulator.ratePerSecond });
    return { ...result, simulator: provider };
  }
  return result;
}

/**
 * Explicit wiring (STYLE.md §3): the only place adapters meet. Opens and migrates the database, builds the
 * cipher, the store, the carrier and the dispatcher.
 * @param config - validated configuration
 * @param overrides - test seams: logger, clock, randomness, schema
 */
export async function createContainer(config: Config, overrides: ContainerOverrides = {}): Promise<Container> {
  const logger = overrides.logger ?? createLogger(config.logLevel);
  const database = await openDatabase(databaseOptions(config, overrides.schema));
  const applied = await migrate(database);
  if (applied.length > 0) logger.info({ migrations: applied }, 'migrations applied');
  const keys = config.crypto ?? (await loadOrCreateDevKeys(config.dataDir));
  const store = createKyselyStore(database.db, createFieldCipher(keys), randomUUID, { securityWebhook: config.security.webhook !== null });
  await ensureSeededPermissionSets(store, (overrides.clock ?? systemClock).now());
  await ensureStarterLibrary(store, (overrides.clock ?? systemClock).now());

  const clock = overrides.clock ?? systemClock;
  const signingKey = config.audit.signingKey?.expose() ?? (await loadOrCreateDevSigningKey(config.dataDir));
  const auditSealer = createAuditSealer(database.db, { signer: checkpointSigner(signingKey), clock, logger }, { intervalMs: config.audit.sealMs, checkpointEvery: config.audit.checkpointEvery, checkpointMs: config.audit.checkpointMs });

  // Receipts and wake-ups close over `deps` and `worker`; both exist before the first message can be sent.
  const carriers = buildCarriers(config, {
    random: overrides.random ?? Math.random,
    onStatuses: (events) => ingestStatuses(deps, events),
    onError: (error) => {
      logger.error({ err: error }, 'simulator receipt failed');
    },
  });
  const deps: AppDeps = {
    store,
    clock,
    ids: randomIds,
    logger,
    senders: carriers.senders,
    authenticate: (token) => authenticate(token),
    forgetAccess: (principalId) => {
      authenticate.forget(principalId);
    },
    signIn: {
      idleMs: config.signIn.idleMs,
      maxMs: config.signIn.maxMs,
      requireMfa: config.signIn.requireMfa,
      secureCookies: config.http.publicUrl.startsWith('https://'),
      passwords: createArgon2Hasher(),
      oidc:
        config.signIn.oidc === null
          ? null
          : createOidcRelyingParty({
              issuer: config.signIn.oidc.issuer,
              clientId: config.signIn.oidc.clientId,
              clientSecret: config.signIn.oidc.clientSecret.expose(),
              redirectUri: `${config.http.publicUrl}/v1/session/oidc/callback`,
            }),
    },
    settings: { defaultRegion: config.defaultRegion, organisation: config.organisation, sendingPolicy: config.sendingPolicy, publicUrl: config.http.publicUrl, breakGlassMs: config.security.breakGlassMs, auditVerifyMs: config.audit.verifyMs, incidents: { hospital: config.incidents.hospital } },
    wakeDispatcher: () => {
      worker.wake();
    },
    auditChain: auditSealer,
    auditExport: createAuditExportReader(database),
  };
  const authenticate = createAuthenticator(deps, { ttlMs: config.tokenCacheMs, maxEntries: 10_000 });
  const worker = createOutboxWorker(deps, { batchSize: 128, pollMs: 250, coalesceMs: 10 });
  const webhook = config.security.webhook;
  const securityWebhook = webhook === null ? null : createSecurityWebhookWorker(deps, { url: webhook.url, secret: webhook.secret, pollMs: 1_000, batchSize: 32, maxAttempts: 10, timeoutMs: 10_000 });
  securityWebhook?.start();
  auditSealer.start();
  // In long-running processes (one-off CLI commands run with the dispatcher off).
  const auditVerifier = createPeriodicJob('audit verification', config.dispatcher === 'off' ? 0 : config.audit.verifyMs, () => verifyAuditTrailOnSchedule(deps), logger);
  auditVerifier.start();
  const incidentReminders = createIncidentReminderTimer(deps, config.incidents.reminderMs);
  incidentReminders.start();

  return {
    config,
    deps,
    database,
    worker,
    securityWebhook,
    auditSealer,
    incidentReminders,
    simulator: carriers.simulator,
    checkers: carriers.checkers,
    webhooks: {
      publicUrl: config.http.publicUrl,
      twilio: config.carriers.twilio === null ? null : { authToken: config.carriers.twilio.authToken },
      whatsapp:
        config.carriers.whatsappCloud === null
          ? null
          : {
              appSecret: config.carriers.whatsappCloud.appSecret,
              verifyToken: config.carriers.whatsappCloud.verifyToken,
              phoneNumberId: config.carriers.whatsappCloud.phoneNumberId,
            },
    },
    async close() {
      await worker.stop();
      await securityWebhook?.stop();
      await carriers.simulator?.idle();
      await auditVerifier.stop();
      await auditSealer.stop();
      await incidentReminders.stop();
      await database.close();
    },
  };
}
