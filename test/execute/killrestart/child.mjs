// A controller process for the kill/restart test (test/execute/killrestart.test.ts): it runs a
// small workload on the simulated executor, whose world lives in a state file, with a journal,
// on a wall clock whose origin is kept in a side file; the test SIGKILLs it at random moments and
// starts it again on the same files until it ends. It imports the built package (dist/).
//
//   node child.mjs <dir> <driver: standin|controller> <speed>
//
// <dir> holds workload.json (instance + jobs), and receives journal, world.json and origin.json.
// Prints one JSON line at the end: { done: true, records, restored } and exits 0.
// Exit 3: the controller driver was asked for but the build has no createController. Only the
// modules it needs are imported (a restart costs one process start).
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { wallClock } from '../../../dist/src/execute/clock.js';
import { openJournal } from '../../../dist/src/execute/controller/journal.js';
import { simulatedExecutor } from '../../../dist/src/execute/simulated.js';
import { validateInstance } from '../../../dist/src/io/instance.js';

const [dir, driver = 'standin', speedText = '40'] = process.argv.slice(2);
const speed = Number(speedText);
const spec = JSON.parse(readFileSync(join(dir, 'workload.json'), 'utf8'));
const parsed = validateInstance(spec.instance);
if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
const instance = parsed.value;

/** The clock's origin, written once (atomically) so that every restart goes on with the same time. */
function origin() {
  const file = join(dir, 'origin.json');
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')).origin;
  const o = Date.now() / 1000;
  const tmp = `${file}.tmp`;
  const fd = openSync(tmp, 'w');
  writeSync(fd, JSON.stringify({ origin: o }));
  fsyncSync(fd);
  closeSync(fd);
  renameSync(tmp, file);
  return o;
}

const clock = wallClock({ speed, origin: origin() });
const opened = openJournal(join(dir, 'journal'));
if (!opened.ok) {
  process.stderr.write(`${opened.error.message}\n`);
  process.exit(2);
}
const journal = opened.journal;
const sim = simulatedExecutor(instance, { clock, stateFile: join(dir, 'world.json') });
const ctx = () => ({ signal: new AbortController().signal, attempt: 1, expectedSeconds: 1 });

/**
 * A stand-in for the controller, write-ahead like it: inputs journaled once, each action journaled
 * before it is carried out and when it ends; restarted, it replays the journal, settles the actions
 * in doubt with observe(), and goes on. Each VM boots, runs its vjob's work, and shuts down.
 */
async function standin(jobs) {
  const recs = [...journal.records];
  const append = (r) => {
    journal.append(r);
    recs.push(r);
  };
  if (!recs.some((r) => r.type === 'start')) append({ type: 'start', time: clock.now(), seed: 1 });
  const submitted = new Set(recs.filter((r) => r.type === 'submit').map((r) => r.job.id));
  for (const job of jobs) if (!submitted.has(job.id)) append({ type: 'submit', time: clock.now(), job });
  const byId = new Map(recs.filter((r) => r.type === 'submit').map((r) => [r.job.id, r.job]));
  const finished = new Set(recs.filter((r) => r.type === 'finished').map((r) => r.vjob));
  const plans = new Map(recs.filter((r) => r.type === 'plan').map((r) => [r.decision, r.actions[0]]));
  const ended = new Set(recs.filter((r) => r.type === 'actionEnded').map((r) => r.decision));
  const bootEnd = new Map();
  for (const r of recs) if (r.type === 'actionEnded' && r.status === 'succeeded' && plans.get(r.decision).type === 'boot') bootEnd.set(plans.get(r.decision).vm, r.time);
  let decision = Math.max(0, ...plans.keys());
  const seen = await sim.observe();
  for (const r of recs.filter((x) => x.type === 'actionStarted' && !ended.has(x.decision))) {
    const a = plans.get(r.decision);
    const p = seen.vms.get(a.vm);
    const done = a.type === 'boot' ? p?.state === 'running' || p?.state === 'terminated' : p?.state === 'terminated';
    append({ type: 'actionEnded', time: clock.now(), decision: r.decision, action: a.id, status: done ? 'succeeded' : 'failed' });
    if (done && a.type === 'boot') bootEnd.set(a.vm, clock.now());
  }
  const nodes = [...instance.nodes.keys()];
  const run = async (a) => {
    const k = ++decision;
    append({ type: 'plan', time: clock.now(), decision: k, actions: [a] });
    append({ type: 'actionStarted', time: clock.now(), decision: k, action: a.id });
    const out = await sim.execute(a, ctx());
    append({ type: 'actionEnded', time: clock.now(), decision: k, action: a.id, status: out.ok ? 'succeeded' : 'failed' });
    if (out.ok && a.type === 'boot') bootEnd.set(a.vm, clock.now());
  };
  for (;;) {
    const w = await sim.observe();
    let open = 0;
    let wake = Infinity;
    const todo = [];
    for (const job of byId.values()) {
      if (finished.has(job.id)) continue;
      if (job.vms.every((v) => w.vms.get(v.id)?.state === 'terminated' && bootEnd.has(v.id))) {
        append({ type: 'finished', time: clock.now(), vjob: job.id });
        finished.add(job.id);
        continue;
      }
      open++;
      job.vms.forEach((v, i) => {
        const p = w.vms.get(v.id);
        if (p === undefined || p.state === 'waiting') {
          todo.push(async () => {
            if (p === undefined) await sim.define(v);
            await run({ id: 0, type: 'boot', vm: v.id, to: nodes[i % nodes.length], start: 0, end: 1 });
          });
        } else if (p.state === 'running') {
          const end = bootEnd.get(v.id) + job.work;
          if (clock.now() >= end) todo.push(() => run({ id: 1, type: 'shutdown', vm: v.id, from: p.host, start: 0, end: 1 }));
          else wake = Math.min(wake, end);
        }
      });
    }
    if (open === 0) break;
    if (todo.length === 0) await clock.sleep(Math.max(0, wake - clock.now()));
    else await Promise.all(todo.map((t) => t()));
  }
  append({ type: 'stop', time: clock.now() });
}

/** The real controller: inputs submitted once each (keyed), then its loop until idle. */
async function controller(jobs) {
  const sy = await import('../../../dist/src/index.js');
  if (typeof sy.createController !== 'function') process.exit(3);
  const keys = new Set(journal.records.map((r) => r.key).filter((k) => k !== undefined));
  const c = sy.createController({ instance, executor: sim, journal, clock });
  for (const job of jobs) if (!keys.has(`submit:${job.id}`)) c.submit(job, { key: `submit:${job.id}` });
  await c.run({ untilIdle: true });
}

await (driver === 'controller' ? controller(spec.jobs) : standin(spec.jobs));
const records = journal.records.length;
journal.close();
await sim.cleanup();
process.stdout.write(`${JSON.stringify({ done: true, records, restored: sim.restored ?? null })}\n`);
process.exit(0);
