/**
 * Re-homing of advance reservations (docs/format.md, "Simulation semantics", "Re-homing"): a
 * claimed reservation that holds a failed node is given a **spare** in its place, a node of
 * identical capacity that is online, not failed, not already one of its nodes, and held by no
 * other reservation whose window overlaps its own. Among the spares, the one with the least
 * load (the work that would have to move off it, e.g. the memory of the VMs of other vjobs that
 * run there) wins; ties go to the first in node order.
 *
 * Pure and deterministic: the same input gives the same answer; nothing is mutated. The
 * simulator calls it before every decision; a controller can call it on every node failure and
 * every claim.
 */
import type { NodeId, VjobId } from '../../model/ids.js';

/** A reservation as {@link rehomeClaims} sees it. */
export interface RehomeReservation {
  readonly vjob: VjobId;
  /** Its nodes now (after the substitutions made so far), in its own order. */
  readonly nodes: readonly NodeId[];
  /** When its window opens: its claim time (`start - lead`, or its announcement if later). */
  readonly from: number;
  /** When its window closes: the end of its lease (`end + tolerance`). */
  readonly to: number;
  /**
   * Its nodes as the workload gave them (default: `nodes`). A node of `nodes` not listed here is
   * a spare it was given: a later claim that lists that node is re-homed off it.
   */
  readonly original?: readonly NodeId[];
}

/** A node as {@link rehomeClaims} sees it. */
export interface RehomeNode {
  readonly id: NodeId;
  /** Capacity per resource; two nodes are interchangeable when these are identical. */
  readonly capacity: ReadonlyMap<string, number>;
  /** Online (powered on). A failed node is given in {@link RehomeInput.failed}. */
  readonly online: boolean;
  /** The work that would have to move off the node if it were claimed (lower is better; >= 0). */
  readonly load: number;
}

/** The input of {@link rehomeClaims}. */
export interface RehomeInput {
  /** The claimed reservations: the ones that may be re-homed now. */
  readonly claims: readonly RehomeReservation[];
  /**
   * The other known reservations (announced, not claimed yet): never re-homed here (that
   * happens at their own claim), but a node they hold in an overlapping window is no spare.
   */
  readonly others?: readonly RehomeReservation[];
  /** Every node of the cluster, in instance order (the order of ties). */
  readonly nodes: readonly RehomeNode[];
  /** The nodes that are down (failed, not repaired yet). */
  readonly failed: ReadonlySet<NodeId>;
}

/** One substitution: `vjob` holds `to` instead of `from` from now on. */
export interface Substitution {
  readonly vjob: VjobId;
  readonly from: NodeId;
  readonly to: NodeId;
}

/** What {@link rehomeClaims} answers. */
export interface RehomeResult {
  /** Every claim's node list after the substitutions (the same array when nothing changed). */
  readonly nodes: ReadonlyMap<VjobId, readonly NodeId[]>;
  /** The substitutions made, claims in the order they were served, nodes in each claim's order. */
  readonly substitutions: readonly Substitution[];
  /**
   * The nodes that needed a spare and got none (a failed node, or one an earlier claim holds as
   * its spare in an overlapping window): the claim keeps them and waits for them.
   */
  readonly unresolved: readonly { readonly vjob: VjobId; readonly node: NodeId }[];
}

const overlaps = (a: RehomeReservation, b: RehomeReservation): boolean => a.from < b.to && b.from < a.to;

/**
 * Whether two capacities are identical: same resources, same amounts (a resource absent counts as 0).
 * @param a - a capacity per resource
 * @param b - another
 * @returns true when a node of one can stand in for a node of the other
 * @example
 * ```ts
 * sameCapacity(new Map([['cpu', 16]]), new Map([['cpu', 16], ['gpu', 0]])); // true
 * ```
 */
export function sameCapacity(a: ReadonlyMap<string, number>, b: ReadonlyMap<string, number>): boolean {
  for (const [r, x] of a) if ((b.get(r) ?? 0) !== x) return false;
  for (const [r, x] of b) if ((a.get(r) ?? 0) !== x) return false;
  return true;
}

