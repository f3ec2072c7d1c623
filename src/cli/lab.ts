/**
 * `switchyard lab`: a self-contained live demo on one machine. It starts tiny real guests (the
 * counting boot sector of the QEMU executor) as the VMs of a small cluster of simulated nodes,
 * plans a consolidation, carries the plan out through the engine with a progress display, checks
 * over QMP that every guest runs where the plan says and that its counter kept going (no
 * restart, no lost state), cleans everything up and prints a summary.
 */
import { chmod, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { executePlan, type ProgressEvent } from '../execute/engine.js';
import { libvirtExecutor, sessionDaemonsUnavailable, startSessionDaemons, tinyDomainXml, type LibvirtExecutor, type LibvirtVmRecord, type SessionDaemons } from '../execute/libvirt/index.js';
import { counterBootSector } from '../execute/qemu/guest.js';
import { QemuExecutor } from '../execute/qemu/executor.js';
import type { Executor, StepContext } from '../execute/types.js';
import type { Configuration } from '../model/configuration.js';
import type { VmId } from '../model/ids.js';
import { makeInstance, type Instance } from '../model/instance.js';
import type { VmInit } from '../model/vm.js';
import { planInstance } from '../pipeline.js';
import { defaultSolver } from '../place/default.js';
import type { FeasiblePlan } from '../plan/types.js';
import { defaultRunner } from '../solvers/pool.js';
import { actionLabel } from './play.js';
import type { CliIo } from './run.js';

/** Help text of `switchyard lab`. */
export const LAB_HELP = `Usage: switchyard lab [--nodes N] [--vms M] [--executor qemu|libvirt] [--json] [--seed S]
                      [--kill-node NODE@SECONDS]

Starts M tiny real guests (QEMU under software emulation, a boot sector that counts on its
serial port) as VMs spread over N simulated nodes, plans a consolidation onto fewer nodes
(migrations, one suspend, one resume, node shutdowns), carries the plan out with a progress
display, checks that every guest runs where the plan says and that its counter kept going,
removes every guest and prints a summary. Needs qemu-system-x86_64 and setpriv (util-linux).

Options:
  -n, --nodes N         simulated nodes (default 4, 2..32)
  -m, --vms M           guests (default 8, 1..64)
      --executor E      qemu (default: QEMU processes over QMP) or libvirt (one private
                        libvirtd session daemon per node, virsh; run as root it needs a
                        "switchyard" user, see .ci/run)
      --json            the last line of standard output is one JSON object: executed, failed,
                        migrations, suspends, resumes, verified, wallSeconds, ...
  -s, --seed N          seed of the planner (default 1)
      --kill-node NODE@SECONDS
                        pull NODE's plug SECONDS into the run (qemu only): its guests are
                        killed, the engine contains the failure and reports the lost VMs

Exit codes: 0 plan carried out and verified, 4 plan only partly carried out or a guest not
where the plan says (the summary is still printed), 1 the guests could not be started,
2 usage error, 130 interrupted (every guest is stopped and its files removed).
`;

/** Exit code of a lab whose plan was not fully carried out or not verified. */
const EXIT_PARTIAL = 4;

/** What the lab needs from an executor beyond the contract: a world of guests, and their counters. */
interface LabGuests extends Executor {
  provision(instance: Instance): Promise<void>;
  killNode?(node: string): Promise<void>;
  counter(vm: VmId): Promise<number | undefined>;
  cleanup(): Promise<void>;
  consoleLog?(vm: VmId): Promise<{ readonly last: number; readonly continuous: boolean }>;
}

/**
 * The lab's cluster: `nodes` nodes sized so that the VMs fit on half of them, `vms` VMs of 1 cpu
 * and 16 MiB spread round-robin, a consolidation objective that powers emptied nodes off. With 4
 * or more VMs, the last one starts sleeping and wants to run (a resume) and the one before runs
 * and wants to sleep (a suspend). Durations match the tiny guests (about a second per action).
 * @param nodes - number of nodes (≥ 2)
 * @param vms - number of VMs (≥ 1)
 * @returns the instance
 * @example
 * ```ts
 * const inst = labInstance(4, 8); // n1..n4 of 4 cpus; vm1..vm8 two per node
 * ```
 */
export function labInstance(nodes: number, vms: number): Instance {
  const cpu = Math.max(2, Math.ceil((2 * vms) / nodes));
  const list: VmInit[] = [];
  for (let i = 0; i < vms; i++) list.push({ id: `vm${i + 1}`, demand: { cpu: 1, memory: 16 }, state: 'running', host: `n${(i % nodes) + 1}` });
  if (vms >= 4) {
    list[vms - 1] = { ...list[vms - 1]!, state: 'sleeping', wants: 'running' };
    list[vms - 2] = { ...list[vms - 2]!, wants: 'sleeping' };
  }
  return makeInstance({
    nodes: Array.from({ length: nodes }, (_, i) => ({ id: `n${i + 1}`, capacity: { cpu, memory: cpu * 16 } })),
    vms: list,
    objective: { type: 'consolidate', powerOff: true },
    durations: { bandwidth: 100, diskRate: 100, bootVm: 1, shutdownVm: 1, bootNode: 1, shutdownNode: 0.5 },
    limits: { maxParallelMigrations: 4, maxMigrationsPerNode: 2 },
  });
}

/** One guest's check after the run. */
interface GuestCheck {
  readonly vm: VmId;
  readonly expected: string;
  readonly observed: string;
  readonly counterBefore: number;
  readonly counterAfter: number | undefined;
  readonly ok: boolean;
  readonly problem?: string;
}

function where(c: Configuration, vm: VmId): string {
  const p = c.vms.get(vm);
  if (!p) return 'lost';
  return p.host === undefined ? p.state : `${p.state}@${p.host}`;
}


/** Draws the engine's progress: a redrawn bar on a terminal, one plain line per event otherwise. */
function progressPrinter(say: (t: string) => void, tty: boolean): { readonly onProgress: (e: ProgressEvent) => void; readonly finish: () => void } {
  let drawn = false;
  const t0 = performance.now();
  const secs = (): string => ((performance.now() - t0) / 1000).toFixed(2);
  return {
    onProgress: (e) => {
      if (e.type !== 'ended' && e.type !== 'started' && e.type !== 'retrying') return;
      if (tty) {
        if (e.type === 'retrying') return;
        // failures stay on screen above the bar
        if (e.type === 'ended' && e.status !== 'succeeded') say(`\r\x1b[K  ${e.status} ${actionLabel(e.action)}${e.error ? `: ${e.error.message}` : ''}\n`);
        const width = 24;
        const full = Math.round(e.fraction * width);
        say(`\r  [${'#'.repeat(full)}${'.'.repeat(width - full)}] ${e.done}/${e.total} ${e.type === 'started' ? 'start' : e.status} ${actionLabel(e.action)}\x1b[K`);
        drawn = true;
        return;
      }
      if (e.type === 'started') say(`  ${secs()} s  ${'start'.padEnd(9)} ${actionLabel(e.action)}${e.attempt > 1 ? ` (attempt ${e.attempt})` : ''}\n`);
      else if (e.type === 'retrying') say(`  ${secs()} s  ${'retry'.padEnd(9)} ${actionLabel(e.action)} in ${e.delay} s: ${e.error.message}\n`);
      else say(`  ${secs()} s  ${e.status.padEnd(9)} ${actionLabel(e.action)} [${e.done}/${e.total}]${e.error ? `: ${e.error.message}` : ''}\n`);
    },
    finish: () => {
      if (drawn) say('\n');
    },
  };
}

/** Seconds the lab waits for the libvirt session daemons. */
const LIBVIRT_START_SECONDS = 60;

function setupContext(): StepContext {
  return { signal: AbortSignal.timeout(60_000), attempt: 1, expectedSeconds: 1 };
}

/**
 * The lab's guests under libvirt: one private session daemon per node (distinct `host_uuid`s,
 * so libvirt migrates between them), the counting boot sector in a domain of type `qemu` (TCG),
 * the libvirt executor driving `virsh`. Running VMs are booted through the executor; sleeping VMs
 * are booted, then saved to an image, through it too.
 */
function libvirtGuests(): LabGuests {
  let daemons: SessionDaemons | undefined;
  let ex: LibvirtExecutor | undefined;
  const need = (): LibvirtExecutor => {
    if (!ex) throw new Error('libvirt guests not provisioned');
    return ex;
  };
  const guests: LabGuests = {
    name: 'libvirt',
    async provision(instance) {
      const missing = await sessionDaemonsUnavailable();
      if (missing) throw new Error(`libvirt session daemons need: ${missing}`);
      let timer: NodeJS.Timeout | undefined;
      const d = await Promise.race([
        startSessionDaemons({ nodes: [...instance.nodes.keys()] }),
        new Promise<{ ok: false; reason: string }>((resolve) => {
          timer = setTimeout(() => resolve({ ok: false, reason: `the libvirt session daemons did not start within ${LIBVIRT_START_SECONDS} s` }), LIBVIRT_START_SECONDS * 1000);
          timer.unref();
        }),
      ]);
      clearTimeout(timer);
      if (!d.ok) throw new Error(d.reason);
      daemons = d.value;
      const boot = join(daemons.shareDir, 'boot.bin');
      await writeFile(boot, counterBootSector());
      await chmod(boot, 0o644);
      const nodes = Object.fromEntries(Object.entries(daemons.nodes).map(([id, n]) => [id, { ...n, state: instance.nodes.get(id)?.state ?? 'online' }]));
      const records: Record<string, LibvirtVmRecord> = {};
      for (const v of instance.vms.values()) records[v.id] = v.state === 'terminated' ? { state: 'terminated' } : { state: 'waiting' };
      ex = libvirtExecutor({
        nodes,
        vms: records,
        domainXml: (vm) => tinyDomainXml({ name: vm, bootImage: boot, memoryMiB: 16 }),
        imageDir: daemons.shareDir,
        owned: [...instance.vms.keys()],
      });
      let id = 0;
      await Promise.all(
        [...instance.vms.values()]
          .filter((v) => v.state === 'running' || v.state === 'sleeping')
          .map(async (v) => {
            const host = v.host!;
            const booted = await ex!.execute({ id: id++, start: 0, end: 1, type: 'boot', vm: v.id, to: host }, setupContext());
            if (!booted.ok) throw new Error(booted.error.message);
            if (v.state !== 'sleeping') return;
            for (let i = 0; i < 100 && ((await ex!.guestWord(v.id)) ?? 0) < 2; i++) await new Promise((r) => setTimeout(r, 50));
            const saved = await ex!.execute({ id: id++, start: 0, end: 1, type: 'suspend', vm: v.id, from: host }, setupContext());
            if (!saved.ok) throw new Error(saved.error.message);
          }),
      );
    },
    check: (a, c) => need().check(a, c),
    execute: (a, c) => need().execute(a, c),
    observe: () => need().observe(),
    counter: async (vm) => (ex ? ex.guestWord(vm) : undefined),
    async cleanup() {
      await ex?.cleanup();
      await daemons?.stop();
    },
  };
  return guests;
}

async function makeGuests(kind: string): Promise<LabGuests> {
  return kind === 'qemu' ? QemuExecutor.create() : libvirtGuests();
}

function intOption(value: string | undefined, name: string, dflt: number, min: number, max: number): number | string {
  if (value === undefined) return dflt;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < min || n > max) return `--${name} must be an integer from ${min} to ${max}, got "${value}"`;
  return n;
}

