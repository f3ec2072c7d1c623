/**
 * The HTML report of a plan: one self-contained page (inline style and script, a Content Security
 * Policy that forbids every network request) with the headline figures, the cluster's load, and a
 * Gantt chart of the actions, one lane per node, dependencies shown on hover.
 *
 * Up to {@link RenderHtmlOptions.virtualizeAbove} actions every bar is in the page's markup. Past
 * that, the lanes' markup is carried as data and only the lanes in view (plus a margin) are in
 * the document at any time, so a plan of 10,000 actions scrolls as smoothly as one of 100.
 */
import type { ActionType } from '../model/action.js';
import { type Plan } from '../plan/types.js';
import { ACTION_TYPES, type Action } from '../model/action.js';
import type { Instance } from '../model/instance.js';
import { formatSeconds, layoutPlan, actionSubject, type ChartLane, type PlanChart, type ResourceLoad } from './layout.js';
import { ACTION_COLOURS, escapeMarkup as esc, num, percent, scriptJson } from './style.js';

/** Options of the HTML report. */
export interface RenderHtmlOptions {
  /** Title of the page (default: the plan's status and size). */
  readonly title?: string;
  /**
   * Past this many actions only the lanes in view are in the document (default 1,000). At or
   * below it, every bar is in the page.
   */
  readonly virtualizeAbove?: number;
}

const ROW = 18;
const BAR = 14;
const METER = 14;
const PAD = 4;

/**
 * The height in pixels of a lane: its sub-rows, or its load meters if they need more.
 * @param lane - the lane
 * @param resources - number of resources shown
 * @returns pixels
 */
function laneHeight(lane: ChartLane, resources: number): number {
  return Math.max(lane.rows * ROW, resources * METER, ROW) + 2 * PAD;
}

function meter(l: ResourceLoad): string {
  const w = (q: number, c: number): string => (c > 0 ? num(Math.min(100, (100 * q) / c), 1) : q > 0 ? '100' : '0');
  const over = (q: number, c: number): boolean => q > c * (1 + 1e-9) && q > 0;
  const cls = over(l.before, l.capacity) || over(l.after, l.capacityAfter) ? ' over' : '';
  return (
    `<div class="meter${cls}" title="${esc(`${l.resource}: ${num(l.before)} → ${num(l.after)} of ${num(l.capacity)}`)}">` +
    `<span class="rn">${esc(l.resource)}</span>` +
    `<span class="m"><i class="b" style="width:${w(l.before, l.capacity)}%"></i><i class="a" style="width:${w(l.after, l.capacityAfter)}%"></i></span>` +
    `<span class="v">${percent(l.before, l.capacity)} → ${percent(l.after, l.capacityAfter)}</span></div>`
  );
}

function laneMarkup(chart: PlanChart, lane: ChartLane, k: number, top: number, height: number): string {
  const pct = (t: number): string => num((100 * t) / chart.span, 3);
  const bars = lane.bars
    .map((k) => {
      const b = chart.bars[k]!;
      const role = b.role === 'main' ? '' : b.role === 'source' ? ' src' : ' dst';
      return (
        `<div class="bar t-${b.type}${role}" data-action="${b.id}" style="left:${pct(b.start)}%;width:${pct(b.end - b.start)}%;top:${PAD + b.row * ROW + (ROW - BAR) / 2}px">` +
        `${esc(b.label)}</div>`
      );
    })
    .join('');
  const state =
    lane.stateBefore === lane.stateAfter ? lane.stateBefore : `${lane.stateBefore} → ${lane.stateAfter}`;
  const unknown = (lane.known ? '' : ' unknown') + (k % 2 === 1 ? ' alt' : '');
  return (
    `<div class="lane${unknown}" data-node="${esc(lane.node)}" style="top:${top}px;height:${height}px">` +
    `<div class="name" title="${esc(lane.node)}"><b>${esc(lane.node)}</b><small>${lane.known ? state : 'not in the instance'}</small></div>` +
    `<div class="track">${bars}</div>` +
    `<div class="load">${lane.load.map(meter).join('')}</div></div>`
  );
}

