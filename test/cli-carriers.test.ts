import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, type CliResult } from './support/cli.ts';
import { startTwilioStandIn, type TwilioStandIn } from './support/twilio-standin.ts';

/**
 * `wardline carriers check`, the real CLI in a child process, against the loopback Twilio stand-in (Twilio itself
 * cannot be reached from tests): it validates the configuration, asks the carrier read-only, and never sends.
 */
const ACCOUNT_SID = `AC${'c3'.repeat(16)}`;
const AUTH_TOKEN = 'cli_check_auth_token_0123456789';
const SERVICE_SID = `MG${'d4'.repeat(16)}`;

/** The check with exactly this environment (nothing inherited: a developer's own TWILIO_* must not leak in). */
function runCheck(env: Record<string, string>): Promise<CliResult> {
  return runCli(['carriers', 'check'], { env: { PATH: process.env['PATH'] ?? '', WARDLINE_DATA_DIR: ':memory:', ...env } });
}

describe('wardline carriers check (real CLI)', () => {
  let twilio: TwilioStandIn;
  beforeAll(async () => {
    twilio = await startTwilioStandIn({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN, services: [{ sid: SERVICE_SID }] });
  });
  afterAll(async () => {
    await twilio?.close();
  });

  const env = (overrides: Record<string, string> = {}): Record<string, string> => ({
    TWILIO_ACCOUNT_SID: ACCOUNT_SID,
    TWILIO_AUTH_TOKEN: AUTH_TOKEN,
    TWILIO_MESSAGING_SERVICE_SID: SERVICE_SID,
    TWILIO_API_URL: twilio.url,
    ...overrides,
  });

  it('passes a good configuration, read-only: nothing is sent', async () => {
    const before = twilio.sent.length;
    const r = await runCheck(env());
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('twilio:');
    expect(r.stdout).toContain('All carrier checks passed');
    expect(twilio.sent.length).toBe(before);
    expect(twilio.requests.every((req) => req.method === 'GET')).toBe(true);
  });

  it('fails a wrong auth token, naming the setting and never printing a secret', async () => {
    const r = await runCheck(env({ TWILIO_AUTH_TOKEN: 'wrong_auth_token_ABCDEF0123456' }));
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('FAIL');
    expect(r.stdout).toContain('TWILIO_AUTH_TOKEN');
    expect(r.stdout + r.stderr).not.toContain('wrong_auth_token_ABCDEF0123456');
    expect(r.stdout + r.stderr).not.toContain(AUTH_TOKEN);
  });

  it('fails an unknown Messaging Service', async () => {
    const r = await runCheck(env({ TWILIO_MESSAGING_SERVICE_SID: `MG${'ee'.repeat(16)}` }));
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('TWILIO_MESSAGING_SERVICE_SID');
  });

  it('refuses a misconfiguration at start with a clear error naming the setting, not its value', async () => {
    const r = await runCheck({ TWILIO_ACCOUNT_SID: ACCOUNT_SID, TWILIO_RCS: 'true', TWILIO_FROM_NUMBER: '+15551230000' });
    expect(r.code).toBe(78);
    expect(r.stderr).toContain('TWILIO_AUTH_TOKEN');
    expect(r.stderr).toContain('TWILIO_RCS');
    expect(r.stderr).not.toContain(ACCOUNT_SID);
  });

  it('says when no carrier is configured (the simulator carries messages)', async () => {
    const r = await runCheck({});
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('simulator');
  });
});
