/**
 * A switchyard plan as a BtrPlace reconfiguration plan: `{ origin, actions }`, where `origin` is
 * the source model in BtrPlace's JSON (mapping, attributes, `shareableResource` views) and each
 * action is one of `migrateVM`, `bootVM`, `shutdownVM`, `suspendVM`, `resumeVM`, `bootNode`,
 * `shutdownNode` with integer `start` and `end` seconds, as BtrPlace's `json` module reads them.
 */
import { fail, ok, type Result } from '../../errors.js';
import type { JsonObject, JsonValue } from '../../model/ids.js';
import type { Instance } from '../../model/instance.js';
import type { Plan } from '../../plan/types.js';
import type { Action } from '../../model/action.js';
import { NODE_DURATION_FIELDS, type NodeDurations } from '../../model/node.js';
import { VM_DURATION_FIELDS, type VmDurations } from '../../model/vm.js';

/**
 * The BtrPlace numbers of an instance's VMs and nodes: `vm7` is 7 and `n3` is 3 (the ids
 * {@link importBtrPlace} gives); any other id gets the next number no such id took.
 */
export interface BtrPlaceNumbering {
  readonly vm: ReadonlyMap<string, number>;
  readonly node: ReadonlyMap<string, number>;
}

function numberIds(ids: Iterable<string>, prefix: string): Map<string, number> {
  const re = new RegExp(`^${prefix}(0|[1-9][0-9]{0,14})$`);
  const out = new Map<string, number>();
  const taken = new Set<number>();
  const rest: string[] = [];
  for (const id of ids) {
    const m = re.exec(id);
    const n = m ? Number(m[1]) : NaN;
    if (m && !taken.has(n)) {
      out.set(id, n);
      taken.add(n);
    } else rest.push(id);
  }
  let next = 0;
  for (const id of rest) {
    while (taken.has(next)) next++;
    out.set(id, next);
    taken.add(next);
  }
  return out;
}

/**
 * Numbers the VMs and nodes of an instance for BtrPlace.
 * @param instance - the instance
 * @returns the numbering
 * @example
 * ```ts
 * btrPlaceNumbering(instance).vm.get('vm7'); // 7
 * ```
 */
export function btrPlaceNumbering(instance: Instance): BtrPlaceNumbering {
  return { vm: numberIds(instance.vms.keys(), 'vm'), node: numberIds(instance.nodes.keys(), 'n') };
}

/**
 * The source model of an instance in BtrPlace's JSON (`mapping`, `attributes`, `views`). VMs
 * that are `terminated` do not exist for BtrPlace and are left out; `waiting` VMs are
 * `readyVMs`. Every resource is a `shareableResource` view with explicit values (defaults 0);
 * names kept under `x.name` come back as `ns` views; `attributes` are those kept under
 * `x.attributes` plus each VM's and node's own `durations` (`migrate`, `suspend`, `resume`,
 * `boot`, `shutdown`; a node's `boot`, `shutdown`), BtrPlace's per-element duration attributes.
 * Nothing else under `x` is written.
 * @param instance - the instance
 * @param numbering - from {@link btrPlaceNumbering}
 * @returns the model JSON
 */
