/**
 * Exchange format v1, plans (FORMAT.md "Plan"): validate the shape of a plan document, check
 * its references against an instance, and serialize plans.
 */
import { fail, ok, type Issue, type Result } from '../errors.js';
import type { JsonObject } from '../model/ids.js';
import type { Instance } from '../model/instance.js';
import { indexInstance } from '../model/indexed.js';
import type { NodeState } from '../model/node.js';
import { VM_STATES } from '../model/vm.js';
import { STOP_REASONS, type Plan, type PlanPhases, type PlanStats, type PlanStatus, type PlanTarget, type TargetVm } from '../plan/types.js';
import { ACTION_TYPES, type Action, type ActionType, type InfeasibleReason } from '../model/action.js';
import { cloneJson, cloneX, formatJson, parseJsonWith } from './json.js';
import {
  checkVersion,
  child,
  entity,
  peek,
  quote,
  readEach,
  readEnum,
  readId,
  readKeyed,
  readList,
  readNumber,
  readObject,
  isPlainObject,
  readString,
  report,
  rootAt,
  type At,
  type PlainObject,
  type Read,
} from './read.js';

/**
 * A plan document, exchange format version 1. The plan types of the library are the wire
 * format itself; {@link serializePlan} writes them with FORMAT.md's key order.
 */
export type PlanJson = Plan;

type ActionOwnField<K extends ActionType> = Exclude<
  keyof Extract<Action, { type: K }>,
  'type' | 'id' | 'start' | 'end' | 'after' | 'x'
>;

/**
 * The fields of each action type besides `id`, `type`, `start`, `end`, `after` and `x`, in
 * FORMAT.md order, and whether each names a VM or a node. Compiler-checked: every action type,
 * every field, no other.
 */
export const ACTION_FIELDS = {
  migrate: { vm: 'vm', from: 'node', to: 'node' },
  boot: { vm: 'vm', to: 'node' },
  shutdown: { vm: 'vm', from: 'node' },
  suspend: { vm: 'vm', from: 'node' },
  resume: { vm: 'vm', from: 'node', to: 'node' },
  bootNode: { node: 'node' },
  shutdownNode: { node: 'node' },
} as const satisfies { readonly [K in ActionType]: { readonly [F in ActionOwnField<K>]-?: 'vm' | 'node' } };

/** The seven figures of `stats`, in FORMAT.md order (compiler-checked against {@link PlanStats}). */
const STAT_FIELDS = {
  nodesUsed: true,
  lowerBound: true,
  migrations: true,
  migratedMemory: true,
  makespan: true,
  solveMs: true,
  planMs: true,
} as const satisfies { readonly [K in Exclude<keyof PlanStats, 'x' | 'phases' | 'stop'>]-?: true };
const STAT_NAMES = Object.keys(STAT_FIELDS) as (keyof typeof STAT_FIELDS)[];

/** The phases of `stats.phases`, in FORMAT.md order (compiler-checked against {@link PlanPhases}). */
const PHASE_FIELDS = {
  read: true,
  decide: true,
  place: true,
  plan: true,
  verify: true,
} as const satisfies { readonly [K in keyof PlanPhases]-?: true };
const PHASE_NAMES = Object.keys(PHASE_FIELDS) as (keyof PlanPhases)[];

const PLAN_FIELDS = ['version', 'status', 'actions', 'target', 'stats', 'reasons'] as const;
const REASON_FIELDS = ['message', 'resource', 'vms', 'nodes', 'constraints'] as const satisfies readonly (keyof InfeasibleReason)[];
const STATUSES = ['optimal', 'feasible', 'infeasible'] as const satisfies readonly PlanStatus[];
const NODE_STATES: readonly NodeState[] = ['online', 'offline'];
const actionId = readNumber({ min: 0, integer: true });

function isActionType(t: unknown): t is ActionType {
  return typeof t === 'string' && (ACTION_TYPES as readonly string[]).includes(t);
}

function ownFields(type: ActionType): readonly (readonly [string, 'vm' | 'node'])[] {
  return Object.entries(ACTION_FIELDS[type]) as [string, 'vm' | 'node'][];
}

