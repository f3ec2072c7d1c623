/**
 * BtrPlace instances (the JSON of BtrPlace's `json` module: `model` with `mapping`, `attributes`
 * and `views`, `constraints`, `objective`) converted to the exchange format v1.
 *
 * Ids: BtrPlace numbers its VMs and nodes; the VM `7` becomes `vm7`, the node `3` becomes `n3`
 * (the numbers come back on export). Names of a `ns` (naming service) view are kept as `x.name`.
 * Durations: the attributes `migrate`, `boot`, `shutdown`, `suspend`, `resume` (seconds > 0, per
 * VM; `boot`, `shutdown` per node, its own bootNode / shutdownNode) become the `durations` field of
 * that VM or node (FORMAT.md); everything else takes the documented defaults of the TDSC 2013
 * evaluation ({@link BTRPLACE_DURATIONS}).
 */
import { fail, ok, type Issue, type Result } from '../../errors.js';
import type { Constraint } from '../../model/constraints.js';
import type { JsonObject, JsonValue } from '../../model/ids.js';
import type { Durations, Objective } from '../../model/objective.js';
import type { NodeDurations } from '../../model/node.js';
import type { VmDurations } from '../../model/vm.js';
import type { InstanceJson, NodeJson, VmJson } from '../instance.js';

/**
 * Durations used when the attributes give none: migrate = memory ÷ 10 seconds (`bandwidth` and
 * `wanBandwidth` 10), boot and shutdown of VMs and nodes 6 s, suspend and resume = memory ÷ 10 s
 * (`diskRate` 10), as in the TDSC 2013 evaluation of BtrPlace.
 */
export const BTRPLACE_DURATIONS: Durations = {
  bandwidth: 10,
  wanBandwidth: 10,
  diskRate: 10,
  bootVm: 6,
  shutdownVm: 6,
  bootNode: 6,
  shutdownNode: 6,
};

/**
 * One thing the conversion could not carry over exactly (`lossy`), input it ignored as BtrPlace
 * does (`warning`: e.g. a `shareableResource` value for a VM or node absent from the mapping), or
 * a remark (`info`). Only `lossy` notes fail an import under `--strict`.
 */
export interface ImportNote {
  readonly kind: 'lossy' | 'warning' | 'info';
  /** Where, as a JSON path in the BtrPlace document (`constraints[12]`, `model.views[3]`). */
  readonly path: string;
  readonly message: string;
}

/** What {@link importBtrPlace} gives: the exchange-format document and the notes. */
export interface BtrPlaceImport {
  readonly instance: InstanceJson;
  readonly notes: readonly ImportNote[];
}

/** The VM id of a BtrPlace VM number. */
export function btrVmId(n: number): string {
  return `vm${n}`;
}
/** The node id of a BtrPlace node number. */
export function btrNodeId(n: number): string {
  return `n${n}`;
}

type Obj = { readonly [k: string]: unknown };
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** BtrPlace writes some numbers as strings (`"defCapacity": "0"`): both are read. */
function num(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  return undefined;
}
function intId(v: unknown): number | undefined {
  const n = num(v);
  return n !== undefined && Number.isSafeInteger(n) && n >= 0 ? n : undefined;
}

const VM_DURATION_KEYS = ['migrate', 'boot', 'shutdown', 'suspend', 'resume'] as const;
const NODE_DURATION_KEYS = ['boot', 'shutdown'] as const;
/** Constraint ids that are aggregated: one BtrPlace constraint per element becomes one list. */
const PER_VM = { running: 'running', sleeping: 'sleeping', killed: 'terminated', root: 'root' } as const;
const PER_NODE = { online: 'online', offline: 'offline', quarantine: 'quarantine' } as const;

