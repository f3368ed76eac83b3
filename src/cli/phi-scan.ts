import { createInterface } from 'node:readline';
import { Command } from 'commander';
import { scanText } from '../core/phi/scanner.ts';

/**
 * `wardline phi scan`: reads text lines (or JSON lines `{"id": …, "text": …}`) on stdin and writes one JSON line of
 * findings per input line — types and offsets, never the matched text — for batch checks of outgoing wording.
 */
export function phiScanCommand(): Command {
  return new Command('phi')
    .description('PHI scanner')
    .addCommand(
      new Command('scan').description('scan text lines or JSON lines {id, text} from stdin; write findings as JSON lines').action(async () => {
        const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
        let n = 0;
        let bad = 0;
        for await (const line of lines) {
          n += 1;
          let id: unknown;
          let text = line;
          if (line.trimStart().startsWith('{')) {
            try {
              const parsed = JSON.parse(line) as { id?: unknown; text?: unknown };
              if (typeof parsed.text !== 'string') throw new Error('no text');
              text = parsed.text;
              id = parsed.id;
            } catch {
              bad += 1;
              process.stdout.write(`${JSON.stringify({ line: n, error: 'not a JSON object with a string "text"' })}\n`);
              continue;
            }
          }
          const findings = scanText(text).map((f) => ({ class: f.class, type: f.type, start: f.start, end: f.end }));
          process.stdout.write(`${JSON.stringify({ line: n, ...(id === undefined ? {} : { id }), findings })}\n`);
        }
        if (bad > 0) process.exitCode = 1;
      }),
    );
}
