import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { EXIT, runCli, type CliIo } from '../../src/cli/run.js';
import type { Constraint } from '../../src/model/constraints.js';
import { exportBtrPlacePlan } from '../../src/io/btrplace/export.js';
import { BTRPLACE_DURATIONS, importBtrPlace, type BtrPlaceImport } from '../../src/io/btrplace/import.js';
import { btrPlaceText, readBtrPlaceFile } from '../../src/io/btrplace/read.js';
import { validateInstance } from '../../src/io/instance.js';
import type { Instance } from '../../src/model/instance.js';
import { planInstance } from '../../src/pipeline.js';
import { defaultDurationModel } from '../../src/plan/durations.js';
import type { Plan } from '../../src/plan/types.js';
import { verifyPlan } from '../../src/plan/verify.js';

type Doc = Record<string, any>;

const fixture = (name: string): string => readFileSync(new URL(`./fixtures/btrplace/${name}`, import.meta.url), 'utf8');
const doc = (name: string): Doc => JSON.parse(fixture(name)) as Doc;

function imported(d: unknown): BtrPlaceImport {
  const r = importBtrPlace(d);
  if (!r.ok) throw new Error(r.issues.map((i) => `${i.path}: ${i.message}`).join('\n'));
  return r.value;
}

function instanceOf(i: BtrPlaceImport): Instance {
  const v = validateInstance(i.instance);
  if (!v.ok) throw new Error(v.issues.map((x) => `${x.path}: ${x.message}`).join('\n'));
  return v.value;
}

function byType(cs: readonly Constraint[], type: Constraint['type']): Constraint[] {
  return cs.filter((c) => c.type === type);
}

describe('importBtrPlace: model', () => {
  const r = imported(doc('constraints.json'));
  const inst = r.instance;
  const vm = (id: string) => inst.vms.find((v) => v.id === id)!;
  const node = (id: string) => inst.nodes.find((n) => n.id === id)!;

  it('maps online and offline nodes, running, sleeping and ready VMs', () => {
    expect(inst.nodes.map((n) => [n.id, n.state])).toEqual([
      ['n0', 'online'], ['n1', 'online'], ['n2', 'online'], ['n3', 'online'], ['n4', 'offline'], ['n5', 'offline'],
    ]);
    expect(vm('vm0')).toMatchObject({ state: 'running', host: 'n0' });
    expect(vm('vm3')).toMatchObject({ state: 'sleeping', host: 'n0' });
    expect(vm('vm7')).toMatchObject({ state: 'sleeping', host: 'n2' });
    expect(vm('vm8')).toMatchObject({ state: 'waiting' });
    expect(vm('vm8').host).toBeUndefined();
    expect(inst.vms).toHaveLength(11);
  });

  it('reads views: explicit values over defCapacity / defConsumption (numbers or strings)', () => {
    expect(node('n0').capacity).toEqual({ cpu: 8, memory: 8192 });
    expect(node('n3').capacity).toEqual({ cpu: 16, memory: 8192 });
    expect(node('n5').capacity).toEqual({ cpu: 8, memory: 8192 });
    expect(vm('vm0').demand).toEqual({ cpu: 2, memory: 512 });
    expect(vm('vm1').demand).toEqual({ cpu: 1, memory: 1024 });
    expect(vm('vm10').demand).toEqual({ cpu: 1, memory: 512 });
  });

  it('preserve raises the demand of its resource (never lowers it)', () => {
    expect(vm('vm6').demand).toEqual({ cpu: 4, memory: 2048 });
    expect(vm('vm2').demand).toEqual({ cpu: 1, memory: 512 });
  });

  it('duration attributes become the documented durations field; names and other attributes go under x', () => {
    expect(vm('vm0').durations).toEqual({ migrate: 7 });
    expect(vm('vm0').x).toEqual({ name: 'web.front', attributes: { owner: 'alice' } });
    expect(vm('vm8').durations).toEqual({ boot: 3 });
    expect(vm('vm8').x).toBeUndefined();
    expect(node('n4').durations).toEqual({ boot: 12 });
    expect(node('n4').x).toEqual({ attributes: { rack: 'r2' } });
    expect(node('n0').x).toEqual({ name: '@rack1-a' });
    expect(node('n0').durations).toBeUndefined();
    expect(inst.durations).toEqual(BTRPLACE_DURATIONS);
    for (const e of [...inst.vms, ...inst.nodes]) expect(e.x?.['durations']).toBeUndefined();
  });

  it('a duration attribute that is not > 0 stays an attribute, with a lossy note naming it', () => {
    const d = doc('constraints.json');
    d['model']['attributes']['vms']['8'] = { boot: 0, shutdown: '4' };
    d['model']['attributes']['nodes']['4'] = { boot: -2 };
    const r = imported(d);
    const v8 = r.instance.vms.find((v) => v.id === 'vm8')!;
    expect(v8.durations).toEqual({ shutdown: 4 });
    expect(v8.x).toEqual({ attributes: { boot: 0 } });
    expect(r.instance.nodes.find((n) => n.id === 'n4')!.durations).toBeUndefined();
    const lossy = r.notes.filter((n) => n.kind === 'lossy').map((n) => n.path);
    expect(lossy).toContain('model.attributes.vms.8.boot');
    expect(lossy).toContain('model.attributes.nodes.4.boot');
    expect(validateInstance(r.instance).ok).toBe(true);
  });

  it('the default duration model honours the durations field, else memory / 10 s and 6 s boots', () => {
    const i = instanceOf(r);
    const model = defaultDurationModel(i);
    const v = (id: string) => i.vms.get(id)!;
    const n = (id: string) => i.nodes.get(id)!;
    expect(model({ type: 'migrate', vm: v('vm0'), from: n('n0'), to: n('n1') }, i)).toBe(7);
    expect(model({ type: 'migrate', vm: v('vm1'), from: n('n0'), to: n('n1') }, i)).toBe(102.4);
    expect(model({ type: 'boot', vm: v('vm8'), to: n('n1') }, i)).toBe(3);
    expect(model({ type: 'boot', vm: v('vm10'), to: n('n1') }, i)).toBe(6);
    expect(model({ type: 'bootNode', node: n('n4'), to: n('n4') }, i)).toBe(12);
    expect(model({ type: 'bootNode', node: n('n5'), to: n('n5') }, i)).toBe(6);
  });

  it('the converted document is a valid exchange-format instance', () => {
    expect(validateInstance(inst).ok).toBe(true);
  });
});

