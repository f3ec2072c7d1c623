/**
 * Ids are untrusted strings: names such as `__proto__`, `constructor` or `toString` (for VMs,
 * nodes, vjobs and resources) plan, write and verify like any other id.
 */
import { describe, expect, it } from 'vitest';
import { runInMemory, type CliRun } from '../support/cli.js';

const run = (argv: string[], files: Map<string, string>): Promise<CliRun> => runInMemory(argv, files, () => performance.now());

const RESERVED = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf'];

describe('reserved-looking ids through the CLI', () => {
  it.each(RESERVED)('plans and verifies an instance whose VM, node, vjob and resource are named %s', async (id) => {
    const instance = {
      version: 1,
      nodes: [
        { id, capacity: { [id]: 8, memory: 8192 } },
        { id: 'n2', capacity: { [id]: 8, memory: 8192 } },
      ],
      vms: [
        { id, demand: { [id]: 2, memory: 2048 }, state: 'running', host: 'n2' },
        { id: 'w1', demand: { [id]: 4, memory: 2048 }, state: 'waiting', vjob: id },
        { id: 'w2', demand: { [id]: 4, memory: 2048 }, state: 'waiting', vjob: id },
      ],
      vjobs: [{ id, priority: 3 }],
      constraints: [{ type: 'ban', vms: [id], nodes: ['n2'] }],
    };
    // JSON.stringify writes "__proto__" as an own key, like a user's file would.
    const files = new Map([['i.json', JSON.stringify(instance)]]);
    const planned = await run(['plan', 'i.json', '-o', 'p.json', '--quiet'], files);
    expect(planned.err).toBe('');
    expect(planned.code).toBe(0);
    const plan = JSON.parse(files.get('p.json')!);
    expect(Object.keys(plan.target.vms).sort()).toEqual([id, 'w1', 'w2'].sort());
    expect(Object.prototype.hasOwnProperty.call(plan.target.vms, id)).toBe(true);
    expect(plan.target.vms[id]).toEqual({ state: 'running', host: id });
    expect(plan.actions.map((a: { type: string; vm?: string }) => `${a.type} ${a.vm}`).sort()).toEqual([`migrate ${id}`, 'boot w1', 'boot w2'].sort());
    const verified = await run(['verify', 'i.json', 'p.json'], files);
    expect(verified.code).toBe(0);
  });
});
