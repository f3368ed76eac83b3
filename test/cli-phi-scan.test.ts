import { runCli } from './support/cli.ts';
import { describe, expect, it } from 'vitest';

/** `wardline phi scan`, the real CLI in a child process: text or JSON lines in, findings as JSON lines out. */
async function scan(input: string): Promise<{ code: number | null; lines: Record<string, unknown>[]; raw: string }> {
  const r = await runCli(['phi', 'scan'], { input });
  return { code: r.code, raw: r.stdout, lines: r.stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>) };
}

describe('wardline phi scan (real CLI)', () => {
  it('writes one JSON line of findings per input line, types and offsets only', async () => {
    const r = await scan('Call Mary Johnson at 415-555-0132\n{"id":"a1","text":"MRN: 00123456"}\nYour appointment is tomorrow.\n');
    expect(r.code).toBe(0);
    expect(r.lines).toEqual([
      { line: 1, findings: [{ class: 'identifier', type: 'NAME', start: 5, end: 17 }, { class: 'identifier', type: 'PHONE', start: 21, end: 33 }] },
      { line: 2, id: 'a1', findings: [{ class: 'identifier', type: 'MRN', start: 5, end: 13 }] },
      { line: 3, findings: [] },
    ]);
    expect(r.raw).not.toContain('Mary');
    expect(r.raw).not.toContain('555-0132');
  });

  it('reports a JSON line without text and exits 1, without echoing it', async () => {
    const r = await scan('{"text": 12, "secret": "CANARY_PHI_SCAN"}\n');
    expect(r.code).toBe(1);
    expect(r.lines[0]).toMatchObject({ line: 1, error: expect.any(String) as unknown });
    expect(r.raw).not.toContain('CANARY_PHI_SCAN');
  });
});