/**
 * Re-homes the claimed reservations that hold a failed node, or a node that an earlier claim
 * (by window opening, then input order) holds as its spare in an overlapping window (see
 * {@link RehomeReservation.original}), each on a spare: a node
 * of identical capacity, online, not failed, not already one of its own nodes, and held by no
 * other reservation (claimed or not) whose window overlaps its own. The spare with the least
 * `load` wins, ties by node order; a spare given is held at once, so no two substitutions get
 * the same node. A node without a spare stays in the claim's list ({@link RehomeResult.unresolved}).
 * Idempotent: applied to its own answer with the same nodes and failures, it substitutes nothing.
 *
 * @param input - the claims, the other reservations, the nodes (capacity, state, load), the failed nodes
 * @returns the node lists after substitution, the substitutions, the nodes left without a spare
 * @example
 * ```ts
 * const cap = new Map([['cpu', 16], ['memory', 65536]]);
 * const r = rehomeClaims({
 *   claims: [{ vjob: 'r0', nodes: ['n0', 'n1'], from: 0, to: 3600 }],
 *   nodes: ['n0', 'n1', 'n2', 'n3'].map((id, i) => ({ id, capacity: cap, online: true, load: i === 2 ? 16384 : 0 })),
 *   failed: new Set(['n1']),
 * });
 * r.nodes.get('r0'); // ['n0', 'n3']: n3 has nothing to move, n2 has 16 GiB
 * r.substitutions; // [{ vjob: 'r0', from: 'n1', to: 'n3' }]
 * ```
 */
export function rehomeClaims(input: RehomeInput): RehomeResult {
  const others = input.others ?? [];
  const order = input.claims.map((c, i) => [c, i] as const).sort((a, b) => a[0].from - b[0].from || a[1] - b[1]);
  const byId = new Map(input.nodes.map((n) => [n.id, n] as const));
  /** Who holds each node, over which window (the current lists; updated as spares are given). */
  const holders = new Map<NodeId, RehomeReservation[]>();
  const hold = (node: NodeId, r: RehomeReservation): void => {
    const h = holders.get(node);
    if (h) h.push(r);
    else holders.set(node, [r]);
  };
  const release = (node: NodeId, r: RehomeReservation): void => {
    const h = holders.get(node);
    if (!h) return;
    const i = h.indexOf(r);
    if (i >= 0) h.splice(i, 1);
  };
  const current = new Map<VjobId, RehomeReservation>();
  for (const [c] of order) {
    const mine: RehomeReservation = { ...c, nodes: [...c.nodes] };
    current.set(c.vjob, mine);
    for (const n of c.nodes) hold(n, mine);
  }
  for (const o of others) for (const n of o.nodes) hold(n, o);

  const nodes = new Map<VjobId, readonly NodeId[]>();
  const substitutions: Substitution[] = [];
  const unresolved: { vjob: VjobId; node: NodeId }[] = [];
  const served: RehomeReservation[] = [];
  for (const [c] of order) {
    const mine = current.get(c.vjob)!;
    const list = mine.nodes as NodeId[];
    let changed = false;
    for (let k = 0; k < list.length; k++) {
      const node = list[k]!;
      const contested = served.some((s) => s.nodes.includes(node) && !(s.original ?? s.nodes).includes(node) && overlaps(s, mine));
      if (!input.failed.has(node) && !contested) continue;
      const own = byId.get(node);
      let best: RehomeNode | undefined;
      if (own !== undefined) {
        for (const n of input.nodes) {
          if (!n.online || input.failed.has(n.id) || list.includes(n.id)) continue;
          if (!sameCapacity(n.capacity, own.capacity)) continue;
          if ((holders.get(n.id) ?? []).some((h) => h !== mine && overlaps(h, mine))) continue;
          if (best === undefined || n.load < best.load) best = n;
        }
      }
      if (best === undefined) {
        unresolved.push({ vjob: c.vjob, node });
        continue;
      }
      list[k] = best.id;
      release(node, mine);
      hold(best.id, mine);
      substitutions.push({ vjob: c.vjob, from: node, to: best.id });
      changed = true;
    }
    served.push(mine);
    nodes.set(c.vjob, changed ? list : c.nodes);
  }
  return { nodes, substitutions, unresolved };
}
