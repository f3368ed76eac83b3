/**
 * PHI scanner benchmark (issue 4): identifier recall on the development half of ASQ-PHI (synthetic SMS-length clinical
 * queries with tagged Safe-Harbor identifiers, MIT licence), per type, the share of hard negatives (queries without
 * identifiers) that get any identifier finding, and throughput on one core.
 *
 *   node bench/phi-scanner.bench.ts                 (data from ../shared/data/asq-phi/dev.txt, or BENCH_ASQ_PHI)
 *
 * A gold value counts as found when identifier findings cover every letter and digit of it. For comparison, the same
 * run scores an open-source detector from the npm registry, redact-pii (the `@libretto/redact-pii-light` build, MIT),
 * which returns redacted text rather than offsets: a gold value counts as found when it no longer appears verbatim.
 */
import { existsSync, readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { SyncRedactor } from '@libretto/redact-pii-light';
import { scanText } from '../src/core/phi/scanner.ts';

const path = process.env['BENCH_ASQ_PHI'] ?? '../shared/data/asq-phi/dev.txt';

interface Query {
  readonly text: string;
  readonly tags: { readonly type: string; readonly value: string }[];
}

function load(file: string): Query[] {
  const queries: Query[] = [];
  for (const block of readFileSync(file, 'utf8').split('===QUERY===').slice(1)) {
    const [text = '', tags = ''] = block.split('===PHI_TAGS===');
    queries.push({
      text: text.trim(),
      tags: tags
        .split('\n')
        .map((l) => l.trim())
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { identifier_type: string; value: string })
        .map((t) => ({ type: t.identifier_type, value: t.value })),
    });
  }
  return queries;
}

function covered(text: string, start: number, end: number, spans: readonly { start: number; end: number }[]): boolean {
  for (let i = start; i < end; i++) {
    if (!/[\p{L}\p{N}]/u.test(text[i] ?? '')) continue;
    if (!spans.some((s) => s.start <= i && i < s.end)) return false;
  }
  return true;
}

/** redact-pii on the same data: recall, hard negatives changed, messages/s. */
function baseline(queries: readonly Query[]): { recall: number; flagged: number; perSecond: number } {
  const redactor = new SyncRedactor();
  let found = 0;
  let total = 0;
  let negatives = 0;
  let flagged = 0;
  for (const q of queries) {
    const redacted = redactor.redact(q.text);
    if (q.tags.length === 0) {
      negatives++;
      if (redacted !== q.text) flagged++;
      continue;
    }
    for (const tag of q.tags) {
      total++;
      if (!redacted.includes(tag.value)) found++;
    }
  }
  let scanned = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < 2000) {
    for (const q of queries) redactor.redact(q.text);
    scanned += queries.length;
  }
  return { recall: found / total, flagged: flagged / Math.max(1, negatives), perSecond: scanned / ((performance.now() - t0) / 1000) };
}

function main(): void {
  if (!existsSync(path)) {
    console.log(`phi-scanner bench skipped: ${path} not found (set BENCH_ASQ_PHI)`);
    return;
  }
  const queries = load(path);
  const perType = new Map<string, { found: number; total: number }>();
  let found = 0;
  let total = 0;
  let negatives = 0;
  let flaggedNegatives = 0;
  const misses: string[] = [];
  for (const q of queries) {
    const spans = scanText(q.text).filter((f) => f.class === 'identifier');
    if (q.tags.length === 0) {
      negatives++;
      if (spans.length > 0) flaggedNegatives++;
      continue;
    }
    for (const tag of q.tags) {
      const start = q.text.indexOf(tag.value);
      const ok = start >= 0 && covered(q.text, start, start + tag.value.length, spans);
      const stat = perType.get(tag.type) ?? { found: 0, total: 0 };
      stat.total++;
      total++;
      if (ok) {
        stat.found++;
        found++;
      } else if (process.env['BENCH_DEBUG']) misses.push(`${tag.type}: ${tag.value}`);
      perType.set(tag.type, stat);
    }
  }
  // Throughput: scan the whole set repeatedly for about two seconds.
  let scanned = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < 2000) {
    for (const q of queries) scanText(q.text);
    scanned += queries.length;
  }
  const perSecond = scanned / ((performance.now() - t0) / 1000);
  console.log(`\nPHI scanner (identifier layer) on ASQ-PHI dev (${String(queries.length)} queries, ${String(total)} identifiers, ${String(negatives)} hard negatives)`);
  console.log(`  identifier recall ${(found / total).toFixed(3)}   hard negatives flagged ${((flaggedNegatives / Math.max(1, negatives)) * 100).toFixed(1)} %   throughput ${perSecond.toFixed(0)} messages/s (one core)`);
  for (const [type, s] of [...perType].sort((a, b) => b[1].total - a[1].total)) {
    console.log(`    ${type.padEnd(32)} ${(s.found / s.total).toFixed(3)}  (${String(s.found)}/${String(s.total)})`);
  }
  if (misses.length > 0) console.log(misses.join('\n'));
  const other = baseline(queries);
  console.log(`  baseline redact-pii (npm), same data: recall ${other.recall.toFixed(3)}   hard negatives changed ${(other.flagged * 100).toFixed(1)} %   throughput ${other.perSecond.toFixed(0)} messages/s`);
  console.log(JSON.stringify({ bench: 'phi-scanner-baseline', detector: 'redact-pii-light', recall: Number(other.recall.toFixed(4)), hard_negatives_flagged: Number(other.flagged.toFixed(4)), messages_per_s: Math.round(other.perSecond) }));
  console.log(JSON.stringify({ bench: 'phi-scanner', queries: queries.length, recall: Number((found / total).toFixed(4)), hard_negatives_flagged: Number((flaggedNegatives / Math.max(1, negatives)).toFixed(4)), messages_per_s: Math.round(perSecond) }));
}

main();
