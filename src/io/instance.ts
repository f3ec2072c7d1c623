/**
 * Exchange format v1, instances (FORMAT.md "Instance"): parse and validate JSON into the
 * immutable model, reporting every problem in one pass, and serialize the model back.
 */
import { groupsInterner } from '../util/groups.js';
import { fail, ok, type Issue, type Result } from '../errors.js';
import type { JsonObject, NodeId } from '../model/ids.js';
import { makeInstance, type Instance, type InstanceInit } from '../model/instance.js';
import { NODE_DURATION_FIELDS, type NodeDurations, type NodeInit, type NodeState } from '../model/node.js';
import {
  OBJECTIVE_TYPES,
  type Durations,
  type Limits,
  type Objective,
  type ResolvedDurations,
  type ResolvedLimits,
} from '../model/objective.js';
import { VM_DURATION_FIELDS, VM_STATES, WANTED_STATES, type VmDurations, type VmInit } from '../model/vm.js';
import type { VjobInit } from '../model/vjob.js';
import { readConstraint, readResource, serializeConstraint, type Known } from './constraints.js';
import { cloneX, formatJson, parseJsonWith } from './json.js';
import {
  checkVersion,
  child,
  entity,
  idLabel,
  peek,
  quote,
  readBoolean,
  readEntries,
  readEnum,
  readId,
  readEach,
  readNumber,
  readObject,
  readString,
  report,
  rootAt,
  isPlainObject,
  type At,
} from './read.js';

// ---------------------------------------------------------------------------------------------
// Wire format

/** A node as written in the exchange format: the same shape as {@link NodeInit} (`state` defaults to `online`). */
export type NodeJson = NodeInit;

/**
 * A VM as written in the exchange format: the same shape as {@link VmInit} (`host` required for
 * running and sleeping VMs, forbidden for waiting ones, ignored for terminated ones).
 */
export type VmJson = VmInit;

/** A vjob as written in the exchange format: the same shape as {@link VjobInit} (the serializer writes every field). */
export type VjobJson = VjobInit;

/** An instance document, exchange format version 1 (FORMAT.md "Instance"): {@link InstanceInit} with its version. */
export type InstanceJson = InstanceInit & { readonly version: 1 };

const INSTANCE_FIELDS = [
  'version', 'nodes', 'vms', 'vjobs', 'constraints', 'objective', 'durations', 'limits',
] as const satisfies readonly (keyof InstanceJson)[];
const NODE_FIELDS = ['id', 'capacity', 'state', 'site', 'labels', 'durations'] as const satisfies readonly (keyof NodeJson)[];
const VM_FIELDS = ['id', 'demand', 'state', 'host', 'vjob', 'wants', 'durations'] as const satisfies readonly (keyof VmJson)[];
const VJOB_FIELDS = ['id', 'priority', 'submitted', 'bestEffort'] as const satisfies readonly (keyof VjobJson)[];
const NODE_STATES: readonly NodeState[] = ['online', 'offline'];

/**
 * Duration fields, in FORMAT.md order: rates (MiB/s) must be > 0, fixed times ≥ 0.
 * Compiler-checked against {@link ResolvedDurations}.
 */
const DURATION_FIELDS = {
  bandwidth: 'rate',
  diskRate: 'rate',
  bootVm: 'time',
  shutdownVm: 'time',
  bootNode: 'time',
  shutdownNode: 'time',
  wanBandwidth: 'rate',
} as const satisfies { readonly [K in keyof ResolvedDurations]: 'rate' | 'time' };

/** Limit fields (positive integers), compiler-checked against {@link ResolvedLimits}. */
const LIMIT_FIELDS = {
  maxParallelMigrations: true,
  maxMigrationsPerNode: true,
} as const satisfies { readonly [K in keyof ResolvedLimits]: true };

/** The fields each objective type allows besides `type` and `x`. */
const OBJECTIVE_FIELDS = {
  consolidate: ['powerOff'],
  balance: ['resource'],
  minMigrations: [],
} as const satisfies { readonly [K in Objective['type']]: readonly Exclude<keyof Extract<Objective, { type: K }>, 'type' | 'x'>[] };

