/**
 * Frozen copy of the plan reader of src/io/plan.ts (`validatePlan`, `checkPlanReferences`) before
 * it got its fast path and its dense reference checks (issue 18): the oracle the new one is held
 * to, issue for issue and value for value (test/io/plan-fast.test.ts).
 */
import { fail, ok, type Issue, type Result } from '../../src/errors.js';
import type { Instance } from '../../src/model/instance.js';
import type { NodeState } from '../../src/model/node.js';
import { VM_STATES } from '../../src/model/vm.js';
import { STOP_REASONS, type Plan, type PlanPhases, type PlanStats, type PlanStatus, type PlanTarget, type TargetVm } from '../../src/plan/types.js';
import { ACTION_TYPES, type Action, type ActionType, type InfeasibleReason } from '../../src/model/action.js';
import { parseJsonWith } from '../../src/io/json.js';
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
  readString,
  report,
  rootAt,
  type At,
  type PlainObject,
  type Read,
} from '../../src/io/read.js';

type ActionOwnField<K extends ActionType> = Exclude<
  keyof Extract<Action, { type: K }>,
  'type' | 'id' | 'start' | 'end' | 'after' | 'x'
>;

/**
 * The fields of each action type besides `id`, `type`, `start`, `end`, `after` and `x`, in
 * FORMAT.md order, and whether each names a VM or a node. Compiler-checked: every action type,
 * every field, no other.
 */
const ACTION_FIELDS = {
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

interface ReadAction {
  readonly action: Action;
  readonly at: At;
}

function readAction(v: unknown, at: At, index: number): ReadAction | undefined {
  const tag = peek(v, 'type');
  const type = isActionType(tag) ? tag : undefined;
  // Until the type is known, accept the fields of every type (the type itself is reported).
  const own = type ? ownFields(type).map(([field]) => field) : ['vm', 'node', 'from', 'to'];
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
  return { action: Object.freeze(action) as unknown as Action, at: f.at };
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

function readTarget(v: unknown, at: At): PlanTarget | undefined {
  const f = readObject(v, entity(at, 'target'), ['vms', 'nodes']);
  if (!f) return undefined;
  const vms = f.required('vms', readKeyed(readTargetVm));
  const nodeState = readEnum(NODE_STATES, 'node state');
  const nodes = f.required('nodes', readKeyed((id) => (s, a) => nodeState(s, entity(a, `target node ${quote(id)}`))));
  const x = f.x();
  if (vms === undefined || nodes === undefined) return undefined;
  return Object.freeze({
    vms: Object.freeze(Object.fromEntries(vms)),
    nodes: Object.freeze(Object.fromEntries(nodes)),
    ...(x !== undefined ? { x } : {}),
  });
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

/** Reports duplicate action ids and `after` entries naming no action. */
function checkActionIds(actions: readonly ReadAction[]): void {
  const first = new Map<number, ReadAction>();
  for (const a of actions) {
    const seen = first.get(a.action.id);
    if (seen) report(child(a.at, 'id'), `duplicate action id ${a.action.id} (already used by ${seen.at.path})`);
    else first.set(a.action.id, a);
  }
  for (const a of actions) {
    a.action.after?.forEach((dep, j) => {
      if (!first.has(dep)) report(child(child(a.at, 'after'), j), `after names action ${dep}, which does not exist`);
    });
  }
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
 */
export function validatePlan(json: unknown): Result<Plan> {
  const issues: Issue[] = [];
  const doc = readObject(json, rootAt(issues, 'plan'), PLAN_FIELDS);
  if (!doc) return fail(issues);
  if (!checkVersion(doc)) return fail(issues);
  const status = doc.required('status', readEnum(STATUSES, 'plan status'));
  // With an unusable status, fields whose presence depends on it are read when present only.
  const infeasible = status === 'infeasible';
  const feasible = status === 'optimal' || status === 'feasible';
  const read = readEach(doc, 'actions', false, readAction);
  checkActionIds(read);
  const actions = read.map((a) => a.action);
  const rawActions = doc.get('actions');
  if (infeasible && Array.isArray(rawActions) && rawActions.length > 0) {
    report(doc.child('actions'), 'an infeasible plan has no actions');
  }

  let target: PlanTarget | undefined;
  if (infeasible) {
    if (doc.has('target')) report(doc.child('target'), 'an infeasible plan has no target');
  } else target = feasible ? doc.required('target', readTarget) : doc.optional('target', readTarget);

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
 */
export function parsePlan(text: string): Result<Plan> {
  return parseJsonWith(text, validatePlan);
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
  const exists = { vm: (id: string) => instance.vms.has(id), node: (id: string) => instance.nodes.has(id) };
  const noun = { vm: 'VM', node: 'node' } as const;
  plan.actions.forEach((a, i) => {
    const at = entity(child(child(root, 'actions'), i), `action ${a.id} (${a.type})`);
    const fields = a as unknown as Readonly<Record<string, unknown>>;
    for (const [field, kind] of ownFields(a.type)) {
      const id = fields[field];
      if (typeof id === 'string' && !exists[kind](id)) report(child(at, field), `${noun[kind]} ${quote(id)} does not exist`);
    }
  });
  if (plan.status !== 'infeasible') {
    const t = entity(child(root, 'target'), 'target');
    const tv = child(t, 'vms');
    const tn = child(t, 'nodes');
    for (const id of instance.vms.keys()) if (!Object.hasOwn(plan.target.vms, id)) report(tv, `VM ${quote(id)} is missing`);
    for (const [id, p] of Object.entries(plan.target.vms)) {
      if (!instance.vms.has(id)) report(child(tv, id), `VM ${quote(id)} does not exist in the instance`);
      else if (p.host !== undefined && !instance.nodes.has(p.host)) {
        report(child(child(tv, id), 'host'), `VM ${quote(id)}: node ${quote(p.host)} does not exist`);
      }
    }
    for (const id of instance.nodes.keys()) if (!Object.hasOwn(plan.target.nodes, id)) report(tn, `node ${quote(id)} is missing`);
    for (const id of Object.keys(plan.target.nodes)) {
      if (!instance.nodes.has(id)) report(child(tn, id), `node ${quote(id)} does not exist in the instance`);
    }
  } else {
    plan.reasons.forEach((r, i) => {
      const at = entity(child(child(root, 'reasons'), i), `reason #${i}`);
      r.vms?.forEach((id, j) => {
        if (!instance.vms.has(id)) report(child(child(at, 'vms'), j), `VM ${quote(id)} does not exist`);
      });
      r.nodes?.forEach((id, j) => {
        if (!instance.nodes.has(id)) report(child(child(at, 'nodes'), j), `node ${quote(id)} does not exist`);
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

