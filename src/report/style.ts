/**
 * What the SVG and HTML writers share: the colour of each action type, the text of the legend,
 * and escaping of untrusted names (VM and node ids) for markup and for inline JSON.
 */
import type { ActionType } from '../model/action.js';

/** Fill colour of each action type (Okabe–Ito palette: tells apart under the common colour blindnesses). */
export const ACTION_COLOURS = {
  migrate: '#0072B2',
  boot: '#009E73',
  shutdown: '#D55E00',
  suspend: '#E69F00',
  resume: '#56B4E9',
  bootNode: '#CC79A7',
  shutdownNode: '#4D4D4D',
} as const satisfies Readonly<Record<ActionType, string>>;

/**
 * Escapes text for HTML or XML content and attribute values.
 * @param text - untrusted text
 * @returns the text with `& < > " '` replaced by entities
 * @example
 * ```ts
 * escapeMarkup('<vm "a">'); // '&lt;vm &quot;a&quot;&gt;'
 * ```
 */
export function escapeMarkup(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * JSON safe to put inside a `<script>` element: `<`, `>`, `&` and the two JavaScript line
 * separators are written as `\u` escapes, so no name can close the element.
 * @param value - a JSON-serialisable value
 * @returns the JSON text
 * @example
 * ```ts
 * scriptJson({ vm: '</script>' }); // '{"vm":"\\u003c/script\\u003e"}'
 * ```
 */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * A number with at most `digits` decimals and no trailing zeros.
 * @param x - the number
 * @param digits - decimals kept (default 2)
 * @returns the text
 * @example
 * ```ts
 * num(12.3456); // '12.35'
 * ```
 */
export function num(x: number, digits = 2): string {
  const f = 10 ** digits;
  return String(Math.round(x * f) / f);
}

/**
 * A load as a percentage of a capacity: `38%`, `—` when there is no capacity and no load,
 * `∞` when there is load but no capacity.
 * @param load - the demand
 * @param capacity - the capacity
 * @returns the text
 * @example
 * ```ts
 * percent(3, 8); // '38%'
 * ```
 */
export function percent(load: number, capacity: number): string {
  if (capacity <= 0) return load > 0 ? '∞' : '—';
  return `${Math.round((100 * load) / capacity)}%`;
}
