/**
 * The one contract suite every executor runs (simulated, QEMU, libvirt, ...): the rules written in
 * `src/execute/types.ts`, checked on a small world.
 *
 * Use from an executor's test file:
 * ```ts
 * describeExecutorContract('qemu', async (instance) => ({ executor: await qemuExecutor(...) }), {
 *   skip: haveQemu ? false : 'qemu-system-x86_64 not installed',
 * });
 * ```
 * The factory gets the contract world ({@link contractInstance}) and must return an executor whose
 * `observe()` shows exactly that world: nodes n1, n2, n4 online and n3 offline; VMs `a` running on
 * n1, `b` and `e` running on n2, `c` waiting, `d` sleeping with its image on n1 (left out with
 * `sleeping: false`). Each check builds a fresh world and calls `cleanup` at its end.
 *
 * The checks are also exported one by one ({@link CONTRACT_CHECKS}, {@link runContractCheck}) so
 * that a test can prove they fail on broken executors (test/execute/contract.test.ts).
 */
import { describe, expect, it } from 'vitest';
import type { Executor, ExecutorErrorCode, StepContext, StepOutcome } from '../../src/execute/types.js';
import type { Configuration } from '../../src/model/configuration.js';
import { makeInstance, sourceConfiguration, type Instance } from '../../src/model/instance.js';
import type { VmInit } from '../../src/model/vm.js';
import { defaultDurationModel } from '../../src/plan/durations.js';
import { applyAction } from '../../src/plan/replay.js';
import { ACTION_TYPES, type Action, type ActionType, type MigrateAction } from '../../src/model/action.js';

/** What a factory returns: the executor, and optional hooks for checks that need the infrastructure's help. */
export interface ContractSubject {
  readonly executor: Executor;
  /**
   * Optional: arranges for the next execution of `action` (a legal migration) to fail part-way,
   * e.g. by killing its destination process once the migration started. Called just before
   * `execute`. Without it the mid-migration failure check only runs the rules on a refusal.
   */
  readonly arrangeFailure?: (action: MigrateAction) => void | Promise<void>;
}

/** A factory of fresh contract worlds. */
export type ContractFactory = (instance: Instance) => Promise<Executor | ContractSubject> | Executor | ContractSubject;

/** Options of {@link describeExecutorContract}. */
export interface ExecutorContractOptions {
  /** Action types the executor carries out (default all); the others must answer `unsupported`. */
  readonly actions?: readonly ActionType[];
  /** Whether the world includes the sleeping VM `d` (default true; forced false when `resume` is unsupported). */
  readonly sleeping?: boolean;
  /** Milliseconds one check may take (default 30,000). */
  readonly timeoutMs?: number;
  /** Skip the whole suite, with the reason (e.g. a component is missing and CI is not set). */
  readonly skip?: string | false;
}

/** One rule of the contract, runnable on its own. */
export interface ContractCheck {
  readonly name: string;
  readonly run: (factory: ContractFactory, options: ExecutorContractOptions) => Promise<void>;
}

const RES = { cpu: 1, memory: 64 };

/**
 * The world every check starts from.
 * @param options - `sleeping: false` leaves out the sleeping VM `d`
 * @returns the instance (small demands: 1 cpu, 64 MiB per VM)
 */
export function contractInstance(options: Pick<ExecutorContractOptions, 'sleeping'> = {}): Instance {
  const vms: VmInit[] = [
    { id: 'a', demand: RES, state: 'running', host: 'n1' },
    { id: 'b', demand: RES, state: 'running', host: 'n2' },
    { id: 'c', demand: RES, state: 'waiting' },
    { id: 'e', demand: RES, state: 'running', host: 'n2' },
  ];
  if (options.sleeping !== false) vms.push({ id: 'd', demand: RES, state: 'sleeping', host: 'n1' });
  const cap = { cpu: 16, memory: 4096 };
  return makeInstance({
    nodes: [
      { id: 'n1', capacity: cap },
      { id: 'n2', capacity: cap },
      { id: 'n3', capacity: cap, state: 'offline' },
      { id: 'n4', capacity: cap },
    ],
    vms,
    durations: { bandwidth: 1000, diskRate: 500, bootVm: 1, shutdownVm: 1, bootNode: 2, shutdownNode: 2 },
  });
}