// ---------------------------------------------------------------------------------------------
// Reading

/** A list entity read for its shape, kept with its position for later reference checks. */
interface Entity<T> {
  readonly value: T;
  /** Its position in its list (`vms[3]`). */
  readonly at: At;
}

/** Reports every id used twice, at the later occurrence, and returns the first occurrences by id. */
function indexById<T extends { readonly id: string }>(kind: string, items: readonly Entity<T>[]): Map<string, Entity<T>> {
  const byId = new Map<string, Entity<T>>();
  for (const item of items) {
    const first = byId.get(item.value.id);
    if (first === undefined) byId.set(item.value.id, item);
    else {
      // Named as the entity's reader names it (`VM "vm3"`: its id is usable).
      const here = entity(item.at, `${kind} ${quote(item.value.id)}`);
      report(child(here, 'id'), `duplicate ${kind} id ${quote(item.value.id)} (already used by ${first.at.path})`);
    }
  }
  return byId;
}

/**
 * A VM's or node's own `durations`: only the action fields of its kind (`fields`), each a finite
 * number > 0 (seconds), and an `x`. Issues name the field path, e.g. `vms[3].durations.migrate`.
 */
function readOwnDurations<T extends VmDurations | NodeDurations>(fields: readonly string[]): (v: unknown, at: At) => T | undefined {
  return (v, at) => {
    const f = readObject(v, at, fields);
    if (!f) return undefined;
    const out: Record<string, unknown> = {};
    for (const key of fields) {
      const d = f.optional(key, readNumber({ above: 0 }));
      if (d !== undefined) out[key] = d;
    }
    const x = f.x();
    if (x !== undefined) out['x'] = x;
    return Object.freeze(out) as T;
  };
}
const readVmDurations = readOwnDurations<VmDurations>(VM_DURATION_FIELDS);
const readNodeDurations = readOwnDurations<NodeDurations>(NODE_DURATION_FIELDS);

// Readers shared by every node and VM (one closure each, not one per entity).
const readAmounts = readEntries(readNumber({ min: 0 }));
const readLabels = readEntries(readString);
const readNodeState = readEnum(NODE_STATES, 'node state');
const readVmState = readEnum(VM_STATES, 'VM state');
const readWants = readEnum(WANTED_STATES, 'wanted state');

/** A node's shape: id, capacities ≥ 0, state, site, labels, own durations, x. */
function readNode(v: unknown, at: At, index: number): Entity<NodeInit> | undefined {
  const f = readObject(v, entity(at, `node #${index}`), NODE_FIELDS, idLabel('node', index));
  if (!f) return undefined;
  const id = f.required('id', readId);
  const capacity = f.required('capacity', readAmounts);
  const state = f.optional('state', readNodeState);
  const site = f.optional('site', readString);
  const labels = f.optional('labels', readLabels);
  const durations = f.optional('durations', readNodeDurations);
  const x = f.x();
  if (id === undefined || capacity === undefined) return undefined;
  const value: NodeInit = {
    id,
    capacity: Object.fromEntries(capacity),
    state: state ?? 'online',
    ...(site !== undefined ? { site } : {}),
    ...(labels !== undefined ? { labels: Object.fromEntries(labels) } : {}),
    ...(durations !== undefined ? { durations } : {}),
    ...(x !== undefined ? { x } : {}),
  };
  return { value, at };
}

/** A vjob's shape: id, finite priority and submission time, best-effort flag, x. */
function readVjob(v: unknown, at: At, index: number): Entity<VjobInit> | undefined {
  const f = readObject(v, entity(at, `vjob #${index}`), VJOB_FIELDS, idLabel('vjob', index));
  if (!f) return undefined;
  const id = f.required('id', readId);
  const priority = f.optional('priority', readNumber());
  const submitted = f.optional('submitted', readNumber());
  const bestEffort = f.optional('bestEffort', readBoolean);
  const x = f.x();
  if (id === undefined) return undefined;
  const value: VjobInit = {
    id,
    ...(priority !== undefined ? { priority } : {}),
    ...(submitted !== undefined ? { submitted } : {}),
    ...(bestEffort !== undefined ? { bestEffort } : {}),
    ...(x !== undefined ? { x } : {}),
  };
  return { value, at };
}