describe('importBtrPlace: constraints', () => {
  const r = imported(doc('constraints.json'));
  const cs = r.instance.constraints ?? [];

  it('maps every constraint both sides have, with continuous flags', () => {
    expect(byType(cs, 'ban')).toEqual([{ type: 'ban', vms: ['vm0', 'vm1'], nodes: ['n3'], continuous: true }]);
    expect(byType(cs, 'fence')).toEqual([{ type: 'fence', vms: ['vm4'], nodes: ['n1', 'n2'] }]);
    expect(byType(cs, 'spread')).toEqual([{ type: 'spread', vms: ['vm0', 'vm4', 'vm6'] }]);
    expect(byType(cs, 'gather')).toEqual([{ type: 'gather', vms: ['vm1', 'vm2'] }]);
    expect(byType(cs, 'among')).toEqual([{ type: 'among', vms: ['vm5', 'vm6'], groups: [['n0', 'n1'], ['n2', 'n3']], continuous: true }]);
    expect(byType(cs, 'split')).toEqual([{ type: 'split', groups: [['vm0', 'vm1'], ['vm5']] }]);
    expect(byType(cs, 'lonely')).toEqual([{ type: 'lonely', vms: ['vm2'] }]);
    expect(byType(cs, 'root')).toEqual([{ type: 'root', vms: ['vm1'] }]);
    expect(byType(cs, 'quarantine')).toEqual([{ type: 'quarantine', nodes: ['n2'] }]);
    expect(byType(cs, 'overbook')).toEqual([{ type: 'overbook', nodes: ['n0', 'n1'], resource: 'cpu', ratio: 1.5 }]);
    expect(byType(cs, 'resourceCapacity')).toEqual([{ type: 'resourceCapacity', nodes: ['n0', 'n1'], resource: 'memory', amount: 12000 }]);
    expect(byType(cs, 'runningCapacity')).toEqual([{ type: 'runningCapacity', nodes: ['n0', 'n1', 'n2'], amount: 9 }]);
    expect(byType(cs, 'maxOnline')).toEqual([{ type: 'maxOnline', nodes: ['n3', 'n4', 'n5'], amount: 2 }]);
    expect(byType(cs, 'online')).toEqual([{ type: 'online', nodes: ['n3'] }]);
    expect(byType(cs, 'offline')).toEqual([{ type: 'offline', nodes: ['n5'] }]);
    expect(byType(cs, 'running')).toEqual([{ type: 'running', vms: ['vm8', 'vm7'] }]);
    expect(byType(cs, 'sleeping')).toEqual([{ type: 'sleeping', vms: ['vm5'] }]);
    // killed, and ready on a running VM (switchyard has no "ready" end state: it is shut down).
    expect(byType(cs, 'terminated')).toEqual([{ type: 'terminated', vms: ['vm9', 'vm4'] }]);
  });

  it('a killed ready VM is gone; a sleeping VM without a state constraint stays asleep', () => {
    expect(r.instance.vms.find((v) => v.id === 'vm9')).toMatchObject({ state: 'terminated' });
    expect(r.instance.vms.find((v) => v.id === 'vm3')).toMatchObject({ state: 'sleeping', wants: 'sleeping' });
    expect(r.instance.vms.find((v) => v.id === 'vm7')?.wants).toBeUndefined();
  });

  it('minimizeMTTR becomes minMigrations, said in an info note; the ready VM left alone is named', () => {
    expect(r.instance.objective).toEqual({ type: 'minMigrations' });
    expect(r.notes.find((n) => n.path === 'objective')).toMatchObject({ kind: 'info' });
    expect(r.notes.filter((n) => n.kind === 'lossy').map((n) => n.path)).toEqual(['model.mapping.readyVMs']);
  });

  it('equal among groups are one array in memory', () => {
    const d = doc('constraints.json');
    d['constraints'].push({ id: 'among', vms: [0, 1], parts: [[0, 1], [2, 3]], continuous: false });
    const amongs = byType(imported(d).instance.constraints ?? [], 'among') as { groups: readonly (readonly string[])[] }[];
    expect(amongs).toHaveLength(2);
    expect(amongs[0]!.groups).toBe(amongs[1]!.groups);
  });
});

