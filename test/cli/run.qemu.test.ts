/**
 * `switchyard run` on real QEMU guests: the built binary plays a generated 8-node / 40-guest
 * best-effort workload (arrivals, a reservation, a node failure and its repair) through the
 * controller, time compressed, and checks every guest against where the controller says it is.
 * Under CI=true it always runs (a missing QEMU fails it); without CI it skips, saying so.
 *
 * The workload's clock is shortened (event times, work and lead/tolerance divided by
 * {@link SHRINK}) so that the run takes about a minute of wall time on two cores at a moderate
 * `--speed` (real actions take real time: at a higher speed they would take far longer than
 * the duration model says, in workload seconds).
 */
import { execFile, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { findSwitchyardQemu } from '../../src/execute/qemu/process.js';
import { formatWorkload } from '../../src/io/workload.js';
import type { Workload } from '../../src/model/workload.js';
import { shrink } from '../support/workload.js';
import { generateWorkload } from '../../src/workload/families.js';

const CI = process.env.CI === 'true';
const haveQemu =
  spawnSync('qemu-system-x86_64', ['--version'], { stdio: 'ignore' }).status === 0 &&
  spawnSync('setpriv', ['--version'], { stdio: 'ignore' }).status === 0;
const SKIP = !haveQemu && !CI ? 'qemu-system-x86_64 or setpriv not installed (CI=true requires them)' : false;
if (SKIP) console.warn(`switchyard run on QEMU skipped: ${SKIP}`);

/** The workload's times and work are divided by this. */
const SHRINK = 10;
/** Workload seconds per wall second. */
const SPEED = 40;

interface RunJson {
  policies: Record<string, { x: { unfinished: number; decisions: number } }>;
  executor: string;
  verified: boolean;
  guests: { checked: number; running: number; sleeping: number; misplaced: unknown[] };
}

/** Runs the built binary on `w` with QEMU guests under a private TMPDIR; checks nothing is left behind. */
async function runOnQemu(w: Workload, label: string): Promise<{ code: number; json: RunJson; stderr: string }> {
  const bin = new URL('../../dist/src/cli/main.js', import.meta.url).pathname;
  expect(existsSync(bin), 'dist/src/cli/main.js is missing: run npm run build').toBe(true);
  // A private temp dir: the run's guests and sockets live under it, so the scan below finds
  // exactly this run's QEMU processes.
  const tmp = await mkdtemp('/tmp/syrun-');
  const file = join(tmp, 'w.json');
  await writeFile(file, formatWorkload(w));
  try {
    const t0 = Date.now();
    const r = await promisify(execFile)(process.execPath, [bin, 'run', file, '--executor', 'qemu', '--speed', String(SPEED), '--json'], {
      env: { ...process.env, TMPDIR: tmp },
      timeout: 200_000,
      maxBuffer: 64 * 1024 * 1024,
    }).then(
      (ok) => ({ code: 0, stdout: ok.stdout, stderr: ok.stderr }),
      (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
    );
    const wall = (Date.now() - t0) / 1000;
    const lines = r.stdout.trim().split('\n');
    const json = JSON.parse(lines[lines.length - 1]!) as RunJson;
    console.log(`switchyard run on QEMU (${label}) at ×${SPEED}: wall ${wall.toFixed(1)} s; ${r.stderr.split('\n').filter((l) => l.includes('guests where the controller says')).join('')}`);
    expect(await findSwitchyardQemu(tmp)).toEqual([]);
    expect((await readdir(tmp)).filter((f) => f !== 'w.json')).toEqual([]); // the run removed its directory
    return { code: r.code, json, stderr: r.stderr };
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

describe.skipIf(SKIP !== false)('switchyard run on real QEMU guests', () => {
  const w = shrink(generateWorkload('besteffort', { nodes: 8, vms: 40, seed: 1 }), SHRINK);
  const guests = w.events.flatMap((e) => (e.type === 'arrival' || e.type === 'reservation' ? e.job.vms : [])).length;

  it('8 nodes, 40 guests: the workload is played to its end, every guest where the controller says (none left running), nothing left behind', { timeout: 240_000 }, async () => {
    expect(guests).toBeGreaterThanOrEqual(40);
    expect(w.events.some((e) => e.type === 'failure')).toBe(true);
    const r = await runOnQemu(w, `8 nodes / ${guests} guests, to the end`);
    expect(r.code, r.stderr.slice(-4000)).toBe(0);
    expect(r.json.executor).toBe('qemu');
    expect(r.json.guests.misplaced).toEqual([]);
    expect(r.json.guests.checked).toBe(guests);
    expect(r.json.verified).toBe(true);
    expect(r.json.policies['switch']!.x.unfinished).toBe(0);
    expect(r.json.policies['switch']!.x.decisions).toBeGreaterThan(5);
    expect(r.stderr).toContain('nodeFailed');
  });

  it('stopped at a horizon mid-workload: the guests that run are each on the node the controller says', { timeout: 240_000 }, async () => {
    const failure = w.events.find((e) => e.type === 'failure')!;
    // after the failure, with vjobs still running
    const r = await runOnQemu({ ...w, horizon: failure.time + 300 }, `8 nodes, stopped at t=${failure.time + 300} s`);
    expect(r.code, r.stderr.slice(-4000)).toBe(0);
    expect(r.json.guests.misplaced).toEqual([]);
    expect(r.json.guests.running).toBeGreaterThan(0);
    expect(r.json.verified).toBe(true);
    expect(r.json.policies['switch']!.x.unfinished).toBeGreaterThan(0);
  });
});
