/** Frozen copy of src/plan/schedule.ts before the speed work (issue 18): the oracle of test/plan/planner.legacy.test.ts. */
/**
 * The event-driven list scheduler (internal): starts every ready action as soon as its
 * destination has room (capacity, spread), its limits allow, in priority order; when nothing
 * runs and actions remain, the waits form cycles of full nodes, which are broken by a detour
 * through a pivot node or by suspending one VM (resumed at its target later), the cheaper by the
 * duration model.
 *
 * Blocked actions wait in the queue of what blocks them (room on a node, a migration slot of a
 * node, a global migration slot) and are woken only when that thing frees: no scan over all
 * actions per event.
 */
import type { PlanProblem } from './build.js';
import { BOOT_NODE, isArrival, isDeparture, MIGRATE, RESUME, SHUTDOWN, SHUTDOWN_NODE, SUSPEND } from '../../../src/plan/graph.js';
import { IntHeap } from '../../../src/plan/heap.js';
import type { InfeasibleReason } from '../../../src/model/action.js';

const PENDING = 0;
const READY = 1;
const RUNNING = 2;
const DONE = 3;

/** Priority of the actions created to break a cycle: before anything else. */
const BREAK_PRIORITY = 1e300;
/** At most this many fitting pivots are compared for one detour. */
const PIVOTS_COMPARED = 8;

/** When each action runs, in the order the scheduler saw events. */
export interface Schedule {
  readonly start: readonly number[];
  readonly end: readonly number[];
  /** Event sequence numbers: an end with a smaller number than a start happened before it. */
  readonly startSeq: readonly number[];
  readonly endSeq: readonly number[];
  /** Cycle breaks made: detours through a pivot, and suspend/resume pairs. */
  readonly detours: number;
  readonly suspends: number;
}

/** The outcome of {@link scheduleProblem}. */
export type ScheduleOutcome = { readonly ok: true; readonly schedule: Schedule } | { readonly ok: false; readonly reasons: InfeasibleReason[] };

/** Relative tolerance of capacity comparisons (the verifier's). */
function fits(load: number, cap: number): boolean {
  return load <= cap + 1e-9 * Math.max(1, Math.abs(cap));
}

class Scheduler {
  private readonly g;
  private readonly N: number;
  private readonly R: number;
  private readonly cap: Float64Array;
  private readonly dem: Float64Array;
  private readonly L: number;
  private readonly G: number;
  private readonly load: Float64Array;
  private readonly online: Uint8Array;
  private readonly spreadCnt = new Map<number, number>();
  private readonly migNode: Int32Array;
  private migAll = 0;
  private readonly broken: Uint8Array;

  private readonly state: number[] = [];
  private readonly npred: number[] = [];
  private readonly start: number[] = [];
  private readonly end: number[] = [];
  private readonly startSeq: number[] = [];
  private readonly endSeq: number[] = [];
  private readonly epoch: number[] = [];
  private readonly reserved: number[] = [];
  /** 1 for the resume of a VM suspended to break a cycle: it takes room on its node last. */
  private readonly yielding: number[] = [];
  private readonly prio: number[];
  /** Per node: arrivals not started yet, yielding ones excepted. */
  private readonly pendingArrivals: Int32Array;
  /** Per node: yielding resumes waiting for the other arrivals to start (pairs action, epoch). */
  private readonly waitYield: number[][];
  /** Nodes whose `waitRoom` list may hold live entries. */
  private readonly roomWaitNodes = new Set<number>();
  /** Per node: departures running, and departures not finished. */
  private readonly runningDepartures: Int32Array;
  private readonly unfinishedDepartures: Int32Array;
  /** Actions finished since the last look for stuck cycles, and blocked arrivals seen then. */
  private finishedSinceCheck = 0;
  private blockedAtCheck = 0;