/** A configuration as a plain, order-free object, for readable diffs. */
export function plainConfiguration(c: Configuration): { vms: Record<string, string>; nodes: Record<string, string> } {
  const vms: Record<string, string> = {};
  for (const [id, p] of [...c.vms].sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0))) vms[id] = p.host === undefined ? p.state : `${p.state}@${p.host}`;
  const nodes: Record<string, string> = {};
  for (const [id, s] of [...c.nodes].sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0))) nodes[id] = s;
  return { vms, nodes };
}

const ERROR_CODES: readonly ExecutorErrorCode[] = ['precheck', 'failed', 'timeout', 'node-lost', 'cancelled', 'unsupported'];

function resolvedOptions(o: ExecutorContractOptions): Required<Omit<ExecutorContractOptions, 'skip'>> {
  const actions = o.actions ?? ACTION_TYPES;
  return { actions, sleeping: o.sleeping !== false && actions.includes('resume'), timeoutMs: o.timeoutMs ?? 30_000 };
}

interface World {
  readonly instance: Instance;
  readonly subject: ContractSubject;
  readonly executor: Executor;
  readonly supports: (t: ActionType) => boolean;
}

async function withWorld(factory: ContractFactory, options: ExecutorContractOptions, body: (w: World) => Promise<void>): Promise<void> {
  const o = resolvedOptions(options);
  const instance = contractInstance({ sleeping: o.sleeping });
  const made = await factory(instance);
  const subject: ContractSubject = 'executor' in made ? made : { executor: made };
  try {
    await body({ instance, subject, executor: subject.executor, supports: (t) => o.actions.includes(t) });
  } finally {
    await subject.executor.cleanup?.();
  }
}

function context(instance: Instance, action: Action, signal: AbortSignal = new AbortController().signal): StepContext {
  const model = defaultDurationModel(instance);
  const vm = 'vm' in action ? instance.vms.get(action.vm) : undefined;
  const from = 'from' in action ? instance.nodes.get(action.from) : undefined;
  const to = 'to' in action ? instance.nodes.get(action.to) : undefined;
  const node = 'node' in action ? instance.nodes.get(action.node) : undefined;
  const req = { type: action.type, ...(vm ? { vm } : {}), ...(from ? { from } : {}), ...(to ? { to } : {}), ...(node ? { node } : {}) };
  return { signal, attempt: 1, expectedSeconds: model(req, instance) };
}

/** Calls `execute` and fails the check if it rejects (the contract says it never does). */
async function run(w: World, action: Action, signal?: AbortSignal): Promise<StepOutcome> {
  let out: StepOutcome;
  try {
    out = await w.executor.execute(action, context(w.instance, action, signal));
  } catch (e) {
    throw new Error(`execute(${describeAction(action)}) rejected instead of resolving with an outcome: ${String((e as Error)?.message ?? e)}`);
  }
  expect(typeof out === 'object' && out !== null && typeof out.ok === 'boolean', `execute(${describeAction(action)}) must resolve with { ok }`).toBe(true);
  if (!out.ok) {
    expect(ERROR_CODES, `error code of ${describeAction(action)}`).toContain(out.error.code);
    expect(typeof out.error.message === 'string' && out.error.message.length > 0, `error message of ${describeAction(action)}`).toBe(true);
    expect(typeof out.error.retryable, `retryable of ${describeAction(action)}`).toBe('boolean');
  }
  return out;
}

function describeAction(a: Action): string {
  return 'vm' in a ? `${a.type} ${a.vm}` : `${a.type} ${a.node}`;
}

async function observed(w: World): Promise<ReturnType<typeof plainConfiguration>> {
  return plainConfiguration(await w.executor.observe());
}

