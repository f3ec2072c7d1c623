/**
 * A readable summary of a plan for people: a fixed-width table of its actions and a stats line.
 */
import type { Instance } from '../model/instance.js';
import type { Plan } from './types.js';
import type { Action } from '../model/action.js';

/** Options of {@link summarizePlan}. */
export interface SummaryOptions {
  /** Most action rows shown (default 200); the rest are counted in one line. */
  readonly maxRows?: number;
}

/** Seconds with at most three decimals, no trailing zeros beyond one. */
function secs(t: number): string {
  if (!Number.isFinite(t)) return String(t);
  const s = (Math.round(t * 1000) / 1000).toFixed(3).replace(/0+$/, '').replace(/\.$/, '.0');
  return s;
}

function subject(a: Action): string {
  return a.type === 'bootNode' || a.type === 'shutdownNode' ? a.node : a.vm;
}

function route(a: Action): string {
  switch (a.type) {
    case 'migrate':
    case 'resume':
      return `${a.from} → ${a.to}`;
    case 'boot':
      return `→ ${a.to}`;
    case 'shutdown':
    case 'suspend':
      return `${a.from}`;
    default:
      return '';
  }
}

/**
 * Summarises a plan: a header (status, number of actions by type, makespan), a fixed-width table
 * of the actions (id, start, end, type, VM or node, from → to, after) in plan order, and a stats
 * line. For an infeasible plan: the status and every reason.
 * @param plan - the plan
 * @param instance - its instance (for the cluster size in the header)
 * @param options - how many rows to show
 * @returns the text, ending with a newline
 * @example
 * ```ts
 * process.stderr.write(summarizePlan(plan, instance));
 * ```
 */
export function summarizePlan(plan: Plan, instance: Instance, options: SummaryOptions = {}): string {
  const lines: string[] = [];
  const size = `${instance.nodes.size} nodes, ${instance.vms.size} VMs`;
  if (plan.status === 'infeasible') {
    const unproved = plan.x?.['unproved'] === true ? ', not proved: a search budget ran out' : '';
    lines.push(`plan: infeasible (${size}${unproved}): ${plan.reasons.length} reason${plan.reasons.length === 1 ? '' : 's'}`);
    for (const r of plan.reasons) lines.push(`  - ${r.message}`);
    return `${lines.join('\n')}\n`;
  }
  const actions = plan.actions;
  const counts = new Map<string, number>();
  for (const a of actions) counts.set(a.type, (counts.get(a.type) ?? 0) + 1);
  const byType = [...counts].map(([t, c]) => `${c} ${t}`).join(', ');
  const st = plan.stats;
  const bound = st.x?.['makespanLowerBound'];
  const boundText = typeof bound === 'number' ? ` (lower bound ${secs(bound)} s)` : '';
  lines.push(
    `plan: ${plan.status} (${size}): ${actions.length} action${actions.length === 1 ? '' : 's'}${byType ? ` (${byType})` : ''}, makespan ${secs(st.makespan)} s${boundText}`,
  );
  if (actions.length > 0) {
    const max = Math.max(0, options.maxRows ?? 200);
    const shown = actions.slice(0, max);
    const rows = shown.map((a) => [
      String(a.id),
      secs(a.start),
      secs(a.end),
      a.type,
      subject(a),
      route(a),
      (a.after ?? []).join(','),
    ]);
    const head = ['id', 'start', 'end', 'type', 'vm/node', 'from → to', 'after'];
    const width = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
    const right = [true, true, true, false, false, false, false];
    const fmt = (r: readonly string[]): string =>
      r
        .map((c, i) => (right[i] ? c.padStart(width[i]!) : c.padEnd(width[i]!)))
        .join('  ')
        .trimEnd();
    lines.push(fmt(head));
    for (const r of rows) lines.push(fmt(r));
    if (actions.length > shown.length) lines.push(`… ${actions.length - shown.length} more actions`);
  }
  lines.push(
    `stats: ${st.nodesUsed} nodes used (lower bound ${st.lowerBound}), ${st.migrations} migration${st.migrations === 1 ? '' : 's'} ` +
      `(${st.migratedMemory} MiB), makespan ${secs(st.makespan)} s, solve ${Math.round(st.solveMs)} ms, plan ${Math.round(st.planMs)} ms`,
  );
  return `${lines.join('\n')}\n`;
}
