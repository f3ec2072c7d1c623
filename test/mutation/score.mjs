// Per-file mutation scores from Stryker JSON reports (mutation-testing-report-schema), merged:
// `node test/mutation/score.mjs [report.json ...]` (default: every coverage/mutation/*.json).
// For each file: killed + timeout (detected), survived, no coverage, and the score
// detected / (detected + survived + no coverage); equivalent survivors are listed in docs/testing.md.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = 'coverage/mutation';
const args = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const reports = args.length > 0 ? args : readdirSync(dir).filter((f) => f.endsWith('.json') && !f.includes('incremental')).map((f) => join(dir, f));
const files = new Map();
for (const r of reports) {
  if (!existsSync(r)) {
    console.log(`(no report ${r}: that batch has not run)`);
    continue;
  }
  const report = JSON.parse(readFileSync(r, 'utf8'));
  // Batches over line ranges of one file add up.
  for (const [file, { mutants }] of Object.entries(report.files)) files.set(file, { mutants: [...(files.get(file)?.mutants ?? []), ...mutants] });
}
const pad = (s, n) => String(s).padStart(n);
console.log(`${'file'.padEnd(36)} ${pad('score', 7)} ${pad('killed', 7)} ${pad('timeout', 7)} ${pad('survived', 8)} ${pad('nocov', 6)} ${pad('errors', 6)}`);
const total = { Killed: 0, Timeout: 0, Survived: 0, NoCoverage: 0, errors: 0 };
for (const [file, { mutants }] of [...files].sort(([a], [b]) => a.localeCompare(b))) {
  const c = { Killed: 0, Timeout: 0, Survived: 0, NoCoverage: 0, errors: 0 };
  for (const m of mutants) {
    if (m.status in c) c[m.status]++;
    else c.errors++; // CompileError, RuntimeError, Ignored: not counted in the score
  }
  for (const k of Object.keys(total)) total[k] += c[k];
  const detected = c.Killed + c.Timeout;
  const valid = detected + c.Survived + c.NoCoverage;
  const score = valid === 0 ? 'n/a' : `${((100 * detected) / valid).toFixed(1)}%`;
  console.log(`${file.padEnd(36)} ${pad(score, 7)} ${pad(c.Killed, 7)} ${pad(c.Timeout, 7)} ${pad(c.Survived, 8)} ${pad(c.NoCoverage, 6)} ${pad(c.errors, 6)}`);
}
const detected = total.Killed + total.Timeout;
const valid = detected + total.Survived + total.NoCoverage;
console.log(`${'all'.padEnd(36)} ${pad(`${((100 * detected) / valid).toFixed(1)}%`, 7)} ${pad(total.Killed, 7)} ${pad(total.Timeout, 7)} ${pad(total.Survived, 8)} ${pad(total.NoCoverage, 6)} ${pad(total.errors, 6)}`);
if (process.argv.includes('--survivors')) {
  for (const [file, { mutants }] of files) {
    for (const m of mutants) {
      if (m.status === 'Survived' || m.status === 'NoCoverage') {
        console.log(`${file}:${m.location.start.line}:${m.location.start.column} ${m.status} ${m.mutatorName}: ${String(m.replacement ?? '').replace(/\s+/g, ' ').slice(0, 100)}`);
      }
    }
  }
}
