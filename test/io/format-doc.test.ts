/**
 * The project's own format document (docs/format.md) against the code: its constraint table is
 * the one the readers and the schema know, its action table is ACTION_TYPES, its examples read
 * as the document says, and its defaults table is DEFAULT_DURATIONS.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseInstance } from '../../src/io/instance.js';
import { parsePlan } from '../../src/io/plan.js';
import { parseWorkload } from '../../src/io/workload.js';
import { CONSTRAINT_TYPES } from '../../src/model/constraints.js';
import { DEFAULT_DURATIONS } from '../../src/model/objective.js';
import { ACTION_TYPES } from '../../src/model/action.js';
import { NODE_DURATION_FIELDS } from '../../src/model/node.js';
import { VM_DURATION_FIELDS } from '../../src/model/vm.js';
import { STOP_REASONS } from '../../src/plan/types.js';
import { FORMAT_CONSTRAINTS } from './arbitraries.js';

const doc = readFileSync(new URL('../../docs/format.md', import.meta.url), 'utf8');
const schema = JSON.parse(readFileSync(new URL('../../docs/schema/instance.schema.json', import.meta.url), 'utf8')) as Record<string, unknown>;
const planSchema = JSON.parse(readFileSync(new URL('../../docs/schema/plan.schema.json', import.meta.url), 'utf8')) as {
  $defs: { stats: { properties: { stop: { enum: string[] } } } };
};

/** The rows of the markdown table that follows `heading`, every cell. */
function cellsAfter(heading: string): string[][] {
  const at = doc.indexOf(heading);
  expect(at, `heading ${heading}`).toBeGreaterThanOrEqual(0);
  const lines = doc.slice(at).split('\n');
  const start = lines.findIndex((l) => l.startsWith('|'));
  const rows: string[][] = [];
  for (const l of lines.slice(start + 2)) {
    if (!l.startsWith('|')) break;
    rows.push(l.split('|').slice(1, -1).map((c) => c.trim()));
  }
  return rows;
}

/** The rows of the markdown table that follows `heading` (first cell, second cell). */
function tableAfter(heading: string): [string, string][] {
  return cellsAfter(heading).map((cells) => [cells[0] ?? '', cells[1] ?? '']);
}

/** The text of the Instance bullet that starts with `` - `field` ``, up to the next bullet. */
function bullet(field: string): string {
  const at = doc.indexOf(`\n- \`${field}\``);
  expect(at, `bullet ${field}`).toBeGreaterThanOrEqual(0);
  const end = doc.indexOf('\n- ', at + 1);
  return doc.slice(at, end);
}