/**
 * A VM: shape, and its references to nodes (host exists; online when running), to vjobs
 * (declared) and to resources (some node has them). A terminated VM's host is ignored.
 */
function readVm(v: unknown, at: At, index: number, known: Known, nodeStates: ReadonlyMap<NodeId, NodeState>): Entity<VmInit> | undefined {
  const fast = fastVm(v, known, nodeStates);
  if (fast !== undefined) return { value: fast, at };
  const f = readObject(v, entity(at, `VM #${index}`), VM_FIELDS, idLabel('VM', index));
  if (!f) return undefined;
  const id = f.required('id', readId);
  const demand = f.required('demand', readAmounts);
  for (const [r] of demand ?? []) {
    if (!known.resources.has(r)) report(child(f.child('demand'), r), `resource ${quote(r)} is not a capacity of any node`);
  }
  const state = f.required('state', readVmState);
  const rawHost = f.optional('host', readId);
  const hostAt = f.child('host');
  let host: NodeId | undefined;
  if (state === 'running' || state === 'sleeping') {
    if (!f.has('host')) report(hostAt, `a ${state} VM needs a host`);
    else if (rawHost !== undefined) {
      const hostState = nodeStates.get(rawHost);
      if (hostState === undefined) report(hostAt, `node ${quote(rawHost)} does not exist`);
      else if (state === 'running' && hostState === 'offline') {
        report(hostAt, `node ${quote(rawHost)} is offline; a running VM needs an online host`);
      }
      host = rawHost;
    }
  } else if (state === 'waiting' && rawHost !== undefined) {
    report(hostAt, `a waiting VM has no host (got ${quote(rawHost)})`);
  }
  const vjob = f.optional('vjob', readId);
  if (vjob !== undefined && !known.vjobs.has(vjob)) report(f.child('vjob'), `vjob ${quote(vjob)} is not declared in vjobs`);
  const wants = f.optional('wants', readWants);
  const durations = f.optional('durations', readVmDurations);
  const x = f.x();
  if (id === undefined || demand === undefined || state === undefined) return undefined;
  const value: VmInit = {
    id,
    demand: Object.fromEntries(demand),
    state,
    ...(host !== undefined ? { host } : {}),
    ...(vjob !== undefined ? { vjob } : {}),
    ...(wants !== undefined ? { wants } : {}),
    ...(durations !== undefined ? { durations } : {}),
    ...(x !== undefined ? { x } : {}),
  };
  return { value, at };
}

/** The fields a VM may have on the fast path (no `durations`, no `x`). */
const FAST_VM_FIELDS: ReadonlySet<string> = new Set(['id', 'demand', 'state', 'host', 'vjob', 'wants']);

function isId(v: unknown): v is string {
  return typeof v === 'string' && v !== '';
}

/**
 * The VM `v` describes when it reads without an issue and has no own `durations` and no `x` (the
 * common case): what {@link readVm} gives then, without positions, labels or entry lists (the
 * demand object is passed on as it is: `makeVm` copies it into a shared map). Undefined for
 * anything else, which {@link readVm} then reads and reports.
 */