const round = (x: number, digits = 3): number => Math.round(x * 10 ** digits) / 10 ** digits;

/**
 * Runs `switchyard lab` (see {@link LAB_HELP}).
 * @param io - the outside world (standard output and error)
 * @param args - the arguments after `lab`
 * @param tty - whether standard output is a terminal (a redrawn progress bar instead of lines)
 * @returns the exit code: 0 verified, 4 partly carried out or not verified, 1 setup failed, 2 usage
 * @example
 * ```ts
 * const code = await cmdLab(io, ['--nodes', '4', '--vms', '8', '--json']);
 * ```
 */
export async function cmdLab(io: CliIo, args: readonly string[], tty = false): Promise<number> {
  const usage = (m: string): number => {
    io.stderr(`switchyard: ${m}\nRun "switchyard lab --help" for usage.\n`);
    return 2;
  };
  let values;
  try {
    ({ values } = parseArgs({
      args: [...args],
      allowPositionals: false,
      options: {
        nodes: { type: 'string', short: 'n' },
        vms: { type: 'string', short: 'm' },
        executor: { type: 'string' },
        json: { type: 'boolean' },
        seed: { type: 'string', short: 's' },
        'kill-node': { type: 'string' },
      },
    }));
  } catch (e) {
    return usage((e as Error).message);
  }
  const nodes = intOption(values.nodes, 'nodes', 4, 2, 32);
  if (typeof nodes === 'string') return usage(nodes);
  const vms = intOption(values.vms, 'vms', 8, 1, 64);
  if (typeof vms === 'string') return usage(vms);
  const seed = intOption(values.seed, 'seed', 1, -(2 ** 31), 2 ** 31);
  if (typeof seed === 'string') return usage(seed);
  const kind = values.executor ?? 'qemu';
  if (kind !== 'qemu' && kind !== 'libvirt') return usage(`--executor must be "qemu" or "libvirt", got "${kind}"`);
  let kill: { node: string; at: number } | undefined;
  if (values['kill-node'] !== undefined) {
    const m = /^(.+)@([0-9]+(?:\.[0-9]+)?)$/.exec(values['kill-node']);
    if (!m) return usage(`--kill-node must be NODE@SECONDS, got "${values['kill-node']}"`);
    if (kind !== 'qemu') return usage('--kill-node only works with --executor qemu');
    if (!/^n[0-9]+$/.test(m[1]!) || Number(m[1]!.slice(1)) < 1 || Number(m[1]!.slice(1)) > nodes) return usage(`--kill-node names node "${m[1]}", but the lab's nodes are n1..n${nodes}`);
    kill = { node: m[1]!, at: Number(m[2]) };
  }
  const json = values.json === true;
  const say = json ? io.stderr : io.stdout;

  const t0 = performance.now();
  const instance = labInstance(nodes, vms);
  say(`lab: ${nodes} nodes, ${vms} guests (${kind}, TCG, 16 MiB each)\n`);
  let guests: LabGuests;
  try {
    guests = await makeGuests(kind);
  } catch (e) {
    io.stderr(`switchyard lab: cannot set up the ${kind} executor: ${(e as Error).message}\n`);
    return 1;
  }
  // Ctrl-C or a kill: stop launching actions, kill every guest, remove the files, exit 130.
  const interrupt = new AbortController();
  const onSignal = (sig: NodeJS.Signals): void => {
    if (interrupt.signal.aborted) return;
    io.stderr(`\nswitchyard lab: ${sig}: stopping every guest\n`);
    interrupt.abort();
    void guests.cleanup();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    try {
      await guests.provision(instance);
    } catch (e) {
      if (interrupt.signal.aborted) return 130;
      const m = (e as Error).message;
      const hint = /ENOENT|No such file/.test(m) ? ' (are qemu-system-x86_64 and setpriv installed? Debian: apt-get install qemu-system-x86 util-linux)' : '';
      io.stderr(`switchyard lab: cannot start the guests: ${m}${hint}\n`);
      return 1;
    }
    // Let every running guest count a little, and note where each counter stands.
    const before = new Map<VmId, number>();
    const deadline = performance.now() + 20_000;
    for (const v of instance.vms.values()) {
      for (;;) {
        const c = v.state === 'running' ? await guests.counter(v.id) : (await guests.consoleLog?.(v.id))?.last ?? 0;
        if (v.state !== 'running' || (c !== undefined && c >= 3) || performance.now() > deadline) {
          before.set(v.id, c ?? 0);
          break;
        }
        await new Promise((r) => setTimeout(r, 20));
      }
    }
    const setupSeconds = (performance.now() - t0) / 1000;
    const running = [...instance.vms.values()].filter((v) => v.state === 'running').length;
    say(`  ${running} guests running, ${vms - running} sleeping image${vms - running === 1 ? '' : 's'} (${setupSeconds.toFixed(2)} s)\n`);

    const t1 = performance.now();
    const runner = defaultRunner(2);
    let plan;
    try {
      plan = await planInstance(instance, { seed, timeLimitMs: 5000, solver: defaultSolver({ lns: { runner } }) });
    } finally {
      await runner.close();
    }
    const planSeconds = (performance.now() - t1) / 1000;
    if (plan.status === 'infeasible') {
      io.stderr(`switchyard lab: the planner found no plan: ${plan.reasons.map((r) => r.message).join('; ')}\n`);
      return 1;
    }
    const kinds = new Map<string, number>();
    for (const a of plan.actions) kinds.set(a.type, (kinds.get(a.type) ?? 0) + 1);
    say(`  plan: ${plan.status}, ${plan.actions.length} actions (${[...kinds].map(([k, n]) => `${n} ${k}`).join(', ')}), model makespan ${plan.stats.makespan.toFixed(2)} s (${(planSeconds * 1000).toFixed(0)} ms to plan)\n`);

    const t2 = performance.now();
    const progress = progressPrinter(say, tty && !json);
    if (interrupt.signal.aborted) return 130;
    const killer = kill
      ? setTimeout(() => {
          say(`\n  pulling the plug of ${kill.node} (--kill-node)\n`);
          void guests.killNode?.(kill.node).catch(() => undefined);
        }, kill.at * 1000)
      : undefined;
    const report = await executePlan(instance, plan, guests, { onProgress: progress.onProgress, backoff: { initial: 0.2 }, signal: interrupt.signal });
    clearTimeout(killer);
    progress.finish();
    if (interrupt.signal.aborted) return 130;
    const executeSeconds = (performance.now() - t2) / 1000;

    const checks = await verify(guests, plan, before);
    const verified = report.complete && checks.every((c) => c.ok) && report.lost.length === 0;
    for (const c of checks) {
      if (!c.ok) say(`  ✗ ${c.vm}: ${c.problem}\n`);
    }
    const ok = (t: string): number => report.actions.filter((r) => r.status === 'succeeded' && r.action.type === t).length;
    const migrationWall = report.actions
      .filter((r) => r.status === 'succeeded' && r.action.type === 'migrate' && r.startedAt !== undefined && r.endedAt !== undefined)
      .map((r) => (r.endedAt! - r.startedAt!) * 1000);
    const qemuMigrations = guests instanceof QemuExecutor ? guests.migrations() : [];
    await guests.cleanup();
    const wallSeconds = (performance.now() - t0) / 1000;
    const stat = (xs: readonly number[]): { mean: number; max: number } | null =>
      xs.length === 0 ? null : { mean: round(xs.reduce((s, x) => s + x, 0) / xs.length, 1), max: round(Math.max(...xs), 1) };
    const summary = {
      executor: kind,
      nodes,
      vms,
      actions: plan.actions.length,
      executed: report.counts.succeeded,
      failed: report.counts.failed,
      cancelled: report.counts.cancelled,
      skipped: report.counts.skipped,
      migrations: ok('migrate'),
      suspends: ok('suspend'),
      resumes: ok('resume'),
      boots: ok('boot'),
      shutdowns: ok('shutdown'),
      nodeShutdowns: ok('shutdownNode'),
      lost: report.lost,
      lostNodes: report.lostNodes,
      verified,
      wallSeconds: round(wallSeconds),
      setupSeconds: round(setupSeconds),
      planSeconds: round(planSeconds),
      executeSeconds: round(executeSeconds),
      modelMakespan: round(plan.stats.makespan),
      migrationMs: stat(migrationWall),
      migrationStreamMs: stat(qemuMigrations.map((m) => m.streamMs)),
      migrationDowntimeMs: stat(qemuMigrations.map((m) => m.downtimeMs)),
      guests: checks.map((c) => ({ vm: c.vm, expected: c.expected, observed: c.observed, counterBefore: c.counterBefore, counterAfter: c.counterAfter ?? null, ok: c.ok })),
    };
    const ms = summary.migrationMs;
    say(
      `  ${verified ? 'verified' : 'NOT verified'}: ${checks.filter((c) => c.ok).length}/${checks.length} guests where the plan says with their counters kept going\n` +
        `summary: ${summary.executed}/${summary.actions} actions carried out, ${summary.failed} failed, ${summary.skipped} skipped; ` +
        `${summary.migrations} migrations${ms ? ` (${ms.mean} ms each on average, at most ${ms.max} ms` : ''}` +
        `${ms && summary.migrationDowntimeMs ? `, guest paused ${summary.migrationDowntimeMs.mean} ms on average)` : ms ? ')' : ''}, ` +
        `${summary.suspends} suspend${summary.suspends === 1 ? '' : 's'}, ${summary.resumes} resume${summary.resumes === 1 ? '' : 's'}; ` +
        `executed in ${executeSeconds.toFixed(2)} s (model: ${plan.stats.makespan.toFixed(2)} s), wall ${wallSeconds.toFixed(2)} s\n`,
    );
    if (json) io.stdout(`${JSON.stringify(summary)}\n`);
    return verified ? 0 : EXIT_PARTIAL;
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    await guests.cleanup();
  }
}