  /** Per node: arrivals waiting for room (pairs action, epoch). */
  private readonly waitRoom: number[][];
  /** Per node: migrations waiting for a migration slot of the node (pairs action, epoch). */
  private readonly waitSlot: number[][];
  private readonly entryAction: number[] = [];
  private readonly entryEpoch: number[] = [];
  private readonly waitGlobal: IntHeap;
  private readonly cand: IntHeap;
  private readonly running: IntHeap;

  private t = 0;
  private seq = 0;
  private done = 0;
  private detours = 0;
  private suspends = 0;

  constructor(
    private readonly p: PlanProblem,
    priority: readonly number[],
    private readonly parallelBreaks: boolean,
  ) {
    const g = p.graph;
    this.g = g;
    const ix = p.ix;
    this.N = ix.nodeIds.length;
    this.R = ix.resources.length;
    this.cap = ix.effectiveCapacity;
    this.dem = ix.demand;
    this.L = p.limits.maxMigrationsPerNode;
    this.G = p.limits.maxParallelMigrations;
    this.load = new Float64Array(this.N * this.R);
    this.online = Uint8Array.from(ix.nodeOnline);
    this.migNode = new Int32Array(this.N);
    this.broken = new Uint8Array(ix.vmIds.length);
    for (let v = 0; v < ix.vmIds.length; v++) {
      const h = ix.vmHost[v]!;
      if (ix.vmState[v] !== 1 || h < 0) continue;
      this.addLoad(h, v, 1);
      this.spreadAdd(v, h, 1);
    }
    this.prio = [...priority];
    this.waitRoom = Array.from({ length: this.N }, () => []);
    this.waitSlot = Array.from({ length: this.N }, () => []);
    this.waitYield = Array.from({ length: this.N }, () => []);
    this.pendingArrivals = new Int32Array(this.N);
    for (let a = 0; a < g.size; a++) if (isArrival(g.kind[a]!)) this.pendingArrivals[g.to[a]!]!++;
    this.runningDepartures = new Int32Array(this.N);
    this.unfinishedDepartures = new Int32Array(this.N);
    for (let a = 0; a < g.size; a++) if (isDeparture(g.kind[a]!)) this.unfinishedDepartures[g.from[a]!]!++;
    const prio = this.prio;
    const before = (a: number, b: number): boolean => prio[a]! > prio[b]! || (prio[a] === prio[b] && a < b);
    this.cand = new IntHeap(before);
    this.waitGlobal = new IntHeap((x, y) => before(this.entryAction[x]!, this.entryAction[y]!));
    const end = this.end;
    this.running = new IntHeap((a, b) => end[a]! < end[b]! || (end[a] === end[b] && a < b));
    for (let a = 0; a < g.size; a++) this.grow(a, g.preds[a]!.length);
  }

  /** Sets up the per-action arrays of a new action. */
  private grow(a: number, npred: number): void {
    this.state[a] = npred === 0 ? READY : PENDING;
    this.npred[a] = npred;
    this.start[a] = NaN;
    this.end[a] = NaN;
    this.startSeq[a] = -1;
    this.endSeq[a] = -1;
    this.epoch[a] = 0;
    this.reserved[a] = 0;
    this.yielding[a] = 0;
    if (this.prio[a] === undefined) this.prio[a] = BREAK_PRIORITY;
  }

  private addLoad(n: number, v: number, sign: number): void {
    const R = this.R;
    for (let r = 0; r < R; r++) this.load[n * R + r]! += sign * this.dem[v * R + r]!;
  }

  private roomFor(n: number, v: number): boolean {
    const R = this.R;
    for (let r = 0; r < R; r++) {
      const d = this.dem[v * R + r]!;
      if (d > 0 && !fits(this.load[n * R + r]! + d, this.cap[n * R + r]!)) return false;
    }
    return true;
  }

  private spreadAdd(v: number, n: number, delta: number): void {
    for (const s of this.p.spreadOf[v]!) {
      const k = s * this.N + n;
      this.spreadCnt.set(k, (this.spreadCnt.get(k) ?? 0) + delta);
    }
  }