/** Names an action in messages: `action 3 (migrate)`, or by position before its id is known. */
function actionLabel(obj: PlainObject, index: number): string {
  const id = obj['id'];
  const type = obj['type'];
  const name = typeof id === 'number' && Number.isInteger(id) && id >= 0 ? `action ${id}` : `action #${index}`;
  return isActionType(type) ? `${name} (${type})` : name;
}

/** An action read, with its index in `actions` (its position is built only for an issue). */
interface ReadAction {
  readonly action: Action;
  readonly index: number;
}

/** The position of a read action as the general reader names it (`action 3 (migrate)` at `actions[i]`). */
function actionAt(actionsAt: At, a: ReadAction): At {
  return entity(child(actionsAt, a.index), `action ${a.action.id} (${a.action.type})`);
}

function readAction(v: unknown, at: At, index: number, owned: boolean): ReadAction | undefined {
  const fast = fastAction(v, owned);
  if (fast !== undefined) return { action: fast, index };
  const tag = peek(v, 'type');
  const type = isActionType(tag) ? tag : undefined;
  // Until the type is known, accept the fields of every type (the type itself is reported).
  const own = type ? OWN_FIELDS[type] : ['vm', 'node', 'from', 'to'];
  const f = readObject(v, entity(at, `action #${index}`), ['id', 'type', ...own, 'start', 'end', 'after'], (o) => actionLabel(o, index));
  if (!f) return undefined;
  const id = f.required('id', actionId);
  f.required('type', readEnum(ACTION_TYPES, 'action type'));
  const refs = type ? own.map((field) => [field, f.required(field, readId)] as const) : [];
  const start = f.required('start', readNumber());
  const end = f.required('end', readNumber());
  const after = f.optional('after', readList(actionId));
  const x = f.x();
  const complete = refs.every(([, ref]) => ref !== undefined) && (after !== undefined || !f.has('after'));
  if (type === undefined || id === undefined || start === undefined || end === undefined || !complete) return undefined;
  const action = {
    id,
    type,
    ...Object.fromEntries(refs),
    start,
    end,
    ...(after !== undefined ? { after } : {}),
    ...(x !== undefined ? { x } : {}),
  };
  // `action` has exactly the fields of its type (ACTION_FIELDS).
  return { action: Object.freeze(action) as unknown as Action, index };
}

/** The own fields of each action type, in FORMAT.md order. */
const OWN_FIELDS = Object.fromEntries(ACTION_TYPES.map((t) => [t, ownFields(t).map(([field]) => field)])) as unknown as {
  readonly [K in ActionType]: readonly string[];
};

/** The fields of each action type in the order the reader builds them (`after` last, no `x`). */
const FAST_ORDER = Object.fromEntries(ACTION_TYPES.map((t) => [t, ['id', 'type', ...OWN_FIELDS[t], 'start', 'end', 'after']])) as unknown as {
  readonly [K in ActionType]: readonly string[];
};

/** The fields an action of each type may have on the fast path (no `x`). */
const FAST_KEYS = Object.fromEntries(ACTION_TYPES.map((t) => [t, new Set(FAST_ORDER[t])])) as unknown as {
  readonly [K in ActionType]: ReadonlySet<string>;
};

/** Whether `keys` are the first `keys.length` fields of `order` (the order the reader builds). */
function inOrder(keys: readonly string[], order: readonly string[]): boolean {
  for (let k = 0; k < keys.length; k++) if (keys[k] !== order[k]) return false;
  return true;
}

function isActionId(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0;
}

