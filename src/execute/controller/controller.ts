/**
 * The controller: Entropy's loop (observe, decide, plan, verify, execute) as one object that
 * keeps a live cluster in its target event after event.
 *
 * - Inputs (`submit`, `reserve`, `cancel`, `drain`, `nodeFailed`, `nodeRepaired`) are journaled
 *   first, then taken into the ledger; each asks for a new decision.
 * - A decision is taken when no action is in flight: the controller observes the executor,
 *   reconciles its ledger with what it sees (a VM that vanished is lost), defines the waiting VMs
 *   the executor does not know yet, asks the policy for a plan on the ledger's view (time stands
 *   still meanwhile on a virtual clock) and hands the plan to the engine.
 * - When the world changes mid-switch, the engine stops launching (the actions not started are
 *   cancelled, those in flight run to their end) and the controller decides again.
 * - Each action is journaled before the executor is asked to carry it out, and again when it
 *   ends. Restarted on a journal that holds records, the controller replays them into its ledger,
 *   takes the executor's word for the actions in doubt, and goes on.
 *
 * The simulator is this controller on the simulated executor and a virtual clock.
 */
import { SwitchyardError } from '../../errors.js';
import type { Configuration } from '../../model/configuration.js';
import type { NodeId, VjobId } from '../../model/ids.js';
import { sourceConfiguration } from '../../model/instance.js';
import { DEFAULT_LEAD, DEFAULT_TOLERANCE } from '../../model/workload.js';
import type { Action } from '../../model/action.js';
import type { Plan } from '../../plan/types.js';
import { systemClock, type Clock } from '../clock.js';
import { executePlan, type ProgressEvent } from '../engine.js';
import { switchPolicy } from '../simulate/policies.js';
import type { SimPolicy } from '../simulate/types.js';
import { Ledger } from './ledger.js';
import type { Controller, ControllerEvent, ControllerOptions, ControllerReport, InputMeta, JournalRecord, ReservationSubmission, VjobSubmission } from './types.js';

const EPS = 1e-6;

type Timer =
  | { readonly time: number; readonly kind: 'claim' | 'arrival' | 'expire'; readonly job: VjobId; readonly rank: number; readonly seq: number }
  | { readonly time: number; readonly kind: 'input'; readonly fire: () => void; readonly rank: number; readonly seq: number };
/** At equal times: failures and repairs (inputs of rank 0 and 1), lease ends, claims, arrivals. */
const RANK = { expire: 2, claim: 3, arrival: 4 } as const;

/** Whether the world shows the effect of `a` (an action in doubt after a restart). */
function reached(a: Action, c: Configuration): boolean {
  const p = 'vm' in a ? c.vms.get(a.vm) : undefined;
  switch (a.type) {
    case 'migrate':
    case 'boot':
    case 'resume':
      return p?.state === 'running' && p.host === a.to;
    case 'suspend':
      return p?.state === 'sleeping';
    case 'shutdown':
      return p === undefined || p.state === 'terminated';
    case 'bootNode':
      return c.nodes.get(a.node) === 'online';
    case 'shutdownNode':
      return c.nodes.get(a.node) === 'offline';
  }
}

class LoopController implements Controller {
  private readonly clock: Clock;
  private readonly policy: SimPolicy;
  private readonly ledger: Ledger;
  private readonly listeners = new Set<(e: ControllerEvent) => void>();
  private readonly keys = new Set<string>();
  private readonly lead: number;
  private readonly tolerance: number;
  private readonly seed: number;
  private timers: Timer[] = [];
  private timerSeq = 0;
  private needDecision = true;
  private inFlight: Promise<void> | undefined;
  private stopLaunching: AbortController | undefined;
  private decision = 0;
  private wakeCtl = new AbortController();
  private stopped = false;
  private closed = false;
  private replaying = false;
  /** Actions journaled as started and not ended (decision, action id) before a restart. */
  private inDoubt: { decision: number; action: Action }[] = [];

  constructor(private readonly o: ControllerOptions) {
    this.clock = o.clock ?? o.executor.clock ?? systemClock();
    this.policy = o.policy ?? switchPolicy();
    this.lead = o.lead ?? DEFAULT_LEAD;
    this.tolerance = o.tolerance ?? DEFAULT_TOLERANCE;
    this.seed = o.seed ?? 1;
    this.ledger = new Ledger(o.instance, {
      ...(o.work !== undefined ? { work: o.work } : {}),
      ...(this.policy.checkpointPeriod !== undefined ? { checkpointPeriod: this.policy.checkpointPeriod } : {}),
      ...(this.policy.checkpointScope !== undefined ? { checkpointScope: this.policy.checkpointScope } : {}),
      ...(o.rehome === false ? { rehome: false } : {}),
      tolerance: this.tolerance,
      ...(o.trace ? { trace: true } : {}),
    });
    if (o.onEvent) this.listeners.add(o.onEvent);
    if (o.journal && o.journal.records.length > 0) this.replay(o.journal.records);
    else this.journal({ type: 'start', time: this.clock.now(), seed: this.seed, ...(o.startInfo !== undefined ? { x: o.startInfo } : {}) });
  }

