/**
 * Solver options are resolved once, next to their interface: defaults from `DEFAULTS` (where two
 * solvers differ on purpose, each default is named), given values kept, out-of-range values
 * rejected with the option's name.
 */
import { describe, expect, it } from 'vitest';
import { defaultSolver, resolveDefaultOptions } from '../../src/place/default.js';
import { lnsSolver, resolveLnsOptions } from '../../src/place/lns.js';
import { mipSolver, resolveMipOptions } from '../../src/place/mip.js';
import { partitionedSolver, resolvePartitionedOptions } from '../../src/place/partition.js';
import { DEFAULTS } from '../../src/place/types.js';

describe('solver options', () => {
  it('fill in the named defaults', () => {
    expect(resolveLnsOptions({})).toMatchObject({ backend: 'highs', name: 'lns', startShare: DEFAULTS.lns.startShare, exactLimit: 250_000, mode: 'auto', startRequired: false });
    expect(resolvePartitionedOptions({})).toMatchObject({ backend: 'highs', name: 'partitioned', startShare: DEFAULTS.partitioned.startShare, partition: 'auto', partitionSize: 250, improve: true, mode: 'auto' });
    expect(resolveMipOptions({})).toMatchObject({ backend: 'highs', name: 'mip-highs', startShare: DEFAULTS.mip.startShare, formulation: 'auto' });
    expect(resolveDefaultOptions({}).firstShare).toBe(DEFAULTS.default.firstShare);
    // The start shares differ on purpose, each named once.
    expect([DEFAULTS.lns.startShare, DEFAULTS.mip.startShare, DEFAULTS.partitioned.startShare]).toEqual([0.15, 0.2, 0.3]);
  });

  it('keep what the caller gives', () => {
    expect(resolveLnsOptions({ startShare: 0.5, exactLimit: 0, name: 'x', mode: 'improve' })).toMatchObject({ startShare: 0.5, exactLimit: 0, name: 'x', mode: 'improve' });
    expect(resolveMipOptions({ backend: 'glpk' }).name).toBe('mip-glpk');
    expect(resolvePartitionedOptions({ partition: { size: 40 }, improve: false })).toMatchObject({ partition: { size: 40 }, improve: false });
  });

  it('reject out-of-range values, naming the option, when the solver is made', () => {
    expect(() => lnsSolver({ startShare: 0 })).toThrow(/startShare/);
    expect(() => lnsSolver({ exactLimit: -1 })).toThrow(/exactLimit/);
    expect(() => mipSolver({ startShare: 1.5 })).toThrow(/startShare/);
    expect(() => partitionedSolver({ partitionSize: 0 })).toThrow(/partitionSize/);
    expect(() => partitionedSolver({ partition: { size: 2.5 } })).toThrow(/partition\.size/);
    expect(() => defaultSolver({ firstShare: Number.NaN })).toThrow(/firstShare/);
    expect(() => defaultSolver({ lns: { startShare: 2 } })).toThrow(/startShare/);
  });
});
