/**
 * Small dependency-free SVG line charts for the bench: series of points with an optional band
 * (the spread over seeds: min–max) around a median line, linear or log axes.
 */

/** One point of a series: x, the median y, and the spread (min and max over seeds). */
export interface ChartPoint {
  readonly x: number;
  readonly y: number;
  readonly lo?: number;
  readonly hi?: number;
  /** A horizontal spread instead (e.g. a CDF: the spread of x at a quantile). */
  readonly xlo?: number;
  readonly xhi?: number;
}
/** A named series. */
export interface ChartSeries {
  readonly name: string;
  readonly points: readonly ChartPoint[];
}
/** Options of {@link lineChart}. */
export interface ChartOptions {
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly logX?: boolean;
  readonly logY?: boolean;
  /** Draw markers only (no line between points). */
  readonly markers?: boolean;
  /** Step line (for CDFs). */
  readonly step?: boolean;
  readonly width?: number;
  readonly height?: number;
}

/** Series colours (colour-blind friendly order). */
export const COLORS = ['#4c78a8', '#f58518', '#54a24b', '#e45756', '#72b7b2', '#b279a2', '#8c8c8c', '#9d755d'];

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function ticks(lo: number, hi: number, log: boolean): number[] {
  if (log) {
    const out: number[] = [];
    for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) out.push(10 ** e);
    return out;
  }
  const span = hi - lo || 1;
  const step = 10 ** Math.floor(Math.log10(span / 5));
  const nice = [1, 2, 5, 10].map((m) => m * step).find((s) => span / s <= 8) ?? step * 10;
  const out: number[] = [];
  for (let t = Math.ceil(lo / nice) * nice; t <= hi + 1e-9; t += nice) out.push(Number(t.toPrecision(6)));
  return out;
}

const fmt = (v: number): string => (Math.abs(v) >= 1000 || (Math.abs(v) < 0.01 && v !== 0) ? v.toExponential(0) : String(Number(v.toPrecision(3))));

/**
 * An SVG line chart: a median line per series with its min–max band.
 * @param series - the series
 * @param o - title, axis labels, scales
 * @returns the SVG text
 * @example
 * ```ts
 * writeFileSync('cdf.svg', lineChart([{ name: 'switch', points }], { title: 'CDF', xLabel: 'h', yLabel: 'share' }));
 * ```
 */
