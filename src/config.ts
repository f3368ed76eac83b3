import { z } from 'zod';
import { Secret } from './secret.ts';

/**
 * The one configuration loader (STYLE.md §6): environment variables, validated with zod, every problem
 * reported at once by key name (never by value), frozen, passed down explicitly. Only entry points call it.
 */

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const keySpec = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,32}:[A-Za-z0-9+/]{43}=$/, 'must be <keyId>:<base64 of 32 bytes>');

const CATEGORY_NAMES = ['clinical', 'billing', 'administrative'] as const;
const categoryList = z
  .string()
  .transform((v) => v.split(',').map((c) => c.trim()).filter(Boolean))
  .pipe(z.array(z.enum(CATEGORY_NAMES, { message: 'must be a comma list of clinical, billing, administrative' })));

const timeZone = z.string().refine((tz) => {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}, 'must be an IANA time zone such as America/Chicago');

/** Messages per second; 0 turns pacing off (benchmarks against a stand-in only). */
const rate = z.coerce.number().min(0).max(10_000);

const e164 = z.string().regex(/^\+[1-9]\d{6,14}$/, 'must be an E.164 number such as +15551230000');

const quietHours = z
  .string()
  .regex(/^(off|([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d)$/, "must be 'HH:MM-HH:MM' or 'off'")
  .refine((v) => v === 'off' || v.slice(0, 5) < v.slice(6), 'the window must start before it ends on the same day (e.g. 08:00-21:00)');

/** `clinical:secure,identifier:block`: what happens to content a message's kind does not allow, per finding class. */
const phiPolicy = z.preprocess(
  (v): unknown => (typeof v === 'string' ? Object.fromEntries(v.split(',').map((part): string[] => part.split(':').map((x) => x.trim()))) : (v ?? {})),
  z.strictObject(
    { clinical: z.enum(['secure', 'block']).default('secure'), identifier: z.enum(['secure', 'block']).default('block') },
    { message: "must be a comma list of <class>:<action>, class clinical or identifier, action secure or block (e.g. 'clinical:secure,identifier:block')" },
  ),
);

const EnvSchema = z
  .object({
    PORT: z.coerce.number().int().min(0).max(65535).default(3000),
    HOST: z.string().min(1).default('127.0.0.1'),
    WARDLINE_ENV: z.enum(['development', 'production', 'test']).default('development'),
    WARDLINE_DATA_DIR: z.string().min(1).default('./data'),
    DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL').optional(),
    WARDLINE_DB_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(10),
    WARDLINE_ADMIN_TOKEN: z.string().min(24, 'must be at least 24 characters').optional(),
    WARDLINE_PUBLIC_URL: z.url().optional(),
    WARDLINE_TRUST_PROXY: z
      .string()
      .regex(/^(false|true|\d{1,2}|[0-9a-fA-F.:/]+(,[0-9a-fA-F.:/]+)*)$/, 'must be false, true, a hop count, or a comma list of proxy addresses/CIDRs')
      .default('false'),
    WARDLINE_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    WARDLINE_ENCRYPTION_KEY: keySpec.optional(),
    WARDLINE_ENCRYPTION_KEYS_RETIRED: z
      .string()
      .refine((s) => s.split(',').every((k) => keySpec.safeParse(k.trim()).success), 'must be a comma list of <keyId>:<base64>')
      .optional(),
    WARDLINE_LOOKUP_KEY: z.string().regex(/^[A-Za-z0-9+/]{43}=$/, 'must be base64 of 32 bytes').optional(),
    WARDLINE_DEFAULT_REGION: z.string().regex(/^[A-Z]{2}$/, 'must be an ISO 3166 alpha-2 region').default('US'),
    WARDLINE_ORG_NAME: z.string().min(1).max(60).default('Wardline Demo Hospital'),
    WARDLINE_ORG_CONTACT: z.string().min(1).max(80).default('call 555-0100'),
    WARDLINE_QUIET_HOURS: quietHours.default('08:00-21:00'),
    WARDLINE_DISPATCHER: z.enum(['inline', 'off']).default('inline'),
    WARDLINE_TOKEN_CACHE_MS: z.coerce.number().int().min(0).max(60_000).default(5_000),
    WARDLINE_AGENT_SENDS_PER_MINUTE: z.coerce.number().int().min(1).max(10_000).default(30),
    WARDLINE_SIMULATOR_LATENCY_MS: z.coerce.number().int().min(0).max(600_000).default(300),
    WARDLINE_SIMULATOR_FAILURE_RATE: z.coerce.number().min(0).max(1).default(0),
    WARDLINE_SIMULATOR_READ_RECEIPTS: bool.default(true),
    WARDLINE_QUIET_HOURS_BYPASS: categoryList.default([]),
    WARDLINE_DEFAULT_TIMEZONE: timeZone.default('America/New_York'),
    WARDLINE_EXEMPT_CATEGORIES: categoryList
      .refine((list) => !list.includes('billing'), 'billing messages are never TCPA-exempt (reference 2.1)')
      .default([]),
    WARDLINE_PACING_MARGIN: z.coerce.number().min(0).max(0.2).default(0.015),
    WARDLINE_PHI_POLICY: phiPolicy,
    WARDLINE_SECURE_LINK_TTL_HOURS: z.coerce.number().int().min(1).max(720).default(72),
    WARDLINE_SESSION_IDLE_MINUTES: z.coerce.number().int().min(1).max(480).default(15),
    WARDLINE_SESSION_MAX_HOURS: z.coerce.number().int().min(1).max(24).default(12),
    WARDLINE_REQUIRE_MFA: bool.default(false),
    WARDLINE_OIDC_ISSUER: z.url().optional(),
    WARDLINE_BREAKGLASS_MINUTES: z.coerce.number().int().min(5).max(480).default(60),
    WARDLINE_INCIDENT_REMINDER_MINUTES: z.coerce.number().int().min(0).max(1_440).default(60),
    WARDLINE_HOSPITAL_ADDRESS: z
      .string()
      .max(300)
      .refine((v) => v.split(';').every((line) => line.trim().length > 0), 'must be address lines separated by ;')
      .default('Privacy Office;100 Example Street;Springfield, ST 00000'),
    WARDLINE_PRIVACY_PHONE: z.string().min(3).max(40).default('1-800-555-0100'),
    WARDLINE_PRIVACY_EMAIL: z.email().max(200).default('privacy@hospital.example'),
    WARDLINE_HOSPITAL_WEBSITE: z.url({ protocol: /^https?$/ }).max(300).default('https://hospital.example/privacy'),
    WARDLINE_AUDIT_SIGNING_KEY: z
      .string()
      .refine((v) => /-----BEGIN PRIVATE KEY-----/.test(v.replaceAll('\\n', '\n')), 'must be an Ed25519 private key in PKCS#8 PEM (openssl genpkey -algorithm ed25519)')
      .optional(),
    WARDLINE_AUDIT_SEAL_MS: z.coerce.number().int().min(0).max(60_000).default(1_000),
    WARDLINE_AUDIT_CHECKPOINT_EVENTS: z.coerce.number().int().min(1).max(1_000_000).default(1_000),
    WARDLINE_RETENTION_YEARS: z.coerce.number().int().min(1).max(100).default(6),
    WARDLINE_RETENTION_UNDER_SIX_YEARS: bool.default(false),
    WARDLINE_AUDIT_CHECKPOINT_MINUTES: z.coerce.number().int().min(1).max(1_440).default(5),
    WARDLINE_AUDIT_VERIFY_HOURS: z.coerce.number().int().min(0).max(720).default(24),
    WARDLINE_SECURITY_WEBHOOK_URL: z
      .url()
      .refine((u) => u.startsWith('https://') || /^http:\/\/(127\.0\.0\.1|localhost)(:\d+)?(\/|$)/.test(u), 'must be https (plain http only to 127.0.0.1 or localhost)')
      .optional(),
    WARDLINE_SECURITY_WEBHOOK_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
    WARDLINE_OIDC_CLIENT_ID: z.string().min(1).optional(),
    WARDLINE_OIDC_CLIENT_SECRET: z.string().min(1).optional(),
    WARDLINE_SIMULATOR_RATE_PER_SECOND: rate.optional(),
    TWILIO_ACCOUNT_SID: z.string().regex(/^AC[0-9a-fA-F]{32}$/, 'must be AC followed by 32 hex digits').optional(),
    TWILIO_AUTH_TOKEN: z.string().min(16, 'must be the account auth token').optional(),
    TWILIO_API_KEY_SID: z.string().regex(/^SK[0-9a-fA-F]{32}$/, 'must be SK followed by 32 hex digits').optional(),
    TWILIO_API_KEY_SECRET: z.string().min(16).optional(),
    TWILIO_MESSAGING_SERVICE_SID: z.string().regex(/^MG[0-9a-fA-F]{32}$/, 'must be MG followed by 32 hex digits').optional(),
    TWILIO_FROM_NUMBER: e164.optional(),
    TWILIO_WHATSAPP_FROM: e164.optional(),
    TWILIO_RCS: bool.default(false),
    TWILIO_SENDER_TYPE: z.enum(['long-code', 'toll-free', 'short-code']).default('long-code'),
    TWILIO_RATE_PER_SECOND: rate.optional(),
    TWILIO_WHATSAPP_RATE_PER_SECOND: rate.default(10),
    TWILIO_API_URL: z.url().optional(),
    WHATSAPP_PHONE_NUMBER_ID: z.string().regex(/^\d{5,20}$/, 'must be the numeric phone number id').optional(),
    WHATSAPP_ACCESS_TOKEN: z.string().min(16).optional(),
    WHATSAPP_APP_SECRET: z.string().min(16).optional(),
    WHATSAPP_VERIFY_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
    WHATSAPP_RATE_PER_SECOND: rate.default(80),
    WHATSAPP_API_VERSION: z.string().regex(/^v\d+\.\d+$/, "must look like 'v23.0'").default('v25.0'),
    WHATSAPP_GRAPH_URL: z.url().optional(),
  })
  .superRefine((env, ctx) => {
    const problem = (key: string, message: string): void => {
      ctx.addIssue({ code: 'custom', path: [key], message });
    };
    const twilio = env.TWILIO_ACCOUNT_SID !== undefined || env.TWILIO_AUTH_TOKEN !== undefined;
    if (twilio) {
      if (env.TWILIO_ACCOUNT_SID === undefined) problem('TWILIO_ACCOUNT_SID', 'is required with TWILIO_AUTH_TOKEN');
      if (env.TWILIO_AUTH_TOKEN === undefined) problem('TWILIO_AUTH_TOKEN', 'is required: Twilio signs webhooks with it, even when an API key sends');
      if ((env.TWILIO_API_KEY_SID === undefined) !== (env.TWILIO_API_KEY_SECRET === undefined)) problem('TWILIO_API_KEY_SECRET', 'TWILIO_API_KEY_SID and TWILIO_API_KEY_SECRET go together');
      if (env.TWILIO_MESSAGING_SERVICE_SID === undefined && env.TWILIO_FROM_NUMBER === undefined && env.TWILIO_WHATSAPP_FROM === undefined) {
        problem('TWILIO_MESSAGING_SERVICE_SID', 'Twilio needs a sender: TWILIO_MESSAGING_SERVICE_SID or TWILIO_FROM_NUMBER (and/or TWILIO_WHATSAPP_FROM)');
      }
      if (env.TWILIO_RCS && env.TWILIO_MESSAGING_SERVICE_SID === undefined) problem('TWILIO_RCS', 'RCS with SMS fallback needs TWILIO_MESSAGING_SERVICE_SID (a service whose sender pool has an RCS sender)');
    } else {
      for (const key of ['TWILIO_API_KEY_SID', 'TWILIO_MESSAGING_SERVICE_SID', 'TWILIO_FROM_NUMBER', 'TWILIO_WHATSAPP_FROM', 'TWILIO_API_URL'] as const) {
        if (env[key] !== undefined) problem(key, 'is set but TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN are not');
      }
    }
    const oidcKeys = ['WARDLINE_OIDC_ISSUER', 'WARDLINE_OIDC_CLIENT_ID', 'WARDLINE_OIDC_CLIENT_SECRET'] as const;
    const oidc = oidcKeys.filter((k) => env[k] !== undefined);
    if (oidc.length > 0) {
      for (const key of oidcKeys) if (env[key] === undefined) problem(key, `is required with ${oidc.join(', ')} (single sign-on needs all three)`);
    }
    const waKeys = ['WHATSAPP_PHONE_NUMBER_ID', 'WHATSAPP_ACCESS_TOKEN', 'WHATSAPP_APP_SECRET', 'WHATSAPP_VERIFY_TOKEN'] as const;
    const wa = waKeys.filter((k) => env[k] !== undefined);
    if (wa.length > 0) {
      for (const key of waKeys) if (env[key] === undefined) problem(key, `is required with ${wa.join(', ')} (the WhatsApp Cloud API needs all four)`);
    } else if (env.WHATSAPP_GRAPH_URL !== undefined) {
      problem('WHATSAPP_GRAPH_URL', 'is set but WHATSAPP_PHONE_NUMBER_ID is not');
    }
    if (env.WARDLINE_RETENTION_YEARS < 6 && !env.WARDLINE_RETENTION_UNDER_SIX_YEARS) {
      problem('WARDLINE_RETENTION_YEARS', 'HIPAA keeps documentation six years (164.316(b)(2)(i)); set WARDLINE_RETENTION_UNDER_SIX_YEARS=true to go below, on your counsel\'s advice');
    }
    if ((env.WARDLINE_SECURITY_WEBHOOK_URL === undefined) !== (env.WARDLINE_SECURITY_WEBHOOK_SECRET === undefined)) {
      problem(env.WARDLINE_SECURITY_WEBHOOK_URL === undefined ? 'WARDLINE_SECURITY_WEBHOOK_URL' : 'WARDLINE_SECURITY_WEBHOOK_SECRET', 'WARDLINE_SECURITY_WEBHOOK_URL and WARDLINE_SECURITY_WEBHOOK_SECRET go together (deliveries are signed)');
    }
    if (env.WARDLINE_ENV !== 'production') return;
    if (!twilio && wa.length === 0) problem('TWILIO_ACCOUNT_SID', 'production needs a real carrier (Twilio and/or WHATSAPP_*); the simulator is for development only');
    if (!env.WARDLINE_ENCRYPTION_KEY) problem('WARDLINE_ENCRYPTION_KEY', 'production needs an encryption key');
    if (!env.WARDLINE_LOOKUP_KEY) problem('WARDLINE_LOOKUP_KEY', 'production needs a lookup key');
    if (!env.WARDLINE_AUDIT_SIGNING_KEY) problem('WARDLINE_AUDIT_SIGNING_KEY', 'production needs the audit checkpoint signing key');
    if (!env.WARDLINE_PUBLIC_URL) problem('WARDLINE_PUBLIC_URL', 'production needs the public URL (carriers sign webhooks against it)');
    else if (!env.WARDLINE_PUBLIC_URL.startsWith('https://')) problem('WARDLINE_PUBLIC_URL', 'must be https in production (carriers will not call plain http)');
    if (env.WARDLINE_OIDC_ISSUER !== undefined && !env.WARDLINE_OIDC_ISSUER.startsWith('https://')) problem('WARDLINE_OIDC_ISSUER', 'must be https in production');
    if (env.WARDLINE_LOG_LEVEL === 'trace') problem('WARDLINE_LOG_LEVEL', 'trace logging is not allowed in production');
    for (const key of ['TWILIO_API_URL', 'WHATSAPP_GRAPH_URL'] as const) {
      if (env[key] !== undefined) problem(key, 'points the carrier at a stand-in; not allowed in production');
    }
    for (const key of ['TWILIO_RATE_PER_SECOND', 'TWILIO_WHATSAPP_RATE_PER_SECOND', 'WHATSAPP_RATE_PER_SECOND'] as const) {
      if (env[key] === 0) problem(key, '0 (unpaced) is for benchmarks against a stand-in; not allowed in production');
    }
  });

export interface EncryptionKeyConfig {
  readonly id: string;
  readonly key: Secret<Buffer>;
}

export interface Config {
  readonly env: 'development' | 'production' | 'test';
  readonly http: {
    readonly port: number;
    readonly host: string;
    readonly publicUrl: string;
    /** Which proxies' X-Forwarded-For to believe for the client address (throttles, audit): Fastify's `trustProxy`. */
    readonly trustProxy: boolean | number | string[];
  };
  readonly database:
    | { readonly kind: 'pglite'; readonly dataDir: string | null }
    | { readonly kind: 'postgres'; readonly url: Secret; readonly poolSize: number };
  readonly dataDir: string | null;
  readonly adminToken: Secret | null;
  readonly logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** Null in development: keys are generated into the data directory (or memory). */
  readonly crypto: { readonly active: EncryptionKeyConfig; readonly retired: readonly EncryptionKeyConfig[]; readonly lookupKey: Secret<Buffer> } | null;
  readonly defaultRegion: string;
  readonly organisation: { readonly name: string; readonly contact: string };
  readonly sendingPolicy: SendingPolicy;
  readonly dispatcher: 'inline' | 'off';
  /** How long a successful token look-up is reused (0 disables the cache). */
  readonly tokenCacheMs: number;
  readonly carriers: CarrierConfig;
  /** Staff sign-in: browser sessions, the second factor, single sign-on (docs/sign-in.md). */
  readonly signIn: SignInConfig;
  /** Break-glass and the security officer's notifications (docs/sharing.md). */
  readonly security: SecurityConfig;
  /** The audit trail's hash chain (docs/audit.md). */
  readonly audit: AuditConfig;
  /** Incident response (docs/incident-response.md). */
  readonly incidents: IncidentConfig;
}

export interface IncidentConfig {
  /** How often deadline reminders are checked (0: not in this process). */
  readonly reminderMs: number;
  /** The sender block and contact procedures (element E, 45 CFR 164.404(c)(1)(E)) of the notice letters. */
  readonly hospital: { readonly name: string; readonly address: readonly string[]; readonly tollFreePhone: string; readonly email: string; readonly website: string };
}

export interface AuditConfig {
  /** The Ed25519 checkpoint key (PKCS#8 PEM); null in development: generated into the data directory (or memory). */
  readonly signingKey: Secret | null;
  /** How often the sealer runs (0: not in this process). */
  readonly sealMs: number;
  readonly checkpointEvery: number;
  readonly checkpointMs: number;
  /** How often this process verifies the whole chain (0: never); evidence reports rely on a full run this recent. */
  readonly verifyMs: number;
  /** Audit and message records are kept this many years before `wardline retention purge` may remove them. */
  readonly retentionYears: number;
}

export interface SecurityConfig {
  /** How long a break-glass access stays open. */
  readonly breakGlassMs: number;
  /** Where security events are POSTed, signed with HMAC-SHA256; null when not configured. */
  readonly webhook: { readonly url: string; readonly secret: Secret } | null;
}

export interface SignInConfig {
  /** A session ends after this long without a request. */
  readonly idleMs: number;
  /** A session ends this long after sign-in, whatever happens. */
  readonly maxMs: number;
  /** Every local account must use a second factor (besides the per-user flag). */
  readonly requireMfa: boolean;
  /** OpenID Connect single sign-on; null when not configured. */
  readonly oidc: { readonly issuer: string; readonly clientId: string; readonly clientSecret: Secret } | null;
}

export interface SendingPolicy {
  /** Recipient-local send window for non-urgent messages (reference 2.3), or off. */
  readonly quietHours: { readonly start: string; readonly end: string } | 'off';
  /** Categories whose messages marked urgent may go during quiet hours (none unless configured). */
  readonly quietHoursBypass: readonly ('clinical' | 'billing' | 'administrative')[];
  /** Zone used when neither the patient's zone nor the number's region is known. */
  readonly defaultTimeZone: string;
  /** Categories whose automated messages are held to the TCPA healthcare-exemption limits (off when empty). */
  readonly exemptCategories: readonly ('clinical' | 'billing' | 'administrative')[];
  /** Pacing keeps this fraction below each sender's rate, so timer jitter never bursts above it. */
  readonly pacingMargin: number;
  /** What happens to content beyond what a message's kind allows, per finding class (issue 4 item 4). */
  readonly phi: PhiPolicy;
  /** How long a secure patient link stays valid. */
  readonly secureLinkTtlMs: number;
  /** Sends (attempts) each AI agent may make per minute, counted across processes. */
  readonly agentSendsPerMinute: number;
}

/** `secure`: the content goes behind a secure link; `block`: the send is refused with PHI_NOT_ALLOWED. */
export type PhiAction = 'secure' | 'block';
export interface PhiPolicy {
  readonly clinical: PhiAction;
  readonly identifier: PhiAction;
}

export interface TwilioConfig {
  readonly accountSid: string;
  readonly authToken: Secret;
  readonly apiKey: { readonly sid: string; readonly secret: Secret } | null;
  readonly messagingServiceSid: string | null;
  readonly fromNumber: string | null;
  readonly whatsappFrom: string | null;
  readonly rcs: boolean;
  /** Messages per second of the SMS/MMS/RCS sender (null: unpaced). */
  readonly ratePerSecond: number | null;
  readonly whatsappRatePerSecond: number | null;
  /** A loopback stand-in for Twilio's API (development and tests only). */
  readonly apiUrl: string | null;
}

export interface WhatsAppCloudConfig {
  readonly phoneNumberId: string;
  readonly accessToken: Secret;
  readonly appSecret: Secret;
  readonly verifyToken: Secret;
  readonly ratePerSecond: number | null;
  readonly apiVersion: string;
  /** A loopback stand-in for the Graph API (development and tests only). */
  readonly graphUrl: string | null;
}

export interface SimulatorConfig {
  readonly latencyMs: number;
  readonly failureRate: number;
  readonly readReceipts: boolean;
  readonly ratePerSecond: number | null;
}

/** Which carriers are configured. With neither Twilio nor the Cloud API, the simulator carries everything. */
export interface CarrierConfig {
  readonly twilio: TwilioConfig | null;
  readonly whatsappCloud: WhatsAppCloudConfig | null;
  readonly simulator: SimulatorConfig | null;
}

/** Default rate of a Twilio sender by number type (messages per second; issue 3 item 6). */
const TWILIO_DEFAULT_RATE = { 'long-code': 1, 'toll-free': 3, 'short-code': 100 } as const;

const paced = (rate: number): number | null => (rate === 0 ? null : rate);

/** Thrown when the environment is invalid; lists every problem by key name. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.problems = problems;
  }
}

function carriersOf(e: z.infer<typeof EnvSchema>): CarrierConfig {
  const twilio: TwilioConfig | null =
    e.TWILIO_ACCOUNT_SID !== undefined && e.TWILIO_AUTH_TOKEN !== undefined
      ? {
          accountSid: e.TWILIO_ACCOUNT_SID,
          authToken: new Secret(e.TWILIO_AUTH_TOKEN),
          apiKey: e.TWILIO_API_KEY_SID !== undefined && e.TWILIO_API_KEY_SECRET !== undefined ? { sid: e.TWILIO_API_KEY_SID, secret: new Secret(e.TWILIO_API_KEY_SECRET) } : null,
          messagingServiceSid: e.TWILIO_MESSAGING_SERVICE_SID ?? null,
          fromNumber: e.TWILIO_FROM_NUMBER ?? null,
          whatsappFrom: e.TWILIO_WHATSAPP_FROM ?? null,
          rcs: e.TWILIO_RCS,
          ratePerSecond: paced(e.TWILIO_RATE_PER_SECOND ?? TWILIO_DEFAULT_RATE[e.TWILIO_SENDER_TYPE]),
          whatsappRatePerSecond: paced(e.TWILIO_WHATSAPP_RATE_PER_SECOND),
          apiUrl: e.TWILIO_API_URL ?? null,
        }
      : null;
  const whatsappCloud: WhatsAppCloudConfig | null =
    e.WHATSAPP_PHONE_NUMBER_ID !== undefined && e.WHATSAPP_ACCESS_TOKEN !== undefined && e.WHATSAPP_APP_SECRET !== undefined && e.WHATSAPP_VERIFY_TOKEN !== undefined
      ? {
          phoneNumberId: e.WHATSAPP_PHONE_NUMBER_ID,
          accessToken: new Secret(e.WHATSAPP_ACCESS_TOKEN),
          appSecret: new Secret(e.WHATSAPP_APP_SECRET),
          verifyToken: new Secret(e.WHATSAPP_VERIFY_TOKEN),
          ratePerSecond: paced(e.WHATSAPP_RATE_PER_SECOND),
          apiVersion: e.WHATSAPP_API_VERSION,
          graphUrl: e.WHATSAPP_GRAPH_URL ?? null,
        }
      : null;
  const simulator: SimulatorConfig | null =
    twilio === null && whatsappCloud === null
      ? {
          latencyMs: e.WARDLINE_SIMULATOR_LATENCY_MS,
          failureRate: e.WARDLINE_SIMULATOR_FAILURE_RATE,
          readReceipts: e.WARDLINE_SIMULATOR_READ_RECEIPTS,
          ratePerSecond: e.WARDLINE_SIMULATOR_RATE_PER_SECOND === undefined ? null : paced(e.WARDLINE_SIMULATOR_RATE_PER_SECOND),
        }
      : null;
  return { twilio, whatsappCloud, simulator };
}

function parseKey(spec: string): EncryptionKeyConfig {
  const [id = '', b64 = ''] = spec.trim().split(':');
  return { id, key: new Secret(Buffer.from(b64, 'base64')) };
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !(value instanceof Secret) && !Object.isFrozen(value)) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

/**
 * @param env - the environment (defaults to process.env); only this module reads it
 * @returns the validated, frozen configuration
 * @throws ConfigError listing every invalid key
 */
export function loadConfig(env: Readonly<Record<string, string | undefined>> = process.env): Config {
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = EnvSchema.safeParse(cleaned);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.') || '(env)'}: ${i.message}`));
  }
  const e = parsed.data;
  const dataDir = e.WARDLINE_DATA_DIR === ':memory:' ? null : e.WARDLINE_DATA_DIR;
  const [qStart = '', qEnd = ''] = e.WARDLINE_QUIET_HOURS.split('-');
  const config: Config = {
    env: e.WARDLINE_ENV,
    http: {
      port: e.PORT,
      host: e.HOST,
      publicUrl: e.WARDLINE_PUBLIC_URL ?? `http://${e.HOST === '0.0.0.0' ? 'localhost' : e.HOST}:${e.PORT}`,
      trustProxy: e.WARDLINE_TRUST_PROXY === 'false' ? false : e.WARDLINE_TRUST_PROXY === 'true' ? true : /^\d+$/.test(e.WARDLINE_TRUST_PROXY) ? Number(e.WARDLINE_TRUST_PROXY) : e.WARDLINE_TRUST_PROXY.split(','),
    },
    database: e.DATABASE_URL
      ? { kind: 'postgres', url: new Secret(e.DATABASE_URL), poolSize: e.WARDLINE_DB_POOL_SIZE }
      : { kind: 'pglite', dataDir },
    dataDir,
    adminToken: e.WARDLINE_ADMIN_TOKEN ? new Secret(e.WARDLINE_ADMIN_TOKEN) : null,
    logLevel: e.WARDLINE_LOG_LEVEL,
    crypto:
      e.WARDLINE_ENCRYPTION_KEY && e.WARDLINE_LOOKUP_KEY
        ? {
            active: parseKey(e.WARDLINE_ENCRYPTION_KEY),
            retired: (e.WARDLINE_ENCRYPTION_KEYS_RETIRED ?? '').split(',').filter(Boolean).map(parseKey),
            lookupKey: new Secret(Buffer.from(e.WARDLINE_LOOKUP_KEY, 'base64')),
          }
        : null,
    defaultRegion: e.WARDLINE_DEFAULT_REGION,
    organisation: { name: e.WARDLINE_ORG_NAME, contact: e.WARDLINE_ORG_CONTACT },
    sendingPolicy: {
      quietHours: e.WARDLINE_QUIET_HOURS === 'off' ? 'off' : { start: qStart, end: qEnd },
      quietHoursBypass: e.WARDLINE_QUIET_HOURS_BYPASS,
      defaultTimeZone: e.WARDLINE_DEFAULT_TIMEZONE,
      exemptCategories: e.WARDLINE_EXEMPT_CATEGORIES,
      pacingMargin: e.WARDLINE_PACING_MARGIN,
      phi: e.WARDLINE_PHI_POLICY,
      secureLinkTtlMs: e.WARDLINE_SECURE_LINK_TTL_HOURS * 3_600_000,
      agentSendsPerMinute: e.WARDLINE_AGENT_SENDS_PER_MINUTE,
    },
    dispatcher: e.WARDLINE_DISPATCHER,
    tokenCacheMs: e.WARDLINE_TOKEN_CACHE_MS,
    signIn: {
      idleMs: e.WARDLINE_SESSION_IDLE_MINUTES * 60_000,
      maxMs: e.WARDLINE_SESSION_MAX_HOURS * 3_600_000,
      requireMfa: e.WARDLINE_REQUIRE_MFA,
      oidc:
        e.WARDLINE_OIDC_ISSUER !== undefined && e.WARDLINE_OIDC_CLIENT_ID !== undefined && e.WARDLINE_OIDC_CLIENT_SECRET !== undefined
          ? { issuer: e.WARDLINE_OIDC_ISSUER, clientId: e.WARDLINE_OIDC_CLIENT_ID, clientSecret: new Secret(e.WARDLINE_OIDC_CLIENT_SECRET) }
          : null,
    },
    carriers: carriersOf(e),
    security: {
      breakGlassMs: e.WARDLINE_BREAKGLASS_MINUTES * 60_000,
      webhook:
        e.WARDLINE_SECURITY_WEBHOOK_URL !== undefined && e.WARDLINE_SECURITY_WEBHOOK_SECRET !== undefined
          ? { url: e.WARDLINE_SECURITY_WEBHOOK_URL, secret: new Secret(e.WARDLINE_SECURITY_WEBHOOK_SECRET) }
          : null,
    },
    audit: {
      // PEM in one environment line may carry its line breaks as \n.
      signingKey: e.WARDLINE_AUDIT_SIGNING_KEY === undefined ? null : new Secret(e.WARDLINE_AUDIT_SIGNING_KEY.replaceAll('\\n', '\n')),
      sealMs: e.WARDLINE_AUDIT_SEAL_MS,
      checkpointEvery: e.WARDLINE_AUDIT_CHECKPOINT_EVENTS,
      checkpointMs: e.WARDLINE_AUDIT_CHECKPOINT_MINUTES * 60_000,
      verifyMs: e.WARDLINE_AUDIT_VERIFY_HOURS * 3_600_000,
      retentionYears: e.WARDLINE_RETENTION_YEARS,
    },
    incidents: {
      reminderMs: e.WARDLINE_INCIDENT_REMINDER_MINUTES * 60_000,
      hospital: {
        name: e.WARDLINE_ORG_NAME,
        address: e.WARDLINE_HOSPITAL_ADDRESS.split(';').map((line) => line.trim()),
        tollFreePhone: e.WARDLINE_PRIVACY_PHONE,
        email: e.WARDLINE_PRIVACY_EMAIL,
        website: e.WARDLINE_HOSPITAL_WEBSITE,
      },
    },
  };
  return deepFreeze(config);
}
