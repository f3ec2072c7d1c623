/**
 * Frozen copy of the pretty-printer of src/io/json.ts before it was made linear (issue 18): the
 * oracle the new one is held to, byte for byte (test/io/json-format.test.ts).
 */
import type { JsonValue } from '../../src/model/ids.js';

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

/** The legacy `formatJson`. */
export function formatJson(value: JsonValue): string {
  return `${pretty(value, '', 0)}\n`;
}