describe('importBtrPlace: what cannot be converted, and bad input', () => {
  it('names each unconvertible constraint, view and continuous flag', () => {
    const r = imported(doc('unconvertible.json'));
    const lossy = r.notes.filter((n) => n.kind === 'lossy');
    expect(lossy.map((n) => n.path)).toEqual(['model.views[1]', 'constraints[0]', 'constraints', 'model.mapping.readyVMs']);
    expect(lossy[0]!.message).toContain('"network"');
    expect(lossy[1]!.message).toContain('"seq"');
    expect(lossy[2]!.message).toContain('lonely');
    // What was convertible is there.
    expect(r.instance.constraints).toEqual([
      { type: 'lonely', vms: ['vm0'] },
      { type: 'spread', vms: ['vm0', 'vm1'] },
    ]);
  });

  it('broken references are issues with their path, never a throw', () => {
    const d = doc('replay.json');
    d['model']['mapping']['onlineNodes']['1']['runningVMs'].push(0);
    d['constraints'].push({ id: 'ban', vms: [42], nodes: [0] });
    d['model']['views'][0]['nodes']['x9'] = 5;
    const r = importBtrPlace(d);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.issues.map((i) => i.path)).toEqual(['model.mapping.onlineNodes.1.runningVMs[1]']);
    delete d['model']['mapping']['onlineNodes']['1']['runningVMs'][1];
    d['model']['mapping']['onlineNodes']['1']['runningVMs'].length = 1;
    const r2 = importBtrPlace(d);
    expect(r2.ok).toBe(false);
    if (r2.ok) return;
    expect(r2.issues.map((i) => `${i.path}: ${i.message}`)).toEqual(['model.views[0].nodes.x9: "x9" is not a node number']);
    delete d['model']['views'][0]['nodes']['x9'];
    const r3 = importBtrPlace(d);
    expect(r3.ok ? [] : r3.issues.map((i) => `${i.path}: ${i.message}`)).toEqual(['constraints[8].vms[0]: VM 42 is not in the mapping']);
    for (const bad of [null, [], { model: 3 }, { model: {} }]) expect(importBtrPlace(bad).ok).toBe(false);
  });
});