  // ---- plumbing

  now(): number {
    return this.clock.now();
  }

  private emit(e: ControllerEvent): void {
    if (this.replaying) return;
    for (const l of this.listeners) {
      try {
        l(e);
      } catch {
        // A listener must not break the loop.
      }
    }
  }

  private journal(r: JournalRecord): void {
    if (this.replaying || this.closed) return;
    this.o.journal?.append(r);
  }

  private wake(): void {
    // A reason keeps abort() from building a DOMException (with its stack) at every event.
    this.wakeCtl.abort(0);
  }

  /** Something happened that asks for a decision: stop launching the current plan. */
  private ask(reason: string): void {
    this.needDecision = true;
    if (this.inFlight && this.stopLaunching && !this.stopLaunching.signal.aborted) {
      this.stopLaunching.abort(0);
      this.emit({ type: 'replan', time: this.ledger.now, decision: this.decision, reason });
    }
    this.wake();
  }

  /** Accounts time up to `t` (default: the clock's now) and takes the completions. */
  private tick(t = this.clock.now()): void {
    if (this.closed || this.replaying) return;
    const done = this.ledger.advance(Math.max(this.ledger.now, t));
    for (const vjob of done) {
      this.journal({ type: 'finished', time: this.ledger.now, vjob });
      this.emit({ type: 'finished', time: this.ledger.now, vjob });
    }
    if (done.length > 0) this.ask(`vjob ${done.join(', ')} finished`);
  }

  private addTimer(time: number, kind: 'claim' | 'arrival' | 'expire', job: VjobId): void {
    this.push({ time, kind, job, rank: RANK[kind], seq: this.timerSeq++ });
  }

  private push(t: Timer): void {
    this.timers.push(t);
    this.timers.sort((a, b) => a.time - b.time || a.rank - b.rank || a.seq - b.seq);
  }

  schedule(time: number, fire: () => void, rank = 4): void {
    this.push({ time, kind: 'input', fire, rank, seq: this.timerSeq++ });
    this.wake();
  }

  /** Fires the reservation timers due at `t`. */
  private fireTimers(t: number): void {
    while (this.timers.length > 0 && this.timers[0]!.time <= t + EPS) {
      const e = this.timers.shift()!;
      if (e.kind === 'input') {
        e.fire();
        continue;
      }
      if (e.kind === 'claim') this.ledger.claim(e.job);
      else if (e.kind === 'arrival') {
        this.rehome();
        this.ledger.arrive(e.job);
        this.emit({ type: 'submitted', time: this.ledger.now, vjob: e.job });
      } else this.ledger.expire(e.job);
      this.ask(`reservation ${e.job}: ${e.kind}`);
    }
  }

  private remember(meta: InputMeta | undefined): void {
    if (meta?.key !== undefined) this.keys.add(meta.key);
  }

  // ---- inputs

  delivered(key: string): boolean {
    return this.keys.has(key);
  }

  submit(job: VjobSubmission, meta?: InputMeta): void {
    if (this.ledger.knows(job.id)) return;
    for (const v of job.vms) if (this.ledger.knows(v.id)) throw new SwitchyardError('invalid-argument', [{ path: `vjob ${job.id}`, message: `VM id ${JSON.stringify(v.id)} is taken` }]);
    this.tick();
    this.journal({ type: 'submit', time: this.ledger.now, job, ...(meta?.key !== undefined ? { key: meta.key } : {}) });
    this.remember(meta);
    this.ledger.addJob(job, this.ledger.now, undefined, true);
    this.emit({ type: 'submitted', time: this.ledger.now, vjob: job.id });
    this.ask(`vjob ${job.id} submitted`);
  }

