import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.ts';

describe('configuration', () => {
  it('starts with zero configuration on PGlite in ./data with the simulator', () => {
    const config = loadConfig({});
    expect(config.database).toEqual({ kind: 'pglite', dataDir: './data' });
    expect(config.carriers.simulator).not.toBeNull();
    expect(config.carriers.twilio).toBeNull();
    expect(config.http.port).toBe(3000);
    expect(config.http.host).toBe('127.0.0.1');
    expect(Object.isFrozen(config.http)).toBe(true);
  });

  it('refuses production with the simulator or without keys, naming every key at once', () => {
    let error: unknown;
    try {
      loadConfig({ WARDLINE_ENV: 'production' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    expect(problems).toContain('TWILIO_ACCOUNT_SID');
    expect(problems).toContain('WARDLINE_ENCRYPTION_KEY');
    expect(problems).toContain('WARDLINE_LOOKUP_KEY');
  });

  it('reports invalid values by key, never echoing the value', () => {
    try {
      loadConfig({ PORT: 'CANARY_SECRET_PORT', DATABASE_URL: 'mysql://CANARY_SECRET' });
      expect.unreachable();
    } catch (e) {
      const text = (e as ConfigError).message;
      expect(text).toContain('PORT');
      expect(text).toContain('DATABASE_URL');
      expect(text).not.toContain('CANARY_SECRET');
    }
  });

  it('refuses a quiet-hours window that ends before it starts, and carrier settings that do not go together', () => {
    expect(() => loadConfig({ WARDLINE_QUIET_HOURS: '21:00-08:00' })).toThrow(/WARDLINE_QUIET_HOURS/);
    const problems = (() => {
      try {
        loadConfig({ TWILIO_ACCOUNT_SID: `AC${'0'.repeat(32)}`, TWILIO_RCS: 'true', TWILIO_FROM_NUMBER: '+15551230000', WHATSAPP_PHONE_NUMBER_ID: '12345678' });
        return '';
      } catch (e) {
        return (e as ConfigError).problems.join('\n');
      }
    })();
    expect(problems).toContain('TWILIO_AUTH_TOKEN');
    expect(problems).toContain('TWILIO_RCS');
    expect(problems).toContain('WHATSAPP_ACCESS_TOKEN');
    expect(problems).not.toContain('+15551230000');
  });

  it('reads the PHI policy, the secure-link lifetime and which proxies to trust', () => {
    const defaults = loadConfig({});
    expect(defaults.sendingPolicy.phi).toEqual({ clinical: 'secure', identifier: 'block' });
    expect(defaults.sendingPolicy.secureLinkTtlMs).toBe(72 * 3_600_000);
    expect(defaults.http.trustProxy).toBe(false);
    const set = loadConfig({ WARDLINE_PHI_POLICY: 'clinical:block', WARDLINE_SECURE_LINK_TTL_HOURS: '24', WARDLINE_TRUST_PROXY: '10.0.0.0/8,127.0.0.1' });
    expect(set.sendingPolicy.phi).toEqual({ clinical: 'block', identifier: 'block' });
    expect(set.sendingPolicy.secureLinkTtlMs).toBe(24 * 3_600_000);
    expect(set.http.trustProxy).toEqual(['10.0.0.0/8', '127.0.0.1']);
    expect(loadConfig({ WARDLINE_TRUST_PROXY: '1' }).http.trustProxy).toBe(1);
    for (const [key, value] of [['WARDLINE_PHI_POLICY', 'clinical:send'], ['WARDLINE_PHI_POLICY', 'billing:block'], ['WARDLINE_SECURE_LINK_TTL_HOURS', '0'], ['WARDLINE_TRUST_PROXY', 'everyone']] as const) {
      expect(() => loadConfig({ [key]: value }), `${key}=${value}`).toThrow(key);
    }
  });

  it('reads the incident reminder interval and the notice letters\' contact details (demo values by default)', () => {
    const defaults = loadConfig({});
    expect(defaults.incidents.reminderMs).toBe(60 * 60_000);
    expect(defaults.incidents.hospital).toMatchObject({ name: 'Wardline Demo Hospital', tollFreePhone: '1-800-555-0100' });
    const set = loadConfig({ WARDLINE_INCIDENT_REMINDER_MINUTES: '0', WARDLINE_HOSPITAL_ADDRESS: 'Privacy Office; 1 Main St; Town, ST 00001', WARDLINE_PRIVACY_EMAIL: 'privacy@example.org' });
    expect(set.incidents.reminderMs).toBe(0);
    expect(set.incidents.hospital.address).toEqual(['Privacy Office', '1 Main St', 'Town, ST 00001']);
    expect(set.incidents.hospital.email).toBe('privacy@example.org');
    for (const [key, value] of [['WARDLINE_INCIDENT_REMINDER_MINUTES', '-1'], ['WARDLINE_PRIVACY_EMAIL', 'not an address'], ['WARDLINE_HOSPITAL_ADDRESS', 'a;;b'], ['WARDLINE_HOSPITAL_WEBSITE', 'ftp://x.example']] as const) {
      expect(() => loadConfig({ [key]: value }), `${key}=${value}`).toThrow(key);
    }
  });

  it('reads the break-glass time and the security webhook (https, or http to loopback; URL and secret together)', () => {
    const defaults = loadConfig({});
    expect(defaults.security).toEqual({ breakGlassMs: 60 * 60_000, webhook: null });
    const secret = 'CANARY_WEBHOOK_SECRET_0123456789abcdef';
    const set = loadConfig({ WARDLINE_BREAKGLASS_MINUTES: '15', WARDLINE_SECURITY_WEBHOOK_URL: 'https://soc.example.org/wardline', WARDLINE_SECURITY_WEBHOOK_SECRET: secret });
    expect(set.security.breakGlassMs).toBe(15 * 60_000);
    expect(set.security.webhook?.url).toBe('https://soc.example.org/wardline');
    expect(set.security.webhook?.secret.expose()).toBe(secret);
    expect(JSON.stringify(set)).not.toContain('CANARY');
    expect(loadConfig({ WARDLINE_SECURITY_WEBHOOK_URL: 'http://127.0.0.1:9999/hook', WARDLINE_SECURITY_WEBHOOK_SECRET: secret }).security.webhook?.url).toBe('http://127.0.0.1:9999/hook');
    for (const [key, env] of [
      ['WARDLINE_BREAKGLASS_MINUTES', { WARDLINE_BREAKGLASS_MINUTES: '4' }],
      ['WARDLINE_BREAKGLASS_MINUTES', { WARDLINE_BREAKGLASS_MINUTES: '481' }],
      ['WARDLINE_SECURITY_WEBHOOK_URL', { WARDLINE_SECURITY_WEBHOOK_URL: 'http://soc.example.org/hook', WARDLINE_SECURITY_WEBHOOK_SECRET: secret }],
      ['WARDLINE_SECURITY_WEBHOOK_SECRET', { WARDLINE_SECURITY_WEBHOOK_URL: 'https://soc.example.org/hook' }],
      ['WARDLINE_SECURITY_WEBHOOK_URL', { WARDLINE_SECURITY_WEBHOOK_SECRET: secret }],
      ['WARDLINE_SECURITY_WEBHOOK_SECRET', { WARDLINE_SECURITY_WEBHOOK_URL: 'https://soc.example.org/hook', WARDLINE_SECURITY_WEBHOOK_SECRET: 'short' }],
    ] as const) {
      expect(() => loadConfig(env), JSON.stringify(env)).toThrow(key);
    }
  });

  it('never prints secrets', () => {
    const config = loadConfig({ DATABASE_URL: 'postgres://u:CANARY_PASSWORD@h/db', WARDLINE_ADMIN_TOKEN: 'CANARY_TOKEN_0123456789abcdefgh' });
    expect(JSON.stringify(config)).not.toContain('CANARY');
    expect(inspect(config, { depth: 10 })).not.toContain('CANARY');
  });
});