/**
 * Converts a decoded BtrPlace instance to an exchange-format v1 document. Never throws: a
 * document that is not a BtrPlace instance, or one whose references are broken (an unknown VM,
 * a VM on two nodes), gives every issue found with its path; what can be read but not carried
 * over exactly is a {@link ImportNote} (`lossy`; `info` for documented approximations; `warning`
 * for input ignored as BtrPlace ignores it).
 *
 * Mapping: `onlineNodes` / `offlineNodes` → node states; `runningVMs` / `sleepingVMs` of a node →
 * running / sleeping VMs hosted there; `readyVMs` → waiting VMs. Each `shareableResource` view is
 * a resource (capacity and demand from its maps, else `defCapacity` / `defConsumption`); a value
 * it gives for a VM or node absent from the mapping is ignored, as BtrPlace ignores it, and named
 * in a `warning` note (the first 20 of a view's field, then a count). Duration attributes
 * (`migrate`, `boot`, `shutdown`, `suspend`, `resume` of a VM; `boot`, `shutdown` of a node) become
 * its `durations` field; other scalar attributes go to `x.attributes`, `ns` names to `x.name`.
 * `preserve` raises the VM's demand of `rc` to `amount`. Sleeping VMs without a state constraint
 * stay sleeping (`wants`), as BtrPlace keeps them. Constraints map to their namesakes (`killed` →
 * `terminated`, `ready` on a running VM → `terminated`); `minimizeMTTR` and `minimizeMigrations`
 * → `minMigrations`.
 * @param doc - the decoded JSON
 * @returns the document and notes, or the issues
 * @example
 * ```ts
 * const r = importBtrPlace(JSON.parse(text));
 * if (r.ok) writeFileSync('out.json', JSON.stringify(r.value.instance));
 * ```
 */