/** Checks every guest against the plan's target: where it is, and that its counter kept going. */
async function verify(guests: LabGuests, plan: FeasiblePlan, before: ReadonlyMap<VmId, number>): Promise<GuestCheck[]> {
  const observed = await guests.observe();
  const first = new Map<VmId, number | undefined>();
  for (const vm of Object.keys(plan.target.vms)) first.set(vm, await guests.counter(vm));
  await new Promise((r) => setTimeout(r, 250)); // about four timer ticks of the guests
  const out: GuestCheck[] = [];
  for (const [vm, t] of Object.entries(plan.target.vms)) {
    const expected = t.host === undefined ? t.state : `${t.state}@${t.host}`;
    const seen = where(observed, vm);
    const c0 = before.get(vm) ?? 0;
    const base = { vm, expected, observed: seen, counterBefore: c0 };
    if (seen !== expected) {
      out.push({ ...base, counterAfter: undefined, ok: false, problem: `expected ${expected}, observed ${seen}` });
      continue;
    }
    const log = await guests.consoleLog?.(vm);
    if (log && !log.continuous) {
      out.push({ ...base, counterAfter: log.last, ok: false, problem: 'its serial counter restarted or skipped: the guest state was lost' });
      continue;
    }
    if (t.state === 'running') {
      const c1 = first.get(vm);
      const c2 = await guests.counter(vm);
      if (c1 === undefined || c2 === undefined) out.push({ ...base, counterAfter: c2, ok: false, problem: 'its counter cannot be read over QMP' });
      else if (c1 < c0) out.push({ ...base, counterAfter: c2, ok: false, problem: `its counter went back from ${c0} to ${c1}: the guest restarted` });
      else if (c2 <= c1) out.push({ ...base, counterAfter: c2, ok: false, problem: `its counter stopped at ${c2}: the guest does not run` });
      else out.push({ ...base, counterAfter: c2, ok: true });
    } else if (t.state === 'sleeping') {
      const last = log?.last;
      if (last !== undefined && last < c0) out.push({ ...base, counterAfter: last, ok: false, problem: `its image holds counter ${last}, below ${c0}` });
      else out.push({ ...base, counterAfter: last, ok: true });
    } else out.push({ ...base, counterAfter: undefined, ok: true });
  }
  return out;
}