  private spreadFree(v: number, n: number): boolean {
    for (const s of this.p.spreadOf[v]!) if ((this.spreadCnt.get(s * this.N + n) ?? 0) > 0) return false;
    return true;
  }

  private register(list: number[], a: number): void {
    list.push(a, ++this.epoch[a]!);
  }

  private wake(list: number[]): void {
    for (let i = 0; i < list.length; i += 2) {
      const a = list[i]!;
      if (this.epoch[a] !== list[i + 1] || this.state[a] !== READY) continue;
      this.epoch[a]!++;
      this.cand.push(a);
    }
    list.length = 0;
  }

  /** Starts `a` now if everything allows it, else parks it where it waits. */
  private attempt(a: number): void {
    const g = this.g;
    const k = g.kind[a]!;
    if (isArrival(k)) {
      const v = g.vm[a]!;
      const x = g.to[a]!;
      if (this.yielding[a] && this.pendingArrivals[x]! > 0) return this.register(this.waitYield[x]!, a);
      if (!this.reserved[a] && !(this.roomFor(x, v) && this.spreadFree(v, x))) {
        this.roomWaitNodes.add(x);
        return this.register(this.waitRoom[x]!, a);
      }
      if (k === MIGRATE) {
        const f = g.from[a]!;
        if (this.migNode[f]! >= this.L) return this.register(this.waitSlot[f]!, a);
        if (this.migNode[x]! >= this.L) return this.register(this.waitSlot[x]!, a);
        if (this.migAll >= this.G) {
          const e = this.entryAction.length;
          this.entryAction.push(a);
          this.entryEpoch.push(++this.epoch[a]!);
          this.waitGlobal.push(e);
          return;
        }
      }
    }
    this.begin(a);
  }

  private begin(a: number): void {
    const g = this.g;
    const k = g.kind[a]!;
    this.state[a] = RUNNING;
    this.start[a] = this.t;
    this.startSeq[a] = this.seq++;
    if (isArrival(k)) {
      const v = g.vm[a]!;
      const x = g.to[a]!;
      if (!this.reserved[a]) {
        this.addLoad(x, v, 1);
        this.spreadAdd(v, x, 1);
      }
      if (!this.yielding[a]) this.arrivalGone(x);
      if (k === MIGRATE) {
        this.migNode[g.from[a]!]!++;
        this.migNode[x]!++;
        this.migAll++;
      }
    }
    if (isDeparture(k)) this.runningDepartures[g.from[a]!]!++;
    this.end[a] = this.t + g.dur[a]!;
    this.running.push(a);
  }

  private finish(a: number): void {
    const g = this.g;
    const k = g.kind[a]!;
    this.state[a] = DONE;
    this.endSeq[a] = this.seq++;
    this.done++;
    this.finishedSinceCheck++;
    if (k === MIGRATE || k === SUSPEND || k === SHUTDOWN) {
      const v = g.vm[a]!;
      const f = g.from[a]!;
      this.runningDepartures[f]!--;
      this.unfinishedDepartures[f]!--;
      this.addLoad(f, v, -1);
      this.spreadAdd(v, f, -1);
      this.wake(this.waitRoom[f]!);
      this.roomWaitNodes.delete(f);
      if (k === MIGRATE) {
        const x = g.to[a]!;
        this.migNode[f]!--;
        this.migNode[x]!--;
        this.migAll--;
        this.wake(this.waitSlot[f]!);
        this.wake(this.waitSlot[x]!);
      }
    } else if (k === BOOT_NODE) this.online[g.to[a]!] = 1;
    else if (k === SHUTDOWN_NODE) this.online[g.from[a]!] = 0;
    for (const s of g.succs[a]!) {
      if (--this.npred[s]! === 0 && this.state[s] === PENDING) {
        this.state[s] = READY;
        this.cand.push(s);
      }
    }
  }

  /** One arrival on `x` fewer to wait for. */
  private arrivalGone(x: number): void {
    if (--this.pendingArrivals[x]! === 0) this.wake(this.waitYield[x]!);
  }