  reserve(r: ReservationSubmission, meta?: InputMeta): void {
    if (this.ledger.knows(r.job.id)) return;
    this.tick();
    this.journal({ type: 'reserve', time: this.ledger.now, reservation: r, ...(meta?.key !== undefined ? { key: meta.key } : {}) });
    this.remember(meta);
    this.ledger.addJob(r.job, r.start, { vjob: r.job.id, nodes: r.nodes, start: r.start, end: r.end }, false);
    const claimAt = Math.max(r.time ?? this.ledger.now, r.start - this.lead);
    this.ledger.setWindow(r.job.id, { announced: r.time ?? this.ledger.now, from: claimAt, to: r.end + this.tolerance });
    this.addTimer(claimAt, 'claim', r.job.id);
    this.addTimer(r.start, 'arrival', r.job.id);
    this.addTimer(r.end + this.tolerance, 'expire', r.job.id);
    this.wake();
  }

  cancel(vjob: VjobId, meta?: InputMeta): boolean {
    this.tick();
    this.journal({ type: 'cancel', time: this.ledger.now, vjob, ...(meta?.key !== undefined ? { key: meta.key } : {}) });
    this.remember(meta);
    const ok = this.ledger.cancel(vjob);
    if (ok) {
      this.emit({ type: 'cancelled', time: this.ledger.now, vjob });
      this.ask(`vjob ${vjob} cancelled`);
    }
    return ok;
  }

  drain(node: NodeId, meta?: InputMeta): void {
    this.tick();
    this.journal({ type: 'drain', time: this.ledger.now, node, ...(meta?.key !== undefined ? { key: meta.key } : {}) });
    this.remember(meta);
    this.ledger.drain(node);
    this.emit({ type: 'drained', time: this.ledger.now, node });
    this.ask(`node ${node} drained`);
  }

  nodeFailed(node: NodeId, meta?: InputMeta): void {
    this.tick();
    this.journal({ type: 'nodeFailed', time: this.ledger.now, node, ...(meta?.key !== undefined ? { key: meta.key } : {}) });
    this.remember(meta);
    const lost = this.ledger.nodeFailed(node);
    for (const l of lost) this.emit({ type: 'aborted', time: this.ledger.now, vjob: l.vjob, discarded: l.discarded });
    this.emit({ type: 'nodeFailed', time: this.ledger.now, node, lostVjobs: lost.map((l) => l.vjob) });
    this.ask(`node ${node} failed`);
  }

  nodeRepaired(node: NodeId, meta?: InputMeta): void {
    this.tick();
    this.journal({ type: 'nodeRepaired', time: this.ledger.now, node, ...(meta?.key !== undefined ? { key: meta.key } : {}) });
    this.remember(meta);
    this.ledger.nodeRepaired(node);
    this.emit({ type: 'nodeRepaired', time: this.ledger.now, node });
    this.ask(`node ${node} repaired`);
  }

