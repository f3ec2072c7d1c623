/**
 * A VM's and a node's own `durations` (FORMAT.md `vms[].durations`, `nodes[].durations`):
 * validation naming the field path, the model fields, the serializer, the JSON Schema and the CLI.
 */
import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { EXIT, runCli, type CliIo } from '../../src/cli/run.js';
import type { Issue } from '../../src/errors.js';
import { serializeInstance, validateInstance } from '../../src/io/instance.js';
import { NODE_DURATION_FIELDS } from '../../src/model/node.js';
import { VM_DURATION_FIELDS } from '../../src/model/vm.js';

type Doc = Record<string, any>;

/** Four VMs (the fourth at `vms[3]`), two nodes; tests add durations to a fresh copy. */
function base(): Doc {
  return {
    version: 1,
    nodes: [
      { id: 'n1', capacity: { cpu: 32, memory: 131072 } },
      { id: 'n2', capacity: { cpu: 16, memory: 65536 }, state: 'offline' },
    ],
    vms: [
      { id: 'vm1', demand: { cpu: 4, memory: 8192 }, state: 'running', host: 'n1' },
      { id: 'vm2', demand: { cpu: 2, memory: 4096 }, state: 'sleeping', host: 'n1' },
      { id: 'vm3', demand: { cpu: 1 }, state: 'waiting' },
      { id: 'vm4', demand: { memory: 1024 }, state: 'running', host: 'n1' },
    ],
  };
}

function doc(edit: (d: Doc) => void): Doc {
  const d = base();
  edit(d);
  return d;
}

function issuesOf(input: unknown): readonly Issue[] {
  const r = validateInstance(input);
  if (r.ok) throw new Error('expected the document to be rejected');
  return r.issues;
}

const schema = JSON.parse(readFileSync(new URL('../../docs/schema/instance.schema.json', import.meta.url), 'utf8')) as Doc;
const checkSchema = new Ajv2020({ allErrors: true, strictTypes: true, strictTuples: true }).compile(schema);

describe('vms[].durations and nodes[].durations: reading', () => {
  it('reads every field into the model, frozen, and writes them back in FORMAT.md order', () => {
    const d = doc((x) => {
      x.vms[0].durations = { shutdown: 5, boot: 4, resume: 3, suspend: 2, migrate: 1, x: { note: 'mine' } };
      x.vms[3].durations = { migrate: 0.5 };
      x.nodes[1].durations = { shutdown: 9, boot: 8 };
    });
    expect(checkSchema(d), JSON.stringify(checkSchema.errors)).toBe(true);
    const r = validateInstance(d);
    expect(r.ok, JSON.stringify(r)).toBe(true);
    if (!r.ok) return;
    const vm1 = r.value.vms.get('vm1')!;
    expect(vm1.durations).toEqual({ migrate: 1, suspend: 2, resume: 3, boot: 4, shutdown: 5, x: { note: 'mine' } });
    expect(Object.isFrozen(vm1.durations)).toBe(true);
    expect(r.value.vms.get('vm2')!.durations).toBeUndefined();
    expect(r.value.nodes.get('n2')!.durations).toEqual({ boot: 8, shutdown: 9 });
    expect(r.value.nodes.get('n1')!.durations).toBeUndefined();
    const out = serializeInstance(r.value) as Doc;
    expect(Object.keys(out.vms[0].durations)).toEqual([...VM_DURATION_FIELDS, 'x']);
    expect(out.vms[3].durations).toEqual({ migrate: 0.5 });
    expect(Object.keys(out.nodes[1].durations)).toEqual([...NODE_DURATION_FIELDS]);
    expect('durations' in out.vms[1]).toBe(false);
    expect(Object.keys(out.vms[0])).toEqual(['id', 'demand', 'state', 'host', 'durations']);
    // Round trip.
    const again = validateInstance(out);
    expect(again.ok && serializeInstance(again.value)).toEqual(out);
  });

  it('an empty durations object is allowed and kept', () => {
    const r = validateInstance(doc((x) => void (x.vms[0].durations = {})));
    expect(r.ok && r.value.vms.get('vm1')!.durations).toEqual({});
  });
});