let nextId = 0;
type Spec<T> = T extends Action ? Omit<T, 'id' | 'start' | 'end'> : never;
function act<T extends Action = Action>(a: Spec<T>): T {
  return { id: nextId++, start: 0, end: 1, ...a } as unknown as T;
}

/** The legal actions of the contract world, one per case (type → action). */
function legalActions(sleeping: boolean): { name: string; action: Action }[] {
  const out: { name: string; action: Action }[] = [
    { name: 'migrate a n1→n2', action: act({ type: 'migrate', vm: 'a', from: 'n1', to: 'n2' }) },
    { name: 'boot c on n1', action: act({ type: 'boot', vm: 'c', to: 'n1' }) },
    { name: 'shutdown e on n2', action: act({ type: 'shutdown', vm: 'e', from: 'n2' }) },
    { name: 'suspend b on n2', action: act({ type: 'suspend', vm: 'b', from: 'n2' }) },
    { name: 'bootNode n3', action: act({ type: 'bootNode', node: 'n3' }) },
    { name: 'shutdownNode n4 (empty)', action: act({ type: 'shutdownNode', node: 'n4' }) },
  ];
  if (sleeping) {
    out.push({ name: 'resume d on n1 (local)', action: act({ type: 'resume', vm: 'd', from: 'n1', to: 'n1' }) });
    out.push({ name: 'resume d n1→n2 (remote)', action: act({ type: 'resume', vm: 'd', from: 'n1', to: 'n2' }) });
  }
  return out;
}

/** Actions the world contradicts: each must fail and change nothing. */
function illegalActions(sleeping: boolean): { name: string; action: Action }[] {
  const out: { name: string; action: Action }[] = [
    { name: 'migrate a from n2 (it is on n1)', action: act({ type: 'migrate', vm: 'a', from: 'n2', to: 'n4' }) },
    { name: 'migrate a to offline n3', action: act({ type: 'migrate', vm: 'a', from: 'n1', to: 'n3' }) },
    { name: 'migrate an unknown VM with a hostile name', action: act({ type: 'migrate', vm: 'x;rm -rf y $(id)', from: 'n1', to: 'n2' }) },
    { name: 'boot a (already running)', action: act({ type: 'boot', vm: 'a', to: 'n2' }) },
    { name: 'boot c on offline n3', action: act({ type: 'boot', vm: 'c', to: 'n3' }) },
    { name: 'shutdown a from n2 (it is on n1)', action: act({ type: 'shutdown', vm: 'a', from: 'n2' }) },
    { name: 'suspend c (waiting)', action: act({ type: 'suspend', vm: 'c', from: 'n1' }) },
    { name: 'resume a (running)', action: act({ type: 'resume', vm: 'a', from: 'n1', to: 'n2' }) },
    { name: 'shutdownNode n1 (hosts VMs)', action: act({ type: 'shutdownNode', node: 'n1' }) },
  ];
  if (sleeping) out.push({ name: 'resume d from n2 (image on n1)', action: act({ type: 'resume', vm: 'd', from: 'n2', to: 'n2' }) });
  return out;
}

function unsupportedCheck(w: World, action: Action, out: StepOutcome): void {
  expect(out.ok, `${describeAction(action)} is not supported: it must fail`).toBe(false);
  if (!out.ok) expect(out.error.code, `${describeAction(action)} is not supported`).toBe('unsupported');
  void w;
}