  /** Starts everything that can start now, highest priority first. */
  private startReady(): void {
    const { cand, waitGlobal, entryAction, entryEpoch } = this;
    const prio = this.prio;
    for (;;) {
      while (waitGlobal.size > 0) {
        const e = waitGlobal.peek();
        const a = entryAction[e]!;
        if (this.state[a] === READY && this.epoch[a] === entryEpoch[e]) break;
        waitGlobal.pop();
      }
      const globalOpen = this.migAll < this.G && waitGlobal.size > 0;
      if (cand.size === 0 && !globalOpen) return;
      let a: number;
      if (globalOpen && (cand.size === 0 || prio[entryAction[waitGlobal.peek()]!]! > prio[cand.peek()]!)) {
        a = entryAction[waitGlobal.pop()]!;
        this.epoch[a]!++;
      } else {
        a = cand.pop();
        if (this.state[a] !== READY) continue;
      }
      this.attempt(a);
    }
  }

  run(): ScheduleOutcome {
    for (let a = 0; a < this.g.size; a++) if (this.state[a] === READY) this.cand.push(a);
    for (;;) {
      this.startReady();
      if (this.running.size === 0) {
        if (this.done === this.g.size) break;
        const r = this.breakCycles(true);
        if (r !== true) return { ok: false, reasons: r === false ? [{ message: 'the planner is stuck (internal error)' }] : r };
        continue;
      }
      // Cycles stuck while other work runs elsewhere: looked for at the start, then after as many
      // actions have ended as arrivals were blocked at the last look (amortised linear).
      if (this.roomWaitNodes.size > 0 && (this.t === 0 ? this.blockedAtCheck === 0 : this.finishedSinceCheck >= Math.max(16, this.blockedAtCheck))) {
        this.finishedSinceCheck = 0;
        const r = this.breakCycles(false);
        if (r === true) continue;
      }
      const first = this.running.pop();
      this.t = this.end[first]!;
      this.finish(first);
      while (this.running.size > 0 && this.end[this.running.peek()] === this.t) this.finish(this.running.pop());
    }
    return {
      ok: true,
      schedule: {
        start: this.start, end: this.end, startSeq: this.startSeq, endSeq: this.endSeq, detours: this.detours, suspends: this.suspends,
      },
    };
  }

  // ---------------------------------------------------------------------------------------------
  // Cycle breaking