describe('importBtrPlace: shareableResource values for elements absent from the mapping', () => {
  // BtrPlace's testIssue171: a view gives a value for a VM (and a node) the mapping lacks; BtrPlace
  // reads the instance and ignores them.
  const issue171 = (): Doc => {
    const d = doc('replay.json');
    d['model']['views'][0]['vms'] = { '1': 150, '42': 300, '43': 1 };
    d['model']['views'][0]['nodes'] = { '2': 500, '9': 800 };
    d['model']['views'][1]['vms'] = { '44': 7 };
    return d;
  };

  it('imports the instance, ignoring those values, with a warning naming them per view field', () => {
    const r = imported(issue171());
    const i = instanceOf(r);
    expect(i.vms.size).toBe(8);
    expect(i.nodes.size).toBe(4);
    expect([...i.vms.keys()]).not.toContain('vm42');
    expect(i.vms.get('vm1')!.demand.get('memory')).toBe(150);
    expect(i.nodes.get('n2')!.capacity.get('memory')).toBe(500);
    const warnings = r.notes.filter((n) => n.kind === 'warning');
    expect(warnings.map((n) => n.path)).toEqual(['model.views[0].nodes', 'model.views[0].vms', 'model.views[1].vms']);
    expect(warnings[0]!.message).toBe('"memory" values of 1 node not in the mapping ignored (as BtrPlace does): node 9');
    expect(warnings[1]!.message).toBe('"memory" values of 2 VMs not in the mapping ignored (as BtrPlace does): VMs 42, 43');
    expect(warnings[2]!.message).toContain('VM 44');
    // Not lossy: what BtrPlace solves is what switchyard solves.
    expect(r.notes.filter((n) => n.kind === 'lossy')).toEqual([]);
  });

  it('names the first 20 and counts the rest', () => {
    const d = issue171();
    d['model']['views'][1]['vms'] = Object.fromEntries(Array.from({ length: 25 }, (_, k) => [String(100 + k), 1]));
    const w = imported(d).notes.find((n) => n.path === 'model.views[1].vms')!;
    expect(w.kind).toBe('warning');
    expect(w.message).toContain('25 VMs');
    expect(w.message).toContain('VMs 100, 101,');
    expect(w.message).toContain('119 and 5 more');
    expect(w.message).not.toContain('120');
  });

  it('a value that is not a number ≥ 0 is still an error, even for an absent element', () => {
    const d = issue171();
    d['model']['views'][0]['vms']['42'] = 'lots';
    const r = importBtrPlace(d);
    expect(r.ok ? [] : r.issues.map((i) => i.path)).toEqual(['model.views[0].vms.42']);
  });

  it('the CLI prints the warnings on stderr, exits 0, and --strict still converts', async () => {
    const files = { 'i171.json': JSON.stringify(issue171()) };
    const r = await cli(['import', 'btrplace', 'i171.json', '-o', 'out.json'], files);
    expect(r.code).toBe(EXIT.ok);
    expect(r.err).toContain('i171.json: model.views[0].vms: warning: "memory" values of 2 VMs not in the mapping ignored (as BtrPlace does): VMs 42, 43\n');
    expect(r.err).toContain('i171.json: model.views[0].nodes: warning: ');
    expect(validateInstance(JSON.parse(r.files.get('out.json') as string)).ok).toBe(true);
    const strict = await cli(['import', 'btrplace', 'i171.json', '--strict', '-q'], files);
    expect(strict.code).toBe(EXIT.ok);
    expect(strict.err).toBe('');
  });
});

describe('gzip', () => {
  it('reads gzip-compressed and plain files alike', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'btrp-'));
    const text = fixture('replay.json');
    writeFileSync(join(dir, 'a.gz'), gzipSync(text));
    writeFileSync(join(dir, 'a.json'), text);
    const gz = await readBtrPlaceFile(join(dir, 'a.gz'));
    const plain = await readBtrPlaceFile(join(dir, 'a.json'));
    expect(gz.ok && plain.ok).toBe(true);
    if (gz.ok && plain.ok) expect(gz.value.instance).toEqual(plain.value.instance);
    const missing = await readBtrPlaceFile(join(dir, 'none.gz'));
    expect(missing.ok ? '' : missing.issues[0]!.message).toContain('no such file');
    const broken = await btrPlaceText(gzipSync(text).subarray(0, 20));
    expect(broken.ok ? '' : broken.issues[0]!.message).toContain('broken gzip');
  });
});

