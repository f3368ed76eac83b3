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

const quietHours = z
  .string()
  .regex(/^(off|([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d)$/, "must be 'HH:MM-HH:MM' or 'off'");

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
    WARDLINE_SIMULATOR_LATENCY_MS: z.coerce.number().int().min(0).max(600_000).default(300),
    WARDLINE_SIMULATOR_FAILURE_RATE: z.coerce.number().min(0).max(1).default(0),
    WARDLINE_SIMULATOR_READ_RECEIPTS: bool.default(true),
    TWILIO_ACCOUNT_SID: z.string().optional(),
    TWILIO_AUTH_TOKEN: z.string().optional(),
    TWILIO_MESSAGING_SERVICE_SID: z.string().optional(),
    WHATSAPP_PHONE_NUMBER_ID: z.string().optional(),
    WHATSAPP_ACCESS_TOKEN: z.string().optional(),
    WHATSAPP_APP_SECRET: z.string().optional(),
    WHATSAPP_VERIFY_TOKEN: z.string().optional(),
  })
  .superRefine((env, ctx) => {
    const twilio = [env.TWILIO_ACCOUNT_SID, env.TWILIO_AUTH_TOKEN].filter(Boolean).length;
    if (twilio === 1) ctx.addIssue({ code: 'custom', path: ['TWILIO_AUTH_TOKEN'], message: 'TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN go together' });
    const wa = [env.WHATSAPP_PHONE_NUMBER_ID, env.WHATSAPP_ACCESS_TOKEN, env.WHATSAPP_APP_SECRET].filter(Boolean).length;
    if (wa > 0 && wa < 3) ctx.addIssue({ code: 'custom', path: ['WHATSAPP_ACCESS_TOKEN'], message: 'WHATSAPP_PHONE_NUMBER_ID, WHATSAPP_ACCESS_TOKEN and WHATSAPP_APP_SECRET go together' });
    if (env.WARDLINE_ENV !== 'production') return;
    if (twilio === 0 && wa === 0) ctx.addIssue({ code: 'custom', path: ['TWILIO_ACCOUNT_SID'], message: 'production needs a real carrier; the simulator is for development only' });
    if (!env.WARDLINE_ENCRYPTION_KEY) ctx.addIssue({ code: 'custom', path: ['WARDLINE_ENCRYPTION_KEY'], message: 'production needs an encryption key' });
    if (!env.WARDLINE_LOOKUP_KEY) ctx.addIssue({ code: 'custom', path: ['WARDLINE_LOOKUP_KEY'], message: 'production needs a lookup key' });
    if (!env.WARDLINE_PUBLIC_URL) ctx.addIssue({ code: 'custom', path: ['WARDLINE_PUBLIC_URL'], message: 'production needs the public URL' });
    if (env.WARDLINE_LOG_LEVEL === 'trace') ctx.addIssue({ code: 'custom', path: ['WARDLINE_LOG_LEVEL'], message: 'trace logging is not allowed in production' });
  });

export interface EncryptionKeyConfig {
  readonly id: string;
  readonly key: Secret<Buffer>;
}

export interface Config {
  readonly env: 'development' | 'production' | 'test';
  readonly http: { readonly port: number; readonly host: string; readonly publicUrl: string };
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
  readonly quietHours: { readonly start: string; readonly end: string } | 'off';
  readonly dispatcher: 'inline' | 'off';
  /** How long a successful token look-up is reused (0 disables the cache). */
  readonly tokenCacheMs: number;
  readonly carrier:
    | { readonly kind: 'simulator'; readonly latencyMs: number; readonly failureRate: number; readonly readReceipts: boolean }
    | { readonly kind: 'twilio' | 'whatsapp-cloud' };
}

/** Thrown when the environment is invalid; lists every problem by key name. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.problems = problems;
  }
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
    quietHours: e.WARDLINE_QUIET_HOURS === 'off' ? 'off' : { start: qStart, end: qEnd },
    dispatcher: e.WARDLINE_DISPATCHER,
    tokenCacheMs: e.WARDLINE_TOKEN_CACHE_MS,
    carrier:
      e.TWILIO_ACCOUNT_SID !== undefined
        ? { kind: 'twilio' }
        : e.WHATSAPP_PHONE_NUMBER_ID !== undefined
          ? { kind: 'whatsapp-cloud' }
          : {
              kind: 'simulator',
              latencyMs: e.WARDLINE_SIMULATOR_LATENCY_MS,
              failureRate: e.WARDLINE_SIMULATOR_FAILURE_RATE,
              readReceipts: e.WARDLINE_SIMULATOR_READ_RECEIPTS,
            },
  };
  return deepFreeze(config);
}
