/**
 * Issue 19, crash-safety: a controller process is SIGKILLed at random moments and started again on
 * the same journal and the same simulated world (a state file the executor saves after every
 * change, on a wall clock whose origin outlives the process) until it ends; then nothing is lost:
 * every vjob submitted once and finished once, no action ended twice, every VM booted
 * once (none ran twice), every VM still there, shut down (no VM lost).
 *
 * The process is test/execute/killrestart/child.mjs on the built package (dist/; `npm test`
 * builds first). Its `standin` driver is a small write-ahead loop that checks the harness, the
 * journal and the executor's state file; its `controller` driver runs `createController`.
 * KILL_POINTS (default 50) sets how many kills land on the controller.
 */
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { openJournal } from '../../src/execute/controller/journal.js';
import type { JournalRecord, VjobSubmission } from '../../src/execute/controller/types.js';
import { simulatedExecutor } from '../../src/execute/simulated.js';
import { validateInstance, type InstanceJson } from '../../src/io/instance.js';
import type { Action } from '../../src/model/action.js';
import { createRandom } from '../../src/util/random.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CHILD = join(ROOT, 'test/execute/killrestart/child.mjs');
const BUILT = ['clock', 'controller/journal', 'simulated'].every((m) => existsSync(join(ROOT, `dist/src/execute/${m}.js`)));
const HAS_CONTROLLER = existsSync(join(ROOT, 'dist/src/execute/controller/controller.js'));
const KILL_POINTS = Number(process.env['KILL_POINTS'] ?? 50);
const SPEED = 40;

const work = mkdtempSync(join(tmpdir(), 'switchyard-killrestart-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const cap = { cpu: 8, memory: 8192 };
const INSTANCE: InstanceJson = {
  version: 1,
  nodes: [{ id: 'n1', capacity: cap }, { id: 'n2', capacity: cap }, { id: 'n3', capacity: cap }],
  vms: [],
  durations: { bandwidth: 1000, diskRate: 500, bootVm: 4, shutdownVm: 2 },
} as InstanceJson;
const JOBS: VjobSubmission[] = [0, 1, 2, 3].map((j) => ({ id: `j${j}`, vms: [0, 1].map((k) => ({ id: `j${j}.${k}`, demand: { cpu: 1, memory: 500 } })), work: 5 + 5 * j }));

interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Starts the child; kills it after `killAfterMs` (if still running); resolves when it has exited. */
function runChild(dir: string, driver: string, killAfterMs?: number): Promise<Exit & { readonly killed: boolean }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD, dir, driver, String(SPEED)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let killed = false;
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    const timer =
      killAfterMs === undefined
        ? setTimeout(() => child.kill('SIGKILL'), 60_000)
        : setTimeout(() => {
            killed = child.exitCode === null && child.kill('SIGKILL');
          }, killAfterMs);
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, killed: killed && signal === 'SIGKILL' });
    });
  });
}

/** What must hold once the process has ended after any number of kills. */
function checkNothingLost(dir: string, strictPairs: boolean): void {
  const opened = openJournal(join(dir, 'journal'));
  if (!opened.ok) throw new Error(opened.error.message);
  const recs: readonly JournalRecord[] = opened.journal.records;
  opened.journal.close();
  const count = (xs: readonly string[]): Record<string, number> => Object.fromEntries([...new Set(xs)].sort().map((x) => [x, xs.filter((y) => y === x).length]));
  const ids = JOBS.map((j) => j.id);
  const once = Object.fromEntries(ids.map((id) => [id, 1]));
  // every vjob submitted once (no input journaled twice across restarts), finished once
  expect(count(recs.flatMap((r) => (r.type === 'submit' ? [r.job.id] : [])))).toEqual(once);
  expect(count(recs.flatMap((r) => (r.type === 'finished' ? [r.vjob] : [])))).toEqual(once);
  // every action started ended exactly once
  const key = (d: number, a: number): string => `${d}/${a}`;
  const started = recs.flatMap((r) => (r.type === 'actionStarted' ? [key(r.decision, r.action)] : []));
  const ended = recs.flatMap((r) => (r.type === 'actionEnded' ? [key(r.decision, r.action)] : []));
  expect(new Set(started).size).toBe(started.length);
  expect(new Set(ended).size, 'an action ended twice').toBe(ended.length);
  expect(ended.filter((e) => !started.includes(e)), 'an action ended that never started').toEqual([]);
  // Both the stand-in and the controller journal how they settled each action in doubt.
  if (strictPairs) expect(count(ended)).toEqual(count(started));
  // every VM booted once: none ran twice
  const actions = new Map<string, Action>();
  for (const r of recs) if (r.type === 'plan') for (const a of r.actions) actions.set(key(r.decision, a.id), a);
  const boots = recs.flatMap((r) => {
    const a = r.type === 'actionEnded' && r.status === 'succeeded' ? actions.get(key(r.decision, r.action)) : undefined;
    return a?.type === 'boot' ? [a.vm] : [];
  });
  const vms = JOBS.flatMap((j) => j.vms.map((v) => v.id));
  expect(Object.values(count(boots)).filter((k) => k > 1), 'a VM booted twice by the journal').toEqual([]);
  if (strictPairs) expect(count(boots)).toEqual(Object.fromEntries(vms.map((v) => [v, 1])));
  // no VM lost: the world still has every VM, shut down; and the world booted each once
  const parsed = validateInstance(INSTANCE);
  if (!parsed.ok) throw new Error('bad test instance');
  const sim = simulatedExecutor(parsed.value, { stateFile: join(dir, 'world.json') });
  for (const v of vms) expect(sim.configuration.vms.get(v)?.state, `VM ${v}`).toBe('terminated');
  expect(Object.fromEntries(vms.map((v) => [v, sim.bootsOf(v)])), 'boots per VM, as the world counts them').toEqual(Object.fromEntries(vms.map((v) => [v, 1])));
  expect(recs.at(-1)?.type).toBe('stop');
}