const CSS = `
:root{--name:180px;--load:275px;font:13px/1.35 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1a1a1a;background:#fff}
body{margin:0;padding:16px 20px 40px}
h1{font-size:18px;margin:0 0 10px}
.stats{display:flex;flex-wrap:wrap;gap:8px;margin-bottom:10px}
.stat{border:1px solid #ddd;border-radius:6px;padding:4px 10px;background:#fafafa}
.stat span{display:block;font-size:11px;color:#666;text-transform:uppercase;letter-spacing:.03em}
.stat b{font-size:15px}
.legend{display:flex;flex-wrap:wrap;gap:12px;margin:6px 0 10px;align-items:center}
.legend .sw{display:inline-block;width:22px;height:12px;border-radius:2px;vertical-align:-1px;margin-right:4px}
.cluster{border-collapse:collapse;margin:0 0 12px}
.cluster td,.cluster th{padding:2px 10px 2px 0;text-align:left;font-variant-numeric:tabular-nums}
.cluster th{font-weight:600;color:#444}
.reasons{color:#a00}
.tools{margin:4px 0 8px;color:#444}
.tools input{width:90px}
.chart{position:relative;border-top:1px solid #ccc}
.axis{position:sticky;top:0;z-index:3;height:22px;background:#fff;border-bottom:1px solid #ccc}
.axis .hdr{position:absolute;top:3px;font-weight:600;color:#444}
.axis .tick{position:absolute;top:4px;transform:translateX(-50%);font-size:11px;color:#555;white-space:nowrap}
.grid{position:absolute;top:22px;bottom:0;left:var(--name);right:var(--load);pointer-events:none}
.grid i{position:absolute;top:0;bottom:0;border-left:1px dashed #e3e3e3}
.ticks{position:absolute;left:var(--name);right:var(--load);top:0;bottom:0}
#lanes{position:relative}
.lane{position:absolute;left:0;right:0;display:grid;grid-template-columns:var(--name) 1fr var(--load);border-bottom:1px solid #eee;box-sizing:border-box}
.lane.alt{background:rgba(0,0,0,.022)}
.lane.unknown .name{color:#a00}
.name{padding:3px 8px 0 0;overflow:hidden;white-space:nowrap;text-overflow:ellipsis}
.name small{display:block;color:#777;font-size:11px}
.track{position:relative}
.bar{position:absolute;height:${BAR}px;min-width:3px;border-radius:2px;color:#fff;font-size:10px;line-height:${BAR}px;padding:0 3px;box-sizing:border-box;white-space:nowrap;overflow:hidden;text-overflow:ellipsis;cursor:default}
${ACTION_TYPES.map((t) => `.t-${t}{background:${ACTION_COLOURS[t]}}`).join('\n')}
${ACTION_TYPES.map((t) => `.t-${t}.dst{background:repeating-linear-gradient(135deg,${ACTION_COLOURS[t]} 0 5px,${ACTION_COLOURS[t]}b0 5px 9px)}`).join('\n')}
.t-suspend,.t-resume{color:#111}
.hovering .bar{opacity:.25}
.hovering .bar.focus,.hovering .bar.dep,.hovering .bar.dependent{opacity:1}
.bar.focus{outline:2px solid #111;z-index:2}
.bar.dep{outline:2px solid #c00;z-index:2}
.bar.dependent{outline:2px dashed #6a3d9a;z-index:2}
.bar.found{outline:3px solid #f0c000;z-index:2}
.load{padding:2px 0 0 10px}
.meter{display:grid;grid-template-columns:54px 110px 1fr;align-items:center;height:${METER}px;font-size:11px;color:#444}
.meter .rn{overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
.meter .m{position:relative;height:9px;background:#eee;border-radius:2px;overflow:hidden}
.meter .m i{position:absolute;left:0;height:4px}
.meter .m .b{top:0;background:#999}
.meter .m .a{top:5px;background:#2b7}
.meter.over .v{color:#c00;font-weight:600}
.meter.over .m .a,.meter.over .m .b{background:#c00}
.meter .v{padding-left:6px;font-variant-numeric:tabular-nums;white-space:nowrap}
#tip{position:fixed;z-index:10;max-width:420px;background:#222;color:#fff;padding:6px 8px;border-radius:4px;font-size:12px;pointer-events:none;white-space:pre-line}
`;

