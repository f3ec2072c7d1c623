/**
 * The contract suite is itself tested: it passes on the simulated executor (with and without an
 * arranged mid-migration failure) and fails on deliberately broken executors, each caught by the
 * rule it breaks (issue 14 item 3).
 */
import { Map as IMap } from 'immutable';
import { describe, expect, it } from 'vitest';
import { simulatedExecutor } from '../../src/execute/simulated.js';
import type { Executor } from '../../src/execute/types.js';
import { Configuration } from '../../src/model/configuration.js';
import type { Instance } from '../../src/model/instance.js';
import { CONTRACT_CHECKS, describeExecutorContract, runContractCheck, type ContractFactory } from './contract.js';

// The simulated executor with a real mid-migration failure arranged by the hook.
describeExecutorContract('simulated, with arranged failures', (instance) => {
  const sim = simulatedExecutor(instance);
  return { executor: sim, arrangeFailure: (a) => sim.addFault({ kind: 'fail', action: a.id, fraction: 0.3 }) };
});

// The destination dies mid-migration: the VM stays on its source.
describeExecutorContract('simulated, destination killed mid-migration', (instance) => {
  const sim = simulatedExecutor(instance);
  return { executor: sim, arrangeFailure: (a) => sim.addFault({ kind: 'killNode', node: a.to, at: sim.clock.now() + sim.durationOf(a) / 2 }) };
});

/** A broken executor: the simulated one with some methods replaced. */
function mutant(change: (inner: Executor) => Partial<Executor>): ContractFactory {
  return (instance: Instance) => {
    const inner = simulatedExecutor(instance);
    const base: Executor = {
      name: 'mutant',
      clock: inner.clock,
      check: (a, c) => inner.check(a, c),
      execute: (a, c) => inner.execute(a, c),
      observe: () => inner.observe(),
      cleanup: () => inner.cleanup(),
    };
    return { ...base, ...change(inner) };
  };
}

const dropVm = (c: Configuration, vm: string): Configuration => new Configuration({ vms: c.vms.delete(vm), nodes: c.nodes });

const MUTANTS: { name: string; factory: ContractFactory; caughtBy: string }[] = [
  {
    name: 'reports a failed action as succeeded',
    factory: mutant((inner) => ({ execute: async (a, c) => (await inner.execute(a, c), { ok: true }) })),
    caughtBy: 'an action the world contradicts fails',
  },
  {
    name: 'forgets a VM in observe()',
    factory: mutant((inner) => ({ observe: async () => dropVm(await inner.observe(), 'e') })),
    caughtBy: 'observe() lists every VM',
  },
  {
    name: 'forgets a VM only once it has moved',
    factory: mutant((inner) => ({
      observe: async () => {
        const c = await inner.observe();
        return c.hostOf('a') === 'n1' ? c : dropVm(c, 'a');
      },
    })),
    caughtBy: 'each legal action that reports ok has its full effect',
  },
  {
    name: 'forgets the offline node in observe()',
    factory: mutant((inner) => ({ observe: async () => { const c = await inner.observe(); return new Configuration({ vms: c.vms, nodes: c.nodes.delete('n3') }); } })),
    caughtBy: 'observe() lists every VM',
  },
  {
    name: 'lists a VM that does not exist',
    factory: mutant((inner) => ({ observe: async () => { const c = await inner.observe(); return new Configuration({ vms: c.vms.merge(IMap({ ghost: c.vms.get('a')! })), nodes: c.nodes }); } })),
    caughtBy: 'observe() lists every VM',
  },
  {
    name: 'reports success without doing anything',
    factory: mutant(() => ({ execute: async () => ({ ok: true }) })),
    caughtBy: 'each legal action that reports ok has its full effect',
  },
  {
    name: 'rejects instead of resolving a failure',
    factory: mutant((inner) => ({ execute: async (a, c) => { const o = await inner.execute(a, c); if (!o.ok) throw new Error(o.error.message); return o; } })),
    caughtBy: 'an action the world contradicts fails',
  },
  {
    name: 'half-does a refused action (the VM moves anyway)',
    factory: mutant((inner) => ({
      execute: async (a, c) => {
        const o = await inner.execute(a, c);
        if (!o.ok && a.type === 'migrate' && a.to !== 'n3') await inner.execute({ ...a, from: (await inner.observe()).hostOf(a.vm) ?? a.from }, c);
        return o;
      },
    })),
    caughtBy: 'an action the world contradicts fails',
  },
  {
    name: 'ignores an aborted signal',
    factory: mutant((inner) => ({ execute: (a, c) => inner.execute(a, { ...c, signal: new AbortController().signal }) })),
    caughtBy: 'an aborted signal',
  },
  {
    name: 'cleanup() fails when called twice',
    factory: mutant(() => {
      let done = false;
      return { cleanup: async () => { if (done) throw new Error('already cleaned up'); done = true; } };
    }),
    caughtBy: 'cleanup() may be called any number of times',
  },
  {
    name: 'check() passes everything',
    factory: mutant(() => ({ check: async () => ({ ok: true }) })),
    caughtBy: 'check(), when present',
  },
];

describe('the contract suite catches broken executors', () => {
  for (const m of MUTANTS) {
    it(`mutant "${m.name}" fails the rule "${m.caughtBy}…"`, async () => {
      const check = CONTRACT_CHECKS.find((c) => c.name.startsWith(m.caughtBy));
      expect(check, `no check named "${m.caughtBy}…"`).toBeDefined();
      const error = await runContractCheck(check!, m.factory);
      expect(error, `the check "${check!.name}" passed on the mutant`).toBeInstanceOf(Error);
    });
  }

  it('the unbroken executor passes every rule through runContractCheck too', async () => {
    for (const c of CONTRACT_CHECKS) expect(await runContractCheck(c, (i) => simulatedExecutor(i)), c.name).toBeUndefined();
  });
});