  on(listener: (event: ControllerEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  stop(): void {
    this.stopped = true;
    this.stopLaunching?.abort();
    this.wake();
  }

  report(final = false): ControllerReport {
    return { policy: this.policy.name, ...this.ledger.report(final) };
  }

  /** Re-homes reservations holding a failed node (docs/format.md, "Re-homing"). */
  private rehome(): void {
    if (this.replaying) return;
    for (const sub of this.ledger.rehome()) {
      this.journal({ type: 'rehome', time: this.ledger.now, vjob: sub.vjob, from: sub.from, to: sub.to });
      this.emit({ type: 'rehomed', time: this.ledger.now, vjob: sub.vjob, from: sub.from, to: sub.to });
    }
  }

  // ---- recovery

  /** Replays a journal into the ledger (no events, no journaling). */
  private replay(records: readonly JournalRecord[]): void {
    this.replaying = true;
    const plans = new Map<number, Map<number, Action>>();
    const open = new Map<string, { decision: number; action: Action }>();
    for (const r of records) {
      this.fireTimersUpTo(r.time);
      this.ledger.advance(Math.max(this.ledger.now, r.time));
      switch (r.type) {
        case 'finished':
          // The vjob's work was done: it never runs again, whatever the replay accounts.
          this.ledger.markFinished(r.vjob);
          break;
        case 'rehome':
          this.ledger.applySubstitution({ vjob: r.vjob, from: r.from, to: r.to });
          break;
        case 'start':
        case 'stop':
          break;
        case 'submit':
          this.submit(r.job, r);
          break;
        case 'reserve':
          this.reserve(r.reservation, r);
          break;
        case 'cancel':
          this.cancel(r.vjob, r);
          break;
        case 'drain':
          this.drain(r.node, r);
          break;
        case 'nodeFailed':
          this.nodeFailed(r.node, r);
          break;
        case 'nodeRepaired':
          this.nodeRepaired(r.node, r);
          break;
        case 'plan':
          plans.set(r.decision, new Map(r.actions.map((a) => [a.id, a] as const)));
          this.decision = Math.max(this.decision, r.decision);
          this.ledger.decisions = Math.max(this.ledger.decisions, r.decision);
          if (r.infeasible) this.ledger.infeasible++;
          break;
        case 'actionStarted': {
          const a = plans.get(r.decision)?.get(r.action);
          if (a) {
            this.ledger.actionStarted(a);
            open.set(`${r.decision}:${r.action}`, { decision: r.decision, action: a });
          }
          break;
        }
        case 'actionEnded': {
          const a = plans.get(r.decision)?.get(r.action);
          if (a) this.ledger.actionEnded(a, r.status === 'succeeded');
          open.delete(`${r.decision}:${r.action}`);
          break;
        }
      }
      // What the record changed counts from its own time (a vjob that starts computing now).
      this.ledger.advance(this.ledger.now);
    }
    this.inDoubt = [...open.values()];
    this.replaying = false;
    // A journal that ended cleanly, with nothing in doubt and nothing left to run, needs no new
    // decision (a replayed finished run reports what the live run reported).
    this.needDecision = !(records[records.length - 1]?.type === 'stop' && this.inDoubt.length === 0 && this.ledger.settled());
    // (The replayed history's kills were followed by their decisions: those are in the journal.)
    this.ledger.killedSinceDecision = false;
    this.emit({ type: 'recovered', time: this.ledger.now, records: records.length, inDoubt: this.inDoubt.map((d) => d.action.id) });
  }

  private fireTimersUpTo(t: number): void {
    while (this.timers.length > 0 && this.timers[0]!.time <= t + EPS) {
      const e = this.timers[0]!;
      this.ledger.advance(Math.max(this.ledger.now, e.time));
      this.fireTimers(e.time);
    }
    this.ledger.advance(Math.max(this.ledger.now, t));
  }

  // ---- the loop

  private async decide(): Promise<void> {
    this.needDecision = false;
    this.ledger.killedSinceDecision = false;
    this.ledger.decisions++;
    const observed = await this.o.executor.observe();
    this.tick();
    // Actions in flight when the last controller died: the executor's world says how they ended,
    // and the journal says it too, so that a later restart does not find them in doubt again.
    for (const d of this.inDoubt) {
      const ok = reached(d.action, observed);
      this.journal({ type: 'actionEnded', time: this.ledger.now, decision: d.decision, action: d.action.id, status: ok ? 'succeeded' : 'failed' });
      const killed = this.ledger.actionEnded(d.action, ok);
      if (killed) this.emit({ type: 'aborted', time: this.ledger.now, vjob: killed.vjob, discarded: killed.discarded });
    }
    const lost = this.ledger.reconcile(observed);
    for (const l of lost) this.emit({ type: 'aborted', time: this.ledger.now, vjob: l.vjob, discarded: l.discarded });
    this.inDoubt = [];
    this.rehome();
    const define = this.o.executor.define?.bind(this.o.executor);
    if (define) {
      for (const w of this.ledger.waitingVms()) {
        const p = observed.vms.get(w.id);
        if (w.stale || p === undefined || p.state === 'terminated') {
          const out = await define({ id: w.id, demand: w.demand, ...(w.durations !== undefined ? { durations: w.durations } : {}) });
          if (out.ok) this.ledger.defined(w.id);
        }
      }
    }
    const view = this.ledger.view((this.seed * 7919 + this.ledger.decisions) | 0);
    const plan = async (): Promise<{ plan: Plan; instance: typeof view.instance }> => this.policy.plan(view);
    const decision = this.clock.hold ? await this.clock.hold(plan) : await plan();
    if (!sourceConfiguration(decision.instance).equals(sourceConfiguration(view.instance))) {
      throw new SwitchyardError('invalid-argument', [{ path: `policy ${this.policy.name}`, message: `at t=${view.time} the policy planned for another configuration than the controller's` }]);
    }
    this.o.onStep?.({ time: view.time, instance: decision.instance, view: view.instance, plan: decision.plan });
    const k = ++this.decision;
    this.emit({ type: 'decision', time: this.ledger.now, decision: k, plan: decision.plan });
    if (decision.plan.status === 'infeasible') {
      this.journal({ type: 'plan', time: this.ledger.now, decision: k, actions: [], infeasible: true });
      this.ledger.infeasible++;
      return;
    }
    this.journal({ type: 'plan', time: this.ledger.now, decision: k, actions: decision.plan.actions });
    if (decision.plan.actions.length === 0) return;
    const stop = new AbortController();
    this.stopLaunching = stop;
    if (this.stopped) stop.abort();
    const started = new Set<number>();
    const onProgress = (e: ProgressEvent): void => {
      if (this.closed) {
        // The books are closed (the horizon): nothing is accounted, but listeners still learn
        // how the actions in flight ended (where their VMs are).
        if (e.type === 'ended' && started.has(e.action.id)) this.emit({ type: 'actionEnded', time: this.ledger.now, decision: k, action: e.action, status: e.status, ...(e.error ? { error: e.error } : {}) });
        return;
      }
      if (e.type === 'started' && e.attempt === 1) {
        started.add(e.action.id);
        this.tick();
        this.journal({ type: 'actionStarted', time: this.ledger.now, decision: k, action: e.action.id });
        this.ledger.actionStarted(e.action);
        this.emit({ type: 'actionStarted', time: this.ledger.now, decision: k, action: e.action });
        this.wake();
      } else if (e.type === 'ended') {
        this.tick();
        const ran = started.has(e.action.id);
        if (ran) this.journal({ type: 'actionEnded', time: this.ledger.now, decision: k, action: e.action.id, status: e.status });
        const killed = ran ? this.ledger.actionEnded(e.action, e.status === 'succeeded') : undefined;
        if (killed) this.emit({ type: 'aborted', time: this.ledger.now, vjob: killed.vjob, discarded: killed.discarded });
        this.emit({ type: 'actionEnded', time: this.ledger.now, decision: k, action: e.action, status: e.status, ...(e.error ? { error: e.error } : {}) });
        this.wake();
      }
    };
    this.inFlight = executePlan(decision.instance, decision.plan, this.o.executor, { ...this.o.execution, clock: this.clock, stop: stop.signal, onProgress }).then(
      (report) => {
        this.inFlight = undefined;
        this.stopLaunching = undefined;
        // An action failed or was not launched: the target is not reached, decide again.
        if (!report.complete) this.needDecision = true;
        this.wake();
      },
      () => {
        this.inFlight = undefined;
        this.stopLaunching = undefined;
        this.needDecision = true;
        this.wake();
      },
    );
  }

  async run(options: { readonly untilIdle?: boolean; readonly inputsPending?: () => boolean; readonly signal?: AbortSignal } = {}): Promise<ControllerReport> {
    const maxDecisions = this.o.maxDecisions ?? 100_000;
    const horizon = this.o.horizon ?? Infinity;
    const onAbort = (): void => this.stop();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      for (;;) {
        const now = Math.min(this.clock.now(), horizon);
        this.tick(now);
        this.fireTimers(now);
        if (this.stopped && !this.inFlight) break;
        if (now >= horizon) {
          this.finish();
          this.stopLaunching?.abort();
          if (this.inFlight) await this.inFlight;
          break;
        }
        if (!this.inFlight && !this.stopped && (this.needDecision || this.ledger.killedSinceDecision)) {
          if (this.ledger.decisions >= maxDecisions) {
            this.ledger.decisions++;
            break;
          }
          await this.decide();
          continue;
        }
        let next = Math.min(this.timers[0]?.time ?? Infinity, this.ledger.nextCompletion(), horizon);
        if (!this.inFlight && !Number.isFinite(next) && options.untilIdle && !(options.inputsPending?.() ?? false)) break;
        if (this.inFlight && next < now + EPS) next = now + EPS;
        const ctl = new AbortController();
        this.wakeCtl = ctl;
        if (this.needDecision && !this.inFlight) continue;
        await this.clock.sleep(next - now, ctl.signal);
      }
    } finally {
      options.signal?.removeEventListener('abort', onAbort);
    }
    this.finish(Math.min(this.clock.now(), horizon));
    this.emit({ type: 'idle', time: this.ledger.now });
    return this.report(true);
  }

  /** Accounts the last stretch of time and closes the books (nothing is accounted after). */
  private finish(t?: number): void {
    if (this.closed) return;
    if (t !== undefined) this.tick(t);
    this.journal({ type: 'stop', time: this.ledger.now });
    this.closed = true;
  }
}

/**
 * Makes a controller (see the module comment).
 * @param options - the cluster, executor, policy, clock, journal, seed, hooks
 * @returns the controller; call `run()` to start its loop
 * @example
 * ```ts
 * const executor = simulatedExecutor(instance);
 * const controller = createController({ instance, executor, policy: switchPolicy() });
 * controller.submit({ id: 'j1', vms: [{ id: 'j1.0', demand: { cpu: 2, memory: 4096 } }], work: 600 });
 * const report = await controller.run({ untilIdle: true });
 * ```
 */
export function createController(options: ControllerOptions): Controller {
  return new LoopController(options);
}