function fastVm(v: unknown, known: Known, nodeStates: ReadonlyMap<NodeId, NodeState>): VmInit | undefined {
  if (!isPlainObject(v)) return undefined;
  for (const key of Object.keys(v)) if (!FAST_VM_FIELDS.has(key)) return undefined;
  const id = v['id'];
  const demand = v['demand'];
  const state = v['state'];
  if (!isId(id) || !isPlainObject(demand)) return undefined;
  for (const r of Object.keys(demand)) {
    const d = demand[r];
    if (typeof d !== 'number' || !Number.isFinite(d) || d < 0 || !known.resources.has(r)) return undefined;
  }
  let host: NodeId | undefined;
  switch (state) {
    case 'running':
    case 'sleeping': {
      const h = v['host'];
      if (!isId(h)) return undefined;
      const hostState = nodeStates.get(h);
      if (hostState === undefined || (state === 'running' && hostState === 'offline')) return undefined;
      host = h;
      break;
    }
    case 'waiting':
      if (Object.hasOwn(v, 'host')) return undefined;
      break;
    case 'terminated':
      // A terminated VM's host is ignored, but must still read as an id.
      if (Object.hasOwn(v, 'host') && !isId(v['host'])) return undefined;
      break;
    default:
      return undefined;
  }
  let vjob: string | undefined;
  if (Object.hasOwn(v, 'vjob')) {
    const j = v['vjob'];
    if (!isId(j) || !known.vjobs.has(j)) return undefined;
    vjob = j;
  }
  let wants: VmInit['wants'];
  if (Object.hasOwn(v, 'wants')) {
    const w = v['wants'];
    if (w !== 'running' && w !== 'sleeping' && w !== 'terminated') return undefined;
    wants = w;
  }
  const out: { -readonly [K in keyof VmInit]: VmInit[K] } = { id, demand: demand as Readonly<Record<string, number>>, state };
  if (host !== undefined) out.host = host;
  if (vjob !== undefined) out.vjob = vjob;
  if (wants !== undefined) out.wants = wants;
  return out;
}

function readObjective(v: unknown, at: At, known: Known): Objective | undefined {
  const here = entity(at, 'objective');
  const tag = peek(v, 'type');
  const type = OBJECTIVE_TYPES.find((t) => t === tag);
  // Until the type is known, accept the fields of every type (the type itself is reported).
  const f = readObject(v, here, ['type', ...(type ? OBJECTIVE_FIELDS[type] : ['powerOff', 'resource'])]);
  if (!f) return undefined;
  f.required('type', readEnum(OBJECTIVE_TYPES, 'objective type'));
  const x = f.x();
  const ext = x !== undefined ? { x } : {};
  switch (type) {
    case 'consolidate': {
      const powerOff = f.optional('powerOff', readBoolean);
      return Object.freeze({ type, ...(powerOff !== undefined ? { powerOff } : {}), ...ext });
    }
    case 'balance': {
      const resource = f.optional('resource', readResource(known));
      return Object.freeze({ type, ...(resource !== undefined ? { resource } : {}), ...ext });
    }
    case 'minMigrations':
      return Object.freeze({ type, ...ext });
    default:
      return undefined;
  }
}

function readDurations(v: unknown, at: At): Durations | undefined {
  const f = readObject(v, entity(at, 'durations'), Object.keys(DURATION_FIELDS));
  if (!f) return undefined;
  const out: Record<string, unknown> = {};
  for (const [key, kind] of Object.entries(DURATION_FIELDS)) {
    const d = f.optional(key, readNumber(kind === 'rate' ? { above: 0 } : { min: 0 }));
    if (d !== undefined) out[key] = d;
  }
  const x = f.x();
  if (x !== undefined) out['x'] = x;
  return Object.freeze(out) as Durations;
}

function readLimits(v: unknown, at: At): Limits | undefined {
  const f = readObject(v, entity(at, 'limits'), Object.keys(LIMIT_FIELDS));
  if (!f) return undefined;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(LIMIT_FIELDS)) {
    const n = f.optional(key, readNumber({ min: 1, integer: true }));
    if (n !== undefined) out[key] = n;
  }
  const x = f.x();
  if (x !== undefined) out['x'] = x;
  return Object.freeze(out) as Limits;
}

/** Issues in document order of their top-level section (a stable sort keeps the order within one). */
function sortIssues(issues: readonly Issue[]): Issue[] {
  const rank = (path: string): number => {
    const top = /^[A-Za-z_$][\w$]*/.exec(path)?.[0] ?? '$';
    const i = ([...INSTANCE_FIELDS, 'x'] as readonly string[]).indexOf(top);
    return i === -1 ? (top === '$' ? -1 : INSTANCE_FIELDS.length + 1) : i;
  };
  return [...issues].sort((a, b) => rank(a.path) - rank(b.path));
}