/** The page's script: hover (dependencies), find-by-id, and, in virtual mode, drawing the lanes in view. Builds text with textContent only. */
const SCRIPT = `
(function(){
"use strict";
var data=JSON.parse(document.getElementById('plan-data').textContent);
var acts=data.actions, lanesEl=document.getElementById('lanes'), tip=document.getElementById('tip');
var idx=new Map(); acts.forEach(function(a,i){ if(!idx.has(a[0])) idx.set(a[0],i); });
var dependents=acts.map(function(){return [];});
acts.forEach(function(a,i){ a[7].forEach(function(j){ dependents[j].push(i); }); });
var focus=-1, found=-1;
function classify(){
  var deps=focus<0?null:new Set(acts[focus][7]), down=focus<0?null:new Set(dependents[focus]);
  lanesEl.classList.toggle('hovering',focus>=0);
  var bars=lanesEl.querySelectorAll('.bar');
  for(var k=0;k<bars.length;k++){
    var b=bars[k], i=idx.get(Number(b.getAttribute('data-action')));
    b.classList.toggle('focus',i===focus&&focus>=0);
    b.classList.toggle('dep',!!deps&&deps.has(i));
    b.classList.toggle('dependent',!!down&&down.has(i));
    b.classList.toggle('found',i===found&&found>=0);
  }
}
function ids(list){ return list.length? list.map(function(j){return '#'+acts[j][0];}).join(', ') : 'none'; }
function describe(i){
  var a=acts[i], route=a[3]!==null&&a[4]!==null? a[3]+' \\u2192 '+a[4] : a[4]!==null? '\\u2192 '+a[4] : a[3]!==null? 'on '+a[3] : '';
  return '#'+a[0]+' '+a[1]+' '+a[2]+(route?' ('+route+')':'')+'\\n'+
    a[5]+' s \\u2013 '+a[6]+' s ('+Math.round((a[6]-a[5])*1000)/1000+' s)\\n'+
    'waits for: '+ids(a[7])+'\\nneeded by: '+ids(dependents[i]);
}
lanesEl.addEventListener('mouseover',function(e){
  var b=e.target.closest&&e.target.closest('[data-action]'); if(!b) return;
  var i=idx.get(Number(b.getAttribute('data-action'))); if(i===undefined) return;
  if(i!==focus){ focus=i; classify(); }
  tip.textContent=describe(i); tip.hidden=false;
});
lanesEl.addEventListener('mousemove',function(e){ tip.style.left=Math.min(e.clientX+14,innerWidth-430)+'px'; tip.style.top=(e.clientY+14)+'px'; });
lanesEl.addEventListener('mouseout',function(e){
  var to=e.relatedTarget; if(to&&to.closest&&to.closest('[data-action]')) return;
  focus=-1; tip.hidden=true; classify();
});
var lanes=data.lanes, first=-1, last=-1;
function draw(force){
  if(!lanes) return;
  var r=lanesEl.getBoundingClientRect(), top=-r.top-600, bottom=-r.top+innerHeight+600;
  var lo=0, hi=lanes.length;
  while(lo<hi){ var mid=(lo+hi)>>1; if(lanes[mid][0]+lanes[mid][1]<top) lo=mid+1; else hi=mid; }
  var end=lo; while(end<lanes.length&&lanes[end][0]<=bottom) end++;
  if(!force&&lo===first&&end===last) return;
  first=lo; last=end;
  var html=''; for(var k=lo;k<end;k++) html+=lanes[k][2];
  lanesEl.innerHTML=html; classify();
}
if(lanes){
  var pending=false;
  var schedule=function(){ if(pending) return; pending=true; requestAnimationFrame(function(){ pending=false; draw(false); }); };
  addEventListener('scroll',schedule,{passive:true}); addEventListener('resize',schedule);
  draw(true);
}
document.body.setAttribute('data-ready','true');
var find=document.getElementById('find');
find.addEventListener('change',function(){
  var i=idx.get(Number(find.value)); found=i===undefined?-1:i;
  var msg=document.getElementById('find-msg');
  if(found<0){ msg.textContent=' no action #'+find.value; classify(); return; }
  msg.textContent='';
  var lane=data.laneOf[found];
  if(lanes){ var y=lanesEl.getBoundingClientRect().top+scrollY+lanes[lane][0]-80; scrollTo(0,y); draw(true); }
  else { var el=lanesEl.children[lane]; if(el) el.scrollIntoView({block:'center'}); }
  classify();
});
})();
`;

/**
 * Writes the HTML report of a plan.
 *
 * @param instance - the instance the plan is for
 * @param plan - the plan
 * @param options - title and the virtualisation threshold
 * @returns the page, one self-contained HTML document
 * @example
 * ```ts
 * writeFileSync('plan.html', renderPlanHtml(instance, plan));
 * ```
 */
