import type { IndexedInstance } from '../model/indexed.js';
import { VM_STATE_CODE, VM_STATE_OF_CODE } from '../model/indexed.js';
import type { VjobId } from '../model/ids.js';
import type { Instance } from '../model/instance.js';
import type { VmState } from '../model/vm.js';
import type { InfeasibleReason } from '../model/action.js';

/**
 * The final states a VM may reach from each state with one action of the format (FORMAT.md
 * state machine): boot (waiting → running), migrate (running → running), suspend
 * (running → sleeping), shutdown (running → terminated), resume (sleeping → running).
 * Staying put is always allowed.
 */
export const LEGAL_TRANSITIONS: Readonly<Record<VmState, readonly VmState[]>> = {
  waiting: ['waiting', 'running'],
  running: ['running', 'sleeping', 'terminated'],
  sleeping: ['sleeping', 'running'],
  terminated: ['terminated'],
};

/**
 * Whether a VM in state `from` can end in state `to` ({@link LEGAL_TRANSITIONS}).
 * @param from - source state
 * @param to - target state
 * @returns true when one action (or none) leads from `from` to `to`
 */
export function canReach(from: VmState, to: VmState): boolean {
  return LEGAL_TRANSITIONS[from].includes(to);
}

/** Source situation of a vjob's VMs. */
export type VjobCurrent = 'running' | 'sleeping' | 'waiting' | 'mixed';

/** A vjob as the decide step sees it: the VMs that share its fate, and whether it must or must not run. */
export interface VjobGroup {
  readonly id: VjobId;
  /** Index in {@link IndexedInstance.vjobIds}. */
  readonly index: number;
  /** Indices (in the dense index) of its VMs that follow the vjob's fate (not terminated, not asked to terminate). */
  readonly vms: Int32Array;
  /**
   * The whole vjob must run: some VM must end running (`wants`/`running` constraint), or the
   * vjob mixes waiting VMs with started ones (a waiting VM cannot sleep, so only running keeps
   * its VMs in one state).
   */
  readonly mandatory: boolean;
  /** Some VMs wait and others run or sleep in the source. */
  readonly mixedWaiting: boolean;
  /** Some VM must end sleeping: the whole vjob must not run. */
  readonly forbidden: boolean;
  readonly priority: number;
  readonly submitted: number;
  readonly bestEffort: boolean;
  /** What its VMs do in the source. */
  readonly current: VjobCurrent;
}

/** The state requirements of an instance: per VM, per vjob, and the conflicts found. */
export interface StateAnalysis {
  /** Per VM (dense index): -1 when free, else the {@link VM_STATE_CODE} it must end in. */
  readonly required: Int8Array;
  /** Vjobs with at least one VM that follows the vjob's fate, in vjob index order. */
  readonly groups: readonly VjobGroup[];
  /** Requirements that cannot be met together (empty when consistent). */
  readonly reasons: readonly InfeasibleReason[];
}

const NONE = -1;

/**
 * Collects what `wants` and the `running`/`sleeping`/`terminated` constraints require of each
 * VM and vjob, and reports the requirements no target can meet: two different wanted states
 * for one VM, a state the VM cannot reach from its own (a waiting VM asked to sleep, a sleeping
 * VM asked to terminate), a vjob asked both to run and to sleep.
 *
 * @param instance - the instance
 * @param ix - its dense index
 * @returns the requirements per VM and vjob, and the conflicts
 */