  /**
   * Breaks the cycles of waits that cannot resolve by themselves. The wait graph has an edge
   * P → X when a VM leaving P waits for room on X and P has VMs waiting to arrive; a strongly
   * connected component is stuck when nothing leads out of it and none of its nodes has a
   * departure running or pending other than the blocked ones. In each stuck component (or, with
   * parallel breaks, at each of its nodes) the cheapest VM is broken, preferably one whose
   * departure lets a VM waiting for its node in: by a detour through a pivot node with room, or
   * by suspending it and resuming it at its target later.
   * @param full - nothing runs: also release yielding resumes, and report when nothing can move
   * @returns true when something was broken or released; false when nothing is stuck (not full);
   *   the reasons when nothing runs and nothing can be broken
   */
  private breakCycles(full: boolean): true | false | InfeasibleReason[] {
    const g = this.g;
    const N = this.N;
    if (full) {
      // Yielding resumes that fit now go first: they need no break.
      let released = 0;
      for (let n = 0; n < N; n++) {
        const list = this.waitYield[n]!;
        for (let i = 0; i < list.length; i += 2) {
          const a = list[i]!;
          if (this.epoch[a] !== list[i + 1] || this.state[a] !== READY) continue;
          if (!(this.roomFor(n, g.vm[a]!) && this.spreadFree(g.vm[a]!, n))) continue;
          this.yielding[a] = 0;
          this.pendingArrivals[n]!++;
          this.epoch[a]!++;
          this.cand.push(a);
          released++;
        }
      }
      if (released > 0) return true;
    }
    const blocked = new Map<number, number[]>();
    let blockedCount = 0;
    for (const n of [...this.roomWaitNodes].sort((a, b) => a - b)) {
      const list = this.waitRoom[n]!;
      const valid: number[] = [];
      for (let i = 0; i < list.length; i += 2) {
        const a = list[i]!;
        if (this.epoch[a] === list[i + 1] && this.state[a] === READY) valid.push(a, list[i + 1]!);
      }
      list.length = 0;
      list.push(...valid);
      if (valid.length === 0) {
        this.roomWaitNodes.delete(n);
        continue;
      }
      const arrivals = valid.filter((_, i) => i % 2 === 0);
      blocked.set(n, arrivals);
      blockedCount += arrivals.length;
    }
    this.blockedAtCheck = blockedCount;
    if (blocked.size === 0) return full ? [{ message: 'the planner is stuck with no action waiting for room (internal error)' }] : false;

    // Wait graph, its strongly connected components, and which of them are stuck.
    const nodes = [...blocked.keys()];
    const adj = new Map<number, number[]>();
    const blockedDepartures = new Map<number, number>();
    for (const [x, arrivals] of blocked) {
      for (const a of arrivals) {
        if (g.kind[a] !== MIGRATE) continue;
        const f = g.from[a]!;
        blockedDepartures.set(f, (blockedDepartures.get(f) ?? 0) + 1);
        if (!blocked.has(f)) continue;
        const l = adj.get(f);
        if (l) l.push(x);
        else adj.set(f, [x]);
      }
    }
    const comp = sccs(nodes, adj);
    const stuck = new Map<number, boolean>();
    for (const n of nodes) {
      const c = comp.get(n)!;
      if (c < 0) continue;
      let ok = stuck.get(c) ?? true;
      if (this.runningDepartures[n]! > 0 || this.unfinishedDepartures[n] !== (blockedDepartures.get(n) ?? 0)) ok = false;
      for (const x of adj.get(n) ?? []) if (comp.get(x) !== c) ok = false;
      stuck.set(c, ok);
    }

    const pivots = this.pivotList(blocked);
    let applied = 0;
    const best = new Map<number, { a: number; effective: boolean; cost: number; pivot: number }>();
    for (const [x, arrivals] of blocked) {
      for (const a of arrivals) {
        if (g.kind[a] !== MIGRATE) continue;
        const f = g.from[a]!;
        const c = comp.get(f);
        if (c === undefined || c < 0 || c !== comp.get(x) || !stuck.get(c)) continue;
        const option = this.breakOption(a, blocked.get(f) ?? [], pivots);
        if (option === undefined) continue;
        const key = this.parallelBreaks ? N + f : c;
        const cur = best.get(key);
        if (
          cur === undefined ||
          (option.effective && !cur.effective) ||
          (option.effective === cur.effective && (option.cost < cur.cost || (option.cost === cur.cost && a < cur.a)))
        ) {
          best.set(key, { a, ...option });
        }
      }
    }
    for (const b of [...best.values()].sort((u, w) => u.a - w.a)) {
      // Pivot room may have been taken by an earlier break of this round.
      if (b.pivot >= 0 && !this.pivotFits(g.vm[b.a]!, b.pivot)) {
        const again = this.breakOption(b.a, blocked.get(g.from[b.a]!) ?? [], pivots);
        if (again === undefined) continue;
        b.pivot = again.pivot;
      }
      if (b.pivot >= 0) this.detour(b.a, b.pivot);
      else this.suspendResume(b.a);
      applied++;
    }
    if (applied > 0) return true;
    if (!full) return false;

    const vms = new Set<string>();
    const where = new Set<string>();
    for (const [x, arrivals] of blocked) {
      where.add(this.p.ix.nodeIds[x]!);
      for (const a of arrivals) vms.add(this.p.ix.vmIds[g.vm[a]!]!);
    }
    const names = [...vms];
    const shown = names.length > 12 ? `${names.slice(0, 12).join(', ')} and ${names.length - 12} more` : names.join(', ');
    const cyclic = [...comp.values()].some((c) => c >= 0);
    return [
      {
        message: cyclic
          ? `no order of actions reaches the target: ${shown} wait for room on ${[...where].join(', ')} in a cycle that no VM can break (no pivot node with room, and the VMs cannot be suspended: root VMs or quarantined nodes)`
          : `no order of actions reaches the target: ${shown} wait for room on ${[...where].join(', ')} that nothing frees`,
        vms: names,
        nodes: [...where],
      },
    ];
  }

