/**
 * fast-check generators of valid exchange-format documents, written independently of the
 * implementation (their own field table), in the canonical form `serializeInstance` /
 * `serializePlan` write: FORMAT.md key order, node `state` and every vjob field explicit,
 * terminated VMs without host, empty optional lists absent.
 */
import fc from 'fast-check';
import type { ConstraintType } from '../../src/model/constraints.js';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
export type JsonDoc = { [k: string]: Json };

/** Keeps only the defined entries, in order (canonical documents never hold `undefined`). */
function defined(entries: Record<string, Json | undefined>): JsonDoc {
  const out: JsonDoc = {};
  for (const [k, v] of Object.entries(entries)) if (v !== undefined) out[k] = v;
  return out;
}

const opt = <T>(a: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> => fc.option(a, { nil: undefined, freq: 2 });

/** Extension objects: any keys (including odd ones such as `__proto__`), simple JSON values. */
export const arbX: fc.Arbitrary<JsonDoc> = fc.dictionary(
  fc.oneof(fc.string({ maxLength: 5 }), fc.constantFrom('__proto__', 'constructor', 'x')),
  fc.oneof(
    fc.string({ maxLength: 5 }),
    fc.integer(),
    fc.boolean(),
    fc.constant(null),
    fc.array(fc.integer({ min: -9, max: 9 }), { maxLength: 3 }),
    fc.dictionary(fc.string({ maxLength: 3 }), fc.string({ maxLength: 3 }), { maxKeys: 2 }),
  ),
  { maxKeys: 3 },
) as fc.Arbitrary<JsonDoc>;

/** Ids: short strings of any characters; unique within one kind only (kinds are separate namespaces). */
const arbIds = (min: number, max: number) =>
  fc.uniqueArray(fc.oneof(fc.string({ minLength: 1, maxLength: 4 }), fc.constantFrom('x', '__proto__', 'vm1', 'n1')), {
    minLength: min,
    maxLength: max,
  });

const arbQuantity = fc.oneof(fc.integer({ min: 0, max: 200_000 }), fc.integer({ min: 0, max: 400 }).map((v) => v / 4));
const RESOURCES = ['cpu', 'memory', 'gpu', 'disk-io'] as const;

type Kind = 'vmList' | 'nodeList' | 'vmGroups' | 'nodeGroups' | 'resource' | 'vjob' | 'ratio' | 'amount' | 'count' | 'flag';

/** The constraint table of FORMAT.md, as this test reads it. */
export const FORMAT_CONSTRAINTS: { readonly [K in ConstraintType]: readonly (readonly [string, Kind])[] } = {
  ban: [['vms', 'vmList'], ['nodes', 'nodeList'], ['continuous', 'flag']],
  fence: [['vms', 'vmList'], ['nodes', 'nodeList'], ['continuous', 'flag']],
  spread: [['vms', 'vmList']],
  gather: [['vms', 'vmList']],
  among: [['vms', 'vmList'], ['groups', 'nodeGroups'], ['continuous', 'flag']],
  split: [['groups', 'vmGroups']],
  lonely: [['vms', 'vmList']],
  root: [['vms', 'vmList']],
  quarantine: [['nodes', 'nodeList']],
  overbook: [['nodes', 'nodeList'], ['resource', 'resource'], ['ratio', 'ratio']],
  resourceCapacity: [['nodes', 'nodeList'], ['resource', 'resource'], ['amount', 'amount']],
  runningCapacity: [['nodes', 'nodeList'], ['amount', 'count']],
  maxOnline: [['nodes', 'nodeList'], ['amount', 'count']],
  online: [['nodes', 'nodeList']],
  offline: [['nodes', 'nodeList']],
  reserved: [['nodes', 'nodeList'], ['vjob', 'vjob']],
  running: [['vms', 'vmList']],
  sleeping: [['vms', 'vmList']],
  terminated: [['vms', 'vmList']],
};

interface Declared {
  readonly nodes: readonly string[];
  readonly vms: readonly string[];
  readonly vjobs: readonly string[];
  readonly resources: readonly string[];
}

function arbKind(kind: Kind, d: Declared): fc.Arbitrary<Json | undefined> {
  const vmList = () => fc.shuffledSubarray([...d.vms], { minLength: 1 });
  const nodeList = () => fc.shuffledSubarray([...d.nodes], { minLength: 1 });
  switch (kind) {
    case 'vmList':
      return vmList();
    case 'nodeList':
      return nodeList();
    case 'vmGroups':
      return fc.array(vmList(), { minLength: 1, maxLength: 3 });
    case 'nodeGroups':
      return fc.array(nodeList(), { minLength: 1, maxLength: 3 });
    case 'resource':
      return fc.constantFrom(...d.resources);
    case 'vjob':
      return fc.constantFrom(...d.vjobs);
    case 'ratio':
      return fc.integer({ min: 1, max: 40 }).map((v) => v / 10);
    case 'amount':
      return arbQuantity;
    case 'count':
      return fc.nat(20);
    case 'flag':
      return opt(fc.boolean());
  }
}

/** The constraint types this document can hold (some need VMs, a vjob or a resource). */
function usableTypes(d: Declared): ConstraintType[] {
  return (Object.keys(FORMAT_CONSTRAINTS) as ConstraintType[]).filter((t) =>
    FORMAT_CONSTRAINTS[t].every(
      ([, k]) =>
        !((k === 'vmList' || k === 'vmGroups') && d.vms.length === 0) &&
        !(k === 'vjob' && d.vjobs.length === 0) &&
        !(k === 'resource' && d.resources.length === 0),
    ),
  );
}

function arbConstraint(d: Declared): fc.Arbitrary<JsonDoc> {
  return fc.constantFrom(...usableTypes(d)).chain((type) =>
    fc
      .tuple(fc.tuple(...FORMAT_CONSTRAINTS[type].map(([, k]) => arbKind(k, d))), opt(arbX))
      .map(([values, x]) => defined({ type, ...Object.fromEntries(FORMAT_CONSTRAINTS[type].map(([f], i) => [f, values[i]])), x })),
  );
}

/** Seconds of a VM's or node's own `durations` field (> 0). */
const ownSeconds = fc.integer({ min: 1, max: 1200 }).map((v) => v / 2);
/** A VM's own `durations` (FORMAT.md `vms[].durations`): any subset of its fields. */
export const arbVmDurations: fc.Arbitrary<JsonDoc> = fc.record(
  { migrate: ownSeconds, suspend: ownSeconds, resume: ownSeconds, boot: ownSeconds, shutdown: ownSeconds, x: arbX },
  { requiredKeys: [] },
);
/** A node's own `durations` (FORMAT.md `nodes[].durations`): any subset of its fields. */
export const arbNodeDurations: fc.Arbitrary<JsonDoc> = fc.record({ boot: ownSeconds, shutdown: ownSeconds, x: arbX }, { requiredKeys: [] });

const arbNode = (id: string) =>
  fc
    .record({
      resources: fc.subarray([...RESOURCES]),
      quantities: fc.array(arbQuantity, { minLength: RESOURCES.length, maxLength: RESOURCES.length }),
      state: fc.constantFrom('online', 'online', 'offline'),
      site: opt(fc.constantFrom('rennes', 'nantes', '')),
      labels: opt(fc.dictionary(fc.string({ maxLength: 4 }), fc.string({ maxLength: 4 }), { minKeys: 1, maxKeys: 2 })),
      durations: opt(arbNodeDurations),
      x: opt(arbX),
    })
    .map((n) =>
      defined({
        id,
        capacity: Object.fromEntries(n.resources.map((r, i) => [r, n.quantities[i]!])),
        state: n.state,
        site: n.site,
        labels: n.labels,
        durations: n.durations,
        x: n.x,
      }),
    );

const arbVjob = (id: string) =>
  fc
    .record({
      priority: fc.oneof(fc.integer({ min: -10, max: 10 }), fc.integer({ min: -20, max: 20 }).map((v) => v / 2)),
      submitted: fc.integer({ min: 0, max: 10_000 }),
      bestEffort: fc.boolean(),
      x: opt(arbX),
    })
    .map((j) => defined({ id, ...j }));

function arbVm(id: string, d: Declared, online: readonly string[]): fc.Arbitrary<JsonDoc> {
  return fc
    .record({
      state: fc.constantFrom('waiting', 'running', 'running', 'sleeping', 'terminated'),
      resources: fc.subarray([...d.resources]),
      quantities: fc.array(arbQuantity, { minLength: RESOURCES.length, maxLength: RESOURCES.length }),
      onlineSlot: fc.nat(),
      anySlot: fc.nat(),
      vjob: d.vjobs.length > 0 ? opt(fc.constantFrom(...d.vjobs)) : fc.constant(undefined),
      wants: opt(fc.constantFrom('running', 'sleeping', 'terminated')),
      durations: opt(arbVmDurations),
      x: opt(arbX),
    })
    .map((v) => {
      const state = v.state === 'running' && online.length === 0 ? 'waiting' : v.state;
      const host =
        state === 'running'
          ? online[v.onlineSlot % online.length]
          : state === 'sleeping'
            ? d.nodes[v.anySlot % d.nodes.length]
            : undefined;
      return defined({
        id,
        demand: Object.fromEntries(v.resources.map((r, i) => [r, v.quantities[i]!])),
        state,
        host,
        vjob: v.vjob,
        wants: v.wants,
        durations: v.durations,
        x: v.x,
      });
    });
}

const rate = fc.integer({ min: 1, max: 20_000 }).map((v) => v / 2);
const time = fc.integer({ min: 0, max: 600 });

/** A random valid instance document exercising every part of the format. */
export const arbInstanceJson: fc.Arbitrary<JsonDoc> = fc
  .record({ nodeIds: arbIds(1, 5), vmIds: arbIds(0, 7), vjobIds: arbIds(0, 3) })
  .chain(({ nodeIds, vmIds, vjobIds }) =>
    fc.tuple(fc.tuple(...nodeIds.map(arbNode)), fc.tuple(...vjobIds.map(arbVjob))).chain(([nodes, vjobs]) => {
      const resources = [...new Set(nodes.flatMap((n) => Object.keys(n['capacity'] as JsonDoc)))];
      const d: Declared = { nodes: nodeIds, vms: vmIds, vjobs: vjobIds, resources };
      const online = nodes.filter((n) => n['state'] === 'online').map((n) => n['id'] as string);
      const objective = fc.oneof(
        fc.record({ type: fc.constant('consolidate'), powerOff: opt(fc.boolean()), x: opt(arbX) }),
        fc.record({
          type: fc.constant('balance'),
          resource: resources.length > 0 ? opt(fc.constantFrom(...resources)) : fc.constant(undefined),
          x: opt(arbX),
        }),
        fc.record({ type: fc.constant('minMigrations'), x: opt(arbX) }),
      );
      return fc
        .record({
          vms: fc.tuple(...vmIds.map((id) => arbVm(id, d, online))),
          constraints: fc.array(arbConstraint(d), { maxLength: 5 }),
          objective: opt(objective.map((o) => defined(o as Record<string, Json | undefined>))),
          durations: opt(
            fc
              .record(
                { bandwidth: rate, diskRate: rate, bootVm: time, shutdownVm: time, bootNode: time, shutdownNode: time, wanBandwidth: rate, x: arbX },
                { requiredKeys: [] },
              )
              .map((r) => defined(r)),
          ),
          limits: opt(
            fc
              .record({ maxParallelMigrations: fc.integer({ min: 1, max: 16 }), maxMigrationsPerNode: fc.integer({ min: 1, max: 4 }), x: arbX }, { requiredKeys: [] })
              .map((r) => defined(r)),
          ),
          x: opt(arbX),
        })
        .map((r) =>
          defined({
            version: 1,
            nodes,
            vms: r.vms,
            vjobs: vjobs.length > 0 ? vjobs : undefined,
            constraints: r.constraints.length > 0 ? r.constraints : undefined,
            objective: r.objective,
            durations: r.durations,
            limits: r.limits,
            x: r.x,
          }),
        );
    }),
  );

const ACTIONS: Readonly<Record<string, readonly string[]>> = {
  migrate: ['vm', 'from', 'to'],
  boot: ['vm', 'to'],
  shutdown: ['vm', 'from'],
  suspend: ['vm', 'from'],
  resume: ['vm', 'from', 'to'],
  bootNode: ['node'],
  shutdownNode: ['node'],
};
const STATS = ['nodesUsed', 'lowerBound', 'migrations', 'migratedMemory', 'makespan', 'solveMs', 'planMs'] as const;
const arbRef = fc.oneof(fc.string({ minLength: 1, maxLength: 4 }), fc.constantFrom('vm1', 'n1', 'x'));
const arbFigure = fc.oneof(fc.nat(10_000), fc.integer({ min: 0, max: 10_000 }).map((v) => v / 8));

function arbActions(): fc.Arbitrary<JsonDoc[]> {
  return fc.uniqueArray(fc.nat(40), { maxLength: 6 }).chain((ids) =>
    fc.tuple(
      ...ids.map((id) =>
        fc
          .record({
            type: fc.constantFrom(...Object.keys(ACTIONS)),
            refs: fc.array(arbRef, { minLength: 3, maxLength: 3 }),
            start: fc.integer({ min: 0, max: 400 }).map((v) => v / 4),
            length: fc.integer({ min: 0, max: 400 }).map((v) => v / 4),
            after: opt(fc.subarray(ids.filter((o) => o !== id))),
            x: opt(arbX),
          })
          .map((a) =>
            defined({
              id,
              type: a.type,
              ...Object.fromEntries(ACTIONS[a.type]!.map((f, i) => [f, a.refs[i]!])),
              start: a.start,
              end: a.start + a.length,
              after: a.after,
              x: a.x,
            }),
          ),
      ),
    ),
  );
}

const arbTargetVm = fc
  .record({ state: fc.constantFrom('waiting', 'running', 'sleeping', 'terminated'), host: arbRef, x: opt(arbX) })
  .map((t) => defined({ state: t.state, host: t.state === 'running' || t.state === 'sleeping' ? t.host : undefined, x: t.x }));

const arbStats = (required: boolean) =>
  fc
    .record<Record<string, Json>, string>({ ...Object.fromEntries(STATS.map((k) => [k, arbFigure])), x: arbX }, { requiredKeys: required ? [...STATS] : [] })
    .map((s) => defined(s as Record<string, Json | undefined>));

const arbReason = fc
  .record(
    {
      message: fc.string({ maxLength: 20 }),
      resource: fc.constantFrom('cpu', 'memory'),
      vms: fc.array(arbRef, { maxLength: 3 }),
      nodes: fc.array(arbRef, { maxLength: 3 }),
      constraints: fc.array(fc.nat(9), { maxLength: 3 }),
      x: arbX,
    },
    { requiredKeys: ['message'] },
  )
  .map((r) => defined(r));

/** A random plan document of valid shape: feasible/optimal with actions, target and stats, or infeasible with reasons. */
export const arbPlanJson: fc.Arbitrary<JsonDoc> = fc.oneof(
  fc
    .record({
      status: fc.constantFrom('optimal', 'feasible'),
      actions: arbActions(),
      vms: fc.dictionary(arbRef, arbTargetVm, { maxKeys: 5 }),
      nodes: fc.dictionary(arbRef, fc.constantFrom('online', 'offline'), { maxKeys: 4 }),
      targetX: opt(arbX),
      stats: arbStats(true),
      x: opt(arbX),
    })
    .map((p) =>
      defined({
        version: 1,
        status: p.status,
        actions: p.actions,
        target: defined({ vms: p.vms as JsonDoc, nodes: p.nodes, x: p.targetX }),
        stats: p.stats,
        x: p.x,
      }),
    ),
  fc
    .record({ stats: opt(arbStats(false)), reasons: fc.array(arbReason, { minLength: 1, maxLength: 3 }), x: opt(arbX) })
    .map((p) => defined({ version: 1, status: 'infeasible', actions: [], stats: p.stats, reasons: p.reasons, x: p.x })),
);

/** A JSON path in the library's notation: `vms[3].demand.cpu`, quoted keys when not identifiers. */
export function pathString(path: readonly (string | number)[]): string {
  let out = '';
  for (const k of path) {
    if (typeof k === 'number') out += `[${k}]`;
    else if (/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(k)) out += out === '' ? k : `.${k}`;
    else out += `${out === '' ? '$' : ''}[${JSON.stringify(k)}]`;
  }
  return out === '' ? '$' : out;
}