export function analyzeStates(instance: Instance, ix: IndexedInstance): StateAnalysis {
  const M = ix.vmIds.length;
  const required = new Int8Array(M).fill(NONE);
  const why = new Array<string | undefined>(M);
  const whyConstraint = new Array<number | undefined>(M);
  const reasons: InfeasibleReason[] = [];

  const demand = (v: number, state: VmState, source: string, constraint?: number): void => {
    const code = VM_STATE_CODE[state];
    const prev = required[v]!;
    if (prev !== NONE && prev !== code) {
      const id = ix.vmIds[v]!;
      const cs = [whyConstraint[v], constraint].filter((c): c is number => c !== undefined);
      reasons.push({
        message: `vm "${id}" is asked to end both ${VM_STATE_OF_CODE[prev]} (${why[v]}) and ${state} (${source})`,
        vms: [id],
        ...(cs.length > 0 ? { constraints: cs } : {}),
      });
      return;
    }
    required[v] = code;
    why[v] = source;
    if (constraint !== undefined) whyConstraint[v] = constraint;
  };

  let v = 0;
  for (const vm of instance.vms.values()) {
    if (vm.wants !== undefined) demand(v, vm.wants, 'its "wants"');
    v++;
  }
  let ci = 0;
  for (const c of instance.constraints) {
    if (c.type === 'running' || c.type === 'sleeping' || c.type === 'terminated') {
      for (const id of c.vms) {
        const k = ix.vmIndex.get(id);
        if (k !== undefined) demand(k, c.type, `constraint #${ci} ${c.type}`, ci);
      }
    }
    ci++;
  }

  // Reachability of each required state.
  for (let k = 0; k < M; k++) {
    const req = required[k]!;
    if (req === NONE) continue;
    const from = VM_STATE_OF_CODE[ix.vmState[k]!]!;
    const to = VM_STATE_OF_CODE[req]!;
    if (!canReach(from, to)) {
      const id = ix.vmIds[k]!;
      reasons.push({
        message: `vm "${id}" is ${from} and cannot become ${to} (${why[k]}): no action leads from ${from} to ${to}`,
        vms: [id],
        ...(whyConstraint[k] !== undefined ? { constraints: [whyConstraint[k]!] } : {}),
      });
    }
  }

  // Vjobs.
  const J = ix.vjobIds.length;
  const members: number[][] = Array.from({ length: J }, () => []);
  for (let k = 0; k < M; k++) {
    if (ix.vmState[k] === VM_STATE_CODE.terminated || required[k] === VM_STATE_CODE.terminated) continue;
    members[ix.vmVjob[k]!]!.push(k);
  }
  const groups: VjobGroup[] = [];
  for (let j = 0; j < J; j++) {
    const vms = members[j]!;
    if (vms.length === 0) continue;
    const id = ix.vjobIds[j]!;
    const declared = instance.vjobs.get(id);
    const mustRun = vms.filter((k) => required[k] === VM_STATE_CODE.running);
    const mustSleep = vms.filter((k) => required[k] === VM_STATE_CODE.sleeping);
    if (mustRun.length > 0 && mustSleep.length > 0) {
      reasons.push({
        message: `vjob "${id}" cannot be split: ${names(ix, mustRun)} must end running but ${names(ix, mustSleep)} must end sleeping`,
        vms: [...mustRun, ...mustSleep].map((k) => ix.vmIds[k]!),
      });
    }
    const states = new Set(vms.map((k) => ix.vmState[k]!));
    // A waiting VM can only wait or run, and a vjob's VMs end in one state: a vjob mixing waiting
    // VMs with started ones can only end running.
    const mixedWaiting = states.has(VM_STATE_CODE.waiting) && states.size > 1;
    if (mixedWaiting && mustSleep.length > 0) {
      const waiting = vms.filter((k) => ix.vmState[k] === VM_STATE_CODE.waiting);
      reasons.push({
        message: `vjob "${id}" cannot end sleeping (${names(ix, mustSleep)} must sleep): its waiting VMs ${names(ix, waiting)} cannot sleep, and a vjob's VMs end in one state`,
        vms: [...mustSleep, ...waiting].map((k) => ix.vmIds[k]!),
      });
    }
    const current: VjobCurrent =
      states.size > 1 ? 'mixed' : states.has(VM_STATE_CODE.running) ? 'running' : states.has(VM_STATE_CODE.sleeping) ? 'sleeping' : 'waiting';
    groups.push({
      id,
      index: j,
      vms: Int32Array.from(vms),
      mandatory: mustRun.length > 0 || (mixedWaiting && mustSleep.length === 0),
      mixedWaiting,
      forbidden: mustSleep.length > 0,
      priority: declared?.priority ?? 0,
      submitted: declared?.submitted ?? 0,
      bestEffort: declared?.bestEffort ?? false,
      current,
    });
  }
  return { required, groups, reasons };
}

/**
 * The final state and host of one VM, given whether its vjob runs: running VMs get their host
 * from the placement; a VM that does not run sleeps where it ran (suspend) or where its image
 * lies, keeps waiting if it never started, and a VM asked to terminate is terminated.
 *
 * @param ix - the dense index
 * @param required - {@link StateAnalysis.required}
 * @param vm - dense index of the VM
 * @param runs - whether the VM runs in the target
 * @returns its final state and, for a sleeping VM, its image host (node index, or -1)
 */
export function idleStateOf(ix: IndexedInstance, required: Int8Array, vm: number, runs: boolean): { state: VmState; host: number } {
  const src = ix.vmState[vm]!;
  if (runs) return { state: 'running', host: -1 };
  if (src === VM_STATE_CODE.terminated || required[vm] === VM_STATE_CODE.terminated) return { state: 'terminated', host: -1 };
  if (src === VM_STATE_CODE.waiting) return { state: 'waiting', host: -1 };
  return { state: 'sleeping', host: ix.vmHost[vm]! };
}

function names(ix: IndexedInstance, vms: readonly number[]): string {
  return vms.map((k) => `"${ix.vmIds[k]!}"`).join(', ');
}