export function importBtrPlace(doc: unknown): Result<BtrPlaceImport> {
  const issues: Issue[] = [];
  const notes: ImportNote[] = [];
  const lossy = (path: string, message: string): void => void notes.push({ kind: 'lossy', path, message });
  const info = (path: string, message: string): void => void notes.push({ kind: 'info', path, message });
  const warn = (path: string, message: string): void => void notes.push({ kind: 'warning', path, message });
  const bad = (path: string, message: string): void => void issues.push({ path, message });

  if (!isObj(doc)) return fail([{ path: '$', message: 'a BtrPlace instance must be a JSON object with "model" and "constraints"' }]);
  const model = doc['model'];
  if (!isObj(model)) return fail([{ path: 'model', message: 'missing or not an object: a BtrPlace instance has a "model"' }]);
  const mapping = model['mapping'];
  if (!isObj(mapping)) return fail([{ path: 'model.mapping', message: 'missing or not an object' }]);
  for (const k of Object.keys(doc)) if (k !== 'model' && k !== 'constraints' && k !== 'objective') info(k, `unknown key "${k}" ignored`);

  // --- mapping ---------------------------------------------------------------------------------
  const nodeState = new Map<number, 'online' | 'offline'>();
  const vmState = new Map<number, { state: 'waiting' | 'running' | 'sleeping' | 'terminated'; host?: number }>();
  const online = mapping['onlineNodes'];
  if (online !== undefined && !isObj(online)) bad('model.mapping.onlineNodes', 'must be an object keyed by node number');
  const placeVm = (v: unknown, path: string, state: 'waiting' | 'running' | 'sleeping', host?: number): void => {
    const id = intId(v);
    if (id === undefined) return bad(path, `must be a VM number, got ${JSON.stringify(v)}`);
    if (vmState.has(id)) return bad(path, `VM ${id} appears twice in the mapping`);
    vmState.set(id, host === undefined ? { state } : { state, host });
  };
  if (isObj(online)) {
    for (const [key, entry] of Object.entries(online)) {
      const path = `model.mapping.onlineNodes.${key}`;
      const n = intId(key);
      if (n === undefined) {
        bad(path, `"${key}" is not a node number`);
        continue;
      }
      nodeState.set(n, 'online');
      if (!isObj(entry)) {
        bad(path, 'must be an object with runningVMs and sleepingVMs');
        continue;
      }
      for (const [field, state] of [['runningVMs', 'running'], ['sleepingVMs', 'sleeping']] as const) {
        const list = entry[field] ?? [];
        if (!Array.isArray(list)) bad(`${path}.${field}`, 'must be a list of VM numbers');
        else list.forEach((v, i) => placeVm(v, `${path}.${field}[${i}]`, state, n));
      }
    }
  }
  const offline = mapping['offlineNodes'] ?? [];
  if (!Array.isArray(offline)) bad('model.mapping.offlineNodes', 'must be a list of node numbers');
  else
    offline.forEach((v, i) => {
      const n = intId(v);
      if (n === undefined) bad(`model.mapping.offlineNodes[${i}]`, `must be a node number, got ${JSON.stringify(v)}`);
      else if (nodeState.has(n)) bad(`model.mapping.offlineNodes[${i}]`, `node ${n} is both online and offline`);
      else nodeState.set(n, 'offline');
    });
  const ready = mapping['readyVMs'] ?? [];
  if (!Array.isArray(ready)) bad('model.mapping.readyVMs', 'must be a list of VM numbers');
  else ready.forEach((v, i) => placeVm(v, `model.mapping.readyVMs[${i}]`, 'waiting'));
  if (issues.length > 0) return fail(issues);

  // --- views -----------------------------------------------------------------------------------
  const capacity = new Map<number, Record<string, number>>();
  const demand = new Map<number, Record<string, number>>();
  for (const n of nodeState.keys()) capacity.set(n, {});
  for (const v of vmState.keys()) demand.set(v, {});
  const names = { vm: new Map<number, string>(), node: new Map<number, string>() };
  const views = model['views'] ?? [];
  if (!Array.isArray(views)) bad('model.views', 'must be a list');
  else
    views.forEach((view, vi) => {
      const path = `model.views[${vi}]`;
      if (!isObj(view)) return bad(path, 'must be an object with an "id"');
      const id = view['id'];
      if (id === 'shareableResource') {
        const rc = view['rcId'];
        if (typeof rc !== 'string' || rc === '') return bad(`${path}.rcId`, 'must be a non-empty resource name');
        const defCap = view['defCapacity'] === undefined ? 0 : num(view['defCapacity']);
        const defCons = view['defConsumption'] === undefined ? 0 : num(view['defConsumption']);
        if (defCap === undefined || defCap < 0) return bad(`${path}.defCapacity`, `must be a number ≥ 0, got ${JSON.stringify(view['defCapacity'])}`);
        if (defCons === undefined || defCons < 0) return bad(`${path}.defConsumption`, `must be a number ≥ 0, got ${JSON.stringify(view['defConsumption'])}`);
        for (const c of capacity.values()) c[rc] = defCap;
        for (const d of demand.values()) d[rc] = defCons;
        for (const [field, target, kind] of [['nodes', capacity, 'node'], ['vms', demand, 'VM']] as const) {
          const values = view[field] ?? {};
          if (!isObj(values)) {
            bad(`${path}.${field}`, `must be an object keyed by ${kind} number`);
            continue;
          }
          // BtrPlace reads a value for an element the mapping lacks and ignores it (its testIssue171):
          // so does switchyard, naming them in a note.
          const absent: string[] = [];
          for (const [k, raw] of Object.entries(values)) {
            const e = intId(k);
            const amount = num(raw);
            const rec = e === undefined ? undefined : target.get(e);
            if (e === undefined) bad(`${path}.${field}.${k}`, `"${k}" is not a ${kind} number`);
            else if (amount === undefined || amount < 0) bad(`${path}.${field}.${k}`, `must be a number ≥ 0, got ${JSON.stringify(raw)}`);
            else if (rec === undefined) absent.push(k);
            else rec[rc] = amount;
          }
          if (absent.length > 0) warn(`${path}.${field}`, absentMessage(kind, rc, absent));
        }
      } else if (id === 'ns') {
        const kind = view['type'] === 'node' ? 'node' : view['type'] === 'vm' ? 'vm' : undefined;
        const map = view['map'];
        if (kind === undefined || !isObj(map)) return lossy(path, 'naming view without a "type" (vm or node) and a "map": names dropped');
        for (const [name, raw] of Object.entries(map)) {
          const e = intId(raw);
          if (e !== undefined) names[kind].set(e, name);
        }
      } else {
        lossy(path, `view "${String(id)}" is not supported by switchyard: dropped`);
      }
    });

  // --- attributes ------------------------------------------------------------------------------
  const vmX = new Map<number, Attributes>();
  const nodeX = new Map<number, Attributes>();
  const attrs = model['attributes'] ?? {};
  if (!isObj(attrs)) bad('model.attributes', 'must be an object with "nodes" and "vms"');
  else
    for (const [field, known, keys, xs, kind] of [
      ['vms', vmState, VM_DURATION_KEYS, vmX, 'VM'],
      ['nodes', nodeState, NODE_DURATION_KEYS, nodeX, 'node'],
    ] as const) {
      const all = attrs[field] ?? {};
      if (!isObj(all)) {
        bad(`model.attributes.${field}`, `must be an object keyed by ${kind} number`);
        continue;
      }
      for (const [k, a] of Object.entries(all)) {
        const e = intId(k);
        const path = `model.attributes.${field}.${k}`;
        if (e === undefined || !known.has(e)) {
          bad(path, `${kind} ${k} is not in the mapping`);
          continue;
        }
        if (!isObj(a)) {
          bad(path, 'must be an object of attributes');
          continue;
        }
        const x: Attributes = {};
        for (const [name, value] of Object.entries(a)) {
          const d = num(value);
          const isDuration = (keys as readonly string[]).includes(name) && d !== undefined;
          if (isDuration && d > 0) (x.durations ??= {})[name] = d;
          else {
            if (isDuration) lossy(`${path}.${name}`, `duration ${JSON.stringify(value)} is not > 0: kept as an attribute, the default duration applies`);
            if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') (x.attributes ??= {})[name] = value;
          }
        }
        if (x.durations !== undefined || x.attributes !== undefined) xs.set(e, x);
      }
    }
  if (issues.length > 0) return fail(issues);

  // --- constraints -----------------------------------------------------------------------------
  const constraints: Constraint[] = [];
  // `among` constraints of one file often share their node groups (TDSC: 1,722 constraints over
  // the same 20 groups of 250 nodes): equal groups are one array, and equal group lists too.
  const internedGroup = new Map<string, string[]>();
  const internedGroups = new Map<string, (readonly string[])[]>();
  const internGroups = (groups: number[][]): (readonly string[])[] => {
    const keys = groups.map((g) => g.join(','));
    const all = keys.join(';');
    const hit = internedGroups.get(all);
    if (hit) return hit;
    const out = groups.map((g, i) => {
      const k = keys[i]!;
      const got = internedGroup.get(k);
      if (got) return got;
      const ids = g.map(btrNodeId);
      internedGroup.set(k, ids);
      return ids;
    });
    internedGroups.set(all, out);
    return out;
  };
  const perVm = new Map<string, number[]>();
  const perNode = new Map<string, number[]>();
  const overbooks = new Map<string, { rc: string; ratio: number; nodes: number[] }>();
  const continuousDropped = new Map<string, number>();
  const list = doc['constraints'] ?? [];
  if (!Array.isArray(list)) bad('constraints', 'must be a list');
  const cs: readonly unknown[] = Array.isArray(list) ? list : [];

  cs.forEach((c, ci) => {
    const path = `constraints[${ci}]`;
    if (!isObj(c)) return bad(path, 'must be an object with an "id"');
    const id = c['id'];
    const continuous = c['continuous'] === true;
    // Readers of element references: a single `vm` / `node`, or a list `vms` / `nodes`.
    const refs = (kind: 'vm' | 'node', field: string): number[] | undefined => {
      const known = kind === 'vm' ? vmState : nodeState;
      const v = c[field];
      const items = Array.isArray(v) ? v : v === undefined ? undefined : [v];
      if (items === undefined) {
        bad(`${path}.${field}`, `missing: "${String(id)}" needs "${field}"`);
        return undefined;
      }
      const out: number[] = [];
      let okAll = true;
      items.forEach((x, i) => {
        const e = intId(x);
        if (e === undefined || !known.has(e)) {
          bad(Array.isArray(v) ? `${path}.${field}[${i}]` : `${path}.${field}`, `${kind === 'vm' ? 'VM' : 'node'} ${JSON.stringify(x)} is not in the mapping`);
          okAll = false;
        } else out.push(e);
      });
      return okAll ? out : undefined;
    };
    const elems = (kind: 'vm' | 'node'): number[] | undefined =>
      c[kind] !== undefined ? refs(kind, kind) : refs(kind, `${kind}s`);
    const parts = (kind: 'vm' | 'node', field: string): number[][] | undefined => {
      const v = c[field];
      if (!Array.isArray(v) || v.length === 0) {
        bad(`${path}.${field}`, `must be a non-empty list of ${kind === 'vm' ? 'VM' : 'node'} lists`);
        return undefined;
      }
      const known = kind === 'vm' ? vmState : nodeState;
      const out: number[][] = [];
      let okAll = true;
      v.forEach((p, pi) => {
        if (!Array.isArray(p)) {
          bad(`${path}.${field}[${pi}]`, 'must be a list');
          okAll = false;
          return;
        }
        const g: number[] = [];
        p.forEach((x, i) => {
          const e = intId(x);
          if (e === undefined || !known.has(e)) {
            bad(`${path}.${field}[${pi}][${i}]`, `${kind === 'vm' ? 'VM' : 'node'} ${JSON.stringify(x)} is not in the mapping`);
            okAll = false;
          } else g.push(e);
        });
        out.push(g);
      });
      return okAll ? out : undefined;
    };
    const amount = (field: string, integer: boolean): number | undefined => {
      const a = num(c[field]);
      if (a === undefined || a < 0 || (integer && !Number.isInteger(a))) {
        bad(`${path}.${field}`, `must be ${integer ? 'an integer' : 'a number'} ≥ 0, got ${JSON.stringify(c[field])}`);
        return undefined;
      }
      return a;
    };
    const resource = (): string | undefined => {
      const rc = c['rc'];
      if (typeof rc !== 'string' || rc === '') {
        bad(`${path}.rc`, 'must be a resource name');
        return undefined;
      }
      return rc;
    };
    const dropContinuous = (): void => {
      if (continuous) continuousDropped.set(String(id), (continuousDropped.get(String(id)) ?? 0) + 1);
    };
    const vmIds = (xs: readonly number[]): string[] => xs.map(btrVmId);
    const nodeIds = (xs: readonly number[]): string[] => xs.map(btrNodeId);
    const nonEmpty = (xs: readonly unknown[], field: string): boolean => {
      if (xs.length === 0) info(`${path}.${field}`, `"${String(id)}" over no element: dropped`);
      return xs.length > 0;
    };

    switch (id) {
      case 'ban':
      case 'fence': {
        const vms = elems('vm');
        const nodes = elems('node');
        if (vms && nodes && nonEmpty(vms, 'vms') && nonEmpty(nodes, 'nodes')) {
          constraints.push({ type: id, vms: vmIds(vms), nodes: nodeIds(nodes), ...(continuous ? { continuous: true } : {}) });
        }
        return;
      }
      case 'spread':
      case 'gather':
      case 'lonely': {
        const vms = elems('vm');
        if (id !== 'spread') dropContinuous();
        if (vms && nonEmpty(vms, 'vms')) constraints.push({ type: id, vms: vmIds(vms) });
        return;
      }
      case 'among': {
        const vms = elems('vm');
        const groups = parts('node', 'parts');
        if (vms && groups && nonEmpty(vms, 'vms')) {
          constraints.push({ type: 'among', vms: vmIds(vms), groups: internGroups(groups), ...(continuous ? { continuous: true } : {}) });
        }
        return;
      }
      case 'split': {
        const groups = parts('vm', 'parts');
        dropContinuous();
        if (groups) constraints.push({ type: 'split', groups: groups.map(vmIds) });
        return;
      }
      case 'resourceCapacity': {
        const nodes = elems('node');
        const rc = resource();
        const a = amount('amount', false);
        dropContinuous();
        if (nodes && rc !== undefined && a !== undefined && nonEmpty(nodes, 'nodes')) {
          constraints.push({ type: 'resourceCapacity', nodes: nodeIds(nodes), resource: rc, amount: a });
        }
        return;
      }
      case 'runningCapacity':
      case 'maxOnline': {
        const nodes = elems('node');
        const a = amount('amount', true);
        dropContinuous();
        if (nodes && a !== undefined && nonEmpty(nodes, 'nodes')) constraints.push({ type: id, nodes: nodeIds(nodes), amount: a });
        return;
      }
      case 'overbook': {
        const nodes = elems('node');
        const rc = resource();
        const ratio = num(c['ratio']);
        if (ratio === undefined || !(ratio > 0)) bad(`${path}.ratio`, `must be a number > 0, got ${JSON.stringify(c['ratio'])}`);
        dropContinuous();
        if (nodes && rc !== undefined && ratio !== undefined && ratio > 0) {
          const key = `${rc}\u0000${ratio}`;
          const g = overbooks.get(key) ?? { rc, ratio, nodes: [] };
          g.nodes.push(...nodes);
          overbooks.set(key, g);
        }
        return;
      }
      case 'preserve': {
        const vms = elems('vm');
        const rc = resource();
        const a = amount('amount', false);
        if (vms && rc !== undefined && a !== undefined) {
          for (const v of vms) {
            const d = demand.get(v)!;
            d[rc] = Math.max(d[rc] ?? 0, a);
          }
        }
        return;
      }
      case 'ready': {
        const vms = elems('vm');
        if (!vms) return;
        for (const v of vms) {
          const s = vmState.get(v)!.state;
          if (s === 'running' || s === 'sleeping') {
            info(path, `ready VM ${v} (${s}): switchyard has no "ready" end state; it ends terminated (shut down)`);
            (perVm.get('terminated') ?? perVm.set('terminated', []).get('terminated')!).push(v);
          } else {
            lossy(path, `ready VM ${v} must stay ready: switchyard may boot a waiting VM when it fits`);
          }
        }
        return;
      }
      default: {
        if (typeof id === 'string' && id in PER_VM) {
          const vms = elems('vm');
          if (vms) {
            const t = PER_VM[id as keyof typeof PER_VM];
            (perVm.get(t) ?? perVm.set(t, []).get(t)!).push(...vms);
          }
          return;
        }
        if (typeof id === 'string' && id in PER_NODE) {
          const nodes = elems('node');
          if (nodes) {
            const t = PER_NODE[id as keyof typeof PER_NODE];
            (perNode.get(t) ?? perNode.set(t, []).get(t)!).push(...nodes);
          }
          return;
        }
        lossy(path, `constraint "${String(id)}" has no switchyard counterpart: dropped`);
      }
    }
  });
  for (const [t, n] of continuousDropped) {
    lossy('constraints', `${n} "${t}" constraint${n === 1 ? '' : 's'} marked continuous: switchyard checks ${t} in the target configuration only`);
  }
  for (const g of overbooks.values()) {
    constraints.push({ type: 'overbook', nodes: [...new Set(g.nodes)].map(btrNodeId), resource: g.rc, ratio: g.ratio });
  }
  for (const [t, xs] of perVm) {
    const ids = [...new Set(xs)].map(btrVmId);
    constraints.push({ type: t as 'running' | 'sleeping' | 'terminated' | 'root', vms: ids });
  }
  for (const [t, xs] of perNode) {
    constraints.push({ type: t as 'online' | 'offline' | 'quarantine', nodes: [...new Set(xs)].map(btrNodeId) });
  }
  // A ready VM that is killed never ran: it is simply gone (no action), not shut down.
  for (const v of perVm.get('terminated') ?? []) {
    const st = vmState.get(v)!;
    if (st.state === 'waiting') vmState.set(v, { state: 'terminated' });
  }
  // A VM asked for two end states: BtrPlace would fail; say so here.
  const stateOf = new Map<number, string>();
  for (const [t, xs] of perVm) {
    if (t === 'root') continue;
    for (const v of xs) {
      const prev = stateOf.get(v);
      if (prev !== undefined && prev !== t) bad('constraints', `VM ${v} is asked to end both ${prev} and ${t}`);
      stateOf.set(v, t);
    }
  }

  // --- objective -------------------------------------------------------------------------------
  let objective: Objective = { type: 'minMigrations' };
  const obj = doc['objective'];
  if (obj !== undefined) {
    const oid = isObj(obj) ? obj['id'] : undefined;
    if (oid === 'minimizeMTTR' || oid === 'minimizeMTTRMigrationScheduling') {
      info('objective', `"${oid}" (least total completion time) approximated by minMigrations (least memory moved, then a short plan)`);
    } else if (oid === 'minimizeMigrations') {
      objective = { type: 'minMigrations' };
    } else {
      lossy('objective', `objective ${JSON.stringify(oid)} has no switchyard counterpart: minMigrations used`);
    }
  }
  if (issues.length > 0) return fail(issues);

  // --- the document ----------------------------------------------------------------------------
  const ready0 = [...vmState].filter(([v, s]) => s.state === 'waiting' && !stateOf.has(v)).length;
  if (ready0 > 0) {
    lossy('model.mapping.readyVMs', `${ready0} ready VM${ready0 === 1 ? '' : 's'} without a state constraint: BtrPlace keeps them ready, switchyard may boot them when they fit`);
  }
  const nodes: NodeJson[] = [];
  for (const [n, state] of nodeState) {
    const a = nodeX.get(n);
    const x = xOf(a, names.node.get(n));
    nodes.push({
      id: btrNodeId(n),
      capacity: capacity.get(n)!,
      state,
      ...(a?.durations !== undefined ? { durations: a.durations as NodeDurations } : {}),
      ...(x ? { x } : {}),
    });
  }
  const vms: VmJson[] = [];
  for (const [v, s] of vmState) {
    const a = vmX.get(v);
    const x = xOf(a, names.vm.get(v));
    // BtrPlace keeps a sleeping VM asleep unless a constraint says otherwise.
    const keepAsleep = s.state === 'sleeping' && !stateOf.has(v);
    vms.push({
      id: btrVmId(v),
      demand: demand.get(v)!,
      state: s.state,
      ...(s.host !== undefined ? { host: btrNodeId(s.host) } : {}),
      ...(keepAsleep ? { wants: 'sleeping' as const } : {}),
      ...(a?.durations !== undefined ? { durations: a.durations as VmDurations } : {}),
      ...(x ? { x } : {}),
    });
  }
  const instance: InstanceJson = {
    version: 1,
    nodes,
    vms,
    constraints,
    objective,
    durations: BTRPLACE_DURATIONS,
    x: { source: 'btrplace' },
  };
  return ok({ instance, notes });
}

/** How many absent elements a note names before it counts the rest. */
const NAMED_MAX = 20;

/** The note on `shareableResource` values given for elements absent from the mapping. */
function absentMessage(kind: 'node' | 'VM', rc: string, absent: readonly string[]): string {
  const n = absent.length;
  const named = absent.slice(0, NAMED_MAX).join(', ');
  const rest = n > NAMED_MAX ? ` and ${n - NAMED_MAX} more` : '';
  return `"${rc}" values of ${n} ${kind}${n === 1 ? '' : 's'} not in the mapping ignored (as BtrPlace does): ${kind}${n === 1 ? '' : 's'} ${named}${rest}`;
}

/** The attributes of one BtrPlace element: its durations (> 0) and the other scalar attributes. */
interface Attributes {
  durations?: Record<string, number>;
  attributes?: Record<string, JsonValue>;
}

/** The `x` of a converted VM or node: its `ns` name and its attributes other than durations. */
function xOf(a: Attributes | undefined, name: string | undefined): JsonObject | undefined {
  if (a?.attributes === undefined && name === undefined) return undefined;
  return {
    ...(name !== undefined ? { name } : {}),
    ...(a?.attributes !== undefined ? { attributes: a.attributes } : {}),
  };
}