/** Every rule of the contract, in the order the suite runs them. */
export const CONTRACT_CHECKS: readonly ContractCheck[] = [
  {
    name: 'observe() lists every VM and every node of the world, nothing else',
    run: (factory, options) =>
      withWorld(factory, options, async (w) => {
        expect(await observed(w)).toEqual(plainConfiguration(sourceConfiguration(w.instance)));
      }),
  },
  {
    name: 'each legal action that reports ok has its full effect on observe(), and nothing else changes',
    run: async (factory, options) => {
      const o = resolvedOptions(options);
      for (const { name, action } of legalActions(o.sleeping)) {
        await withWorld(factory, options, async (w) => {
          const before = await w.executor.observe();
          const out = await run(w, action);
          if (!w.supports(action.type)) {
            unsupportedCheck(w, action, out);
            expect(await observed(w), `${name}: unsupported must change nothing`).toEqual(plainConfiguration(before));
            return;
          }
          expect(out, `${name} must succeed`).toEqual({ ok: true });
          expect(await observed(w), `${name}: observe() after`).toEqual(plainConfiguration(applyAction(before, action)));
        });
      }
    },
  },
  {
    name: 'a sequence of actions is tracked by observe() step by step',
    run: (factory, options) =>
      withWorld(factory, options, async (w) => {
        const steps: Action[] = [
          act({ type: 'migrate', vm: 'a', from: 'n1', to: 'n2' }),
          act({ type: 'migrate', vm: 'a', from: 'n2', to: 'n4' }),
          act({ type: 'migrate', vm: 'b', from: 'n2', to: 'n1' }),
          act({ type: 'bootNode', node: 'n3' }),
          act({ type: 'migrate', vm: 'a', from: 'n4', to: 'n3' }),
          act({ type: 'shutdownNode', node: 'n4' }),
        ];
        let expected = await w.executor.observe();
        for (const s of steps) {
          if (!w.supports(s.type)) break; // the later steps need this one
          expect(await run(w, s), `${describeAction(s)} must succeed`).toEqual({ ok: true });
          expected = applyAction(expected, s);
          expect(await observed(w), `after ${describeAction(s)}`).toEqual(plainConfiguration(expected));
        }
      }),
  },
  {
    name: 'an action the world contradicts fails (never rejects) with a typed error and leaves every VM where it was',
    run: async (factory, options) => {
      const o = resolvedOptions(options);
      await withWorld(factory, options, async (w) => {
        const before = plainConfiguration(await w.executor.observe());
        for (const { name, action } of illegalActions(o.sleeping)) {
          const out = await run(w, action);
          expect(out.ok, `${name} must fail`).toBe(false);
          expect(await observed(w), `${name}: nothing may change`).toEqual(before);
        }
      });
    },
  },
  {
    name: 'check(), when present, passes legal actions, rejects contradicted ones, and does nothing',
    run: async (factory, options) => {
      const o = resolvedOptions(options);
      await withWorld(factory, options, async (w) => {
        const check = w.executor.check?.bind(w.executor);
        if (!check) return;
        const before = plainConfiguration(await w.executor.observe());
        for (const { name, action } of legalActions(o.sleeping)) {
          if (!w.supports(action.type)) continue;
          expect(await check(action, context(w.instance, action)), `check(${name})`).toEqual({ ok: true });
        }
        for (const { name, action } of illegalActions(o.sleeping)) {
          const out = await check(action, context(w.instance, action));
          expect(out.ok, `check(${name}) must fail`).toBe(false);
          if (!out.ok && w.supports(action.type)) expect(out.error.code, `check(${name})`).toBe('precheck');
        }
        expect(await observed(w), 'check() must change nothing').toEqual(before);
      });
    },
  },
  {
    name: 'a migration that fails part-way leaves its VM in one known place: running on its source or its destination',
    run: (factory, options) =>
      withWorld(factory, options, async (w) => {
        if (!w.supports('migrate')) return;
        const action = act<MigrateAction>({ type: 'migrate', vm: 'a', from: 'n1', to: 'n2' });
        const before = await w.executor.observe();
        const arranged = w.subject.arrangeFailure !== undefined;
        if (w.subject.arrangeFailure) await w.subject.arrangeFailure(action);
        const out = await run(w, action);
        if (arranged) expect(out.ok, 'the arranged failure must make the migration fail').toBe(false);
        const after = await observed(w);
        const place = after.vms['a'];
        if (out.ok) expect(place, 'a migration that reports ok has moved its VM').toBe('running@n2');
        else expect(['running@n1', 'running@n2'], `VM a after a failed migration n1→n2`).toContain(place);
        if (!arranged) {
          // A refusal (no arranged failure) changes nothing else; an arranged one may (a killed node).
          const rest = (c: ReturnType<typeof plainConfiguration>): unknown => ({ ...c, vms: { ...c.vms, a: undefined } });
          expect(rest(after)).toEqual(rest(plainConfiguration(before)));
        }
      }),
  },
  {
    name: 'an aborted signal: an action not started yet does nothing and answers cancelled',
    run: (factory, options) =>
      withWorld(factory, options, async (w) => {
        if (!w.supports('migrate')) return;
        const before = plainConfiguration(await w.executor.observe());
        const c = new AbortController();
        c.abort();
        const out = await run(w, act({ type: 'migrate', vm: 'a', from: 'n1', to: 'n2' }), c.signal);
        expect(out.ok, 'an action started with an aborted signal must not run').toBe(false);
        if (!out.ok) expect(out.error.code).toBe('cancelled');
        expect(await observed(w)).toEqual(before);
      }),
  },
  {
    name: 'abort during an action: it resolves, and the VM ends in one known place',
    run: (factory, options) =>
      withWorld(factory, options, async (w) => {
        for (const action of [act<Action>({ type: 'migrate', vm: 'a', from: 'n1', to: 'n2' }), act<Action>({ type: 'suspend', vm: 'b', from: 'n2' })]) {
          if (!w.supports(action.type)) continue;
          const before = await w.executor.observe();
          const c = new AbortController();
          const pending = run(w, action, c.signal);
          c.abort();
          const out = await pending;
          const after = JSON.stringify(await observed(w));
          const places = [JSON.stringify(plainConfiguration(before)), JSON.stringify(plainConfiguration(applyAction(before, action)))];
          expect(places, `${describeAction(action)} aborted: ${after}`).toContain(after);
          if (out.ok) expect(after).toBe(places[1]);
        }
      }),
  },
  {
    name: 'cleanup() may be called any number of times, also after a failure',
    run: async (factory, options) => {
      const o = resolvedOptions(options);
      const made = await factory(contractInstance({ sleeping: o.sleeping }));
      const executor = 'executor' in made ? made.executor : made;
      const instance = contractInstance({ sleeping: o.sleeping });
      const w: World = { instance, subject: { executor }, executor, supports: (t) => o.actions.includes(t) };
      await run(w, act({ type: 'migrate', vm: 'a', from: 'n2', to: 'n4' }));
      await executor.cleanup?.();
      await executor.cleanup?.();
      await executor.cleanup?.();
    },
  },
];