  /** Nodes that may host a VM on a detour: online now and at the end, never shut down, not quarantined; free ones first. */
  private pivotList(blocked: Map<number, number[]>): number[] {
    const p = this.p;
    const R = this.R;
    const m = p.ix.memory >= 0 ? p.ix.memory : 0;
    const out: number[] = [];
    const free = new Float64Array(this.N);
    for (let n = 0; n < this.N; n++) {
      if (!this.online[n] || !p.tOnline[n] || p.shutsDown[n] || p.quarantined[n]) continue;
      let room = true;
      for (let r = 0; r < R; r++) if (!(this.cap[n * R + r]! - this.load[n * R + r]! > 0)) room = false;
      if (!room && R > 0) continue;
      free[n] = R > 0 ? this.cap[n * R + m]! - this.load[n * R + m]! : 0;
      out.push(n);
    }
    return out.sort((a, b) => Number(blocked.has(a)) - Number(blocked.has(b)) || free[b]! - free[a]! || a - b);
  }

  private pivotFits(v: number, n: number): boolean {
    if (!this.roomFor(n, v) || !this.spreadFree(v, n)) return false;
    for (const mask of this.p.pivotMasks[v]!) if (!mask[n]) return false;
    return true;
  }

  /**
   * How migration `a` could be broken: whether its departure lets a blocked arrival in, and the
   * cheaper of a detour (best pivot among the first fitting ones) and a suspend/resume.
   */
  private breakOption(a: number, arrivalsAtSource: readonly number[], pivots: readonly number[]): { effective: boolean; cost: number; pivot: number } | undefined {
    const g = this.g;
    const p = this.p;
    const v = g.vm[a]!;
    const f = g.from[a]!;
    const x = g.to[a]!;
    if (p.rootVm[v] || this.broken[v]! >= 2) return undefined;
    let cost = Infinity;
    let pivot = -1;
    if (this.broken[v] === 0) {
      let seen = 0;
      for (const n of pivots) {
        if (n === f || n === x || !this.pivotFits(v, n)) continue;
        const c = p.duration(MIGRATE, v, f, n) + p.duration(MIGRATE, v, n, x);
        if (c < cost) {
          cost = c;
          pivot = n;
        }
        if (++seen >= PIVOTS_COMPARED) break;
      }
    }
    if (!p.quarantined[f] && !p.quarantined[x]) {
      const c = p.duration(SUSPEND, v, f, -1) + p.duration(RESUME, v, f, x);
      if (c < cost) {
        cost = c;
        pivot = -1;
      }
    }
    if (cost === Infinity) return undefined;
    // Effective: once v has left f, some VM waiting for f fits.
    this.addLoad(f, v, -1);
    this.spreadAdd(v, f, -1);
    let effective = false;
    for (const b of arrivalsAtSource) {
      const w = g.vm[b]!;
      if (this.roomFor(f, w) && this.spreadFree(w, f)) {
        effective = true;
        break;
      }
    }
    this.addLoad(f, v, 1);
    this.spreadAdd(v, f, 1);
    return { effective, cost, pivot };
  }