/**
 * Validates a decoded JSON value as an exchange-format instance and builds the immutable model.
 * Every problem is reported in one pass, each with its JSON path and a message naming the
 * offending id; this function never throws, whatever it is given (the typed API may pass
 * values JSON cannot hold, such as `NaN`).
 *
 * Normalization: a node without `state` is `online`; a vjob's missing fields take the model
 * defaults; a terminated VM's `host` is dropped; `objective`, `durations`, `limits` stay
 * undefined when absent. `x` objects are deep-copied and frozen.
 *
 * @param json - the decoded document
 * @returns the instance, or every issue found
 * @example
 * ```ts
 * const r = validateInstance({ version: 1, nodes: [], vms: [{ id: 'vm1', demand: {}, state: 'running', host: 'n9' }] });
 * if (!r.ok) r.issues; // [{ path: 'vms[0].host', message: 'VM "vm1": node "n9" does not exist' }]
 * ```
 */
export function validateInstance(json: unknown): Result<Instance> {
  const issues: Issue[] = [];
  const doc = readObject(json, rootAt(issues, 'instance'), INSTANCE_FIELDS);
  if (!doc) return fail(issues);
  if (!checkVersion(doc)) return fail(issues);

  const nodes = readEach(doc, 'nodes', false, readNode);
  const nodeById = indexById('node', nodes);
  const vjobs = readEach(doc, 'vjobs', true, readVjob);
  const vjobById = indexById('vjob', vjobs);
  const resources = new Set<string>();
  for (const n of nodes) for (const r of Object.keys(n.value.capacity)) resources.add(r);
  const nodeStates = new Map([...nodeById].map(([id, n]) => [id, n.value.state ?? 'online'] as const));
  // VM references need the declared VM ids, which reading the VMs produces: constraints come after.
  const partial: Known = { nodes: new Set(nodeById.keys()), vjobs: new Set(vjobById.keys()), vms: new Set(), resources };
  const vms = readEach(doc, 'vms', false, (v, at, i) => readVm(v, at, i, partial, nodeStates));
  const vmById = indexById('VM', vms);
  const known: Known = {
    ...partial,
    vms: new Set(vmById.keys()),
    intern: groupsInterner(),
    checked: new WeakMap(),
    readGroups: new Map(),
    nodeLabels: new Map([...nodeById].map(([id, n]) => [id, n.value.labels] as const)),
    labelGroups: new Map(),
  };

  const constraints = readEach(doc, 'constraints', true, (v, at, i) => readConstraint(v, at, i, known));
  const objective = doc.optional('objective', (v, at) => readObjective(v, at, known));
  const durations = doc.optional('durations', readDurations);
  const limits = doc.optional('limits', readLimits);
  const x = doc.x();

  if (issues.length > 0) return fail(sortIssues(issues));
  return ok(
    makeInstance({
      nodes: nodes.map((n) => n.value),
      vms: vms.map((v) => v.value),
      vjobs: vjobs.map((j) => j.value),
      constraints,
      ...(objective !== undefined ? { objective } : {}),
      ...(durations !== undefined ? { durations } : {}),
      ...(limits !== undefined ? { limits } : {}),
      ...(x !== undefined ? { x } : {}),
    }),
  );
}

/**
 * Parses exchange-format JSON text into an instance ({@link validateInstance} on the decoded
 * value). Text that is not JSON gives one issue at `$` with the JSON parser's message.
 * @param text - the JSON text
 * @returns the instance, or every issue found
 * @example
 * ```ts
 * const r = parseInstance(fs.readFileSync('cluster.json', 'utf8'));
 * if (!r.ok) for (const i of r.issues) console.error(`${i.path}: ${i.message}`);
 * ```
 */
export function parseInstance(text: string): Result<Instance> {
  return parseJsonWith(text, validateInstance);
}

