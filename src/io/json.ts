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

function compact(value: unknown): string {
  if (Array.isArray(value)) return value.length === 0 ? '[]' : `[${value.map(compact).join(', ')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined);
    if (entries.length === 0) return '{}';
    return `{ ${entries.map(([k, v]) => `${JSON.stringify(k)}: ${compact(v)}`).join(', ')} }`;
  }
  return JSON.stringify(value) ?? 'null';
}

function pretty(value: unknown, indent: string, used: number): string {
  const flat = compact(value);
  if (used + flat.length <= WIDTH || typeof value !== 'object' || value === null) return flat;
  const inner = `${indent}  `;
  if (Array.isArray(value)) {
    if (value.length === 0) return flat;
    return `[\n${value.map((v) => inner + pretty(v, inner, inner.length)).join(',\n')}\n${indent}]`;
  }
  const entries = Object.entries(value).filter(([, v]) => v !== undefined);
  if (entries.length === 0) return flat;
  const lines = entries.map(([k, v]) => {
    const key = `${JSON.stringify(k)}: `;
    return inner + key + pretty(v, inner, inner.length + key.length);
  });
  return `{\n${lines.join(',\n')}\n${indent}}`;
}

/**
 * Pretty JSON text: two-space indentation, but any array or object that fits on one line of
 * 100 characters is written on one line (as in FORMAT.md). Ends with a newline.
 * @param value - a JSON value
 * @returns the text; `JSON.parse` of it gives back an equal value
 */
export function formatJson(value: JsonValue): string {
  return `${pretty(value, '', 0)}\n`;
}