function isFiniteNumber(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

function isIdString(v: unknown): v is string {
  return typeof v === 'string' && v !== '';
}

/**
 * The action `v` describes when it is a well-formed action without `x` (the common case), built
 * as the general reader builds it (same fields, same order, frozen, `after` copied); undefined
 * for anything else, which the general reader then reads and reports. No position, no label,
 * no closure per action. `owned`: `v` was decoded by this module (parsePlan) and nobody else
 * holds it, so when its fields are already in the reader's order it is frozen and kept as is.
 */
function fastAction(v: unknown, owned: boolean): Action | undefined {
  if (!isPlainObject(v)) return undefined;
  const type = v['type'];
  if (!isActionType(type)) return undefined;
  const allowed = FAST_KEYS[type];
  const keys = Object.keys(v);
  let hasAfter = false;
  for (let k = 0; k < keys.length; k++) {
    const key = keys[k]!;
    if (!allowed.has(key)) return undefined;
    if (key === 'after') hasAfter = true;
  }
  // Every key is allowed and keys are unique: with the count right, every required field is there.
  if (keys.length !== allowed.size - (hasAfter ? 0 : 1)) return undefined;
  const id = v['id'];
  const start = v['start'];
  const end = v['end'];
  if (!isActionId(id) || !isFiniteNumber(start) || !isFiniteNumber(end)) return undefined;
  let after: readonly number[] | undefined;
  if (hasAfter) {
    const list = v['after'];
    if (!Array.isArray(list)) return undefined;
    const copy: number[] = owned ? (list as number[]) : new Array<number>(list.length);
    for (let k = 0; k < list.length; k++) {
      const dep: unknown = list[k];
      if (!isActionId(dep)) return undefined;
      copy[k] = dep;
    }
    after = copy;
  }
  const vm = v['vm'];
  const from = v['from'];
  const to = v['to'];
  let action: Record<string, unknown>;
  switch (type) {
    case 'migrate':
    case 'resume':
      if (!isIdString(vm) || !isIdString(from) || !isIdString(to)) return undefined;
      action = { id, type, vm, from, to, start, end };
      break;
    case 'boot':
      if (!isIdString(vm) || !isIdString(to)) return undefined;
      action = { id, type, vm, to, start, end };
      break;
    case 'shutdown':
    case 'suspend':
      if (!isIdString(vm) || !isIdString(from)) return undefined;
      action = { id, type, vm, from, start, end };
      break;
    case 'bootNode':
    case 'shutdownNode': {
      const node = v['node'];
      if (!isIdString(node)) return undefined;
      action = { id, type, node, start, end };
      break;
    }
  }
  if (after !== undefined) Object.freeze(after);
  if (owned && inOrder(keys, FAST_ORDER[type])) return Object.freeze(v) as unknown as Action;
  if (after !== undefined) action['after'] = after;
  return Object.freeze(action) as unknown as Action;
}

/** Reports duplicate action ids and `after` entries naming no action. */
function checkActionIds(actionsAt: At, actions: readonly ReadAction[]): void {
  const first = new Map<number, ReadAction>();
  for (const a of actions) {
    const seen = first.get(a.action.id);
    if (seen) report(child(actionAt(actionsAt, a), 'id'), `duplicate action id ${a.action.id} (already used by ${actionAt(actionsAt, seen).path})`);
    else first.set(a.action.id, a);
  }
  for (const a of actions) {
    const after = a.action.after;
    if (after === undefined) continue;
    for (let j = 0; j < after.length; j++) {
      const dep = after[j]!;
      if (!first.has(dep)) report(child(child(actionAt(actionsAt, a), 'after'), j), `after names action ${dep}, which does not exist`);
    }
  }
}

function readTargetVm(id: string): Read<TargetVm> {
  return (v, at) => {
    const f = readObject(v, entity(at, `target VM ${quote(id)}`), ['state', 'host']);
    if (!f) return undefined;
    const state = f.required('state', readEnum(VM_STATES, 'VM state'));
    const host = f.optional('host', readId);
    const x = f.x();
    if ((state === 'running' || state === 'sleeping') && !f.has('host')) report(f.child('host'), `a ${state} VM needs a host`);
    if ((state === 'waiting' || state === 'terminated') && f.has('host')) report(f.child('host'), `a ${state} VM has no host`);
    if (state === undefined) return undefined;
    return Object.freeze({ state, ...(host !== undefined ? { host } : {}), ...(x !== undefined ? { x } : {}) });
  };
}

/**
 * An object used as a map (the target's VMs or nodes), read into a frozen object of the entries
 * whose values read well: `fast` takes the well-formed values without a position; the others go
 * through `slow`, which reports. Same result as `Object.fromEntries` of {@link readKeyed}.
 */
function readRecord<T>(
  fast: (v: unknown, owned: boolean) => T | undefined,
  slow: (key: string) => Read<T>,
  owned: boolean,
): Read<{ readonly [key: string]: T }> {
  const general = readKeyed(slow);
  return (v, at) => {
    if (!isPlainObject(v)) return general(v, at) === undefined ? undefined : Object.freeze({});
    if (owned) {
      // The decoded object becomes the result: values read as they are stay, the others are
      // replaced by what was read (one that does not read has been reported: the plan fails).
      for (const key of Object.keys(v)) {
        const value = v[key];
        const r = fast(value, true) ?? slow(key)(value, child(at, key));
        if (r !== undefined && r !== value) Object.defineProperty(v, key, { value: r });
      }
      return Object.freeze(v as { readonly [key: string]: T });
    }
    const out: Record<string, T> = {};
    for (const key of Object.keys(v)) {
      const value = v[key];
      const r = fast(value, false) ?? slow(key)(value, child(at, key));
      if (r === undefined) continue;
      // `__proto__` is data here, as with Object.fromEntries.
      if (key === '__proto__') Object.defineProperty(out, key, { value: r, enumerable: true, writable: true, configurable: true });
      else out[key] = r;
    }
    return Object.freeze(out);
  };
}

/**
 * A target VM that reads without an issue and has no `x`, as {@link readTargetVm} builds it
 * (`owned`: the decoded object itself, frozen, when its fields are in that order); else undefined.
 */
function fastTargetVm(v: unknown, owned: boolean): TargetVm | undefined {
  if (!isPlainObject(v)) return undefined;
  const keys = Object.keys(v);
  const state = v['state'];
  if (keys.length === 1) {
    if (keys[0] !== 'state' || (state !== 'waiting' && state !== 'terminated')) return undefined;
    return owned ? (Object.freeze(v) as unknown as TargetVm) : Object.freeze({ state });
  }
  if (keys.length !== 2 || (state !== 'running' && state !== 'sleeping') || !Object.hasOwn(v, 'state') || !Object.hasOwn(v, 'host')) return undefined;
  const host = v['host'];
  if (!isIdString(host)) return undefined;
  return owned && keys[0] === 'state' ? (Object.freeze(v) as unknown as TargetVm) : Object.freeze({ state, host });
}

function fastNodeState(v: unknown): NodeState | undefined {
  return v === 'online' || v === 'offline' ? v : undefined;
}

const readNodeState = readEnum(NODE_STATES, 'node state');

function readTarget(v: unknown, at: At, owned: boolean): PlanTarget | undefined {
  const f = readObject(v, entity(at, 'target'), ['vms', 'nodes']);
  if (!f) return undefined;
  const vms = f.required('vms', readRecord(fastTargetVm, readTargetVm, owned));
  const nodes = f.required('nodes', readRecord(fastNodeState, (id) => (s, a) => readNodeState(s, entity(a, `target node ${quote(id)}`)), owned));
  const x = f.x();
  if (vms === undefined || nodes === undefined) return undefined;
  return Object.freeze({ vms, nodes, ...(x !== undefined ? { x } : {}) });
}

function readStats(partial: boolean): Read<Partial<PlanStats>> {
  return (v, at) => {
    const f = readObject(v, entity(at, 'stats'), [...STAT_NAMES, 'phases', 'stop']);
    if (!f) return undefined;
    const out: Record<string, unknown> = {};
    for (const k of STAT_NAMES) {
      const read = readNumber({ min: 0 });
      const n = partial ? f.optional(k, read) : f.required(k, read);
      if (n !== undefined) out[k] = n;
    }
    const phases = f.optional('phases', readPhases);
    if (phases !== undefined) out['phases'] = phases;
    const stop = f.optional('stop', readEnum(STOP_REASONS, 'stop reason'));
    if (stop !== undefined) out['stop'] = stop;
    const x = f.x();
    if (x !== undefined) out['x'] = x;
    return Object.freeze(out);
  };
}

const readPhases: Read<PlanPhases> = (v, at) => {
  const f = readObject(v, at, PHASE_NAMES);
  if (!f) return undefined;
  const out: Record<string, number> = {};
  for (const k of PHASE_NAMES) {
    const n = f.optional(k, readNumber({ min: 0 }));
    if (n !== undefined) out[k] = n;
  }
  return Object.freeze(out);
};

function readReason(v: unknown, at: At, index: number): InfeasibleReason | undefined {
  const f = readObject(v, entity(at, `reason #${index}`), REASON_FIELDS);
  if (!f) return undefined;
  const message = f.required('message', readString);
  const resource = f.optional('resource', readId);
  const vms = f.optional('vms', readList(readId));
  const nodes = f.optional('nodes', readList(readId));
  const constraints = f.optional('constraints', readList(readNumber({ min: 0, integer: true })));
  const x = f.x();
  if (message === undefined) return undefined;
  return Object.freeze({
    message,
    ...(resource !== undefined ? { resource } : {}),
    ...(vms !== undefined ? { vms } : {}),
    ...(nodes !== undefined ? { nodes } : {}),
    ...(constraints !== undefined ? { constraints } : {}),
    ...(x !== undefined ? { x } : {}),
  });
}

/**
 * Validates the shape of a decoded plan document (FORMAT.md "Plan"): version 1, a known
 * status, actions with unique integer ids and exactly the fields of their type, finite
 * `start`/`end`, `after` naming existing actions, a target (every VM's state and host, every
 * node's power state), the seven `stats` figures (all optional for infeasible plans), and for
 * an infeasible plan no actions, no target and at least one reason. Unknown fields outside
 * `x` are errors. References to the instance's VMs and nodes are checked by
 * {@link checkPlanReferences}; the plan's validity by the verifier. Never throws.
 * @param json - the decoded document
 * @returns the plan, or every issue found
 * @example
 * ```ts
 * validatePlan({ version: 1, status: 'feasible', actions: [] }).ok; // false: target and stats are missing
 * ```
 */
export function validatePlan(json: unknown): Result<Plan> {
  return readPlan(json, false);
}

/**
 * {@link validatePlan}; `owned`: `json` was just decoded here and is held by no one else, so the
 * well-formed objects in it may be frozen and kept instead of copied (the plan is the same value).
 */
function readPlan(json: unknown, owned: boolean): Result<Plan> {
  const issues: Issue[] = [];
  const doc = readObject(json, rootAt(issues, 'plan'), PLAN_FIELDS);
  if (!doc) return fail(issues);
  if (!checkVersion(doc)) return fail(issues);
  const status = doc.required('status', readEnum(STATUSES, 'plan status'));
  // With an unusable status, fields whose presence depends on it are read when present only.
  const infeasible = status === 'infeasible';
  const feasible = status === 'optimal' || status === 'feasible';
  const read = readEach(doc, 'actions', false, (v, at, i) => readAction(v, at, i, owned));
  checkActionIds(doc.child('actions'), read);
  const actions = read.map((a) => a.action);
  const rawActions = doc.get('actions');
  if (infeasible && Array.isArray(rawActions) && rawActions.length > 0) {
    report(doc.child('actions'), 'an infeasible plan has no actions');
  }

  let target: PlanTarget | undefined;
  if (infeasible) {
    if (doc.has('target')) report(doc.child('target'), 'an infeasible plan has no target');
  } else {
    const read = (v: unknown, at: At): PlanTarget | undefined => readTarget(v, at, owned);
    target = feasible ? doc.required('target', read) : doc.optional('target', read);
  }

  const stats = feasible ? doc.required('stats', readStats(false)) : doc.optional('stats', readStats(true));

  let reasons: readonly InfeasibleReason[] = [];
  if (feasible) {
    if (doc.has('reasons')) report(doc.child('reasons'), `reasons are only allowed on infeasible plans (status is "${status}")`);
  } else if (infeasible && !doc.has('reasons')) {
    report(doc.child('reasons'), 'an infeasible plan needs reasons');
  } else {
    reasons = readEach(doc, 'reasons', true, readReason);
    const rawReasons = doc.get('reasons');
    if (infeasible && Array.isArray(rawReasons) && rawReasons.length === 0) {
      report(doc.child('reasons'), 'an infeasible plan needs at least one reason');
    }
  }
  const x = doc.x();

  if (issues.length > 0 || status === undefined) return fail(issues);
  const ext = x !== undefined ? { x } : {};
  if (infeasible) {
    return ok(
      Object.freeze({
        version: 1,
        status,
        actions: Object.freeze([]) as readonly [],
        reasons: Object.freeze([...reasons]),
        ...(stats !== undefined ? { stats } : {}),
        ...ext,
      }),
    );
  }
  // Without issues, `target` and every stats figure were read.
  return ok(
    Object.freeze({
      version: 1,
      status,
      actions: Object.freeze(actions),
      target: target as PlanTarget,
      stats: stats as PlanStats,
      ...ext,
    }),
  );
}

/**
 * Parses plan JSON text ({@link validatePlan} on the decoded value). Text that is not JSON
 * gives one issue at `$` with the JSON parser's message.
 * @param text - the JSON text
 * @returns the plan, or every issue found
 * @example
 * ```ts
 * const r = parsePlan(readFileSync('plan.json', 'utf8'));
 * if (r.ok) console.log(r.value.actions.length);
 * ```
 */
export function parsePlan(text: string): Result<Plan> {
  // The decoded document is this function's own: its well-formed objects are kept, not copied.
  return parseJsonWith(text, (json) => readPlan(json, true));
}

/**
 * The references of a plan checked against its instance: actions naming VMs or nodes the
 * instance does not have, target entries missing or unknown (and target hosts naming unknown
 * nodes), reasons naming unknown VMs, nodes or constraint indices. These are input errors of
 * the plan, reported before the verifier replays it.
 * @param instance - the instance the plan is for
 * @param plan - a shape-valid plan ({@link validatePlan})
 * @returns the issues, empty when every reference resolves
 * @example
 * ```ts
 * const issues = checkPlanReferences(inst, plan);
 * // [{ path: 'actions[0].vm', message: 'action 0 (migrate): VM "ghost" does not exist' }]
 * ```
 */
export function checkPlanReferences(instance: Instance, plan: Plan): Issue[] {
  const issues: Issue[] = [];
  const root = rootAt(issues, 'plan');
  // The instance's shared dense index (the verifier uses the same): plain Maps and id arrays.
  const ix = indexInstance(instance);
  const vmIndex = ix.vmIndex;
  const nodeIndex = ix.nodeIndex;
  const actionAt = (a: Action, i: number): At => entity(child(child(root, 'actions'), i), `action ${a.id} (${a.type})`);
  const actions = plan.actions;
  for (let i = 0; i < actions.length; i++) {
    const a = actions[i]!;
    const fields = a as unknown as Readonly<Record<string, unknown>>;
    const own = OWN_REFS[a.type];
    for (let k = 0; k < own.length; k++) {
      const [field, kind] = own[k]!;
      const id = fields[field];
      if (typeof id === 'string' && !(kind === 'vm' ? vmIndex : nodeIndex).has(id)) {
        report(child(actionAt(a, i), field), `${kind === 'vm' ? 'VM' : 'node'} ${quote(id)} does not exist`);
      }
    }
  }
  if (plan.status !== 'infeasible') {
    const t = entity(child(root, 'target'), 'target');
    const tv = child(t, 'vms');
    const tn = child(t, 'nodes');
    const targetVms = plan.target.vms;
    const targetNodes = plan.target.nodes;
    for (const id of ix.vmIds) if (!Object.hasOwn(targetVms, id)) report(tv, `VM ${quote(id)} is missing`);
    for (const id of Object.keys(targetVms)) {
      const host = targetVms[id]!.host;
      if (!vmIndex.has(id)) report(child(tv, id), `VM ${quote(id)} does not exist in the instance`);
      else if (host !== undefined && !nodeIndex.has(host)) {
        report(child(child(tv, id), 'host'), `VM ${quote(id)}: node ${quote(host)} does not exist`);
      }
    }
    for (const id of ix.nodeIds) if (!Object.hasOwn(targetNodes, id)) report(tn, `node ${quote(id)} is missing`);
    for (const id of Object.keys(targetNodes)) {
      if (!nodeIndex.has(id)) report(child(tn, id), `node ${quote(id)} does not exist in the instance`);
    }
  } else {
    plan.reasons.forEach((r, i) => {
      const at = entity(child(child(root, 'reasons'), i), `reason #${i}`);
      r.vms?.forEach((id, j) => {
        if (!vmIndex.has(id)) report(child(child(at, 'vms'), j), `VM ${quote(id)} does not exist`);
      });
      r.nodes?.forEach((id, j) => {
        if (!nodeIndex.has(id)) report(child(child(at, 'nodes'), j), `node ${quote(id)} does not exist`);
      });
      r.constraints?.forEach((c, j) => {
        if (c >= instance.constraints.size) {
          report(child(child(at, 'constraints'), j), `constraint ${c} does not exist (the instance has ${instance.constraints.size})`);
        }
      });
    });
  }
  return issues;
}

/** The VM and node fields of each action type, in FORMAT.md order. */
const OWN_REFS = Object.fromEntries(ACTION_TYPES.map((t) => [t, ownFields(t)])) as unknown as {
  readonly [K in ActionType]: readonly (readonly [string, 'vm' | 'node'])[];
};

// ---------------------------------------------------------------------------------------------
// Writing

function serializeAction(a: Action): Action {
  const src = a as unknown as Readonly<Record<string, unknown>>;
  const out: Record<string, unknown> = { id: a.id, type: a.type };
  for (const [field] of ownFields(a.type)) out[field] = src[field];
  out['start'] = a.start;
  out['end'] = a.end;
  if (a.after !== undefined) out['after'] = [...a.after];
  return Object.assign(out, cloneX(a.x)) as unknown as Action;
}

function serializeStats(s: Partial<PlanStats>): Partial<PlanStats> {
  const out: Record<string, number> = {};
  for (const k of STAT_NAMES) {
    const n = s[k];
    if (n !== undefined) out[k] = n;
  }
  const p = s.phases;
  const phases: Record<string, number> = {};
  if (p !== undefined) for (const k of PHASE_NAMES) if (p[k] !== undefined) phases[k] = p[k];
  return { ...out, ...(p !== undefined ? { phases } : {}), ...(s.stop !== undefined ? { stop: s.stop } : {}), ...cloneX(s.x) };
}

function serializeTarget(t: PlanTarget): PlanTarget {
  const vms: [string, TargetVm][] = [];
  for (const id of Object.keys(t.vms)) {
    const p = t.vms[id]!;
    const out: { state: TargetVm['state']; host?: string; x?: JsonObject } = { state: p.state };
    if (p.host !== undefined) out.host = p.host;
    if (p.x !== undefined) out.x = cloneJson(p.x);
    vms.push([id, out]);
  }
  return {
    vms: Object.fromEntries(vms),
    nodes: Object.fromEntries(Object.entries(t.nodes)),
    ...cloneX(t.x),
  };
}

function serializeReason(r: InfeasibleReason): InfeasibleReason {
  return {
    message: r.message,
    ...(r.resource !== undefined ? { resource: r.resource } : {}),
    ...(r.vms !== undefined ? { vms: [...r.vms] } : {}),
    ...(r.nodes !== undefined ? { nodes: [...r.nodes] } : {}),
    ...(r.constraints !== undefined ? { constraints: [...r.constraints] } : {}),
    ...cloneX(r.x),
  };
}

/**
 * The exchange-format document of a plan: a plain JSON object with FORMAT.md's key order
 * (`version`, `status`, `actions`, `target`, `stats`, `reasons`, `x`; actions as `id`, `type`,
 * their own fields, `start`, `end`, `after`, `x`), fresh arrays and objects, absent optional
 * fields left absent. `validatePlan(serializePlan(p))` gives back a plan deep-equal to `p`.
 * @param plan - the plan
 * @returns the JSON object
 */
export function serializePlan(plan: Plan): PlanJson {
  const ext = cloneX(plan.x);
  if (plan.status === 'infeasible') {
    return {
      version: 1,
      status: plan.status,
      actions: [],
      ...(plan.stats !== undefined ? { stats: serializeStats(plan.stats) } : {}),
      reasons: plan.reasons.map(serializeReason),
      ...ext,
    };
  }
  return {
    version: 1,
    status: plan.status,
    actions: plan.actions.map(serializeAction),
    target: serializeTarget(plan.target),
    stats: serializeStats(plan.stats) as PlanStats,
    ...ext,
  };
}

/**
 * The exchange-format JSON text of a plan ({@link serializePlan}), pretty-printed with short
 * objects and arrays on one line, final newline.
 * @param plan - the plan
 * @returns the JSON text
 */
export function formatPlan(plan: Plan): string {
  return formatJson(serializePlan(plan) as unknown as JsonObject);
}
