/**
 * The SVG picture of a plan: a static image (for a README, a paper or an issue) with the headline
 * figures, a legend, and the Gantt chart of the actions, one lane per node, each bar a `rect`
 * carrying `data-action` and a `title` (the browser's tooltip: the action and what it waits for).
 */
import type { Instance } from '../model/instance.js';
import { type Plan } from '../plan/types.js';
import { ACTION_TYPES, type Action } from '../model/action.js';
import { actionSubject, formatSeconds, layoutPlan, type ChartLane, type PlanChart } from './layout.js';
import { ACTION_COLOURS, escapeMarkup as esc, num, percent } from './style.js';

/** Options of the SVG picture. */
export interface RenderSvgOptions {
  /** Title at the top (default: the plan's status and size). */
  readonly title?: string;
  /** Width in pixels (default 1200, at least 700). */
  readonly width?: number;
}

const ROW = 18;
const BAR = 14;
const METER = 14;
const PAD = 4;
const NAME_W = 150;
const LOAD_W = 250;
const MARGIN = 12;
const CHAR_W = 6;

function laneHeight(lane: ChartLane, resources: number): number {
  return Math.max(lane.rows * ROW, resources * METER, ROW) + 2 * PAD;
}

function tooltip(chart: PlanChart, actions: readonly Action[], i: number): string {
  const a = actions[i]!;
  const route = 'from' in a && 'to' in a ? ` ${a.from} → ${a.to}` : 'to' in a ? ` → ${a.to}` : 'from' in a ? ` on ${a.from}` : '';
  const waits = (chart.after[i] ?? []).map((j) => `#${actions[j]!.id}`).join(', ') || 'none';
  return `#${a.id} ${a.type} ${actionSubject(a)}${route}, ${num(a.start, 3)}–${num(a.end, 3)} s; waits for: ${waits}`;
}

/**
 * Writes the SVG picture of a plan.
 *
 * @param instance - the instance the plan is for
 * @param plan - the plan
 * @param options - title and width
 * @returns an SVG document
 * @example
 * ```ts
 * writeFileSync('plan.svg', renderPlanSvg(instance, plan));
 * ```
 */
