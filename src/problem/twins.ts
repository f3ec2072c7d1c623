/**
 * The solver twin of every constraint: what the problem compiler does with it (in the spirit of
 * BtrPlace's `Ban` / `BanChecker` / `CBan`). Each constraint type has its meaning in
 * `src/constraints/<type>.ts` (the checker's spec) and its twin here; both registries are keyed
 * by type and checked by the compiler, so a constraint without a twin does not compile.
 *
 * A twin writes the constraint into the {@link ProblemBuilder} in one of a few compiled forms,
 * which every solver reads through the one dense problem ({@link DenseProblem}):
 * - **node modes** (`online`, `offline`, `maxOnline`): which nodes may, must or may not end online;
 * - **static domains** (`ban`, `fence`, `among`'s groups, `reserved`, `quarantine`, `root`):
 *   which nodes a VM may run on, read by the search's domains, the MIP's variables and the
 *   repair's moves;
 * - **VM-set rules** (`spread`, `gather`, `among`, `split`, `lonely`): lists of running VMs,
 *   propagated by the search state and encoded as rows by the MIP encoders;
 * - **node-set bounds** (`resourceCapacity`, `runningCapacity`, `maxOnline`);
 * - **nothing** (`overbook`: already in the usable capacities of the index; `running`,
 *   `sleeping`, `terminated`: read by the decide stage as target states).
 *
 * `src/problem/view.ts` (the search), `src/solvers/encode.ts` (the MIP) and
 * `src/solvers/repair.ts` (repair) each read every compiled form; `docs/adding-a-constraint.md`
 * says what to touch when a constraint needs a form of its own.
 */
import type { InfeasibleReason } from '../model/action.js';
import type { Constraint, ConstraintOf, ConstraintType } from '../model/constraints.js';
import type { NodeId, VmId } from '../model/ids.js';
import type { IndexedInstance } from '../model/indexed.js';
import type { Instance } from '../model/instance.js';

/** The mask function of each compiled group list: one per list, so that its VMs share one domain. */
const UNIONS = new WeakMap<AmongGroups, () => Uint8Array>();

/** The static domain of an `among` over `shape`: the union of its groups (one function per shape). */
function unionOf(shape: AmongGroups, nNodes: number): () => Uint8Array {
  let f = UNIONS.get(shape);
  if (f === undefined) {
    f = () => {
      const allowed = new Uint8Array(nNodes);
      for (const g of shape.groups) for (const n of g) allowed[n] = 1;
      return allowed;
    };
    UNIONS.set(shape, f);
  }
  return f;
}

/** A compiled `among`'s node groups (shared between constraints naming the same groups). */
export interface AmongGroups {
  readonly groups: readonly Int32Array[];
  /** For disjoint groups: the group of each node, -1 for none. */
  readonly nodeGroup: Int32Array | undefined;
}

/**
 * What a twin writes into while the dense problem is compiled (see {@link compileProblem}). The
 * compiler finishes node modes, pins and domains once every twin has run, so twins never depend
 * on each other's order.
 */
export interface ProblemBuilder {
  readonly instance: Instance;
  readonly ix: IndexedInstance;
  /** Target state code of every VM (only running VMs are placed). */
  readonly target: Uint8Array;
  /** Node indices of ids (unknown ids dropped, no repeats). */
  nodesOf(ids: readonly NodeId[]): Int32Array;
  /** VM indices of ids (unknown ids dropped, no repeats). */
  vmsOf(ids: readonly VmId[]): Int32Array;
  /** The VMs of ids that run in the target. */
  runningOf(ids: readonly VmId[]): Int32Array;
  /** The compiled groups of an `among` (each distinct group list compiled once). */
  amongGroups(groups: readonly (readonly NodeId[])[]): AmongGroups;
  /** Marks nodes as forced online by constraint `ci`. */
  forceOnline(nodes: Int32Array, ci: number): void;
  /** Marks nodes as forced offline by constraint `ci`. */
  forceOffline(nodes: Int32Array, ci: number): void;
  /** Marks nodes as quarantined (VMs there stay; none arrives). */
  quarantine(nodes: Int32Array): void;
  /** Reserves nodes for vjob `vjob` (dense vjob index, -3 when unknown). */
  reserve(nodes: Int32Array, vjob: number): void;
  /** Pins VMs to the node they run or sleep on. */
  pinHome(vms: Int32Array): void;
  /** Restricts the static domain of `vms` to the nodes `allowed` (1 = allowed), for constraint `ci`. */
  restrict(vms: Int32Array, ci: number, allowed: () => Uint8Array): void;
  /** Per-rule lists, as {@link DenseProblem} holds them. */
  readonly spreads: { vms: Int32Array; source: number }[];
  readonly gathers: { vms: Int32Array; source: number }[];
  readonly amongs: { vms: Int32Array; groups: readonly Int32Array[]; disjoint: boolean; nodeGroup?: Int32Array; source: number }[];
  readonly splits: { groups: readonly Int32Array[]; source: number }[];
  readonly lonelies: { vms: Int32Array; source: number }[];
  readonly resourceBounds: { nodes: Int32Array; amount: number; r: number; source: number }[];
  readonly runningBounds: { nodes: Int32Array; amount: number; source: number }[];
  readonly onlineBounds: { nodes: Int32Array; amount: number; source: number }[];
  /** Rules no placement can meet, found while compiling. */
  readonly reasons: InfeasibleReason[];
}

/** The compiled forms a twin may write (what the solvers must read). */
export type CompiledForm = 'nodeModes' | 'domains' | 'vmSets' | 'nodeBounds' | 'capacities' | 'targetStates';

