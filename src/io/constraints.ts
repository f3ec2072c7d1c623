/**
 * The constraints of the exchange format: one typed table of their fields (checked by the
 * compiler against the constraint union), the reader that validates one constraint against
 * it, and the writer that serializes one in the table's field order.
 */
import { CONSTRAINT_TYPES, type Constraint, type ConstraintOf, type ConstraintType } from '../model/constraints.js';
import type { JsonValue } from '../model/ids.js';
import { groupsKey, sameGroups, type Groups } from '../util/groups.js';
import { cloneJson, cloneX } from './json.js';
import {
  child,
  describe,
  entity,
  Fields,
  isPlainObject,
  quote,
  readBoolean,
  readEnum,
  readId,
  readList,
  readNumber,
  readObject,
  report,
  reportValue,
  type At,
  type PlainObject,
  type Read,
} from './read.js';

/**
 * How one constraint field is read:
 * - `vmList` / `nodeList`: non-empty list of distinct, existing VM / node ids;
 * - `vmGroups` / `nodeGroups`: non-empty list of such lists;
 * - `resource`: a resource that some node has a capacity for;
 * - `vjob`: a vjob declared in `vjobs`;
 * - `ratio`: a finite number > 0; `amount`: a finite number ≥ 0; `count`: an integer ≥ 0;
 * - `flag`: an optional boolean (`continuous`);
 * - `label`: an optional node label name (`among`'s `groupBy`: the groups are the nodes sharing
 *   each value of that label, and `groups` is then absent).
 */
export type FieldKind =
  | 'vmList'
  | 'nodeList'
  | 'vmGroups'
  | 'nodeGroups'
  | 'resource'
  | 'vjob'
  | 'ratio'
  | 'amount'
  | 'count'
  | 'flag'
  | 'label';

/** The kinds whose values have the TypeScript type `T` (so the table cannot give a list field a number kind). */
type KindFor<T> = [T] extends [readonly (readonly string[])[]]
  ? 'vmGroups' | 'nodeGroups'
  : [T] extends [readonly string[]]
    ? 'vmList' | 'nodeList'
    : [T] extends [string]
      ? 'resource' | 'vjob'
      : [T] extends [number]
        ? 'ratio' | 'amount' | 'count'
        : [T] extends [boolean | undefined]
          ? 'flag'
          : [T] extends [string | undefined]
            ? 'label'
            : never;

type OwnField<K extends ConstraintType> = Exclude<keyof ConstraintOf<K>, 'type' | 'x'>;

/** The fields of constraint type `K` (every one, no other) and how each is read. */
export type FieldSpec<K extends ConstraintType> = {
  readonly [F in OwnField<K>]-?: KindFor<ConstraintOf<K>[F]>;
};

/**
 * Every constraint type's fields, in FORMAT.md order (also the serialization order, after
 * `type`). The `satisfies` clause makes the compiler reject a missing type, a missing or extra
 * field, or a kind that does not fit the field's type.
 */
export const CONSTRAINT_FIELDS = {
  ban: { vms: 'vmList', nodes: 'nodeList', continuous: 'flag' },
  fence: { vms: 'vmList', nodes: 'nodeList', continuous: 'flag' },
  spread: { vms: 'vmList' },
  gather: { vms: 'vmList' },
  among: { vms: 'vmList', groups: 'nodeGroups', groupBy: 'label', continuous: 'flag' },
  split: { groups: 'vmGroups' },
  lonely: { vms: 'vmList' },
  root: { vms: 'vmList' },
  quarantine: { nodes: 'nodeList' },
  overbook: { nodes: 'nodeList', resource: 'resource', ratio: 'ratio' },
  resourceCapacity: { nodes: 'nodeList', resource: 'resource', amount: 'amount' },
  runningCapacity: { nodes: 'nodeList', amount: 'count' },
  maxOnline: { nodes: 'nodeList', amount: 'count' },
  online: { nodes: 'nodeList' },
  offline: { nodes: 'nodeList' },
  reserved: { nodes: 'nodeList', vjob: 'vjob' },
  running: { vms: 'vmList' },
  sleeping: { vms: 'vmList' },
  terminated: { vms: 'vmList' },
} as const satisfies { readonly [K in ConstraintType]: FieldSpec<K> };

/** The constraint types that accept `continuous`. */
export const CONTINUOUS_TYPES: readonly ConstraintType[] = CONSTRAINT_TYPES.filter(
  (t) => 'continuous' in CONSTRAINT_FIELDS[t],
);

