/**
 * Pictures of plans for people: an SVG image or a self-contained HTML report (Gantt chart per
 * node, dependencies on hover, node load before and after, headline figures). Pure functions
 * from an instance and a plan to a string; writing the file is the caller's business.
 */
import type { Instance } from '../model/instance.js';
import type { Plan } from '../plan/types.js';
import { renderPlanHtml, type RenderHtmlOptions } from './html.js';
import { renderPlanSvg, type RenderSvgOptions } from './svg.js';

/** The two kinds of picture. */
export type RenderFormat = 'svg' | 'html';

/** Options of {@link renderPlan}: the format, and the options of that format's writer. */
export interface RenderOptions extends RenderHtmlOptions, RenderSvgOptions {
  /** `html` (default): the interactive report; `svg`: a static image. */
  readonly format?: RenderFormat;
}

/**
 * Draws a plan: a Gantt chart with one lane per node that has actions, bars coloured by action
 * type (a migration on both its nodes, its destination labelled), each bar an element carrying
 * `data-action="<id>"`; the load of each lane's node before and after, per resource; the
 * cluster's load and the plan's headline figures. The HTML report is one file that makes no
 * network request; past `virtualizeAbove` actions (default 1,000) it draws only the lanes in view.
 *
 * @param instance - the instance the plan is for
 * @param plan - any plan in the exchange format (an infeasible one shows its reasons)
 * @param options - format (`html` or `svg`), title, SVG width, virtualisation threshold
 * @returns the document text
 * @example
 * ```ts
 * const plan = await planInstance(instance);
 * writeFileSync('plan.html', renderPlan(instance, plan));
 * writeFileSync('plan.svg', renderPlan(instance, plan, { format: 'svg' }));
 * ```
 */
export function renderPlan(instance: Instance, plan: Plan, options: RenderOptions = {}): string {
  return (options.format ?? 'html') === 'svg' ? renderPlanSvg(instance, plan, options) : renderPlanHtml(instance, plan, options);
}