const ticks = (cell: string): string[] => [...cell.matchAll(/`([^`]+)`/g)].map((m) => m[1]!);

/** The JSON code blocks of a part of the document, in order. */
const jsonBlocks = (text: string): string[] => [...text.matchAll(/```json\n([\s\S]*?)```/g)].map((m) => m[1]!);
const WORKLOAD_HEADING = '\n## Workload over time\n';
/** The instance/plan contract: everything before the workload section. */
const contract = doc.indexOf(WORKLOAD_HEADING) >= 0 ? doc.slice(0, doc.indexOf(WORKLOAD_HEADING)) : doc;
const blocks = jsonBlocks(contract);

describe('docs/format.md', () => {
  it('lists every constraint type with the fields the readers take', () => {
    const rows = tableAfter('### Constraints');
    const listed = new Map<string, string[]>();
    for (const [types, fields] of rows) for (const t of ticks(types)) listed.set(t, ticks(fields));
    expect([...listed.keys()].sort()).toEqual([...CONSTRAINT_TYPES].sort());
    for (const t of CONSTRAINT_TYPES) {
      const expected = FORMAT_CONSTRAINTS[t].map(([f]) => f).filter((f) => f !== 'continuous');
      expect(listed.get(t), t).toEqual(expected);
    }
  });

  it('names as continuous exactly the constraints whose schema entry takes a continuous flag', () => {
    const flagged = CONSTRAINT_TYPES.filter((t) => FORMAT_CONSTRAINTS[t].some(([f]) => f === 'continuous'));
    const sentence = doc.slice(doc.indexOf('also hold at every instant'), doc.indexOf('"continuous": true'));
    expect(ticks(sentence).sort()).toEqual([...flagged].sort());
    expect(JSON.stringify(schema)).toContain('continuous');
  });

  it('names the stop reasons of stats.stop that the library writes and the schema allows, in order', () => {
    const sentence = doc.slice(doc.indexOf('`stop` (optional) says why'), doc.indexOf('A plan with a target is'));
    const named = ticks(sentence).filter((t) => t !== 'stop');
    expect(named).toEqual([...STOP_REASONS]);
    expect(planSchema.$defs.stats.properties.stop.enum).toEqual([...STOP_REASONS]);
    // The example plan carries one, and reads.
    const plan = parsePlan(blocks[1]!);
    expect(plan.ok && plan.value.status !== 'infeasible' ? plan.value.stats.stop : undefined).toBe('proved');
  });

  it('lists every action type of the plan', () => {
    const rows = tableAfter('Action types and their effect');
    expect(rows.map(([t]) => ticks(t)[0])).toEqual([...ACTION_TYPES]);
  });

  it('gives the defaults the library uses', () => {
    const rows = tableAfter('## Defaults chosen by the library');
    const listed = Object.fromEntries(rows.map(([f, v]) => [ticks(f)[0], Number.parseFloat(v)]));
    expect(listed).toEqual({ ...DEFAULT_DURATIONS });
  });

  it('documents the own durations of VMs and nodes with the fields the model and the schema have', () => {
    const vmBullet = ticks(bullet('vms[].durations'));
    for (const f of VM_DURATION_FIELDS) expect(vmBullet, f).toContain(f);
    const nodeBullet = ticks(bullet('nodes[].durations'));
    for (const f of NODE_DURATION_FIELDS) expect(nodeBullet, f).toContain(f);
    expect(nodeBullet).toContain('bootNode');
    expect(nodeBullet).toContain('shutdownNode');
    // The defaults table says which own field overrides each default.
    const vmOwn = new Set<string>();
    const nodeOwn = new Set<string>();
    for (const cells of cellsAfter('## Defaults chosen by the library')) {
      const by = cells[3] ?? '';
      const own = ticks(by).map((t) => t.replace(/^durations\./, ''));
      expect(own.length, cells[0]).toBeGreaterThan(0);
      for (const f of own) (by.startsWith("the VM's") ? vmOwn : nodeOwn).add(f);
    }
    expect([...vmOwn].sort()).toEqual([...VM_DURATION_FIELDS].sort());
    expect([...nodeOwn].sort()).toEqual([...NODE_DURATION_FIELDS].sort());
    const defs = schema['$defs'] as Record<string, { properties: Record<string, unknown> }>;
    expect(Object.keys(defs['vmDurations']!.properties)).toEqual([...VM_DURATION_FIELDS, 'x']);
    expect(Object.keys(defs['nodeDurations']!.properties)).toEqual([...NODE_DURATION_FIELDS, 'x']);
    expect(doc).toContain('Nothing under `x` changes how long an action takes');
  });

  it('has an instance example whose only problem is the undeclared vm2, and a plan example that reads', () => {
    expect(blocks).toHaveLength(2);
    const inst = parseInstance(blocks[0]!);
    expect(inst.ok).toBe(false);
    if (!inst.ok) expect(inst.issues.map((i) => i.path)).toEqual(['constraints[0].vms[1]']);
    const plan = parsePlan(blocks[1]!);
    expect(plan.ok, JSON.stringify(plan)).toBe(true);
  });

  it('has a workload section whose example reads as a workload with the events it shows', () => {
    expect(doc).toContain(WORKLOAD_HEADING);
    const examples = jsonBlocks(doc.slice(doc.indexOf(WORKLOAD_HEADING)));
    expect(examples).toHaveLength(1);
    const w = parseWorkload(examples[0]!);
    expect(w.ok, JSON.stringify(w)).toBe(true);
    if (w.ok) expect(w.value.events.map((e) => e.type)).toEqual(['arrival', 'reservation', 'failure', 'repair']);
  });
});