  /** Breaks migration `a` (v: f → x) into f → pivot now (room reserved) and pivot → x later. */
  private detour(a: number, pivot: number): void {
    const g = this.g;
    const p = this.p;
    const v = g.vm[a]!;
    const f = g.from[a]!;
    const x = g.to[a]!;
    const first = g.add(MIGRATE, v, f, pivot, p.duration(MIGRATE, v, f, pivot));
    this.pendingArrivals[pivot]!++;
    // The first leg needs what the VM's move needed of others (an among barrier), not the boot of x.
    for (const q of g.preds[a]!) if (g.kind[q] === SUSPEND || g.kind[q] === SHUTDOWN) g.edge(q, first);
    this.grow(first, 0);
    for (const s of [...g.succs[a]!]) if (g.kind[s] === SHUTDOWN_NODE && g.from[s] === f) g.redirect(a, s, first);
    g.from[a] = pivot;
    g.dur[a] = p.duration(MIGRATE, v, pivot, x);
    this.unfinishedDepartures[pivot]!++;
    this.postpone(a, first);
    this.reserved[first] = 1;
    this.addLoad(pivot, v, 1);
    this.spreadAdd(v, pivot, 1);
    this.cand.push(first);
    this.broken[v]!++;
    this.detours++;
  }

  /** Breaks migration `a` (v: f → x) into a suspend on f now and a resume f → x later. */
  private suspendResume(a: number): void {
    const g = this.g;
    const p = this.p;
    const v = g.vm[a]!;
    const f = g.from[a]!;
    const x = g.to[a]!;
    const sus = g.add(SUSPEND, v, f, -1, p.duration(SUSPEND, v, f, -1));
    this.grow(sus, 0);
    g.kind[a] = RESUME;
    g.dur[a] = p.duration(RESUME, v, f, x);
    this.postpone(a, sus);
    this.yielding[a] = 1;
    this.arrivalGone(x);
    this.cand.push(sus);
    this.broken[v] = 2;
    this.suspends++;
  }

  /** Makes `a` wait for `pred` (which has just been created). */
  private postpone(a: number, pred: number): void {
    this.g.edge(pred, a);
    this.state[a] = PENDING;
    this.npred[a] = 1;
    this.epoch[a]!++;
  }
}

/**
 * Strongly connected components of a directed graph on `nodes` (iterative Tarjan).
 * @returns node → component id, or -1 for a node alone in its component
 */
function sccs(nodes: readonly number[], adj: ReadonlyMap<number, readonly number[]>): Map<number, number> {
  const index = new Map<number, number>();
  const low = new Map<number, number>();
  const onStack = new Set<number>();
  const stack: number[] = [];
  const comp = new Map<number, number>();
  let counter = 0;
  let comps = 0;
  for (const root of nodes) {
    if (index.has(root)) continue;
    const frames: [number, number][] = [[root, 0]];
    index.set(root, counter);
    low.set(root, counter++);
    stack.push(root);
    onStack.add(root);
    while (frames.length > 0) {
      const frame = frames[frames.length - 1]!;
      const [v, k] = frame;
      const edges = adj.get(v) ?? [];
      if (k < edges.length) {
        frame[1] = k + 1;
        const w = edges[k]!;
        if (!index.has(w)) {
          index.set(w, counter);
          low.set(w, counter++);
          stack.push(w);
          onStack.add(w);
          frames.push([w, 0]);
        } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
        continue;
      }
      frames.pop();
      if (frames.length > 0) {
        const parent = frames[frames.length - 1]![0];
        low.set(parent, Math.min(low.get(parent)!, low.get(v)!));
      }
      if (low.get(v) === index.get(v)) {
        const members: number[] = [];
        let w: number;
        do {
          w = stack.pop()!;
          onStack.delete(w);
          members.push(w);
        } while (w !== v);
        const id = members.length > 1 ? comps++ : -1;
        for (const m of members) comp.set(m, id);
      }
    }
  }
  return comp;
}

/**
 * Schedules the actions of a problem (the graph grows when cycles are broken).
 * @param p - the problem
 * @param priority - per action: higher starts first when several compete
 * @param parallelBreaks - break a cycle at every node with VMs waiting to arrive (not once per cycle)
 * @returns the schedule, or why no order of actions reaches the target
 */
export function scheduleProblem(p: PlanProblem, priority: readonly number[], parallelBreaks = false): ScheduleOutcome {
  return new Scheduler(p, priority, parallelBreaks).run();
}