export function renderPlanSvg(instance: Instance, plan: Plan, options: RenderSvgOptions = {}): string {
  const chart = layoutPlan(instance, plan);
  const actions = plan.actions as readonly Action[];
  const W = Math.max(700, Math.round(options.width ?? 1200));
  const trackX = MARGIN + NAME_W;
  const trackW = W - 2 * MARGIN - NAME_W - LOAD_W;
  const loadX = trackX + trackW + 10;
  const x = (t: number): number => trackX + (trackW * t) / chart.span;
  const R = chart.resources.length;
  const title =
    options.title ??
    `switchyard plan: ${plan.status}, ${actions.length} action${actions.length === 1 ? '' : 's'} on ${chart.lanes.length} node${chart.lanes.length === 1 ? '' : 's'}`;

  const out: string[] = [];
  let y = MARGIN + 16;
  out.push(`<text x="${MARGIN}" y="${y}" class="h1">${esc(title)}</text>`);
  y += 22;
  out.push(`<text x="${MARGIN}" y="${y}">${esc(chart.stats.map((s) => `${s.label}: ${s.value}`).join('   ·   '))}</text>`);
  y += 22;
  let lx = MARGIN;
  for (const t of ACTION_TYPES) {
    out.push(`<rect x="${lx}" y="${y - 10}" width="18" height="11" rx="2" fill="${ACTION_COLOURS[t]}"/>`);
    const label = `${t} ${chart.counts[t]}`;
    out.push(`<text x="${lx + 22}" y="${y}">${label}</text>`);
    lx += 22 + label.length * 7 + 14;
  }
  out.push(`<rect x="${lx}" y="${y - 10}" width="18" height="11" rx="2" fill="url(#dst-migrate)"/>`);
  out.push(`<text x="${lx + 22}" y="${y}">arrival side of a migration</text>`);
  y += 20;
  if (R > 0) {
    const cl = chart.cluster
      .map((l) => `${l.resource} ${percent(l.before, l.capacity)} → ${percent(l.after, l.capacityAfter)}`)
      .join(', ');
    out.push(`<text x="${MARGIN}" y="${y}">${esc(`cluster load (online nodes ${chart.onlineBefore} → ${chart.onlineAfter}): ${cl}`)}</text>`);
    y += 20;
  }
  for (const r of chart.reasons) {
    out.push(`<text x="${MARGIN}" y="${y}" class="reason">${esc(`infeasible: ${r}`)}</text>`);
    y += 18;
  }

  // Axis.
  y += 8;
  const axisY = y;
  out.push(`<text x="${MARGIN}" y="${axisY}" class="hdr">node</text>`);
  out.push(`<text x="${loadX}" y="${axisY}" class="hdr">load before → after</text>`);
  for (const t of chart.ticks) out.push(`<text x="${num(x(t), 1)}" y="${axisY}" class="tick">${esc(formatSeconds(t))}</text>`);
  y += 6;
  const lanesTop = y;
  let lanesH = 0;
  for (const l of chart.lanes) lanesH += laneHeight(l, R);
  for (const t of chart.ticks) {
    out.push(`<line x1="${num(x(t), 1)}" x2="${num(x(t), 1)}" y1="${lanesTop}" y2="${lanesTop + lanesH}" class="grid"/>`);
  }

  chart.lanes.forEach((lane, k) => {
    const h = laneHeight(lane, R);
    const top = y;
    out.push(`<g class="lane" data-node="${esc(lane.node)}">`);
    if (k % 2 === 1) out.push(`<rect x="${MARGIN}" y="${top}" width="${W - 2 * MARGIN}" height="${h}" class="alt"/>`);
    out.push(`<line x1="${MARGIN}" x2="${W - MARGIN}" y1="${top + h}" y2="${top + h}" class="sep"/>`);
    const name = lane.node.length > 22 ? `${lane.node.slice(0, 21)}…` : lane.node;
    out.push(`<text x="${MARGIN}" y="${top + 15}" class="node${lane.known ? '' : ' unknown'}">${esc(name)}</text>`);
    const state = !lane.known ? 'not in the instance' : lane.stateBefore === lane.stateAfter ? lane.stateBefore : `${lane.stateBefore} → ${lane.stateAfter}`;
    out.push(`<text x="${MARGIN}" y="${top + 28}" class="small">${state}</text>`);
    for (const bi of lane.bars) {
      const b = chart.bars[bi]!;
      const bx = x(b.start);
      const bw = Math.max(3, x(b.end) - bx);
      const by = top + PAD + b.row * ROW + (ROW - BAR) / 2;
      const fill = b.role === 'destination' ? `url(#dst-${b.type})` : ACTION_COLOURS[b.type];
      out.push(
        `<rect data-action="${b.id}" class="bar t-${b.type}" x="${num(bx, 1)}" y="${by}" width="${num(bw, 1)}" height="${BAR}" rx="2" fill="${fill}">` +
          `<title>${esc(tooltip(chart, actions, b.action))}</title></rect>`,
      );
      if (b.label.length * CHAR_W + 6 <= bw) {
        const dark = b.type === 'suspend' || b.type === 'resume';
        out.push(`<text x="${num(bx + 3, 1)}" y="${by + 10.5}" class="bl${dark ? ' dark' : ''}">${esc(b.label)}</text>`);
      }
    }
    lane.load.forEach((l, r) => {
      const my = top + PAD + r * METER;
      const frac = (q: number, c: number): number => (c > 0 ? Math.min(1, q / c) : q > 0 ? 1 : 0);
      const over = l.before > l.capacity * (1 + 1e-9) || l.after > l.capacityAfter * (1 + 1e-9);
      const rn = l.resource.length > 8 ? `${l.resource.slice(0, 7)}…` : l.resource;
      out.push(`<text x="${loadX}" y="${my + 10}" class="small">${esc(rn)}</text>`);
      out.push(`<rect x="${loadX + 56}" y="${my + 2}" width="100" height="9" class="mbg"/>`);
      out.push(`<rect x="${loadX + 56}" y="${my + 2}" width="${num(100 * frac(l.before, l.capacity), 1)}" height="4" class="${over ? 'mover' : 'mb'}"/>`);
      out.push(`<rect x="${loadX + 56}" y="${my + 7}" width="${num(100 * frac(l.after, l.capacityAfter), 1)}" height="4" class="${over ? 'mover' : 'ma'}"/>`);
      out.push(`<text x="${loadX + 162}" y="${my + 10}" class="small${over ? ' overt' : ''}">${percent(l.before, l.capacity)} → ${percent(l.after, l.capacityAfter)}</text>`);
    });
    out.push('</g>');
    y += h;
  });
  const H = y + MARGIN;

  const patterns = ACTION_TYPES.map(
    (t) =>
      `<pattern id="dst-${t}" width="8" height="8" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">` +
      `<rect width="8" height="8" fill="${ACTION_COLOURS[t]}" fill-opacity="0.65"/><rect width="4" height="8" fill="${ACTION_COLOURS[t]}"/></pattern>`,
  ).join('');
  const style =
    `text{font:12px system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;fill:#1a1a1a}.h1{font-size:16px;font-weight:600}` +
    `.hdr{font-weight:600;fill:#444}.tick{font-size:11px;fill:#555;text-anchor:middle}.small{font-size:11px;fill:#666}` +
    `.node{font-weight:600}.unknown{fill:#a00}.reason{fill:#a00}.bl{font-size:10px;fill:#fff}.bl.dark{fill:#111}` +
    `.grid{stroke:#e3e3e3;stroke-dasharray:3 3}.sep{stroke:#eee}.alt{fill:#000;fill-opacity:0.018}` +
    `.mbg{fill:#eee}.mb{fill:#999}.ma{fill:#2b7}.mover{fill:#c00}.overt{fill:#c00;font-weight:600}`;
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n` +
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" ` +
    `data-lanes="${chart.lanes.length}" data-bars="${chart.bars.length}" data-actions="${actions.length}">\n` +
    `<title>${esc(title)}</title>\n<defs>${patterns}<style>${style}</style></defs>\n` +
    `<rect width="${W}" height="${H}" fill="#fff"/>\n` +
    `${out.join('\n')}\n</svg>\n`
  );
}