// ---------------------------------------------------------------------------------------------
// Writing

/**
 * The exchange-format document of an instance: a plain JSON object with keys in FORMAT.md
 * order, fresh (unshared) arrays and objects. Node `state` and every vjob field are written
 * explicitly; optional fields the model does not set (site, host, vjob, wants, a VM's or node's `durations`, `x`,
 * objective, durations, limits) stay absent, as do empty `labels`, `vjobs` and `constraints`.
 *
 * `validateInstance(serializeInstance(m))` gives back a model equal to `m` for every model
 * `validateInstance` produces.
 * @param instance - the instance
 * @returns the JSON object
 */
export function serializeInstance(instance: Instance): InstanceJson {
  const nodes = [...instance.nodes.values()].map(
    (n): NodeJson => ({
      id: n.id,
      capacity: Object.fromEntries(n.capacity),
      state: n.state,
      ...(n.site !== undefined ? { site: n.site } : {}),
      ...(n.labels.size > 0 ? { labels: Object.fromEntries(n.labels) } : {}),
      ...(n.durations !== undefined ? { durations: pick(n.durations, NODE_DURATION_FIELDS) as NodeDurations } : {}),
      ...cloneX(n.x),
    }),
  );
  const vms = [...instance.vms.values()].map(
    (v): VmJson => ({
      id: v.id,
      demand: Object.fromEntries(v.demand),
      state: v.state,
      ...(v.host !== undefined ? { host: v.host } : {}),
      ...(v.vjob !== undefined ? { vjob: v.vjob } : {}),
      ...(v.wants !== undefined ? { wants: v.wants } : {}),
      ...(v.durations !== undefined ? { durations: pick(v.durations, VM_DURATION_FIELDS) as VmDurations } : {}),
      ...cloneX(v.x),
    }),
  );
  const vjobs = [...instance.vjobs.values()].map(
    (j): VjobJson => ({ id: j.id, priority: j.priority, submitted: j.submitted, bestEffort: j.bestEffort, ...cloneX(j.x) }),
  );
  const o = instance.objective;
  const d = instance.durations;
  const l = instance.limits;
  return {
    version: 1,
    nodes,
    vms,
    ...(vjobs.length > 0 ? { vjobs } : {}),
    ...(instance.constraints.size > 0 ? { constraints: instance.constraints.toArray().map(serializeConstraint) } : {}),
    ...(o !== undefined ? { objective: serializeObjective(o) } : {}),
    ...(d !== undefined ? { durations: pick(d, Object.keys(DURATION_FIELDS)) as Durations } : {}),
    ...(l !== undefined ? { limits: pick(l, Object.keys(LIMIT_FIELDS)) as Limits } : {}),
    ...cloneX(instance.x),
  };
}

function serializeObjective(o: Objective): Objective {
  switch (o.type) {
    case 'consolidate':
      return { type: o.type, ...(o.powerOff !== undefined ? { powerOff: o.powerOff } : {}), ...cloneX(o.x) };
    case 'balance':
      return { type: o.type, ...(o.resource !== undefined ? { resource: o.resource } : {}), ...cloneX(o.x) };
    case 'minMigrations':
      return { type: o.type, ...cloneX(o.x) };
  }
}

/** The numeric `keys` of `obj` that are set, in `keys` order, then its `x`. */
function pick(obj: { readonly x?: JsonObject }, keys: readonly string[]): Record<string, unknown> {
  const src = obj as Readonly<Record<string, unknown>>;
  const out: Record<string, unknown> = {};
  for (const k of keys) if (src[k] !== undefined) out[k] = src[k];
  return Object.assign(out, cloneX(obj.x));
}

/**
 * The exchange-format JSON text of an instance ({@link serializeInstance}), pretty-printed:
 * two-space indentation, short objects and arrays on one line, final newline.
 * @param instance - the instance
 * @returns the JSON text
 */
export function formatInstance(instance: Instance): string {
  return formatJson(serializeInstance(instance) as unknown as JsonObject);
}
