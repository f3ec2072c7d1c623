/**
 * The packed tarball loads both ways: `import` (ESM) and `require` (CommonJS, on a Node that can
 * require ES modules: 20.19 and later), the two give the same module, the `switchyard/workload`
 * subpath works, engine internals are not on the main entry, and the types resolve for a
 * TypeScript consumer.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packedProject, ROOT, type PackedProject } from './packed.js';

const INTERNALS = ['indexInstance', 'VM_STATE_CODE', 'VM_STATE_OF_CODE', 'assemblePlan', 'specFor', 'heterogeneousCluster', 'repairWorkload', 'partitionNodes'];
const [major, minor] = process.versions.node.split('.').map(Number) as [number, number];
const canRequireEsm = (major === 20 && minor >= 19) || (major === 22 && minor >= 12) || major >= 23;

describe('the packed package', () => {
  let p: PackedProject;
  beforeAll(async () => {
    p = await packedProject();
  }, 120_000);
  afterAll(() => p?.remove());

  it('ships the build, the schemas and the README, not the tests or sources', () => {
    expect(p.files).toContain('dist/src/index.js');
    expect(p.files).toContain('dist/src/index.d.ts');
    expect(p.files).toContain('dist/src/workload/index.js');
    expect(p.files).toContain('README.md');
    expect(p.files.some((f) => f.startsWith('docs/schema/'))).toBe(true);
    expect(p.files.filter((f) => f.startsWith('test/') || f.startsWith('src/') || f.startsWith('dist/test/'))).toEqual([]);
  });

  it('imports as an ES module: the API, the workload subpath, and no engine internals', async () => {
    const script = `
      import * as sy from 'switchyard';
      import * as wl from 'switchyard/workload';
      const inst = wl.heterogeneousCluster({ nodes: 4, vms: 8, seed: 1 });
      const plan = await sy.planInstance(inst, { seed: 1, timeLimitMs: 2000 });
      console.log(JSON.stringify({
        version: sy.VERSION, plan: typeof sy.planInstance, render: typeof sy.renderPlan,
        status: plan.status, valid: sy.verifyPlan(inst, plan).ok, repair: typeof wl.repairWorkload,
        internals: ${JSON.stringify(INTERNALS)}.filter((k) => k in sy),
      }));`;
    const { stdout } = await p.node(['--input-type=module', '-e', script]);
    const out = JSON.parse(stdout) as Record<string, unknown>;
    expect(out).toMatchObject({ plan: 'function', render: 'function', valid: true, repair: 'function', internals: [] });
    expect(out['status']).not.toBe('infeasible');
  });

  it(canRequireEsm ? 'requires from CommonJS and gets the same module as import' : 'fails to require on a Node without require(esm), as documented', async () => {
    const script = `
      const sy = require('switchyard');
      const wl = require('switchyard/workload');
      import('switchyard').then((esm) => {
        console.log(JSON.stringify({
          same: esm.planInstance === sy.planInstance && esm.SwitchyardError === sy.SwitchyardError,
          parse: sy.parseInstance('{').ok, workload: typeof wl.heterogeneousCluster,
          internals: ${JSON.stringify(INTERNALS)}.filter((k) => k in sy),
        }));
      });`;
    if (!canRequireEsm) {
      await expect(p.node(['-e', script])).rejects.toThrow(/ERR_REQUIRE_ESM|require\(\) of ES Module/);
      return;
    }
    const { stdout, stderr } = await p.node(['-e', script]);
    expect(JSON.parse(stdout)).toEqual({ same: true, parse: false, workload: 'function', internals: [] });
    expect(stderr).not.toMatch(/ERR_/);
  });

  it('gives a TypeScript consumer the types of both entry points', async () => {
    writeFileSync(
      join(p.dir, 'consumer.mts'),
      `import { planInstance, type Plan, type BackendName, type TaskRunner, defaultRunner } from 'switchyard';
import { heterogeneousCluster, type ClusterOptions } from 'switchyard/workload';
const options: ClusterOptions = { nodes: 2, vms: 2, seed: 1 };
const backend: BackendName = 'highs';
const runner: TaskRunner = defaultRunner(1);
export const plan: Promise<Plan> = planInstance(heterogeneousCluster(options));
void backend; void runner.close();
// @ts-expect-error engine internals are not exported
import { indexInstance } from 'switchyard';
void indexInstance;
`,
    );
    writeFileSync(
      join(p.dir, 'tsconfig.json'),
      JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', strict: true, noEmit: true, skipLibCheck: true, types: [] }, files: ['consumer.mts'] }),
    );
    await p.node([join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json']);
  });
});
