/**
 * Workload files (docs/format.md, "Workload over time"): parse and validate JSON into a {@link Workload},
 * reporting every problem with its JSON path in one pass, and serialize a workload back.
 */
import { fail, ok, type Issue, type Result } from '../errors.js';
import type { JsonObject } from '../model/ids.js';
import { vjobOf } from '../model/instance.js';
import {
  WORKLOAD_EVENT_TYPES,
  type Workload,
  type WorkloadEvent,
  type WorkloadJob,
  type WorkloadVm,
} from '../model/workload.js';
import { serializeInstance, validateInstance, type InstanceJson } from './instance.js';
import { cloneX, formatJson, parseJsonWith } from './json.js';
import {
  checkVersion,
  child,
  idLabel,
  quote,
  readBoolean,
  readEach,
  readEntries,
  readEnum,
  readId,
  readList,
  readNumber,
  readObject,
  readString,
  report,
  rootAt,
  type At,
} from './read.js';

/** A workload as written in JSON: the {@link Workload} with the instance in exchange-format JSON. */
export type WorkloadJson = Omit<Workload, 'instance'> & { readonly instance: InstanceJson };

const WORKLOAD_FIELDS = ['version', 'family', 'seed', 'instance', 'work', 'events', 'lead', 'tolerance', 'horizon'];
const EVENT_FIELDS: Record<WorkloadEvent['type'], readonly string[]> = {
  arrival: ['type', 'time', 'job'],
  reservation: ['type', 'time', 'start', 'end', 'nodes', 'job'],
  failure: ['type', 'time', 'node'],
  repair: ['type', 'time', 'node'],
};
const nonNegative = readNumber({ min: 0 });
const positive = readNumber({ above: 0 });

function readJob(v: unknown, at: At, workOptional: boolean): WorkloadJob | undefined {
  const f = readObject(v, at, ['id', 'vms', 'work', 'priority', 'bestEffort'], idLabel('vjob', 0));
  if (!f) return undefined;
  const id = f.required('id', readId);
  const vms = readEach(f, 'vms', false, (vv, vat, i): WorkloadVm | undefined => {
    const g = readObject(vv, vat, ['id', 'demand'], idLabel('VM', i));
    if (!g) return undefined;
    const vid = g.required('id', readId);
    const demand = g.required('demand', readEntries(nonNegative));
    return vid === undefined || demand === undefined ? undefined : { id: vid, demand: Object.fromEntries(demand) };
  });
  if (f.has('vms') && Array.isArray(f.get('vms')) && (f.get('vms') as unknown[]).length === 0) report(f.child('vms'), 'must list at least one VM');
  const work = workOptional ? f.optional('work', positive) : f.required('work', positive);
  const priority = f.optional('priority', readNumber({ integer: true }));
  const bestEffort = f.optional('bestEffort', readBoolean);
  if (id === undefined) return undefined;
  return {
    id,
    vms,
    work: work ?? 0,
    ...(priority !== undefined ? { priority } : {}),
    ...(bestEffort !== undefined ? { bestEffort } : {}),
  };
}

function readEvent(v: unknown, at: At, index: number): WorkloadEvent | undefined {
  const type = typeof v === 'object' && v !== null ? (v as { type?: unknown }).type : undefined;
  const known = typeof type === 'string' && (WORKLOAD_EVENT_TYPES as readonly string[]).includes(type);
  const f = readObject(v, at, known ? EVENT_FIELDS[type as WorkloadEvent['type']] : ['type', 'time'], () => `event #${index}`);
  if (!f) return undefined;
  const t = f.required('type', readEnum(WORKLOAD_EVENT_TYPES, 'event type'));
  const time = f.required('time', nonNegative);
  if (t === undefined || time === undefined) return undefined;
  switch (t) {
    case 'arrival': {
      const job = f.required('job', (jv, jat) => readJob(jv, jat, false));
      return job === undefined ? undefined : { type: t, time, job };
    }
    case 'reservation': {
      const start = f.required('start', nonNegative);
      const end = f.required('end', nonNegative);
      const nodes = f.required('nodes', readList(readId, true));
      const job = f.required('job', (jv, jat) => readJob(jv, jat, true));
      if (start !== undefined && start < time) report(f.child('start'), `must not be before the announcement (time ${time}), got ${start}`);
      if (start !== undefined && end !== undefined && !(end > start)) report(f.child('end'), `must be after start (${start}), got ${end}`);
      if (start === undefined || end === undefined || nodes === undefined || job === undefined) return undefined;
      return { type: t, time, start, end, nodes, job: { ...job, work: end - start } };
    }
    case 'failure':
    case 'repair': {
      const node = f.required('node', readId);
      return node === undefined ? undefined : { type: t, time, node };
    }
  }
}

/**
 * Validates a decoded workload document (docs/format.md, "Workload over time"): the instance as in the
 * exchange format (its issues under `instance.`), work per vjob of the instance, events in time
 * order naming existing nodes, VM and vjob ids unique over the instance and every arrival,
 * reservations with `time ≤ start < end`. Never throws.
 *
 * @param json - the decoded document
 * @returns the workload, or every issue found
 * @example
 * ```ts
 * const r = validateWorkload(JSON.parse(text));
 * if (!r.ok) for (const i of r.issues) console.error(`${i.path}: ${i.message}`);
 * ```
 */
