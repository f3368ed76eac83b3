/**
 * PHI scanner benchmark (issue 4): identifier recall on the development half of ASQ-PHI (synthetic SMS-length clinical
 * queries with tagged Safe-Harbor identifiers, MIT licence), per type, the share of hard negatives (queries without
 * identifiers) that get any identifier finding — both on identifier-class findings only — and throughput of the whole
 * scanner (identifier and clinical layers) on one core. Then the clinical layer on Wardline's own labelled set
 * (`test/fixtures/clinical-messages.jsonl`): message-level recall and false-positive rate (a message is flagged when
 * any clinical finding is present) and recall per clinical type (a labelled type is found when a finding of that type
 * is present).
 *
 *   node bench/phi-scanner.bench.ts                 (data from ../shared/data/asq-phi/dev.txt, or BENCH_ASQ_PHI)
 *
 * A gold value counts as found when identifier findings cover every letter and digit of it. For comparison, the same
 * run scores an open-source detector from the npm registry, redact-pii (the `@libretto/redact-pii-light` build, MIT),
 * which returns redacted text rather than offsets: a gold value counts as found when it no longer appears verbatim.
 */
import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { SyncRedactor } from '@libretto/redact-pii-light';
import { scanClinical } from '../src/core/phi/clinical.ts';
import { scanText } from '../src/core/phi/scanner.ts';

const path = process.env['BENCH_ASQ_PHI'] ?? '../shared/data/asq-phi/dev.txt';
const clinicalSet = new URL('../test/fixtures/clinical-messages.jsonl', import.meta.url);

/** The clinical layer on the labelled set; prints figures, never message text. */
function clinical(): void {
  const rows = readFileSync(clinicalSet, 'utf8')
    .split('\n')
    .filter((l) => l.trim().length > 0)
    .map((l) => JSON.parse(l) as { text: string; clinical: boolean; types: string[] });
  let tp = 0;
  let fp = 0;
  let positives = 0;
  const perType = new Map<string, { found: number; total: number }>();
  for (const row of rows) {
    const findings = scanText(row.text).filter((f) => f.class === 'clinical');
    if (row.clinical) {
      positives++;
      if (findings.length > 0) tp++;
    } else if (findings.length > 0) fp++;
    for (const type of row.types) {
      const stat = perType.get(type) ?? { found: 0, total: 0 };
      stat.total++;
      if (findings.some((f) => f.type === type)) stat.found++;
      perType.set(type, stat);
    }
  }
  const negatives = rows.length - positives;
  const recall = tp / Math.max(1, positives);
  const fpr = fp / Math.max(1, negatives);
  console.log(`\nPHI scanner (clinical layer) on the labelled clinical set (${String(rows.length)} messages, ${String(positives)} with clinical content)`);
  console.log(`  message-level recall ${recall.toFixed(3)} (${String(tp)}/${String(positives)})   false-positive rate ${(fpr * 100).toFixed(1)} % (${String(fp)}/${String(negatives)})`);
  for (const [type, s] of [...perType].sort((a, b) => b[1].total - a[1].total)) {
    console.log(`    ${type.padEnd(32)} ${(s.found / s.total).toFixed(3)}  (${String(s.found)}/${String(s.total)})`);
  }
  console.log(JSON.stringify({ bench: 'phi-scanner-clinical', messages: rows.length, recall: Number(recall.toFixed(4)), false_positive_rate: Number(fpr.toFixed(4)), per_type: Object.fromEntries([...perType].map(([t, s]) => [t, Number((s.found / s.total).toFixed(4))])) }));
}

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
    console.log(`phi-scanner bench, identifier part skipped: ${path} not found (set BENCH_ASQ_PHI)`);
    clinical();
    return;
  }
  const queries = load(path);
  const perType = new Map<string, { found: number; total: number }>();
  let found = 0;
  let total = 0;
  let negatives = 0;
  let flaggedNegatives = 0;
  let withClinical = 0;
  const misses: string[] = [];
  for (const q of queries) {
    const all = scanText(q.text);
    if (all.some((f) => f.class === 'clinical')) withClinical++;
    const spans = all.filter((f) => f.class === 'identifier');
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
  // Throughput of the whole scanner (identifier + clinical layers): scan the set repeatedly for about two seconds.
  let scanned = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < 2000) {
    for (const q of queries) scanText(q.text);
    scanned += queries.length;
  }
  const perSecond = scanned / ((performance.now() - t0) / 1000);
  // The clinical layer alone, same texts, for its share of the cost.
  let clinicalScanned = 0;
  const t1 = performance.now();
  while (performance.now() - t1 < 1000) {
    for (const q of queries) scanClinical(q.text);
    clinicalScanned += queries.length;
  }
  const clinicalPerSecond = clinicalScanned / ((performance.now() - t1) / 1000);
  console.log(`\nPHI scanner (identifier layer) on ASQ-PHI dev (${String(queries.length)} queries, ${String(total)} identifiers, ${String(negatives)} hard negatives)`);
  console.log(`  identifier recall ${(found / total).toFixed(3)}   hard negatives flagged ${((flaggedNegatives / Math.max(1, negatives)) * 100).toFixed(1)} % (identifier findings only)   throughput ${perSecond.toFixed(0)} messages/s (one core, identifier + clinical layers)`);
  console.log(`  clinical layer alone ${clinicalPerSecond.toFixed(0)} messages/s; load average ${loadavg().map((l) => l.toFixed(2)).join(' ')} on ${String(availableParallelism())} cores`);
  console.log(`  queries with a clinical finding (information only; ASQ-PHI queries are clinical questions): ${((withClinical / queries.length) * 100).toFixed(1)} %`);
  for (const [type, s] of [...perType].sort((a, b) => b[1].total - a[1].total)) {
    console.log(`    ${type.padEnd(32)} ${(s.found / s.total).toFixed(3)}  (${String(s.found)}/${String(s.total)})`);
  }
  if (misses.length > 0) console.log(misses.join('\n'));
  const other = baseline(queries);
  console.log(`  baseline redact-pii (npm), same data: recall ${other.recall.toFixed(3)}   hard negatives changed ${(other.flagged * 100).toFixed(1)} %   throughput ${other.perSecond.toFixed(0)} messages/s`);
  console.log(JSON.stringify({ bench: 'phi-scanner-baseline', detector: 'redact-pii-light', recall: Number(other.recall.toFixed(4)), hard_negatives_flagged: Number(other.flagged.toFixed(4)), messages_per_s: Math.round(other.perSecond) }));
  console.log(JSON.stringify({ bench: 'phi-scanner', queries: queries.length, recall: Number((found / total).toFixed(4)), hard_negatives_flagged: Number((flaggedNegatives / Math.max(1, negatives)).toFixed(4)), messages_per_s: Math.round(perSecond), clinical_layer_messages_per_s: Math.round(clinicalPerSecond) }));
  clinical();
}

main();