export function lineChart(series: readonly ChartSeries[], o: ChartOptions): string {
  const W = o.width ?? 800;
  const H = o.height ?? 420;
  const left = 70;
  const right = W - 230;
  const top = 40;
  const bottom = H - 50;
  const all = series.flatMap((s) => s.points);
  const xs = all.flatMap((p) => [p.x, p.xlo ?? p.x, p.xhi ?? p.x]).filter((v) => !o.logX || v > 0);
  const ys = all.flatMap((p) => [p.y, p.lo ?? p.y, p.hi ?? p.y]).filter((v) => !o.logY || v > 0);
  let x0 = Math.min(...xs, o.logX ? Infinity : 0);
  let x1 = Math.max(...xs);
  let y0 = o.logY ? Math.min(...ys) : Math.min(0, ...ys);
  let y1 = Math.max(...ys);
  if (!Number.isFinite(x0) || !Number.isFinite(x1)) [x0, x1] = [o.logX ? 1 : 0, 1];
  if (!Number.isFinite(y0) || !Number.isFinite(y1)) [y0, y1] = [o.logY ? 1 : 0, 1];
  if (o.logX) [x0, x1] = [10 ** Math.floor(Math.log10(x0)), 10 ** Math.ceil(Math.log10(x1))];
  if (o.logY) [y0, y1] = [10 ** Math.floor(Math.log10(y0)), 10 ** Math.ceil(Math.log10(y1))];
  if (x1 <= x0) x1 = x0 + 1;
  if (y1 <= y0) y1 = y0 + 1;
  const tx = (v: number): number => (o.logX ? left + ((Math.log10(v) - Math.log10(x0)) / (Math.log10(x1) - Math.log10(x0))) * (right - left) : left + ((v - x0) / (x1 - x0)) * (right - left));
  const ty = (v: number): number => (o.logY ? bottom - ((Math.log10(Math.max(v, y0)) - Math.log10(y0)) / (Math.log10(y1) - Math.log10(y0))) * (bottom - top) : bottom - ((v - y0) / (y1 - y0)) * (bottom - top));
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="11">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="10" y="20" font-size="13">${esc(o.title)}</text>`,
  ];
  for (const t of ticks(x0, x1, o.logX ?? false)) {
    parts.push(`<line x1="${tx(t).toFixed(1)}" x2="${tx(t).toFixed(1)}" y1="${top}" y2="${bottom}" stroke="#eee"/><text x="${tx(t).toFixed(1)}" y="${bottom + 14}" text-anchor="middle">${fmt(t)}</text>`);
  }
  for (const t of ticks(y0, y1, o.logY ?? false)) {
    parts.push(`<line x1="${left}" x2="${right}" y1="${ty(t).toFixed(1)}" y2="${ty(t).toFixed(1)}" stroke="#eee"/><text x="${left - 6}" y="${(ty(t) + 4).toFixed(1)}" text-anchor="end">${fmt(t)}</text>`);
  }
  parts.push(`<line x1="${left}" x2="${right}" y1="${bottom}" y2="${bottom}" stroke="#666"/><line x1="${left}" x2="${left}" y1="${top}" y2="${bottom}" stroke="#666"/>`);
  parts.push(`<text x="${(left + right) / 2}" y="${H - 12}" text-anchor="middle">${esc(o.xLabel)}</text>`);
  parts.push(`<text x="16" y="${(top + bottom) / 2}" text-anchor="middle" transform="rotate(-90 16 ${(top + bottom) / 2})">${esc(o.yLabel)}</text>`);
  series.forEach((s, i) => {
    const c = COLORS[i % COLORS.length]!;
    const pts = s.points.filter((p) => (!o.logX || p.x > 0) && (!o.logY || p.y > 0));
    const banded = pts.filter((p) => p.lo !== undefined && p.hi !== undefined);
    if (banded.length > 1 && !o.markers) {
      const upper = banded.map((p) => `${tx(p.x).toFixed(1)},${ty(p.hi!).toFixed(1)}`);
      const lower = [...banded].reverse().map((p) => `${tx(p.x).toFixed(1)},${ty(p.lo!).toFixed(1)}`);
      parts.push(`<polygon points="${[...upper, ...lower].join(' ')}" fill="${c}" fill-opacity="0.18" stroke="none"/>`);
    }
    const xbanded = pts.filter((p) => p.xlo !== undefined && p.xhi !== undefined);
    if (xbanded.length > 1 && !o.markers) {
      const upper = xbanded.map((p) => `${tx(p.xhi!).toFixed(1)},${ty(p.y).toFixed(1)}`);
      const lower = [...xbanded].reverse().map((p) => `${tx(p.xlo!).toFixed(1)},${ty(p.y).toFixed(1)}`);
      parts.push(`<polygon points="${[...upper, ...lower].join(' ')}" fill="${c}" fill-opacity="0.15" stroke="none"/>`);
    }
    if (!o.markers && pts.length > 1) {
      const path: string[] = [];
      pts.forEach((p, k) => {
        if (k > 0 && o.step) path.push(`${tx(p.x).toFixed(1)},${ty(pts[k - 1]!.y).toFixed(1)}`);
        path.push(`${tx(p.x).toFixed(1)},${ty(p.y).toFixed(1)}`);
      });
      parts.push(`<polyline points="${path.join(' ')}" fill="none" stroke="${c}" stroke-width="2"/>`);
    }
    if (o.markers || pts.length <= 12) {
      for (const p of pts) {
        if (p.lo !== undefined && p.hi !== undefined) parts.push(`<line x1="${tx(p.x).toFixed(1)}" x2="${tx(p.x).toFixed(1)}" y1="${ty(p.lo).toFixed(1)}" y2="${ty(p.hi).toFixed(1)}" stroke="${c}"/>`);
        parts.push(`<circle cx="${tx(p.x).toFixed(1)}" cy="${ty(p.y).toFixed(1)}" r="3" fill="${c}"><title>${esc(s.name)}: ${fmt(p.x)}, ${fmt(p.y)}</title></circle>`);
      }
    }
    parts.push(`<rect x="${right + 15}" y="${top + i * 18}" width="12" height="12" fill="${c}"/><text x="${right + 32}" y="${top + i * 18 + 10}">${esc(s.name)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}

/** Median of a non-empty list. */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/**
 * Groups values by key and gives, per key, the median and the min–max spread.
 * @param rows - the values with their keys
 * @returns per key: median, min, max and count
 */
export function spread<K>(rows: readonly (readonly [K, number])[]): Map<K, { y: number; lo: number; hi: number; n: number }> {
  const by = new Map<K, number[]>();
  for (const [k, v] of rows) {
    const l = by.get(k) ?? [];
    l.push(v);
    by.set(k, l);
  }
  return new Map([...by].map(([k, l]) => [k, { y: median(l), lo: Math.min(...l), hi: Math.max(...l), n: l.length }] as const));
}