describe('round trip: import, plan, export', () => {
  it('the exported BtrPlace plan has the plan\'s actions, numbers and times', async () => {
    const i = instanceOf(imported(doc('replay.json')));
    const plan = await planInstance(i, { timeLimitMs: 3000 });
    expect(plan.status).not.toBe('infeasible');
    expect(verifyPlan(i, plan).ok).toBe(true);
    const types = new Set(plan.actions.map((a) => a.type));
    for (const t of ['migrate', 'boot', 'suspend', 'resume', 'shutdown', 'bootNode', 'shutdownNode'] as const) expect(types).toContain(t);
    const r = exportBtrPlacePlan(i, plan);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const out = r.value as Doc;
    const names = { migrate: 'migrateVM', boot: 'bootVM', shutdown: 'shutdownVM', suspend: 'suspendVM', resume: 'resumeVM', bootNode: 'bootNode', shutdownNode: 'shutdownNode' };
    const num = (id: string): number => Number(id.replace(/^(vm|n)/, ''));
    expect(out['actions']).toHaveLength(plan.actions.length);
    plan.actions.forEach((a, k) => {
      const b = out['actions'][k];
      expect(b.id).toBe(names[a.type]);
      expect(b.start).toBe(Math.round(a.start));
      expect(b.end).toBe(Math.round(a.end));
      if (a.type === 'bootNode' || a.type === 'shutdownNode') expect(b.node).toBe(num(a.node));
      else expect(b.vm).toBe(num(a.vm));
      if (a.type === 'migrate' || a.type === 'resume') expect([b.from, b.to]).toEqual([num(a.from), num(a.to)]);
      if (a.type === 'boot') expect(b.to).toBe(num(a.to));
      if (a.type === 'shutdown') expect(b.on).toBe(num(a.from));
      if (a.type === 'suspend') expect([b.from, b.to]).toEqual([num(a.from), num(a.from)]);
    });
    // The migration of vm1 takes its own attribute (4 s), the others memory / 10.
    const m1 = plan.actions.find((a) => a.type === 'migrate' && a.vm === 'vm1');
    if (m1) expect(m1.end - m1.start).toBe(4);
    // The origin is the source model, as BtrPlace writes it.
    const origin = out['origin'];
    expect(origin.mapping).toEqual({
      onlineNodes: { 0: { runningVMs: [0, 1, 2], sleepingVMs: [] }, 1: { runningVMs: [3], sleepingVMs: [4] }, 2: { runningVMs: [5, 6], sleepingVMs: [] } },
      offlineNodes: [3],
      readyVMs: [7],
    });
    const mem = origin.views.find((v: Doc) => v.rcId === 'memory');
    expect(mem.vms['0']).toBe(300);
    expect(mem.nodes['3']).toBe(400);
    expect(origin.attributes.vms['1']).toEqual({ migrate: 4 });
    expect(i.vms.get('vm1')!.durations).toEqual({ migrate: 4 });
    // Importing the origin back gives the same mapping.
    const again = imported({ model: origin, constraints: [] }).instance;
    expect(again.vms.map((v) => [v.id, v.state, v.host])).toEqual(i.vms.toList().toArray().map((v) => [v.id, v.state, v.host]));
  });

  it('an infeasible plan has nothing to export; unknown ids are named', () => {
    const i = instanceOf(imported(doc('replay.json')));
    const infeasible: Plan = { version: 1, status: 'infeasible', actions: [], reasons: [{ message: 'x' }] };
    expect(exportBtrPlacePlan(i, infeasible).ok).toBe(false);
    const ghost: Plan = {
      version: 1, status: 'feasible',
      actions: [{ id: 0, type: 'boot', vm: 'ghost', to: 'n0', start: 0, end: 6 }],
      target: { vms: {}, nodes: {} },
      stats: { nodesUsed: 0, lowerBound: 0, migrations: 0, migratedMemory: 0, makespan: 6, solveMs: 0, planMs: 0 },
    };
    const r = exportBtrPlacePlan(i, ghost);
    expect(r.ok ? '' : r.issues[0]!.message).toContain('"ghost"');
  });
});

interface Run {
  code: number;
  out: string;
  err: string;
  files: Map<string, string | Uint8Array>;
}

async function cli(argv: string[], files: Record<string, string | Uint8Array>, tty = false): Promise<Run> {
  const fs = new Map(Object.entries(files));
  let out = '';
  let err = '';
  let t = 0;
  const get = (p: string) => {
    const v = fs.get(p);
    if (v === undefined) throw Object.assign(new Error(`ENOENT: ${p}`), { code: 'ENOENT' });
    return v;
  };
  const io: CliIo = {
    stdout: (s) => void (out += s),
    stderr: (s) => void (err += s),
    readFile: async (p) => {
      const v = get(p);
      return typeof v === 'string' ? v : Buffer.from(v).toString('utf8');
    },
    readBytes: async (p) => {
      const v = get(p);
      return typeof v === 'string' ? Buffer.from(v, 'utf8') : v;
    },
    writeFile: async (p, s) => void fs.set(p, s),
    now: () => (t += 500),
    stderrIsTTY: tty,
  };
  const code = await runCli(argv, io);
  return { code, out, err, files: fs };
}