/** The solver twin of constraint type `K`. */
export interface ConstraintTwin<K extends ConstraintType> {
  /** The compiled forms it writes (documentation the tests hold against `compile`). */
  readonly forms: readonly CompiledForm[];
  /**
   * Writes constraint `c` (the instance's constraint number `ci`) into the builder.
   * @param c - the constraint
   * @param ci - its index in the instance
   * @param b - the builder
   */
  compile(c: ConstraintOf<K>, ci: number, b: ProblemBuilder): void;
}

/** A registry with one twin per constraint type. */
export type TwinRegistry = { readonly [K in ConstraintType]: ConstraintTwin<K> };

const nothing = (): void => {};

/**
 * Every constraint's solver twin. The `satisfies` clause makes the compiler reject a registry
 * that misses a type or pairs a key with another type's twin.
 *
 * @example
 * ```ts
 * TWINS.ban.forms; // ['domains']
 * ```
 */
export const TWINS = {
  ban: {
    forms: ['domains'],
    compile(c, ci, b) {
      const nodes = b.nodesOf(c.nodes);
      b.restrict(b.runningOf(c.vms), ci, () => {
        const allowed = new Uint8Array(b.ix.nodeIds.length).fill(1);
        for (const n of nodes) allowed[n] = 0;
        return allowed;
      });
    },
  },
  fence: {
    forms: ['domains'],
    compile(c, ci, b) {
      b.restrict(b.runningOf(c.vms), ci, () => {
        const allowed = new Uint8Array(b.ix.nodeIds.length);
        for (const n of b.nodesOf(c.nodes)) allowed[n] = 1;
        return allowed;
      });
    },
  },
  spread: {
    forms: ['vmSets'],
    compile(c, ci, b) {
      const vms = b.runningOf(c.vms);
      if (vms.length > 1) b.spreads.push({ vms, source: ci });
    },
  },
  gather: {
    forms: ['vmSets'],
    compile(c, ci, b) {
      const vms = b.runningOf(c.vms);
      if (vms.length > 1) b.gathers.push({ vms, source: ci });
    },
  },
  among: {
    forms: ['domains', 'vmSets'],
    compile(c, ci, b) {
      const shape = b.amongGroups(c.groups);
      const vms = b.runningOf(c.vms);
      if (vms.length === 0) return;
      // A member runs inside some group: the union of the groups is its static domain.
      b.restrict(vms, ci, unionOf(shape, b.ix.nodeIds.length));
      b.amongs.push({ vms, groups: shape.groups, disjoint: shape.nodeGroup !== undefined, ...(shape.nodeGroup ? { nodeGroup: shape.nodeGroup } : {}), source: ci });
    },
  },
  split: {
    forms: ['vmSets'],
    compile(c, ci, b) {
      // A VM listed in several groups belongs to the first (as the checker reads it).
      const seen = new Set<number>();
      const groups = c.groups
        .map((g) => Int32Array.from([...b.runningOf(g)].filter((v) => !seen.has(v) && (seen.add(v), true))))
        .filter((g) => g.length > 0);
      if (groups.length > 1) b.splits.push({ groups, source: ci });
    },
  },
  lonely: {
    forms: ['vmSets'],
    compile(c, ci, b) {
      const vms = b.runningOf(c.vms);
      if (vms.length > 0) b.lonelies.push({ vms, source: ci });
    },
  },
  root: {
    forms: ['domains'],
    compile(c, _ci, b) {
      b.pinHome(b.vmsOf(c.vms));
    },
  },
  quarantine: {
    forms: ['domains'],
    compile(c, _ci, b) {
      b.quarantine(b.nodesOf(c.nodes));
    },
  },
  overbook: { forms: ['capacities'], compile: nothing },
  resourceCapacity: {
    forms: ['nodeBounds'],
    compile(c, ci, b) {
      const r = b.ix.resourceIndex.get(c.resource);
      if (r !== undefined) b.resourceBounds.push({ nodes: b.nodesOf(c.nodes), amount: c.amount, r, source: ci });
    },
  },
  runningCapacity: {
    forms: ['nodeBounds'],
    compile(c, ci, b) {
      b.runningBounds.push({ nodes: b.nodesOf(c.nodes), amount: c.amount, source: ci });
    },
  },
  maxOnline: {
    forms: ['nodeModes', 'nodeBounds'],
    compile(c, ci, b) {
      b.onlineBounds.push({ nodes: b.nodesOf(c.nodes), amount: c.amount, source: ci });
    },
  },
  online: {
    forms: ['nodeModes'],
    compile(c, ci, b) {
      b.forceOnline(b.nodesOf(c.nodes), ci);
    },
  },
  offline: {
    forms: ['nodeModes'],
    compile(c, ci, b) {
      b.forceOffline(b.nodesOf(c.nodes), ci);
    },
  },
  reserved: {
    forms: ['domains'],
    compile(c, _ci, b) {
      b.reserve(b.nodesOf(c.nodes), b.ix.vjobIndex.get(c.vjob) ?? -3);
    },
  },
  running: { forms: ['targetStates'], compile: nothing },
  sleeping: { forms: ['targetStates'], compile: nothing },
  terminated: { forms: ['targetStates'], compile: nothing },
} as const satisfies TwinRegistry;

/**
 * Compiles one constraint through its twin. (The one place where the link between a
 * constraint's `type` tag and its twin is taken on trust: {@link TWINS} is keyed by tag.)
 * @param c - the constraint
 * @param ci - its index in the instance
 * @param b - the builder
 */
export function compileConstraint(c: Constraint, ci: number, b: ProblemBuilder): void {
  (TWINS[c.type] as unknown as ConstraintTwin<ConstraintType> & { compile(c: Constraint, ci: number, b: ProblemBuilder): void }).compile(c, ci, b);
}