/** The ids a document declares, against which references are checked. */
export interface Known {
  readonly vms: ReadonlySet<string>;
  readonly nodes: ReadonlySet<string>;
  readonly vjobs: ReadonlySet<string>;
  /** Resources some node has a capacity for. */
  readonly resources: ReadonlySet<string>;
  /** Shares equal `groups` lists across the constraints of one document (see `groupsInterner`). */
  readonly intern?: <T extends Groups>(groups: T) => T;
  /**
   * Id lists already read without an issue, by identity: a document built in memory (an
   * importer's) may share one list among many constraints, which is then checked once.
   */
  readonly checked?: WeakMap<object, readonly string[]>;
  /**
   * Node-group lists already read without an issue, by {@link groupsKey} of the decoded value:
   * a later list equal to one of them, id by id, gives the same groups without being read again.
   */
  readonly readGroups?: Map<string, { readonly raw: Groups; readonly groups: Groups }[]>;
  /** Every node's labels, in document order (for `among`'s `groupBy`). */
  readonly nodeLabels?: ReadonlyMap<string, Readonly<Record<string, string>> | undefined>;
  /** The groups of each label already asked for by a `groupBy` (computed once per label). */
  readonly labelGroups?: Map<string, Groups>;
}

/**
 * The node groups of label `label`: for each value of the label, in order of first appearance,
 * the nodes carrying it, in document order; nodes without the label are in no group.
 * @param nodeLabels - every node's labels, in document order
 * @param label - the label name
 * @returns the groups (empty when no node has the label)
 */
export function groupsByLabel(nodeLabels: ReadonlyMap<string, Readonly<Record<string, string>> | undefined>, label: string): Groups {
  const groups = new Map<string, string[]>();
  for (const [node, labels] of nodeLabels) {
    if (labels === undefined || !Object.hasOwn(labels, label)) continue;
    const value = labels[label]!;
    const g = groups.get(value);
    if (g === undefined) groups.set(value, [node]);
    else g.push(node);
  }
  return Object.freeze([...groups.values()].map((g) => Object.freeze(g)));
}

/**
 * The {@link groupsKey} of a decoded value that looks like a list of lists of ids (every list
 * non-empty, with string ends), else undefined.
 */
function rawGroupsKey(v: unknown): string | undefined {
  if (!Array.isArray(v)) return undefined;
  for (const g of v as unknown[]) {
    if (!Array.isArray(g) || g.length === 0 || typeof g[0] !== 'string' || typeof g[g.length - 1] !== 'string') return undefined;
  }
  return groupsKey(v as Groups);
}

/**
 * Reads a list of distinct ids that must all be declared.
 * @param kind - `VM` or `node`, for messages
 * @param declared - picks the declared set
 */
function readRefList(kind: 'VM' | 'node', declared: (k: Known) => ReadonlySet<string>) {
  return (known: Known): Read<readonly string[]> =>
    (v, at) => {
      const memo = known.checked;
      const hit = memo !== undefined && Array.isArray(v) ? memo.get(v) : undefined;
      if (hit !== undefined) return hit;
      const before = at.issues.length;
      const ids = readList(readId, true)(v, at);
      if (ids === undefined || !Array.isArray(v)) return ids;
      const seen = new Set<string>();
      v.forEach((id: unknown, i) => {
        if (typeof id !== 'string' || id === '') return;
        if (!declared(known).has(id)) report(child(at, i), `${kind} ${quote(id)} does not exist`);
        else if (seen.has(id)) report(child(at, i), `${kind} ${quote(id)} is listed twice`);
        seen.add(id);
      });
      if (memo !== undefined && ids !== undefined && at.issues.length === before) memo.set(v, ids);
      return ids;
    };
}

const vmList = readRefList('VM', (k) => k.vms);
const nodeList = readRefList('node', (k) => k.nodes);

/**
 * Reads a resource name that some node has a capacity for.
 * @param known - the declared ids and resources
 */
export function readResource(known: Known): Read<string> {
  return (v, at) => {
    const r = readId(v, at);
    if (r !== undefined && !known.resources.has(r)) report(at, `resource ${quote(r)} is not a capacity of any node`);
    return r;
  };
}