describe('switchyard import / export btrplace', () => {
  it('imports a gzip file to -o, with notes and plain progress lines on stderr', async () => {
    const r = await cli(['import', 'btrplace', 'in.json.gz', '-o', 'out.json'], { 'in.json.gz': gzipSync(fixture('constraints.json')) });
    expect(r.code).toBe(EXIT.ok);
    const written = JSON.parse(r.files.get('out.json') as string) as Doc;
    expect(validateInstance(written).ok).toBe(true);
    expect(written['vms']).toHaveLength(11);
    expect(r.err).toContain('import: read in.json.gz\n');
    expect(r.err).toContain('not converted exactly: 1 ready VM');
    expect(r.err).toContain('6 nodes, 11 VMs');
    expect(r.err).not.toContain('\r');
  });

  it('--strict fails naming what cannot be converted; --quiet prints nothing but the JSON', async () => {
    const strict = await cli(['import', 'btrplace', 'u.json', '--strict'], { 'u.json': fixture('unconvertible.json') });
    expect(strict.code).toBe(1);
    expect(strict.out).toBe('');
    expect(strict.err).toContain('constraints[0]: cannot convert: constraint "seq"');
    expect(strict.err).toContain('model.views[1]: cannot convert');
    const quiet = await cli(['import', 'btrplace', 'u.json', '-q'], { 'u.json': fixture('unconvertible.json') });
    expect(quiet.code).toBe(0);
    expect(quiet.err).toBe('');
    expect(validateInstance(JSON.parse(quiet.out)).ok).toBe(true);
  });

  it('on a terminal, progress is redrawn in place and cleared', async () => {
    const r = await cli(['import', 'btrplace', 'r.json', '-o', 'o.json'], { 'r.json': fixture('replay.json') }, true);
    expect(r.code).toBe(0);
    expect(r.err).toContain('\r\x1b[Kimport: read r.json');
    expect(r.err).toContain('\r\x1b[K');
  });

  it('bad input and bad usage exit non-zero without a stack trace', async () => {
    const missing = await cli(['import', 'btrplace', 'none.json'], {});
    expect(missing.code).toBe(1);
    expect(missing.err).toContain('none.json: cannot read: no such file');
    const notJson = await cli(['import', 'btrplace', 'x.json'], { 'x.json': '{"model":' });
    expect(notJson.code).toBe(1);
    expect(notJson.err).toContain('x.json: $: not JSON');
    const noFormat = await cli(['import', 'x.json'], {});
    expect(noFormat.code).toBe(EXIT.usage);
    const noInstance = await cli(['export', 'btrplace', 'p.json'], {});
    expect(noInstance.code).toBe(EXIT.usage);
    expect(noInstance.err).toContain('--instance');
    for (const r of [missing, notJson, noFormat, noInstance]) expect(r.err).not.toMatch(/\n\s+at .+:\d+:\d+/);
  });

  it('import, plan, export through the CLI', async () => {
    const files: Record<string, string | Uint8Array> = { 'r.json': fixture('replay.json') };
    const a = await cli(['import', 'btrplace', 'r.json', '-o', 'i.json', '-q'], files);
    expect(a.code).toBe(0);
    files['i.json'] = a.files.get('i.json')!;
    const b = await cli(['plan', 'i.json', '-o', 'p.json', '-q', '--time-limit', '3'], files);
    expect(b.code).toBe(0);
    files['p.json'] = b.files.get('p.json')!;
    const c = await cli(['export', 'btrplace', 'p.json', '--instance', 'i.json', '-o', 'b.json'], files);
    expect(c.code).toBe(0);
    const out = JSON.parse(c.files.get('b.json') as string) as Doc;
    const plan = JSON.parse(files['p.json'] as string) as Doc;
    expect(out['actions'].map((x: Doc) => x.id)).toEqual(
      plan['actions'].map((x: Doc) => ({ migrate: 'migrateVM', boot: 'bootVM', shutdown: 'shutdownVM', suspend: 'suspendVM', resume: 'resumeVM', bootNode: 'bootNode', shutdownNode: 'shutdownNode' })[x.type as 'boot']),
    );
    expect(Object.keys(out['origin'])).toEqual(['mapping', 'attributes', 'views']);
  });
});
