/**
 * `switchyard run` without real guests: its arguments, exit codes, live view, guest check and
 * report, with a fake player where the controller would play; and that `run --executor
 * simulated` prints the report of `switchyard simulate` for the same seed and policy.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  cmdRun,
  EMPTY_RUN_VIEW,
  ExpectedWorld,
  misplacedGuests,
  parseRunArguments,
  runViewLines,
  updateRunView,
  type RunPlayer,
  type WorkloadExecutor,
} from '../../src/cli/play.js';
import type { ControllerEvent, ControllerReport } from '../../src/execute/controller/types.js';
import { formatWorkload, parseWorkload } from '../../src/io/workload.js';
import { Configuration, placement } from '../../src/model/configuration.js';
import { Map as IMap } from 'immutable';
import { generateWorkload } from '../../src/workload/families.js';
import { makeInstance } from '../../src/model/instance.js';
import type { Action } from '../../src/model/action.js';
import { memoryIo, runInMemory } from '../support/cli.js';

const SMALL = formatWorkload(generateWorkload('besteffort', { nodes: 4, vms: 6, seed: 3, horizon: 4 * 3600 }));


const METRICS: ControllerReport['metrics'] = {
  lostComputeSeconds: 0,
  meanCompletion: 0,
  p95Completion: 0,
  meanCompletionBestEffort: 10,
  utilization: 0.5,
  migrations: 1,
  suspends: 0,
  resumes: 0,
  nodeHours: 1,
  reservationsLate: 0,
  x: { lostBestEffortSeconds: 0, migratedMemory: 0, suspendedMemory: 0, resumedMemory: 0, kills: 0, p95CompletionBestEffort: 10, reservations: 0, reservationsLateNodeDown: 0, rehomes: 0, reservationDelay: 0, unfinished: 0, decisions: 1, infeasibleDecisions: 0, end: 10 },
};

const boot = (vm: string, to: string, id = 0): Action => ({ id, start: 0, end: 1, type: 'boot', vm, to });

/** A world of one node where `vm` is observed as `seen`. */
function fakeExecutor(seen: Record<string, ReturnType<typeof placement>>): WorkloadExecutor {
  const config = new Configuration({ vms: IMap(Object.entries(seen)), nodes: IMap([['n0', 'online' as const]]) });
  return {
    name: 'fake',
    execute: () => Promise.resolve({ ok: true }),
    observe: () => Promise.resolve(config),
    define: () => Promise.resolve({ ok: true }),
    killNode: () => Promise.resolve(),
    repairNode: () => Promise.resolve(),
  };
}

const TINY = JSON.stringify({
  version: 1,
  instance: { version: 1, nodes: [{ id: 'n0', capacity: { cpu: 4, memory: 1024 } }], vms: [] },
  events: [{ type: 'arrival', time: 0, job: { id: 'j', work: 10, vms: [{ id: 'a', demand: { cpu: 1, memory: 16 } }] } }],
});

/** A player that boots `a` on n0 and finishes (as a controller would report it). */
const fakePlayer: RunPlayer = async (setup) => {
  const events: ControllerEvent[] = [
    { type: 'submitted', time: 0, vjob: 'j' },
    { type: 'decision', time: 0, decision: 1, plan: { status: 'infeasible', reasons: [] } as never },
    { type: 'actionStarted', time: 0, decision: 1, action: boot('a', 'n0') },
    { type: 'actionEnded', time: 1, decision: 1, action: boot('a', 'n0'), status: 'succeeded' },
    { type: 'idle', time: 11 },
  ];
  for (const e of events) setup.onEvent(e);
  return { report: { policy: setup.policy, metrics: METRICS, jobs: [] } };
};

