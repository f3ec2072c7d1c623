import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseWorkload, serializeWorkload, validateWorkload } from '../../src/io/workload.js';
import { generateWorkload, WORKLOAD_FAMILIES } from '../../src/workload/families.js';

const load = (rel: string): Record<string, any> => JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8'));
const ajv = new Ajv2020({ allErrors: true, strictTypes: true, strictTuples: true });
ajv.addSchema(load('../../docs/schema/instance.schema.json'));
const checkWorkload = ajv.compile(load('../../docs/schema/workload.schema.json'));
const errors = (): string => JSON.stringify(checkWorkload.errors?.slice(0, 3));

/** A small generated workload of some family, as JSON. */
const arbWorkloadJson = fc
  .record({ family: fc.constantFrom(...WORKLOAD_FAMILIES), nodes: fc.integer({ min: 2, max: 12 }), vms: fc.integer({ min: 1, max: 40 }), seed: fc.integer() })
  .map((o) => serializeWorkload(generateWorkload(o.family, o)) as unknown as Record<string, any>);

const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

describe('workload files: reader, writer and JSON Schema', () => {
  it('every generated workload passes the schema and reads back equal', () => {
    fc.assert(
      fc.property(arbWorkloadJson, (json) => {
        expect(checkWorkload(json), errors()).toBe(true);
        const r = validateWorkload(json);
        if (!r.ok) throw new Error(JSON.stringify(r.issues));
        expect(serializeWorkload(r.value)).toEqual(json);
      }),
      { numRuns: 30 },
    );
  });

  it('shape mutations fail both the schema and the reader, naming the field', () => {
    const base = serializeWorkload(generateWorkload('besteffort', { nodes: 8, vms: 16, seed: 2 })) as unknown as Record<string, any>;
    const arrival = base['events'].findIndex((e: { type: string }) => e.type === 'arrival');
    const resv = base['events'].findIndex((e: { type: string }) => e.type === 'reservation');
    const cases: [string, (d: Record<string, any>) => void, string][] = [
      ['missing instance', (d) => delete d['instance'], 'instance'],
      ['unknown field', (d) => (d['speed'] = 1), 'speed'],
      ['negative time', (d) => (d['events'][arrival].time = -5), `events[${arrival}].time`],
      ['unknown event type', (d) => (d['events'][arrival].type = 'meteor'), `events[${arrival}].type`],
      ['arrival without work', (d) => delete d['events'][arrival].job.work, `events[${arrival}].job.work`],
      ['vjob without VMs', (d) => (d['events'][arrival].job.vms = []), `events[${arrival}].job.vms`],
      ['reservation without nodes', (d) => delete d['events'][resv].nodes, `events[${resv}].nodes`],
      ['bad instance', (d) => (d['instance'].nodes[0].capacity.cpu = -1), 'instance.nodes[0].capacity.cpu'],
    ];
    for (const [what, mutate, path] of cases) {
      const d = clone(base);
      mutate(d);
      expect(checkWorkload(d), what).toBe(false);
      const r = validateWorkload(d);
      expect(r.ok, what).toBe(false);
      if (!r.ok) expect(r.issues.map((i) => i.path), what).toContain(path);
    }
  });

  it('the reader checks what the schema cannot: order, references, duplicate ids', () => {
    const base = serializeWorkload(generateWorkload('besteffort', { nodes: 8, vms: 16, seed: 2 })) as unknown as Record<string, any>;
    const ev = base['events'] as Record<string, any>[];
    const a = ev.findIndex((e) => e.type === 'arrival' && e.time > 0);
    const f = ev.findIndex((e) => e.type === 'failure');
    const cases: [string, (d: Record<string, any>) => void, RegExp][] = [
      ['out of order', (d) => (d['events'][a].time = d['events'][d['events'].length - 1].time + 10), /time order/],
      ['unknown node', (d) => (d['events'][f].node = 'ghost'), /node "ghost" does not exist/],
      ['duplicate VM', (d) => (d['events'][a].job.vms[0].id = d['events'].find((e: Record<string, any>) => e.type === 'arrival').job.vms[0].id), /declared twice/],
    ];
    for (const [what, mutate, message] of cases) {
      const d = clone(base);
      mutate(d);
      expect(checkWorkload(d), what).toBe(true);
      const r = validateWorkload(d);
      expect(r.ok, what).toBe(false);
      if (!r.ok) expect(r.issues.map((i) => i.message).join('\n'), what).toMatch(message);
    }
  });

  it('text that is not JSON is one issue at $', () => {
    const r = parseWorkload('{"version": 1');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.issues[0]!.path).toBe('$');
  });
});
