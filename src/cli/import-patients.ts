 
import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { access, constants } from 'node:fs/promises';
import { SingleBar, Presets } from 'cli-progress';
import { Command } from 'commander';
import { CsvError, parse } from 'csv-parse';
import type { loadConfig } from '../config.ts';
import { bootstrapAdmin } from '../app/directory.ts';
import {
  ADMIN_ACTOR,
  checkHeader,
  formatIssue,
  importPatients,
  validateRows,
  type ImportRow,
} from '../app/import-patients.ts';
import { createContainer } from '../container.ts';

/** Thrown from the csv-parse `columns` hook when the header row is wrong. */
class HeaderError extends Error {
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super('invalid header');
    this.problems = problems;
  }
}

/**
 * Streams the data rows of a CSV file; the header row (line 1) names the columns.
 * @param file - the path
 */
async function* readRows(file: string): AsyncGenerator<ImportRow> {
  const parser = createReadStream(file).pipe(
    parse({
      bom: true,
      info: true,
      skip_empty_lines: true,
      columns: (header: string[]) => {
        const names = header.map((h) => h.trim());
        const problems = checkHeader(names);
        if (problems.length > 0) throw new HeaderError(problems);
        return names;
      },
    }),
  );
  for await (const item of parser as AsyncIterable<{ record: Record<string, string>; info: { lines: number } }>) {
    yield { line: item.info.lines, record: item.record };
  }
}

/** Progress on stderr: a bar on a terminal, otherwise a line at every 10 %. */
function progressReporter(total: number): { update: (done: number) => void; stop: () => void } {
  if (process.stderr.isTTY) {
    const bar = new SingleBar({ stream: process.stderr, format: 'importing [{bar}] {percentage}% | {value}/{total}' }, Presets.shades_classic);
    bar.start(total, 0);
    return { update: (done) => { bar.update(done); }, stop: () => { bar.stop(); } };
  }
  let lastTenth = 0;
  return {
    update(done) {
      const tenth = total === 0 ? 10 : Math.floor((done * 10) / total);
      if (tenth > lastTenth) {
        lastTenth = tenth;
        console.error(`importing: ${tenth * 10}% (${done}/${total})`);
      }
    },
    stop() {},
  };
}

/** A database error described without its message (which may quote values). */
function describeFailure(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === 'string' ? `${error.name} ${code}` : error.name;
  }
  return 'unknown error';
}

async function runImport(config: ReturnType<typeof loadConfig>, file: string, options: { skipInvalid: boolean }): Promise<number> {
  try {
    await access(file, constants.R_OK);
  } catch {
    console.error(`cannot read ${file}`);
    return 66;
  }
  const container = await createContainer(config);
  try {
    const { deps } = container;
    await bootstrapAdmin(deps, config.adminToken?.expose() ?? null);

    let result;
    try {
      result = await validateRows(deps, readRows(file));
    } catch (error) {
      if (error instanceof HeaderError) {
        for (const p of error.problems) console.error(`line 1: ${p}`);
      } else if (error instanceof CsvError) {
        // csv-parse messages may quote field values (PHI): report the code and line only.
        const line = (error as { lines?: unknown }).lines;
        console.error(`${typeof line === 'number' ? `line ${line}: ` : ''}malformed CSV (${error.code})`);
      } else {
        throw error;
      }
      console.error('nothing was imported');
      return 1;
    }

    for (const issue of result.issues) console.error(formatIssue(issue));
    if (result.badRows > 0 && !options.skipInvalid) {
      console.error(`${result.badRows} of ${result.rows} rows are invalid; nothing was imported (use --skip-invalid to import the valid rows)`);
      console.log(`imported 0 patients (${result.rows} rows skipped)`);
      return 1;
    }

    const progress = progressReporter(result.valid.length);
    let imported: number;
    try {
      ({ imported } = await importPatients(
        deps,
        { actor: ADMIN_ACTOR, requestId: `cli-import-${randomUUID()}`, via: 'cli', sourceAddress: 'cli' },
        result.valid,
        { onProgress: (done) => { progress.update(done); } },
      ));
    } catch (error) {
      progress.stop();
      console.error(`import failed (${describeFailure(error)}); the transaction was rolled back, nothing was imported`);
      return 1;
    } finally {
      progress.stop();
    }
    console.log(`imported ${imported} patients (${result.badRows} rows skipped)`);
    return 0;
  } finally {
    await container.close();
  }
}

/**
 * `wardline patients import FILE.csv [--skip-invalid]`: validates every row, then imports in one transaction
 * as the administrator. Bad rows are reported as `line N: <field> <reason>`, never with their values.
 * @param config - loads the configuration (exits on invalid configuration)
 */
export function importPatientsCommand(config: () => ReturnType<typeof loadConfig>): Command {
  const patients = new Command('patients').description('manage patients');
  patients
    .command('import')
    .description('import patients from a CSV file (header: givenName,familyName,birthDate,phone,whatsapp,language,timezone,wardId,mrn)')
    .argument('<file>', 'the CSV file')
    .option('--skip-invalid', 'import the valid rows and skip (and list) the invalid ones', false)
    .action(async (file: string, opts: { skipInvalid: boolean }) => {
      process.exitCode = await runImport(config(), file, { skipInvalid: opts.skipInvalid });
    });
  return patients;
}
