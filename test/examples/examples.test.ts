/**
 * Every example in examples/ runs: each `*.ts` file there is imported (as a user would run it)
 * and must finish without throwing; the examples check their own results with node:assert.
 * A new example file is picked up automatically; `npm run typecheck` type-checks them all
 * (examples/ is in tsconfig.json's include).
 */
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const dir = new URL('../../examples/', import.meta.url);
const files = readdirSync(dir).filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts')).sort();

describe('examples', () => {
  it('include every scenario of the documentation', () => {
    expect(files).toEqual(
      expect.arrayContaining([
        'quickstart.ts',
        'context-switch.ts',
        'maintenance.ts',
        'reservation.ts',
        'custom-executor.ts',
        'custom-admission-policy.ts',
        'qemu-lab.ts',
        'btrplace-import.ts',
      ]),
    );
  });
  for (const f of files) {
    it(`${f} runs and its checks pass`, async () => {
      await import(new URL(f, dir).href);
    });
  }
});
