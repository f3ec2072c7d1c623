import { fail, ok, type Result } from '../errors.js';
import type { JsonObject, JsonValue } from '../model/ids.js';

/**
 * Decodes JSON text without throwing: a syntax error becomes one issue at path `$` carrying the
 * JSON parser's message.
 * @param text - the JSON text
 * @returns the decoded value, or the parse error as an issue
 * @example
 * ```ts
 * decodeJson('{"version": 1'); // { ok: false, issues: [{ path: '$', message: 'not JSON: ...' }] }
 * ```
 */
export function decodeJson(text: string): Result<unknown> {
  try {
    return ok(JSON.parse(text) as unknown);
  } catch (e) {
    return fail([{ path: '$', message: `not JSON: ${e instanceof Error ? e.message : String(e)}` }]);
  }
}

/**
 * Decodes JSON text and validates the value: the one way every `parseX` of the format reads text.
 * @param text - the JSON text
 * @param validate - the validator of the decoded value
 * @returns the validated value, or the parse error or the validator's issues
 * @example
 * ```ts
 * parseJsonWith(text, validateInstance);
 * ```
 */
export function parseJsonWith<T>(text: string, validate: (value: unknown) => Result<T>): Result<T> {
  const decoded = decodeJson(text);
  return decoded.ok ? validate(decoded.value) : decoded;
}

/**
 * A deep, mutable copy of a JSON value (for serializers that hand out plain objects the caller
 * may change). Object keys such as `__proto__` are copied as ordinary own properties.
 * @param value - a JSON value
 * @returns an equal, unshared copy
 */
export function cloneJson<T extends JsonValue>(value: T): T {
  if (Array.isArray(value)) return value.map((v: JsonValue) => cloneJson(v)) as unknown as T;
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, cloneJson(v)])) as T;
  }
  return value;
}

/** {@link cloneJson} for an optional `"x"` object. */
export function cloneX(x: JsonObject | undefined): { x?: JsonObject } {
  return x === undefined ? {} : { x: cloneJson(x) };
}

const WIDTH = 100;

/** A scalar's JSON text (`null` for what JSON cannot write). */
function scalar(value: unknown): string {
  return JSON.stringify(value) ?? 'null';
}

/**
 * The one-line text of `value` (`[a, b]`, `{ "k": v }`; entries whose value is `undefined` are
 * not written) when it is at most `limit` characters long, else undefined. Stops as soon as the
 * text outgrows `limit`, so it costs O(limit) plus the scalars and keys it reads, whatever the
 * size of `value`: this keeps {@link write} linear.
 */
function flatWithin(value: unknown, limit: number): string | undefined {
  if (Array.isArray(value)) {
    if (value.length === 0) return 2 <= limit ? '[]' : undefined;
    let len = 2;
    const parts: string[] = [];
    for (const item of value as readonly unknown[]) {
      if (parts.length > 0) len += 2;
      const s = flatWithin(item, limit - len);
      if (s === undefined) return undefined;
      len += s.length;
      parts.push(s);
    }
    return `[${parts.join(', ')}]`;
  }
  if (typeof value === 'object' && value !== null) {
    const o = value as Readonly<Record<string, unknown>>;
    let len = 4;
    const parts: string[] = [];
    for (const k of Object.keys(o)) {
      const v = o[k];
      if (v === undefined) continue;
      if (parts.length > 0) len += 2;
      const key = JSON.stringify(k);
      len += key.length + 2;
      if (len > limit) return undefined;
      const s = flatWithin(v, limit - len);
      if (s === undefined) return undefined;
      len += s.length;
      parts.push(`${key}: ${s}`);
    }
    if (parts.length === 0) return 2 <= limit ? '{}' : undefined;
    return `{ ${parts.join(', ')} }`;
  }
  const s = scalar(value);
  return s.length <= limit ? s : undefined;
}

/**
 * Appends to `out` the text of `value` starting `used` characters into a line indented by
 * `indent`: on one line when it fits in {@link WIDTH} columns, else one item or entry per line.
 */
function write(value: unknown, indent: string, used: number, out: string[]): void {
  if (typeof value !== 'object' || value === null) {
    out.push(scalar(value));
    return;
  }
  const flat = flatWithin(value, WIDTH - used);
  if (flat !== undefined) {
    out.push(flat);
    return;
  }
  const inner = `${indent}  `;
  if (Array.isArray(value)) {
    if (value.length === 0) {
      out.push('[]');
      return;
    }
    out.push('[\n');
    (value as readonly unknown[]).forEach((v, i) => {
      out.push(i === 0 ? inner : `,\n${inner}`);
      write(v, inner, inner.length, out);
    });
    out.push(`\n${indent}]`);
    return;
  }
  const o = value as Readonly<Record<string, unknown>>;
  let n = 0;
  for (const k of Object.keys(o)) {
    const v = o[k];
    if (v === undefined) continue;
    const key = `${JSON.stringify(k)}: `;
    out.push(n++ === 0 ? `{\n${inner}${key}` : `,\n${inner}${key}`);
    write(v, inner, inner.length + key.length, out);
  }
  out.push(n === 0 ? '{}' : `\n${indent}}`);
}

/**
 * Pretty JSON text: two-space indentation, but any array or object that fits on one line of
 * 100 characters is written on one line (as in FORMAT.md). Ends with a newline. Linear in the
 * size of the value: a subtree is measured against the room left on its line, never in full.
 * @param value - a JSON value
 * @returns the text; `JSON.parse` of it gives back an equal value
 */
export function formatJson(value: JsonValue): string {
  const out: string[] = [];
  write(value, '', 0, out);
  out.push('\n');
  return out.join('');
}
