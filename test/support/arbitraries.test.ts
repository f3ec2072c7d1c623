import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { effectiveCapacity, sourceConfiguration } from '../../src/model/instance.js';
import type { Configuration } from '../../src/model/configuration.js';
import type { Instance } from '../../src/model/instance.js';
import { arbWorld } from './arbitraries.js';

function fits(inst: Instance, c: Configuration): boolean {
  for (const n of inst.nodes.keys()) {
    for (const r of ['cpu', 'memory']) {
      let load = 0;
      for (const vm of c.runningOn(n)) load += inst.vms.get(vm)!.demand.get(r) ?? 0;
      if (load > effectiveCapacity(inst, n, r)) return false;
      if (load > 0 && !c.isOnline(n)) return false;
    }
  }
  return true;
}

describe('arbWorld', () => {
  it('draws worlds whose source and hidden configurations both fit', () => {
    fc.assert(
      fc.property(arbWorld(), ({ instance, hidden }) => {
        expect(fits(instance, sourceConfiguration(instance))).toBe(true);
        expect(fits(instance, hidden)).toBe(true);
        for (const [id, p] of hidden.vms) if (p.state === 'sleeping') expect(p.host).toBe(instance.vms.get(id)!.host);
      }),
    );
  });
});