describe('switchyard run: arguments', () => {
  it('defaults: simulated, virtual time, switch, seed 1', () => {
    expect(parseRunArguments(['w.json'])).toEqual({ ok: true, value: { file: 'w.json', executor: 'simulated', speed: undefined, policy: 'switch', seed: 1, journal: undefined, json: false } });
    expect(parseRunArguments(['w.json', '-e', 'qemu', '--speed', '250.5', '-p', 'kill', '-s', '7', '--journal', 'j.log', '--json'])).toEqual({
      ok: true,
      value: { file: 'w.json', executor: 'qemu', speed: 250.5, policy: 'kill', seed: 7, journal: 'j.log', json: true },
    });
  });
  it.each([
    [['w.json', '--speed', '0'], '--speed must be a number > 0, got "0"'],
    [['w.json', '--speed=-3'], '--speed must be a number > 0, got "-3"'],
    [['w.json', '--speed', 'fast'], '--speed must be a number > 0'],
    [['w.json', '--speed', 'Infinity'], '--speed must be a number > 0'],
    [['w.json', '--executor', 'xen'], '--executor must be simulated, qemu or libvirt, got "xen"'],
    [['w.json', '--policy', 'greedy'], '--policy must be one of'],
    [['w.json', '--seed', '1.5'], '--seed must be an integer'],
    [['w.json', '--journal', ''], '--journal needs a file name'],
    [[], 'takes 1 file argument'],
    [['a', 'b'], 'takes 1 file argument'],
    [['w.json', '--bogus'], "Unknown option '--bogus'"],
  ])('%j is a usage error: %s', async (args, message) => {
    const r = parseRunArguments(args);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.message).toContain(message);
    const cli = await runInMemory(['run', ...args], new Map([['w.json', SMALL]]));
    expect(cli.code).toBe(2);
    expect(cli.err).toContain(message);
    expect(cli.err).not.toMatch(/\n\s+at /); // no stack trace
  });
  it('help: switchyard run --help, and the main help lists it', async () => {
    const help = await runInMemory(['run', '--help']);
    expect(help.code).toBe(0);
    expect(help.out).toContain('Usage: switchyard run WORKLOAD');
    expect((await runInMemory(['--help'])).out).toContain('switchyard run WORKLOAD');
  });
});

describe('switchyard run: bad workloads exit 1 naming the field, never with a stack trace', () => {
  it.each([
    ['not json', '{', 'w.json: '],
    ['a negative speed of work', JSON.stringify({ ...JSON.parse(TINY), events: [{ type: 'arrival', time: 0, job: { id: 'j', work: -1, vms: [{ id: 'a', demand: { cpu: 1 } }] } }] }), 'events[0].job.work'],
    ['an unknown node', JSON.stringify({ ...JSON.parse(TINY), events: [{ type: 'failure', time: 5, node: 'nX' }] }), 'events[0].node'],
  ])('%s', async (_name, text, field) => {
    const cli = await runInMemory(['run', 'w.json'], new Map([['w.json', text]]));
    expect(cli.code).toBe(1);
    expect(cli.err).toContain(field);
    expect(cli.err).not.toMatch(/\n\s+at /);
  });
  it('a missing file', async () => {
    const cli = await runInMemory(['run', 'nope.json']);
    expect(cli.code).toBe(1);
    expect(cli.err).toContain('nope.json: cannot read: no such file');
  });
});