export function validateWorkload(json: unknown): Result<Workload> {
  const issues: Issue[] = [];
  const root = rootAt(issues, 'workload');
  const doc = readObject(json, root, WORKLOAD_FIELDS);
  if (!doc) return fail(issues);
  if (!checkVersion(doc)) return fail(issues);
  const family = doc.optional('family', readString);
  const seed = doc.optional('seed', readNumber({ integer: true }));
  const lead = doc.optional('lead', nonNegative);
  const tolerance = doc.optional('tolerance', nonNegative);
  const horizon = doc.optional('horizon', positive);
  const x = doc.x();
  if (!doc.has('instance')) report(doc.child('instance'), 'is missing');
  const inst = doc.has('instance') ? validateInstance(doc.get('instance')) : undefined;
  if (inst && !inst.ok) for (const i of inst.issues) issues.push({ path: i.path === '$' ? 'instance' : `instance.${i.path.replace(/^\$\.?/, '')}`, message: i.message });
  const instance = inst?.ok ? inst.value : undefined;
  const work = doc.optional('work', readEntries(positive)) ?? [];
  const events = readEach(doc, 'events', true, readEvent);
  if (instance) {
    const vjobs = new Set<string>([...instance.vjobs.keys()]);
    for (const v of instance.vms.values()) vjobs.add(vjobOf(v));
    for (const [id] of work) if (!vjobs.has(id)) report(child(doc.child('work'), id), `vjob ${quote(id)} is not in the instance`);
    const vmIds = new Set(instance.vms.keys());
    const evAt = doc.child('events');
    let last = 0;
    events.forEach((e, i) => {
      const at = child(evAt, i);
      if (e.time < last) report(child(at, 'time'), `events must be in time order: ${e.time} comes after ${last}`);
      last = Math.max(last, e.time);
      const nodes = e.type === 'reservation' ? e.nodes : e.type === 'failure' || e.type === 'repair' ? [e.node] : [];
      for (const n of nodes) if (!instance.nodes.has(n)) report(child(at, e.type === 'reservation' ? 'nodes' : 'node'), `node ${quote(n)} does not exist`);
      if (e.type === 'arrival' || e.type === 'reservation') {
        if (vjobs.has(e.job.id)) report(child(child(at, 'job'), 'id'), `vjob ${quote(e.job.id)} is declared twice`);
        vjobs.add(e.job.id);
        e.job.vms.forEach((v, k) => {
          if (vmIds.has(v.id)) report(child(child(child(at, 'job'), 'vms'), k), `VM ${quote(v.id)} is declared twice`);
          vmIds.add(v.id);
        });
      }
    });
  }
  if (issues.length > 0 || !instance) return fail(issues);
  return ok({
    version: 1,
    ...(family !== undefined ? { family } : {}),
    ...(seed !== undefined ? { seed } : {}),
    instance,
    work: Object.fromEntries(work),
    events,
    ...(lead !== undefined ? { lead } : {}),
    ...(tolerance !== undefined ? { tolerance } : {}),
    ...(horizon !== undefined ? { horizon } : {}),
    ...(x !== undefined ? { x } : {}),
  });
}

/**
 * Parses workload JSON text ({@link validateWorkload} on the decoded value).
 * @param text - the JSON text
 * @returns the workload, or every issue found
 * @example
 * ```ts
 * const r = parseWorkload(fs.readFileSync('grid.workload.json', 'utf8'));
 * ```
 */
export function parseWorkload(text: string): Result<Workload> {
  return parseJsonWith(text, validateWorkload);
}

function jobJson(j: WorkloadJob, withWork: boolean): WorkloadJob {
  return {
    id: j.id,
    vms: j.vms.map((v) => ({ id: v.id, demand: { ...v.demand } })),
    ...(withWork ? { work: j.work } : {}),
    ...(j.priority !== undefined ? { priority: j.priority } : {}),
    ...(j.bestEffort !== undefined ? { bestEffort: j.bestEffort } : {}),
  } as WorkloadJob;
}

/**
 * The JSON document of a workload (fresh objects); `validateWorkload(serializeWorkload(w))`
 * gives back an equal workload.
 * @param w - the workload
 * @returns the JSON object
 * @example
 * ```ts
 * const json = serializeWorkload(besteffortWorkload({ nodes: 16, vms: 64, seed: 1 }));
 * ```
 */
export function serializeWorkload(w: Workload): WorkloadJson {
  const events = w.events.map((e): WorkloadEvent => {
    switch (e.type) {
      case 'arrival':
        return { type: e.type, time: e.time, job: jobJson(e.job, true) };
      case 'reservation':
        return { type: e.type, time: e.time, start: e.start, end: e.end, nodes: [...e.nodes], job: jobJson(e.job, false) };
      default:
        return { type: e.type, time: e.time, node: e.node };
    }
  });
  return {
    version: 1,
    ...(w.family !== undefined ? { family: w.family } : {}),
    ...(w.seed !== undefined ? { seed: w.seed } : {}),
    instance: serializeInstance(w.instance),
    work: { ...w.work },
    events,
    ...(w.lead !== undefined ? { lead: w.lead } : {}),
    ...(w.tolerance !== undefined ? { tolerance: w.tolerance } : {}),
    ...(w.horizon !== undefined ? { horizon: w.horizon } : {}),
    ...cloneX(w.x),
  };
}

/**
 * The pretty-printed JSON text of a workload ({@link serializeWorkload}).
 * @param w - the workload
 * @returns the JSON text, final newline included
 * @example
 * ```ts
 * await writeFile('w.json', formatWorkload(w));
 * ```
 */
export function formatWorkload(w: Workload): string {
  return formatJson(serializeWorkload(w) as unknown as JsonObject);
}