export function btrPlaceModel(instance: Instance, numbering: BtrPlaceNumbering = btrPlaceNumbering(instance)): JsonObject {
  const onlineNodes: Record<string, { runningVMs: number[]; sleepingVMs: number[] }> = {};
  const offlineNodes: number[] = [];
  for (const n of instance.nodes.values()) {
    const k = numbering.node.get(n.id)!;
    if (n.state === 'online') onlineNodes[String(k)] = { runningVMs: [], sleepingVMs: [] };
    else offlineNodes.push(k);
  }
  const readyVMs: number[] = [];
  const resources = new Set<string>();
  for (const n of instance.nodes.values()) for (const r of n.capacity.keys()) resources.add(r);
  for (const v of instance.vms.values()) {
    const k = numbering.vm.get(v.id)!;
    if (v.state === 'waiting') readyVMs.push(k);
    else if (v.state === 'running' || v.state === 'sleeping') {
      const host = v.host === undefined ? undefined : onlineNodes[String(numbering.node.get(v.host))];
      if (host) (v.state === 'running' ? host.runningVMs : host.sleepingVMs).push(k);
    }
  }
  const views: JsonValue[] = [...resources].map((rc) => {
    const nodes: Record<string, number> = {};
    const vms: Record<string, number> = {};
    for (const n of instance.nodes.values()) nodes[String(numbering.node.get(n.id))] = n.capacity.get(rc) ?? 0;
    for (const v of instance.vms.values()) if (v.state !== 'terminated') vms[String(numbering.vm.get(v.id))] = v.demand.get(rc) ?? 0;
    return { id: 'shareableResource', rcId: rc, defConsumption: 0, defCapacity: 0, nodes, vms };
  });
  const attributes = { nodes: {} as Record<string, JsonObject>, vms: {} as Record<string, JsonObject> };
  const vmNames: Record<string, number> = {};
  const nodeNames: Record<string, number> = {};
  // Attributes: those kept under `x.attributes`, then the element's own durations (FORMAT.md
  // `durations`) as BtrPlace's duration attributes, the names the importer reads.
  const carry = (x: JsonObject | undefined, d: VmDurations | NodeDurations | undefined, fields: readonly string[]): JsonObject | undefined => {
    const a: Record<string, JsonValue> = { ...(isObject(x?.['attributes']) ? x['attributes'] : {}) };
    const own = d as Readonly<Record<string, unknown>> | undefined;
    for (const f of fields) {
      const s = own?.[f];
      if (typeof s === 'number') a[f] = s;
    }
    return Object.keys(a).length > 0 ? a : undefined;
  };
  for (const n of instance.nodes.values()) {
    const k = numbering.node.get(n.id)!;
    const a = carry(n.x, n.durations, NODE_DURATION_FIELDS);
    if (a) attributes.nodes[String(k)] = a;
    if (typeof n.x?.['name'] === 'string') nodeNames[n.x['name']] = k;
  }
  for (const v of instance.vms.values()) {
    if (v.state === 'terminated') continue;
    const k = numbering.vm.get(v.id)!;
    const a = carry(v.x, v.durations, VM_DURATION_FIELDS);
    if (a) attributes.vms[String(k)] = a;
    if (typeof v.x?.['name'] === 'string') vmNames[v.x['name']] = k;
  }
  if (Object.keys(vmNames).length > 0) views.push({ id: 'ns', type: 'vm', map: vmNames });
  if (Object.keys(nodeNames).length > 0) views.push({ id: 'ns', type: 'node', map: nodeNames });
  return { mapping: { onlineNodes, offlineNodes, readyVMs }, attributes, views };
}

function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * A plan as a BtrPlace reconfiguration plan (`origin` and `actions`). BtrPlace counts time in
 * whole seconds: `start` and `end` are rounded to the nearest second (one rounding for both, so
 * an action that ends before another starts still does). A suspend keeps the image on its node
 * (`from` = `to`).
 * @param instance - the instance the plan is for
 * @param plan - a feasible plan
 * @returns the BtrPlace JSON, or an issue when the plan is infeasible or names an unknown VM or node
 * @example
 * ```ts
 * const r = exportBtrPlacePlan(instance, plan);
 * if (r.ok) writeFileSync('plan.btrp.json', JSON.stringify(r.value));
 * ```
 */
export function exportBtrPlacePlan(instance: Instance, plan: Plan): Result<JsonObject> {
  if (plan.status === 'infeasible') return fail([{ path: 'status', message: 'an infeasible plan has no actions to export' }]);
  const numbering = btrPlaceNumbering(instance);
  const issues: { path: string; message: string }[] = [];
  const vm = (id: string, at: string): number => {
    const k = numbering.vm.get(id);
    if (k === undefined) issues.push({ path: at, message: `VM "${id}" is not in the instance` });
    return k ?? -1;
  };
  const node = (id: string, at: string): number => {
    const k = numbering.node.get(id);
    if (k === undefined) issues.push({ path: at, message: `node "${id}" is not in the instance` });
    return k ?? -1;
  };
  const time = (t: number): number => Math.round(t);
  const actions = plan.actions.map((a: Action, i): JsonObject => {
    const at = `actions[${i}]`;
    const base = { start: time(a.start), end: time(a.end) };
    switch (a.type) {
      case 'migrate':
        return { id: 'migrateVM', vm: vm(a.vm, `${at}.vm`), from: node(a.from, `${at}.from`), to: node(a.to, `${at}.to`), ...base };
      case 'boot':
        return { id: 'bootVM', vm: vm(a.vm, `${at}.vm`), to: node(a.to, `${at}.to`), ...base };
      case 'shutdown':
        return { id: 'shutdownVM', vm: vm(a.vm, `${at}.vm`), on: node(a.from, `${at}.from`), ...base };
      case 'suspend': {
        const n = node(a.from, `${at}.from`);
        return { id: 'suspendVM', vm: vm(a.vm, `${at}.vm`), from: n, to: n, ...base };
      }
      case 'resume':
        return { id: 'resumeVM', vm: vm(a.vm, `${at}.vm`), from: node(a.from, `${at}.from`), to: node(a.to, `${at}.to`), ...base };
      case 'bootNode':
        return { id: 'bootNode', node: node(a.node, `${at}.node`), ...base };
      case 'shutdownNode':
        return { id: 'shutdownNode', node: node(a.node, `${at}.node`), ...base };
    }
  });
  if (issues.length > 0) return fail(issues);
  return ok({ origin: btrPlaceModel(instance, numbering), actions });
}
