import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { checkConfiguration } from '../../src/constraints/check.js';
import { makeInstance } from '../../src/model/instance.js';
import { placeInstance } from '../../src/place/place.js';

describe('smoke', () => {
  it('demo', async () => {
    const json = JSON.parse(readFileSync('examples/demo.json', 'utf8'));
    const inst = makeInstance(json);
    const r = await placeInstance(inst, { seed: 1, timeLimitMs: 5000, now: () => performance.now() });
    console.log(JSON.stringify(r, null, 1));
    if (r.status !== 'infeasible') expect(checkConfiguration(inst, r.target)).toEqual([]);
  });
});
