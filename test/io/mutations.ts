/** Shape mutations of valid documents, each of which must make the document invalid. */
import { pathString, type JsonDoc } from './arbitraries.js';

export type Path = (string | number)[];
export type Mutation = { readonly kind: 'delete' | 'inject' | 'string' | 'negative' | 'nan'; readonly path: Path };

export function get(doc: unknown, path: Path): unknown {
  return path.reduce<unknown>((v, k) => (v as Record<string | number, unknown>)[k], doc);
}

export function apply(doc: JsonDoc, m: Mutation): unknown {
  const copy = structuredClone(doc) as Record<string, unknown>;
  const parent = get(copy, m.path.slice(0, -1)) as Record<string | number, unknown>;
  const key = m.path[m.path.length - 1]!;
  const value = parent[key] as number;
  switch (m.kind) {
    case 'delete':
      delete parent[key];
      break;
    case 'inject':
      (get(copy, m.path) as Record<string, unknown>)['zzUnknown'] = 1;
      break;
    case 'string':
      parent[key] = String(value);
      break;
    case 'negative':
      parent[key] = -value - 1;
      break;
    case 'nan':
      parent[key] = Number.NaN;
      break;
  }
  return copy;
}

/** Where the issue of a mutation may point: the mutated place, or one of its parents (not `$`). */
export function acceptablePaths(m: Mutation): string[] {
  const target = m.kind === 'inject' ? [...m.path, 'zzUnknown'] : m.path;
  const out: string[] = [];
  for (let n = target.length; n >= 1; n--) out.push(pathString(target.slice(0, n)));
  return out;
}

/** Every number not under `x`, with whether a negative value is still valid there. */
function numbers(doc: unknown, path: Path, out: { path: Path; negativeOk: boolean }[]): void {
  if (typeof doc === 'number') {
    const last = path[path.length - 1];
    out.push({ path, negativeOk: last === 'priority' || last === 'submitted' || last === 'start' || last === 'end' });
  } else if (Array.isArray(doc)) doc.forEach((v, i) => numbers(v, [...path, i], out));
  else if (doc !== null && typeof doc === 'object') {
    for (const [k, v] of Object.entries(doc)) if (k !== 'x') numbers(v, [...path, k], out);
  }
}

function numberMutations(doc: JsonDoc): Mutation[] {
  const found: { path: Path; negativeOk: boolean }[] = [];
  numbers(doc, [], found);
  return found.flatMap(({ path, negativeOk }) => [
    { kind: 'string' as const, path },
    { kind: 'nan' as const, path },
    ...(negativeOk ? [] : [{ kind: 'negative' as const, path }]),
  ]);
}

export function instanceMutations(d: JsonDoc): Mutation[] {
  const out: Mutation[] = [];
  const del = (...path: Path) => out.push({ kind: 'delete', path });
  const inject = (...path: Path) => out.push({ kind: 'inject', path });
  del('version');
  del('nodes');
  del('vms');
  inject();
  (d['nodes'] as JsonDoc[]).forEach((n, i) => {
    del('nodes', i, 'id'); del('nodes', i, 'capacity'); inject('nodes', i);
    if (n['durations']) inject('nodes', i, 'durations');
  });
  (d['vms'] as JsonDoc[]).forEach((v, i) => {
    del('vms', i, 'id'); del('vms', i, 'demand'); del('vms', i, 'state'); inject('vms', i);
    if (v['durations']) inject('vms', i, 'durations');
    if (v['state'] === 'running' || v['state'] === 'sleeping') del('vms', i, 'host');
  });
  ((d['vjobs'] as JsonDoc[] | undefined) ?? []).forEach((_, i) => { del('vjobs', i, 'id'); inject('vjobs', i); });
  ((d['constraints'] as JsonDoc[] | undefined) ?? []).forEach((c, i) => {
    for (const k of Object.keys(c)) if (k !== 'x' && k !== 'continuous') del('constraints', i, k);
    inject('constraints', i);
  });
  if (d['objective']) { del('objective', 'type'); inject('objective'); }
  if (d['durations']) inject('durations');
  if (d['limits']) inject('limits');
  return [...out, ...numberMutations(d)];
}

export function planMutations(d: JsonDoc): Mutation[] {
  const out: Mutation[] = [];
  const del = (...path: Path) => out.push({ kind: 'delete', path });
  const inject = (...path: Path) => out.push({ kind: 'inject', path });
  del('version');
  del('status');
  del('actions');
  inject();
  (d['actions'] as JsonDoc[]).forEach((a, i) => {
    for (const k of Object.keys(a)) if (k !== 'x' && k !== 'after') del('actions', i, k);
    inject('actions', i);
  });
  const target = d['target'] as { vms: Record<string, JsonDoc> } | undefined;
  if (target) {
    del('target'); del('target', 'vms'); del('target', 'nodes'); inject('target');
    for (const [id, v] of Object.entries(target.vms)) {
      del('target', 'vms', id, 'state');
      inject('target', 'vms', id);
      if (v['state'] === 'running' || v['state'] === 'sleeping') del('target', 'vms', id, 'host');
    }
    del('stats');
    for (const k of Object.keys(d['stats'] as JsonDoc)) if (k !== 'x') del('stats', k);
  } else {
    del('reasons');
    (d['reasons'] as JsonDoc[]).forEach((_, i) => { del('reasons', i, 'message'); inject('reasons', i); });
  }
  if (d['stats']) inject('stats');
  return [...out, ...numberMutations(d)];
}