export function renderPlanHtml(instance: Instance, plan: Plan, options: RenderHtmlOptions = {}): string {
  const chart = layoutPlan(instance, plan);
  const actions = plan.actions as readonly Action[];
  const virtual = actions.length > (options.virtualizeAbove ?? 1000);
  const title =
    options.title ??
    `switchyard plan: ${plan.status}, ${actions.length} action${actions.length === 1 ? '' : 's'} on ${chart.lanes.length} node${chart.lanes.length === 1 ? '' : 's'}`;

  const R = chart.resources.length;
  const heights = chart.lanes.map((l) => laneHeight(l, R));
  const tops: number[] = [];
  let y = 0;
  for (const h of heights) {
    tops.push(y);
    y += h;
  }
  const laneHtml = chart.lanes.map((l, k) => laneMarkup(chart, l, k, tops[k]!, heights[k]!));
  const laneOf = new Array<number>(actions.length).fill(0);
  chart.lanes.forEach((l, k) => {
    for (const b of l.bars) {
      const a = chart.bars[b]!.action;
      if (chart.bars[b]!.role !== 'destination') laneOf[a] = k;
    }
  });
  const data = {
    actions: actions.map((a, i) => [
      a.id,
      a.type,
      actionSubject(a),
      'from' in a ? a.from : null,
      'to' in a ? a.to : null,
      a.start,
      a.end,
      chart.after[i] ?? [],
    ]),
    laneOf,
    lanes: virtual ? chart.lanes.map((_, k) => [tops[k]!, heights[k]!, laneHtml[k]!]) : null,
  };

  const pct = (t: number): string => num((100 * t) / chart.span, 3);
  const stats = chart.stats.map((s) => `<div class="stat"><span>${esc(s.label)}</span><b>${esc(s.value)}</b></div>`).join('');
  const legend = ACTION_TYPES.map(
    (t: ActionType) => `<span><i class="sw t-${t}"></i>${t} <b>${chart.counts[t]}</b></span>`,
  ).join('');
  const clusterRows = chart.cluster
    .map(
      (l) =>
        `<tr><td>${esc(l.resource)}</td><td>${num(l.before)} / ${num(l.capacity)} (${percent(l.before, l.capacity)})</td>` +
        `<td>${num(l.after)} / ${num(l.capacityAfter)} (${percent(l.after, l.capacityAfter)})</td></tr>`,
    )
    .join('');
  const reasons =
    chart.reasons.length > 0 ? `<h2>Why it is infeasible</h2><ul class="reasons">${chart.reasons.map((r) => `<li>${esc(r)}</li>`).join('')}</ul>` : '';
  const ticks = chart.ticks.map((t) => `<span class="tick" style="left:${pct(t)}%">${esc(formatSeconds(t))}</span>`).join('');
  const grid = chart.ticks.map((t) => `<i style="left:${pct(t)}%"></i>`).join('');
  const note = virtual
    ? `${chart.lanes.length} lanes, ${chart.bars.length} bars: only the lanes in view are drawn. `
    : `${chart.lanes.length} lanes, ${chart.bars.length} bars. `;

  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="switchyard">
<title>${esc(title)}</title>
<style>${CSS}</style>
</head>
<body data-mode="${virtual ? 'virtual' : 'static'}" data-lanes="${chart.lanes.length}" data-bars="${chart.bars.length}" data-actions="${actions.length}">
<h1>${esc(title)}</h1>
<div class="stats">${stats}</div>
<div class="legend">${legend}<span><i class="sw t-migrate dst"></i>arrival side of a migration</span></div>
${R > 0 ? `<table class="cluster"><tr><th>resource (online nodes)</th><th>before: ${chart.onlineBefore} online</th><th>after: ${chart.onlineAfter} online</th></tr>${clusterRows}</table>` : ''}
${reasons}
<div class="tools">${note}Hover a bar: its dependencies (<span style="color:#c00">waits for</span>, <span style="color:#6a3d9a">needed by</span>). Find action <input id="find" type="number" min="0" aria-label="action id"><span id="find-msg"></span></div>
<div class="chart">
<div class="axis"><span class="hdr" style="left:0">node</span><div class="ticks">${ticks}</div><span class="hdr" style="right:0;width:var(--load)">load before → after</span></div>
<div class="grid">${grid}</div>
<div id="lanes" style="height:${y}px">${virtual ? '' : laneHtml.join('\n')}</div>
</div>
<div id="tip" hidden></div>
<script type="application/json" id="plan-data">${scriptJson(data)}</script>
<script>${SCRIPT}</script>
</body>
</html>
`;
}