async function killAndRestart(driver: string, points = KILL_POINTS): Promise<{ kills: number; scenarios: number }> {
  const rng = createRandom(19);
  let kills = 0;
  let scenarios = 0;
  while (kills < points && scenarios < points * 3) {
    const dir = mkdtempSync(join(work, `${driver}-`));
    writeFileSync(join(dir, 'workload.json'), JSON.stringify({ instance: INSTANCE, jobs: JOBS }));
    scenarios++;
    const times = 1 + Math.floor(rng.next() * 3);
    for (let i = 0; i < times && kills < points; i++) {
      const r = await runChild(dir, driver, 150 + rng.next() * 1500);
      if (r.code === 3) return { kills, scenarios: -1 };
      if (r.killed) kills++;
      else expect(r.code, r.stderr).toBe(0); // ended before the kill: it must have ended well
    }
    const last = await runChild(dir, driver);
    expect(last.code, last.stderr).toBe(0);
    expect(JSON.parse(last.stdout.trim().split('\n').at(-1)!)).toMatchObject({ done: true });
    try {
      checkNothingLost(dir, true);
    } catch (e) {
      // Keep the journal and the world of the failing run for a look.
      const kept = join(tmpdir(), `switchyard-killrestart-failed-${driver}-${process.pid}-${scenarios}`);
      cpSync(dir, kept, { recursive: true });
      throw new Error(`${(e as Error).message}\n(journal and world kept in ${kept})`, { cause: e });
    }
    rmSync(dir, { recursive: true, force: true });
  }
  return { kills, scenarios };
}

describe('kill and restart on the simulated executor (issue 19)', () => {
  // The harness itself, on a tiny write-ahead loop: a few kills suffice to show it catches nothing false.
  it.skipIf(!BUILT)('the write-ahead stand-in loses nothing over 10 random SIGKILLs', async () => {
    const { kills } = await killAndRestart('standin', 10);
    expect(kills).toBe(10);
  }, 900_000);

  it.skipIf(!BUILT || !HAS_CONTROLLER)(`the controller loses nothing over ${KILL_POINTS} random SIGKILLs`, async () => {
    const { kills, scenarios } = await killAndRestart('controller');
    expect(scenarios, 'the build has no createController').not.toBe(-1);
    expect(kills).toBe(KILL_POINTS);
  }, 900_000);

  // A journal left by a controller that was killed while its first boots were in flight, then
  // restarted and ran to its end (`stop`), and the world as it was then (every VM booted once, shut
  // down). Restarted once more, a controller must find nothing to do (it once booted every VM
  // again: the boots of decision 1 were settled with observe() and never journaled as ended; now
  // the settlement is journaled and `finished` records are honoured on replay).
  it.skipIf(!BUILT || !HAS_CONTROLLER)('a controller restarted on a finished journal with settled in-doubt boots does nothing again', async () => {
    const dir = mkdtempSync(join(work, 'fixture-'));
    cpSync(join(ROOT, 'test/execute/killrestart/fixtures/in-doubt-then-stop'), dir, { recursive: true });
    const before = openJournal(join(dir, 'journal'));
    if (!before.ok) throw new Error(before.error.message);
    const n = before.journal.records.length;
    before.journal.close();
    const r = await runChild(dir, 'controller');
    expect(r.code, r.stderr).toBe(0);
    const after = openJournal(join(dir, 'journal'));
    if (!after.ok) throw new Error(after.error.message);
    const added = after.journal.records.slice(n);
    after.journal.close();
    expect(added.filter((x) => (x.type === 'plan' && x.actions.length > 0) || x.type === 'actionStarted' || x.type === 'finished')).toEqual([]);
    const parsed = validateInstance(INSTANCE);
    if (!parsed.ok) throw new Error('bad test instance');
    const sim = simulatedExecutor(parsed.value, { stateFile: join(dir, 'world.json') });
    expect(JOBS.flatMap((j) => j.vms.map((v) => sim.bootsOf(v.id)))).toEqual(JOBS.flatMap((j) => j.vms.map(() => 1)));
  }, 60_000);

  it('the build is there (npm test builds before the tests)', () => {
    expect(BUILT, 'dist/src/execute is missing: run npm run build').toBe(true);
  });
});