describe('switchyard run: live view', () => {
  it('a pure reduction of the events into lines', () => {
    const events: ControllerEvent[] = [
      { type: 'submitted', time: 0, vjob: 'b0' },
      { type: 'actionStarted', time: 1, decision: 1, action: { id: 3, start: 0, end: 1, type: 'migrate', vm: 'b0v0', from: 'n1', to: 'n2' } },
      { type: 'nodeFailed', time: 2, node: 'n3', lostVjobs: ['b1'] },
      { type: 'aborted', time: 2, vjob: 'b1', discarded: 120 },
    ];
    const v = events.reduce(updateRunView, EMPTY_RUN_VIEW);
    expect(v).toMatchObject({ time: 2, submitted: 1, aborted: 1, failedNodes: ['n3'] });
    expect([...v.inFlight.values()]).toEqual(['migrate b0v0 n1→n2']);
    const lines = runViewLines(v, 'run: w on qemu', 1.25);
    expect(lines[0]).toBe('run: w on qemu  t=2 s, wall 1.3 s');
    expect(lines[2]).toContain('1 under way: migrate b0v0 n1→n2');
    expect(lines[3]).toContain('down: n3');
    expect(lines[4]).toContain('aborted    b1 (120 s of work discarded)');
    expect(EMPTY_RUN_VIEW.submitted).toBe(0); // unchanged
    const ended = updateRunView(v, { type: 'actionEnded', time: 3, decision: 1, action: { id: 3, start: 0, end: 1, type: 'migrate', vm: 'b0v0', from: 'n1', to: 'n2' }, status: 'succeeded' });
    expect(ended.inFlight.size).toBe(0);
    expect(ended.actionsSucceeded).toBe(1);
    expect(runViewLines(ended, 'x'.repeat(200), 0, 60).every((l) => l.length <= 60)).toBe(true);
  });
  it('one line per event when not a terminal', async () => {
    const files = new Map([['w.json', TINY]]);
    const m = memoryIo(files);
    const code = await cmdRun(m.io, ['w.json', '--executor', 'qemu', '--speed', '100'], { tty: false, player: fakePlayer, realWorld: async () => ({ executor: fakeExecutor({ a: placement('running', 'n0') }), cleanup: async () => undefined }), onInterrupt: () => () => undefined });
    expect(code).toBe(0);
    const lines = m.out().split('\n');
    expect(lines).toContain('t=0.0 s  submitted  j');
    expect(lines).toContain('t=1.0 s  actionEnded #1 boot a →n0: succeeded');
    expect(lines).toContain('t=11.0 s  idle       nothing left to do');
    expect(m.out()).toContain('1/1 guests where the controller says');
  });
  it('redrawn in place on a terminal', async () => {
    const m = memoryIo(new Map([['w.json', TINY]]));
    expect(await cmdRun(m.io, ['w.json'], { tty: true, player: fakePlayer, onInterrupt: () => () => undefined })).toBe(0);
    expect(m.out()).toMatch(/\x1b\[5F/); // cursor back up over the 5-line block
  });
});

describe('switchyard run: the guest check and exit codes', () => {
  const real = (seen: Record<string, ReturnType<typeof placement>>) => async () => ({ executor: fakeExecutor(seen), cleanup: async () => undefined });
  it('exit 4 when a guest is not where the controller says; the report is still printed', async () => {
    const m = memoryIo(new Map([['w.json', TINY]]));
    const code = await cmdRun(m.io, ['w.json', '-e', 'qemu', '--json'], { tty: false, player: fakePlayer, realWorld: real({ a: placement('running', 'n9') }), onInterrupt: () => () => undefined });
    expect(code).toBe(4);
    expect(m.err()).toContain('✗ a: the controller says running@n0, the qemu executor shows running@n9');
    const last = JSON.parse(m.out().trim().split('\n').pop()!);
    expect(last.verified).toBe(false);
    expect(last.guests.misplaced).toEqual([{ vm: 'a', expected: 'running@n0', observed: 'running@n9' }]);
    expect(Object.keys(last.policies.switch)).toEqual(['lostComputeSeconds', 'meanCompletion', 'p95Completion', 'meanCompletionBestEffort', 'utilization', 'migrations', 'suspends', 'resumes', 'nodeHours', 'reservationsLate', 'x']);
  });
  it('exit 1 when the executor cannot be set up', async () => {
    const m = memoryIo(new Map([['w.json', TINY]]));
    const code = await cmdRun(m.io, ['w.json', '-e', 'libvirt'], { tty: false, player: fakePlayer, realWorld: () => Promise.reject(new Error('no libvirtd')), onInterrupt: () => () => undefined });
    expect(code).toBe(1);
    expect(m.err()).toContain('cannot set up the libvirt executor: no libvirtd');
  });
  it('exit 130 when interrupted; the world is cleaned up', async () => {
    const m = memoryIo(new Map([['w.json', TINY]]));
    let fire: (s: string) => void = () => undefined;
    let cleaned = 0;
    const player: RunPlayer = async (setup) => {
      fire('SIGINT');
      expect(setup.signal.aborted).toBe(true);
      return { report: { policy: setup.policy, metrics: METRICS, jobs: [] } };
    };
    const code = await cmdRun(m.io, ['w.json', '-e', 'qemu'], {
      tty: false,
      player,
      realWorld: async () => ({ executor: fakeExecutor({}), cleanup: async () => void cleaned++ }),
      onInterrupt: (h) => ((fire = h), () => undefined),
    });
    expect(code).toBe(130);
    expect(cleaned).toBeGreaterThan(0);
    expect(m.err()).toContain('SIGINT: stopping every guest');
  });
  it('misplacedGuests: waiting, terminated and absent count as not running; stray running guests are caught', () => {
    const cfg = (vms: Record<string, ReturnType<typeof placement>>): Configuration => new Configuration({ vms: IMap(Object.entries(vms)), nodes: IMap() });
    expect(misplacedGuests(cfg({ a: placement('terminated'), b: placement('waiting') }), cfg({ b: placement('terminated') }))).toEqual([]);
    expect(misplacedGuests(cfg({ a: placement('sleeping', 'n1') }), cfg({ a: placement('sleeping', 'n2'), z: placement('running', 'n1') }))).toEqual([
      { vm: 'a', expected: 'sleeping@n1', observed: 'sleeping@n2' },
      { vm: 'z', expected: 'absent', observed: 'running@n1' },
    ]);
  });
  it('ExpectedWorld follows submissions, actions, failures and aborts', () => {
    const w = parseWorkload(TINY);
    if (!w.ok) throw new Error('bad fixture');
    const x = new ExpectedWorld(w.value);
    x.apply({ type: 'submitted', time: 0, vjob: 'j' });
    expect(x.configuration.vms.get('a')?.state).toBe('waiting');
    x.apply({ type: 'actionEnded', time: 1, decision: 1, action: boot('a', 'n0'), status: 'succeeded' });
    expect(x.configuration.vms.get('a')?.host).toBe('n0');
    x.apply({ type: 'nodeFailed', time: 2, node: 'n0', lostVjobs: ['j'] });
    expect(x.configuration.vms.get('a')?.state).toBe('waiting');
    expect(x.configuration.nodes.get('n0')).toBe('offline');
    // a decision: the controller's own view wins (it reconciled with the executor)
    x.decided(makeInstance({ nodes: [{ id: 'n0', capacity: { cpu: 4, memory: 1024 } }], vms: [{ id: 'a', demand: { cpu: 1, memory: 16 }, state: 'running', host: 'n0' }] }));
    expect(x.configuration.vms.get('a')?.host).toBe('n0');
    expect(x.configuration.nodes.get('n0')).toBe('online');
  });
});

describe('switchyard run --executor simulated and switchyard simulate', () => {
  it.each(['switch', 'kill'])('print the same JSON report for the same seed (policy %s)', { timeout: 120_000 }, async (policy) => {
    const files = new Map([['w.json', SMALL]]);
    const sim = await runInMemory(['simulate', 'w.json', '--policy', policy, '--seed', '5', '--json'], files);
    const run = await runInMemory(['run', 'w.json', '--executor', 'simulated', '--policy', policy, '--seed', '5', '--json'], files);
    expect(sim.code).toBe(0);
    expect(run.code, run.err).toBe(0);
    const last = (s: string): Record<string, unknown> => JSON.parse(s.trim().split('\n').pop()!) as Record<string, unknown>;
    expect(last(run.out)['policies']).toEqual(last(sim.out)['policies']);
    expect(last(run.out)).toMatchObject({ executor: 'simulated', speed: null, verified: true, guests: { misplaced: [] } });
    // and the same table
    expect(run.out).toContain(sim.out.split('\n').slice(0, 2).join('\n'));
  });
});


describe('switchyard run --journal and --speed on the simulated executor', () => {
  it('a run on a journal, then a run on the same journal: the first reports as simulate, the second takes over the finished books', { timeout: 120_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'syrun-j-'));
    try {
      const files = new Map([['w.json', SMALL]]);
      const journal = join(dir, 'run.journal');
      const sim = await runInMemory(['simulate', 'w.json', '--policy', 'switch', '--json'], files);
      const first = await runInMemory(['run', 'w.json', '--journal', journal, '--json'], files);
      expect(first.code, first.err).toBe(0);
      expect(existsSync(journal)).toBe(true);
      expect(existsSync(`${journal}.world`)).toBe(true);
      const last = (s: string): Record<string, unknown> => JSON.parse(s.trim().split('\n').pop()!) as Record<string, unknown>;
      expect(last(first.out)['policies']).toEqual(last(sim.out)['policies']);
      const again = await runInMemory(['run', 'w.json', '--journal', journal, '--json'], files);
      expect(again.code, again.err).toBe(0);
      expect(again.err).toMatch(/recovered .*journal records replayed/);
      const x = (r: Record<string, unknown>): { unfinished: number } => (r['policies'] as { switch: { x: { unfinished: number } } }).switch.x;
      expect(x(last(again.out)).unfinished).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  // Known: the controller's replay of a finished journal does not re-home the reservation as the
  // live run did (rehomes 1 → 0, reservationDelay 10 → 1170, one more decision). Flips when fixed.
  it('the run replayed from a finished journal reports the same figures', { timeout: 120_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'syrun-j-'));
    try {
      const files = new Map([['w.json', SMALL]]);
      const journal = join(dir, 'run.journal');
      const last = (s: string): Record<string, unknown> => JSON.parse(s.trim().split('\n').pop()!) as Record<string, unknown>;
      const first = await runInMemory(['run', 'w.json', '--journal', journal, '--json'], files);
      const again = await runInMemory(['run', 'w.json', '--journal', journal, '--json'], files);
      expect(last(again.out)['policies']).toEqual(last(first.out)['policies']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  it('a journal that is not one: exit 1 naming the file, no stack trace', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'syrun-j-'));
    try {
      const journal = join(dir, 'bad.journal');
      writeFileSync(journal, 'hello\n');
      const r = await runInMemory(['run', 'w.json', '--journal', journal], new Map([['w.json', SMALL]]));
      expect(r.code).toBe(1);
      expect(r.err).toContain(journal);
      expect(r.err).not.toMatch(/\n\s+at /);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  it('--speed plays the simulated executor on the wall clock, compressed', { timeout: 120_000 }, async () => {
    const tiny = JSON.stringify({
      version: 1,
      instance: { version: 1, nodes: [{ id: 'n0', capacity: { cpu: 4, memory: 1024 } }], vms: [] },
      events: [{ type: 'arrival', time: 0, job: { id: 'j', work: 60, vms: [{ id: 'a', demand: { cpu: 1, memory: 16 } }] } }],
    });
    const t0 = Date.now();
    const r = await runInMemory(['run', 'w.json', '--speed', '200', '--json'], new Map([['w.json', tiny]]));
    const wall = Date.now() - t0;
    expect(r.code, r.err).toBe(0);
    const out = JSON.parse(r.out.trim().split('\n').pop()!) as { speed: number; verified: boolean; policies: { switch: { x: { unfinished: number; end: number } } } };
    expect(out).toMatchObject({ speed: 200, verified: true });
    expect(out.policies.switch.x.unfinished).toBe(0);
    // boot (10 s) + 60 s of work + shutdown (5 s), at ×200: about 0.4 s of wall time
    expect(out.policies.switch.x.end).toBeGreaterThanOrEqual(70);
    expect(wall).toBeGreaterThanOrEqual(300);
  });
});