/** How each kind reads its value, given the declared ids. */
const KIND_READERS: { readonly [K in FieldKind]: (known: Known) => Read<unknown> } = {
  vmList,
  nodeList,
  vmGroups: (known) => readList(vmList(known), true),
  nodeGroups: (known) => {
    const read = readList(nodeList(known), true);
    const intern = known.intern;
    const memo = known.readGroups;
    return (v, at) => {
      // A list equal, id by id, to one already read without an issue reads the same: every
      // `among` of a tier names the same thousands of nodes.
      const key = memo === undefined ? undefined : rawGroupsKey(v);
      const seen = key === undefined ? undefined : memo?.get(key);
      const hit = seen?.find((e) => sameGroups(e.raw, v as Groups));
      if (hit !== undefined) return hit.groups;
      const before = at.issues.length;
      const read1 = read(v, at);
      const groups = read1 === undefined || intern === undefined ? read1 : intern(read1);
      if (memo !== undefined && key !== undefined && groups !== undefined && at.issues.length === before) {
        const entry = { raw: v as Groups, groups };
        if (seen === undefined) memo.set(key, [entry]);
        else seen.push(entry);
      }
      return groups;
    };
  },
  resource: readResource,
  vjob: (known) => (v, at) => {
    const j = readId(v, at);
    if (j !== undefined && !known.vjobs.has(j)) report(at, `vjob ${quote(j)} is not declared in vjobs`);
    return j;
  },
  ratio: () => readNumber({ above: 0 }),
  amount: () => readNumber({ min: 0 }),
  count: () => readNumber({ min: 0, integer: true }),
  flag: () => readBoolean,
  label: () => readId,
};

/** The field table of one type, as plain entries (field name, kind). */
function specOf(type: ConstraintType): readonly (readonly [string, FieldKind])[] {
  return Object.entries(CONSTRAINT_FIELDS[type]) as [string, FieldKind][];
}

/**
 * Validates one constraint (shape and references) and builds it.
 * @param v - the decoded value
 * @param at - its position (`constraints[2]`)
 * @param index - its index in `constraints`, for messages
 * @param known - the declared ids and resources
 * @returns the frozen constraint, or undefined when it is invalid (issues reported)
 */
export function readConstraint(v: unknown, at: At, index: number, known: Known): Constraint | undefined {
  const here = entity(at, `constraint ${index}`);
  if (!isPlainObject(v)) {
    reportValue(here, `must be an object, got ${describe(v)}`);
    return undefined;
  }
  // The type decides which fields are allowed: read it first, and stop if it is unusable.
  const type = new Fields(v, here).required('type', readEnum(CONSTRAINT_TYPES, 'constraint type'));
  if (type === undefined) return undefined;
  const spec = specOf(type);
  const names = spec.map(([f]) => f);
  const labelled = entity(at, `constraint ${index} (${type})`);
  if (Object.hasOwn(v, 'continuous') && !names.includes('continuous')) {
    report(child(labelled, 'continuous'), `"continuous" is only allowed on ${CONTINUOUS_TYPES.join(', ')}`);
  }
  const f = readObject(v, labelled, ['type', ...names, 'continuous']);
  if (!f) return undefined;
  const out: Record<string, unknown> = { type };
  let valid = true;
  // `among` names its groups by a node label (`groupBy`) or lists them (`groups`), not both.
  const byLabel = type === 'among' && f.has('groupBy');
  if (byLabel && f.has('groups')) {
    report(f.child('groupBy'), 'give either "groups" or "groupBy", not both');
    valid = false;
  }
  for (const [field, kind] of spec) {
    if (byLabel && field === 'groups') continue;
    const read = KIND_READERS[kind](known);
    const value = kind === 'flag' || kind === 'label' ? f.optional(field, read) : f.required(field, read);
    if (value !== undefined) out[field] = value;
    else if ((kind !== 'flag' && kind !== 'label') || f.has(field)) valid = false;
  }
  if (byLabel && typeof out['groupBy'] === 'string') {
    const label = out['groupBy'];
    let groups = known.labelGroups?.get(label);
    if (groups === undefined) {
      groups = groupsByLabel(known.nodeLabels ?? new Map(), label);
      known.labelGroups?.set(label, groups);
    }
    if (groups.length === 0) {
      report(f.child('groupBy'), `no node has the label ${quote(label)}`);
      valid = false;
    } else out['groups'] = groups;
  }
  const x = f.x();
  if (x !== undefined) out['x'] = x;
  // The table guarantees that `out` has exactly the fields of constraint type `type`.
  return valid ? (Object.freeze(out) as unknown as Constraint) : undefined;
}

/**
 * Serializes one constraint: `type`, its fields in table order, then `x`; fields a constraint
 * does not set (an absent `continuous`) stay absent. Returns fresh arrays and objects.
 * @param c - the constraint
 * @returns its exchange-format object
 */
export function serializeConstraint(c: Constraint): Constraint {
  const out: Record<string, unknown> = { type: c.type };
  const fields = c as unknown as PlainObject;
  const byLabel = c.type === 'among' && c.groupBy !== undefined;
  for (const [field] of specOf(c.type)) {
    if (byLabel && field === 'groups') continue;
    const value = fields[field];
    if (value !== undefined) out[field] = cloneJson(value as JsonValue);
  }
  Object.assign(out, cloneX(c.x));
  return out as unknown as Constraint;
}
