import { it } from 'vitest';
import { syntheticPlan } from './support.js';
import { layoutPlan } from '../../src/report/layout.js';
import { renderPlan } from '../../src/report/render.js';
it('prof', () => {
  const p = syntheticPlan(10_000, 2_000, 7);
  for (let k = 0; k < 3; k++) {
  let t = Date.now(); layoutPlan(p.instance, p.plan); const a = Date.now() - t;
  t = Date.now(); renderPlan(p.instance, p.plan); const b = Date.now() - t;
  t = Date.now(); renderPlan(p.instance, p.plan, {format: 'svg'}); const c = Date.now() - t;
  process.stderr.write(`P layout ${a} html ${b} svg ${c}\n`);
  }
});