describe('vms[].durations and nodes[].durations: validation names the field path', () => {
  it.each([
    ['zero', 0],
    ['negative', -3],
    ['a string', '7'],
    ['NaN (typed API)', Number.NaN],
    ['Infinity (typed API)', Number.POSITIVE_INFINITY],
    ['null', null],
  ])('a VM migrate duration that is %s is rejected at vms[3].durations.migrate', (_, value) => {
    const d = doc((x) => void (x.vms[3].durations = { migrate: value, boot: 2 }));
    const issues = issuesOf(d);
    expect(issues.map((i) => i.path)).toEqual(['vms[3].durations.migrate']);
    expect(issues[0]!.message).toContain('VM "vm4": durations.migrate must be a finite number > 0');
    if (typeof value !== 'number' || Number.isFinite(value)) expect(checkSchema(d)).toBe(false);
  });

  it.each(VM_DURATION_FIELDS.map((f) => [f]))('every VM field must be > 0: %s', (f) => {
    const issues = issuesOf(doc((x) => void (x.vms[1].durations = { [f]: 0 })));
    expect(issues.map((i) => i.path)).toEqual([`vms[1].durations.${f}`]);
  });

  it('an unknown VM duration field is rejected, naming it and the allowed ones', () => {
    const d = doc((x) => void (x.vms[2].durations = { migration: 3 }));
    const issues = issuesOf(d);
    expect(issues.map((i) => i.path)).toEqual(['vms[2].durations.migration']);
    expect(issues[0]!.message).toBe(
      'VM "vm3": unknown field "migration" (allowed: migrate, suspend, resume, boot, shutdown, x; extensions go under "x")',
    );
    expect(checkSchema(d)).toBe(false);
  });

  it('a node takes only boot and shutdown (its own bootNode and shutdownNode)', () => {
    const d = doc((x) => void (x.nodes[1].durations = { boot: 1, migrate: 3, shutdown: 0 }));
    const issues = issuesOf(d);
    expect(issues.map((i) => i.path)).toEqual(['nodes[1].durations.migrate', 'nodes[1].durations.shutdown']);
    expect(issues[0]!.message).toContain('node "n2": unknown field "migrate" (allowed: boot, shutdown, x');
    expect(issues[1]!.message).toBe('node "n2": durations.shutdown must be a finite number > 0, got 0');
    expect(checkSchema(d)).toBe(false);
  });

  it('durations that are not an object are rejected at their path', () => {
    for (const bad of [5, [1], 'fast', null]) {
      const issues = issuesOf(doc((x) => void (x.vms[0].durations = bad)));
      expect(issues.map((i) => i.path)).toEqual(['vms[0].durations']);
      expect(issues[0]!.message).toContain('VM "vm1": durations must be an object');
    }
    expect(issuesOf(doc((x) => void (x.nodes[0].durations = 3))).map((i) => i.path)).toEqual(['nodes[0].durations']);
  });

  it('every problem is reported in one pass', () => {
    const issues = issuesOf(
      doc((x) => {
        x.vms[0].durations = { migrate: -1 };
        x.vms[3].durations = { boot: 0, resume: 'slow' };
        x.nodes[0].durations = { reboot: 1 };
      }),
    );
    expect(issues.map((i) => i.path).sort()).toEqual(
      ['nodes[0].durations.reboot', 'vms[0].durations.migrate', 'vms[3].durations.boot', 'vms[3].durations.resume'].sort(),
    );
  });
});

describe('the instance schema lists the same own-duration fields as the model', () => {
  it('vmDurations and nodeDurations', () => {
    const defs = schema['$defs'] as Doc;
    expect(Object.keys(defs['vmDurations'].properties)).toEqual([...VM_DURATION_FIELDS, 'x']);
    expect(Object.keys(defs['nodeDurations'].properties)).toEqual([...NODE_DURATION_FIELDS, 'x']);
    expect(defs['vm'].properties.durations).toEqual({ $ref: '#/$defs/vmDurations' });
    expect(defs['node'].properties.durations).toEqual({ $ref: '#/$defs/nodeDurations' });
    expect(defs['ownSeconds']).toMatchObject({ type: 'number', exclusiveMinimum: 0 });
  });
});

describe('switchyard validate', () => {
  it('exits 1 naming the field path of a bad own duration, without a stack trace', async () => {
    const text = JSON.stringify(doc((x) => void (x.vms[3].durations = { migrate: 0 })));
    let err = '';
    let out = '';
    const io: CliIo = {
      stdout: (s) => void (out += s),
      stderr: (s) => void (err += s),
      readFile: async () => text,
      writeFile: async () => undefined,
      now: () => 0,
    };
    const code = await runCli(['validate', 'bad.json'], io);
    expect(code).toBe(EXIT.invalid);
    expect(err + out).toContain('vms[3].durations.migrate');
    expect(err + out).not.toMatch(/\n\s+at .+:\d+:\d+/);
  });
});
