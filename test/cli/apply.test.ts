/**
 * `switchyard apply` in-process: the simulated executor with and without faults (exit 0 / 4, the
 * JSON last line), node deaths, checkpoints and re-planning, plain lines versus a terminal bar,
 * every usage and input error (no stack trace), and one run on real QEMU guests.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { cmdApply } from '../../src/cli/apply.js';
import { runCli, type CliIo } from '../../src/cli/run.js';
import { parseInstance } from '../../src/io/instance.js';
import { formatPlan } from '../../src/io/plan.js';
import { heuristicSolver } from '../../src/place/place.js';
import { planInstance } from '../../src/pipeline.js';
import type { FeasiblePlan, Plan } from '../../src/plan/types.js';

interface Run {
  code: number;
  out: string;
  err: string;
}

function io(files: Record<string, string>): { io: CliIo; result: () => { out: string; err: string } } {
  let out = '';
  let err = '';
  let t = 0;
  return {
    io: {
      stdout: (s) => void (out += s),
      stderr: (s) => void (err += s),
      readFile: async (p) => {
        const v = files[p];
        if (v === undefined) throw Object.assign(new Error(`ENOENT: ${p}`), { code: 'ENOENT' });
        return v;
      },
      writeFile: async () => {},
      now: () => (t += 1),
    },
    result: () => ({ out, err }),
  };
}

async function run(argv: string[], files: Record<string, string>): Promise<Run> {
  const x = io(files);
  const code = await runCli(argv, x.io);
  return { code, ...x.result() };
}

const demoText = readFileSync(new URL('../../examples/demo.json', import.meta.url), 'utf8');
const demoParsed = parseInstance(demoText);
if (!demoParsed.ok) throw new Error('examples/demo.json does not parse');
const demo = demoParsed.value;
const demoPlan = (await planInstance(demo, { solver: heuristicSolver, seed: 1 })) as FeasiblePlan;
const files = { 'demo.json': demoText, 'plan.json': formatPlan(demoPlan) };

interface ApplyJson {
  complete: boolean;
  succeeded: number;
  failed: number;
  cancelled: number;
  skipped: number;
  actions: Record<string, { status: string; error: { code: string; message: string } | null }>;
  observed: { vms: Record<string, { state: string; host?: string }>; nodes: Record<string, string> };
  lost: string[];
  lostNodes: string[];
  recovered: { vm: string; image: string }[];
  rounds: unknown[];
}

function lastJson(out: string): ApplyJson {
  const lines = out.trimEnd().split('\n');
  return JSON.parse(lines[lines.length - 1]!) as ApplyJson;
}

function noStack(text: string): void {
  expect(text).not.toMatch(/\n\s+at /);
}

describe('switchyard apply --executor simulated', () => {
  it('carries the whole plan out: exit 0, the JSON last line, observed = the plan target', async () => {
    expect(demoPlan.actions.length).toBeGreaterThan(2);
    const r = await run(['apply', 'demo.json', 'plan.json', '--json'], files);
    expect(r.err).not.toContain('internal');
    expect(r.code).toBe(0);
    const j = lastJson(r.out);
    expect(j).toMatchObject({ complete: true, succeeded: demoPlan.actions.length, failed: 0, cancelled: 0, skipped: 0, lost: [] });
    expect(j.observed).toEqual(demoPlan.target);
    expect(Object.keys(j.actions).map(Number)).toEqual(demoPlan.actions.map((a) => a.id));
    expect(r.out.trimEnd().split('\n')).toHaveLength(1); // with --json, stdout is the JSON line alone
    expect(r.err).toMatch(/start {5}/); // progress as plain lines on standard error
  });

  it('--fault-rate: exit 4 when partly carried out, counts add up, failures named, deterministic for a seed', async () => {
    const argv = ['apply', 'demo.json', 'plan.json', '--fault-rate', '0.5', '--seed', '2', '--json'];
    const r = await run(argv, files);
    expect(r.code).toBe(4);
    const j = lastJson(r.out);
    expect(j.complete).toBe(false);
    expect(j.succeeded + j.failed + j.cancelled + j.skipped).toBe(demoPlan.actions.length);
    expect(j.failed).toBeGreaterThan(0);
    for (const a of Object.values(j.actions)) {
      if (a.status === 'succeeded') expect(a.error).toBeNull();
      else expect(a.error?.message.length).toBeGreaterThan(0);
    }
    expect(j.lost).toEqual([]);
    // Every VM of the instance is observed (no node died): in exactly one place.
    expect(Object.keys(j.observed.vms).sort()).toEqual([...demo.vms.keys()].sort());
    const again = await run(argv, files);
    const noWall = (t: string): string => t.replace(/"wallSeconds":[0-9.]+/, '');
    expect(noWall(again.out)).toBe(noWall(r.out)); // the same report...
    // ...and --fault-rate 1 fails every started action.
    const all = lastJson((await run(['apply', 'demo.json', 'plan.json', '--fault-rate', '1', '--json'], files)).out);
    expect(all.succeeded).toBe(0);
  });

  it('--kill-node: the node dies with its VMs; lost are exactly the VMs it held', async () => {
    const host = demoPlan.actions.find((a) => a.type === 'migrate')!;
    const node = host.type === 'migrate' ? host.to : '';
    const r = await run(['apply', 'demo.json', 'plan.json', '--kill-node', `${node}@0.5`, '--json'], files);
    expect(r.code).toBe(4);
    const j = lastJson(r.out);
    expect(j.lostNodes).toEqual([node]);
    expect(j.observed.nodes[node]).toBe('offline');
    const heldAtStart = [...demo.vms.values()].filter((v) => v.host === node && (v.state === 'running' || v.state === 'sleeping')).map((v) => v.id);
    expect(j.lost.sort()).toEqual(heldAtStart.sort());
    for (const vm of j.lost) expect(j.observed.vms[vm]).toBeUndefined();
    expect(Object.keys(j.observed.vms).length + j.lost.length).toBe(demo.vms.size);
  });

  it('--checkpoint-every and --replan: a best-effort VM of a dead node is resumed elsewhere', async () => {
    // x (best-effort, 1 GiB) sits on n1; y (8 GiB) migrates n2 → n3 for 8 s; n1 dies at 5 s.
    const instance = JSON.stringify({
      version: 1,
      nodes: ['n1', 'n2', 'n3'].map((id) => ({ id, capacity: { cpu: 8, memory: 16384 } })),
      vms: [
        { id: 'x', demand: { cpu: 1, memory: 1024 }, state: 'running', host: 'n1', vjob: 'be' },
        { id: 'y', demand: { cpu: 1, memory: 8192 }, state: 'running', host: 'n2' },
        { id: 'z', demand: { cpu: 1, memory: 1024 }, state: 'running', host: 'n1' },
      ],
      vjobs: [{ id: 'be', bestEffort: true }],
      // (Under the default minMigrations the re-plan leaves a sleeping vjob asleep: repair mode.)
      objective: { type: 'consolidate' },
    });
    const plan = {
      version: 1,
      status: 'feasible',
      actions: [{ id: 0, type: 'migrate', vm: 'y', from: 'n2', to: 'n3', start: 0, end: 8.192 }],
      target: { vms: { x: { state: 'running', host: 'n1' }, y: { state: 'running', host: 'n3' }, z: { state: 'running', host: 'n1' } }, nodes: { n1: 'online', n2: 'online', n3: 'online' } },
      stats: { nodesUsed: 2, lowerBound: 1, migrations: 1, migratedMemory: 8192, makespan: 8.192, solveMs: 0, planMs: 0 },
    };
    const f = { 'i.json': instance, 'p.json': JSON.stringify(plan) };
    const r = await run(['apply', 'i.json', 'p.json', '--kill-node', 'n1@5', '--checkpoint-every', '1', '--replan', '2', '--json'], f);
    const j = lastJson(r.out);
    expect(j.recovered).toMatchObject([{ vm: 'x', image: 'n2' }]);
    expect(j.lost).toEqual(['z']); // not best-effort: no checkpoint
    expect(j.rounds.length).toBe(2);
    expect(j.observed.vms['x']).toMatchObject({ state: 'running' });
    expect(r.err).toMatch(/re-plan: round 2/);
    expect(r.err).toMatch(/checkpoint x → n2/);
    // Without checkpoints, x is lost too.
    const bare = lastJson((await run(['apply', 'i.json', 'p.json', '--kill-node', 'n1@5', '--json'], f)).out);
    expect(bare.lost.sort()).toEqual(['x', 'z']);
  });

  it('a terminal gets a redrawn bar, a pipe gets lines', async () => {
    const x = io(files);
    expect(await cmdApply(x.io, ['demo.json', 'plan.json'], { stdout: true, stderr: false })).toBe(0);
    expect(x.result().out).toMatch(/\r\[#+\.*\] +\d+% \d+\/\d+/);
    expect(x.result().out).toMatch(/\[#{30}\] 100%/);
    const y = io(files);
    await cmdApply(y.io, ['demo.json', 'plan.json'], { stdout: false, stderr: false });
    expect(y.result().out).not.toContain('\r');
    expect(y.result().out).toMatch(/succeeded .*\[\d+\/\d+, \d+%\]/);
  });
});

describe('switchyard apply: bad input and usage', () => {
  const cases: [string, string[], number, RegExp][] = [
    ['bad fault rate', ['--fault-rate', '1.5'], 2, /--fault-rate must be a probability/],
    ['bad seed', ['--seed', 'x'], 2, /--seed must be an integer/],
    ['bad kill spec', ['--kill-node', 'n1'], 2, /--kill-node must be NODE@SECONDS/],
    ['negative kill time', ['--kill-node', 'n1@-3'], 2, /--kill-node must be NODE@SECONDS/],
    ['unknown kill node', ['--kill-node', 'ghost@3'], 2, /node "ghost", which the instance does not have/],
    ['unknown executor', ['--executor', 'vmware'], 2, /--executor must be/],
    ['simulation option on a real executor', ['--executor', 'qemu', '--fault-rate', '0.1'], 2, /--fault-rate only applies to --executor simulated/],
    ['kill-node on libvirt', ['--executor', 'libvirt', '--kill-node', 'n1@3'], 2, /--kill-node only applies to --executor simulated or qemu/],
    ['libvirt without URIs', ['--executor', 'libvirt'], 2, /needs a libvirt URI for every node: none for "n1"/],
    ['libvirt URI of an unknown node', ['--executor', 'libvirt', '--uri', 'zz=test:///default'], 2, /--uri names node "zz"/],
    ['unknown option', ['--frobnicate'], 2, /frobnicate/],
  ];
  for (const [name, extra, code, message] of cases) {
    it(name, async () => {
      const r = await run(['apply', 'demo.json', 'plan.json', ...extra], files);
      expect(r.code).toBe(code);
      expect(r.err).toMatch(message);
      noStack(r.err);
    });
  }

  it('wrong number of files, missing file, invalid instance', async () => {
    expect((await run(['apply', 'demo.json'], files)).code).toBe(2);
    const missing = await run(['apply', 'demo.json', 'nope.json'], files);
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/nope.json: cannot read: no such file/);
    const bad = await run(['apply', 'bad.json', 'plan.json'], { ...files, 'bad.json': '{"version":1,"nodes":[],"vms":[{"id":"a"}]}' });
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/bad.json: vms\[0\]/);
  });

  it('an invalid plan is not applied; an infeasible one has nothing to apply', async () => {
    const m = demoPlan.actions.find((a) => a.type === 'migrate')!;
    const broken: Plan = { ...demoPlan, actions: demoPlan.actions.map((a) => (a === m && a.type === 'migrate' ? { ...a, from: a.to } : a)) };
    const r = await run(['apply', 'demo.json', 'broken.json'], { ...files, 'broken.json': formatPlan(broken) });
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/not applied/);
    expect(r.out).not.toMatch(/start/);
    const inf = await run(['apply', 'demo.json', 'inf.json'], { ...files, 'inf.json': formatPlan({ version: 1, status: 'infeasible', actions: [], reasons: [{ message: 'no room' }] }) });
    expect(inf.code).toBe(3);
    expect(inf.err).toMatch(/infeasible: nothing to apply/);
  });

  it('help', async () => {
    const r = await run(['apply', '--help'], files);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/Exit codes: 0 every action succeeded, 4 the plan was only partly carried out/);
  });
});

const CI = process.env.CI === 'true';
const haveQemu = spawnSync('qemu-system-x86_64', ['--version'], { stdio: 'ignore' }).status === 0 && spawnSync('setpriv', ['--version'], { stdio: 'ignore' }).status === 0;
const SKIP = !haveQemu && !CI ? 'qemu-system-x86_64 or setpriv not installed (CI=true requires them)' : false;
if (SKIP) console.warn(`apply --executor qemu test skipped: ${SKIP}`);

describe.skipIf(SKIP !== false)(`switchyard apply --executor qemu${SKIP ? ` (skipped: ${SKIP})` : ''}`, () => {
  it('migrates real guests as the plan says and leaves no process behind', async () => {
    const instance = JSON.stringify({
      version: 1,
      nodes: [
        { id: 'n1', capacity: { cpu: 4, memory: 1024 } },
        { id: 'n2', capacity: { cpu: 4, memory: 1024 } },
      ],
      vms: [
        { id: 'a', demand: { cpu: 1, memory: 16 }, state: 'running', host: 'n1' },
        { id: 'b', demand: { cpu: 1, memory: 16 }, state: 'running', host: 'n2' },
      ],
    });
    const plan = {
      version: 1,
      status: 'feasible',
      actions: [
        { id: 0, type: 'migrate', vm: 'a', from: 'n1', to: 'n2', start: 0, end: 1 },
        { id: 1, type: 'migrate', vm: 'b', from: 'n2', to: 'n1', start: 1, end: 2, after: [0] },
      ],
      target: { vms: { a: { state: 'running', host: 'n2' }, b: { state: 'running', host: 'n1' } }, nodes: { n1: 'online', n2: 'online' } },
      stats: { nodesUsed: 2, lowerBound: 1, migrations: 2, migratedMemory: 32, makespan: 2, solveMs: 0, planMs: 0 },
    };
    const r = await run(['apply', 'i.json', 'p.json', '--executor', 'qemu', '--json'], { 'i.json': instance, 'p.json': JSON.stringify(plan) });
    expect(r.err).not.toMatch(/cannot set up/);
    expect(r.code).toBe(0);
    const j = lastJson(r.out);
    expect(j.observed).toEqual(plan.target);
    const left = spawnSync('pgrep', ['-f', 'switchyard-[ab]( |,|$)'], { encoding: 'utf8' });
    expect(left.stdout.trim()).toBe('');
    // --kill-node on real guests: n1 dies as the first migration runs; the run is only partly done.
    const k = await run(['apply', 'i.json', 'p.json', '--executor', 'qemu', '--kill-node', 'n1@0', '--json'], { 'i.json': instance, 'p.json': JSON.stringify(plan) });
    expect(k.code).toBe(4);
    const kj = lastJson(k.out);
    expect(kj.lostNodes).toEqual(['n1']);
    expect(kj.observed.nodes['n1']).toBe('offline');
    for (const vm of ['a', 'b']) expect(kj.lost.includes(vm) !== (kj.observed.vms[vm] !== undefined)).toBe(true);
    expect(kj.observed.vms['b']).toEqual({ state: 'running', host: 'n2' });
    expect(spawnSync('pgrep', ['-f', 'switchyard-[ab]( |,|$)'], { encoding: 'utf8' }).stdout.trim()).toBe('');
  }, 60_000);
});