/**
 * Runs one check of the contract outside vitest's `it` (used to prove checks fail on mutants).
 * @param check - the check
 * @param factory - the factory of worlds
 * @param options - the executor's options
 * @returns the error the check threw, or undefined when it passed
 */
export async function runContractCheck(check: ContractCheck, factory: ContractFactory, options: ExecutorContractOptions = {}): Promise<Error | undefined> {
  try {
    await check.run(factory, options);
    return undefined;
  } catch (e) {
    return e instanceof Error ? e : new Error(String(e));
  }
}

/**
 * Registers the executor contract as a vitest `describe` block: one test per rule.
 * @param name - the executor's name (shown in the test names)
 * @param factory - builds a fresh executor whose world is the given instance
 * @param options - supported action types, sleeping VM, timeout, skip reason
 * @example
 * ```ts
 * describeExecutorContract('simulated', (instance) => simulatedExecutor(instance));
 * ```
 */
export function describeExecutorContract(name: string, factory: ContractFactory, options: ExecutorContractOptions = {}): void {
  const o = resolvedOptions(options);
  const d = options.skip ? describe.skip : describe;
  d(`executor contract: ${name}${options.skip ? ` (skipped: ${options.skip})` : ''}`, () => {
    for (const check of CONTRACT_CHECKS) {
      it(check.name, () => check.run(factory, options), o.timeoutMs);
    }
  });
}
