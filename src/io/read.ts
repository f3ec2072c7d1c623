/**
 * Small, reusable readers for decoded JSON: each checks one value, reports every problem as an
 * {@link Issue} with its JSON path, and returns the value read (or `undefined` when it is
 * unusable). Readers never throw, whatever they are given.
 */
import type { Issue } from '../errors.js';
import type { JsonObject, JsonValue } from '../model/ids.js';

/**
 * Where a reader stands: the path of the value, the entity it belongs to (`label`, e.g.
 * `VM "vm3"`, and `base`, its path: messages name fields relative to it, `demand.cpu`), and the
 * issue sink shared by every reader of one validation. Positions are cheap to make (a large
 * instance has millions of values): the path string is only built when an issue needs it.
 */
export class At {
  #path: string | undefined;
  #label: string | (() => string);
  private constructor(
    private readonly parent: At | undefined,
    private readonly key: string | number | undefined,
    label: string | (() => string),
    private readonly entityAt: At | undefined,
    readonly issues: Issue[],
  ) {
    this.#label = label;
  }
  /** The entity's name in messages (`VM "vm3"`); a name given as a function is made when first read. */
  get label(): string {
    if (typeof this.#label !== 'string') this.#label = this.#label();
    return this.#label;
  }
  /** A document's root position; `label` names the document in messages. */
  static root(issues: Issue[], label: string): At {
    return new At(undefined, undefined, label, undefined, issues);
  }
  /** JSON path of the value, e.g. `vms[3].demand.cpu`; `$` for the document. */
  get path(): string {
    if (this.#path === undefined) this.#path = this.parent === undefined || this.key === undefined ? '$' : childPath(this.parent.path, this.key);
    return this.#path;
  }
  /** Path of the labelled entity. */
  get base(): string {
    return this.entityAt === undefined ? '$' : this.entityAt.path;
  }
  /** A child value's position (same entity). */
  child(key: string | number): At {
    return new At(this, key, this.#label, this.entityAt, this.issues);
  }
  /**
   * This position as the root of a new entity named `label` in messages (a function: the name
   * is only made if a message needs it).
   */
  entity(label: string | (() => string)): At {
    return new At(this.parent, this.key, label, this, this.issues);
  }
}

/** A value reader: the value read, or `undefined` after reporting why it is unusable. */
export type Read<T> = (value: unknown, at: At) => T | undefined;

/** A decoded JSON object (plain object, or null-prototype object from the typed API). */
export type PlainObject = { readonly [key: string]: unknown };

const IDENT = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/**
 * Appends a key or index to a JSON path: `vms` + 3 → `vms[3]`, `vms[3]` + `host` →
 * `vms[3].host`, keys that are not identifiers are quoted (`capacity["my-res"]`).
 * @param path - the parent path (`$` for the document)
 * @param key - property name or array index
 * @returns the child's path
 */
export function childPath(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  if (!IDENT.test(key)) return `${path}[${JSON.stringify(key)}]`;
  return path === '$' ? key : `${path}.${key}`;
}

/** The root position of a document; `label` names the document in messages (`instance`, `plan`). */
export function rootAt(issues: Issue[], label: string): At {
  return At.root(issues, label);
}

/** The position of a child value (same entity). */
export function child(at: At, key: string | number): At {
  return at.child(key);
}

/** The same position, now the root of a new entity named `label` in messages. */
export function entity(at: At, label: string): At {
  return at.entity(label);
}

/** `"id"`: how ids and names are quoted in messages. */
export function quote(s: string): string {
  return JSON.stringify(s);
}

/** A short description of any value for messages (`-1`, `NaN`, `"abc"`, `an object`); never throws. */
export function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (typeof v === 'string') return quote(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  return `a ${typeof v}`;
}

/** The field name of a position relative to its entity (`demand.cpu`), or `''` at the entity itself. */
function fieldName(at: At): string {
  if (at.path === at.base) return '';
  if (at.base === '$') return at.path.startsWith('$') ? at.path.slice(1) : at.path;
  return at.path.slice(at.base.length).replace(/^\./, '');
}

/** Reports a problem at `at`: message `label: problem`. */
export function report(at: At, problem: string): void {
  at.issues.push({ path: at.path, message: `${at.label}: ${problem}` });
}

/** Reports a problem with the value at `at`, naming the field: `label: demand.cpu must be ...`. */
export function reportValue(at: At, problem: string): void {
  const name = fieldName(at);
  report(at, name === '' ? problem : `${name} ${problem}`);
}

/** Whether `v` is a plain JSON-like object (not an array, not a class instance). */
export function isPlainObject(v: unknown): v is PlainObject {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto: unknown = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/** The own property `key` of `v` when `v` is an object (to peek at a `type` tag before reading), else undefined. */
export function peek(v: unknown, key: string): unknown {
  return isPlainObject(v) && Object.hasOwn(v, key) ? v[key] : undefined;
}

/** Any string. */
export const readString: Read<string> = (v, at) => {
  if (typeof v === 'string') return v;
  reportValue(at, `must be a string, got ${describe(v)}`);
  return undefined;
};

/** A non-empty string (ids, names). */
export const readId: Read<string> = (v, at) => {
  if (typeof v === 'string' && v !== '') return v;
  reportValue(at, `must be a non-empty string, got ${describe(v)}`);
  return undefined;
};

/** A boolean. */
export const readBoolean: Read<boolean> = (v, at) => {
  if (typeof v === 'boolean') return v;
  reportValue(at, `must be true or false, got ${describe(v)}`);
  return undefined;
};

/** Bounds of a number: inclusive `min`, exclusive `above`, integrality. */
export interface NumberRule {
  readonly min?: number;
  readonly above?: number;
  readonly integer?: boolean;
}

function ruleText(rule: NumberRule): string {
  const what = rule.integer ? 'an integer' : 'a finite number';
  if (rule.above !== undefined) return `${what} > ${rule.above}`;
  if (rule.min !== undefined) return `${what} ≥ ${rule.min}`;
  return what;
}

/** Whether `v` is a number that `rule` accepts. */
function numberOk(v: unknown, rule: NumberRule): v is number {
  return (
    typeof v === 'number' &&
    Number.isFinite(v) &&
    (!rule.integer || Number.isInteger(v)) &&
    (rule.min === undefined || v >= rule.min) &&
    (rule.above === undefined || v > rule.above)
  );
}

/**
 * A finite number within `rule`.
 * @param rule - bounds and integrality
 * @returns the reader
 * @example
 * ```ts
 * readNumber({ min: 0 })(-1, at); // reports `capacity.cpu must be a finite number ≥ 0, got -1`
 * ```
 */
export function readNumber(rule: NumberRule = {}): Read<number> {
  return (v, at) => {
    if (numberOk(v, rule)) return v;
    reportValue(at, `must be ${ruleText(rule)}, got ${describe(v)}`);
    return undefined;
  };
}

/**
 * One of a fixed set of strings.
 * @param values - the known values
 * @param what - what they are, for messages (`VM state`)
 * @returns the reader; an unknown value is reported with the list of known ones
 */
export function readEnum<T extends string>(values: readonly T[], what: string): Read<T> {
  return (v, at) => {
    if (typeof v === 'string' && (values as readonly string[]).includes(v)) return v as T;
    const got = typeof v === 'string' ? `unknown ${what} ${quote(v)}` : `${what} must be a string, got ${describe(v)}`;
    report(at, `${got} (known: ${values.join(', ')})`);
    return undefined;
  };
}

/**
 * An array whose items all pass `item`. The items that read well are returned (as a frozen
 * array) even when others fail, so later checks can still run; the failures are reported.
 * @param item - reader of one item
 * @param nonEmpty - whether an empty array is an error
 * @returns the reader
 */
export function readList<T>(item: Read<T>, nonEmpty = false): Read<readonly T[]> {
  return (v, at) => {
    if (!Array.isArray(v)) {
      reportValue(at, `must be ${nonEmpty ? 'a non-empty' : 'an'} array, got ${describe(v)}`);
      return undefined;
    }
    if (nonEmpty && v.length === 0) {
      reportValue(at, 'must not be empty');
      return undefined;
    }
    const out: T[] = [];
    for (let i = 0; i < v.length; i++) {
      const r = item(v[i], child(at, i));
      if (r !== undefined) out.push(r);
    }
    return Object.freeze(out);
  };
}

/**
 * An object used as a map (capacities, labels, target records): every key is data. Returns the
 * entries whose values read well.
 * @param value - reader of one value
 * @returns the reader
 */
export function readEntries<T>(value: Read<T>): Read<readonly (readonly [string, T])[]> {
  return readKeyed(() => value);
}

/**
 * {@link readEntries} with a reader chosen per key (so that messages can name the key, e.g. the
 * VM id of a plan target entry).
 * @param value - gives the reader of the value under one key
 * @returns the reader
 */
export function readKeyed<T>(value: (key: string) => Read<T>): Read<readonly (readonly [string, T])[]> {
  return (v, at) => {
    if (!isPlainObject(v)) {
      reportValue(at, `must be an object, got ${describe(v)}`);
      return undefined;
    }
    const out: (readonly [string, T])[] = [];
    for (const key of Object.keys(v)) {
      const r = value(key)(v[key], child(at, key));
      if (r !== undefined) out.push([key, r]);
    }
    return out;
  };
}

const MAX_DEPTH = 256;

function copyJson(v: unknown, at: At, depth: number, open: Set<object>): JsonValue | undefined {
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return v;
  if (typeof v === 'number') {
    if (Number.isFinite(v)) return v;
    reportValue(at, `must be a JSON value, got ${describe(v)}`);
    return undefined;
  }
  if (typeof v !== 'object' || !(Array.isArray(v) || isPlainObject(v))) {
    reportValue(at, `must be a JSON value, got ${describe(v)}`);
    return undefined;
  }
  if (open.has(v) || depth > MAX_DEPTH) {
    reportValue(at, open.has(v) ? 'must be a JSON value, got a cycle' : `nests deeper than ${MAX_DEPTH} levels`);
    return undefined;
  }
  open.add(v);
  let out: JsonValue | undefined;
  if (Array.isArray(v)) {
    const items: JsonValue[] = [];
    for (let i = 0; i < v.length; i++) {
      const c = copyJson(v[i], child(at, i), depth + 1, open);
      if (c !== undefined) items.push(c);
    }
    out = items.length === v.length ? Object.freeze(items) : undefined;
  } else {
    const obj = v as PlainObject;
    const entries: [string, JsonValue][] = [];
    const keys = Object.keys(obj);
    for (const k of keys) {
      const c = copyJson(obj[k], child(at, k), depth + 1, open);
      if (c !== undefined) entries.push([k, c]);
    }
    out = entries.length === keys.length ? Object.freeze(Object.fromEntries(entries)) : undefined;
  }
  open.delete(v);
  return out;
}

/** Any JSON value (finite numbers, plain objects, no cycles); returns a frozen copy. */
export const readJson: Read<JsonValue> = (v, at) => copyJson(v, at, 0, new Set());

/** An `"x"` extension object: any JSON content; returns a frozen copy. */
export const readX: Read<JsonObject> = (v, at) => {
  if (!isPlainObject(v)) {
    reportValue(at, `must be an object (extension data), got ${describe(v)}`);
    return undefined;
  }
  return readJson(v, at) as JsonObject | undefined;
};

/**
 * The fields of one object of the format, read by name. Absent means a missing own property or
 * one set to `undefined` (the typed API may pass those).
 */
export class Fields {
  /**
   * @param obj - the object
   * @param at - its position (an entity: messages name fields relative to it)
   */
  constructor(
    readonly obj: PlainObject,
    readonly at: At,
  ) {}

  /** Whether `key` is present. */
  has(key: string): boolean {
    return Object.hasOwn(this.obj, key) && this.obj[key] !== undefined;
  }

  /** The raw value of `key`, or undefined when absent. */
  get(key: string): unknown {
    return Object.hasOwn(this.obj, key) ? this.obj[key] : undefined;
  }

  /** The position of field `key`. */
  child(key: string): At {
    return child(this.at, key);
  }

  /** Reads a required field: absent is reported as missing. */
  required<T>(key: string, read: Read<T>): T | undefined {
    if (!this.has(key)) {
      reportValue(this.child(key), 'is missing');
      return undefined;
    }
    return read(this.obj[key], this.child(key));
  }

  /** Reads an optional field: absent gives undefined, silently. */
  optional<T>(key: string, read: Read<T>): T | undefined {
    return this.has(key) ? read(this.obj[key], this.child(key)) : undefined;
  }

  /** The object's `"x"` extension object, if any. */
  x(): JsonObject | undefined {
    return this.optional('x', readX);
  }
}

/**
 * Opens an object of the format: checks it is an object, names it (`label`, from its raw
 * fields, so that messages can carry its id) and reports every field that is neither in
 * `fields` nor `x`, at the field's own path.
 * @param v - the value
 * @param at - its position
 * @param fields - the fields the format allows here (besides `x`)
 * @param label - names the entity from its raw fields (default: `at.label`)
 * @returns the fields, or undefined when `v` is not an object
 */
export function readObject(
  v: unknown,
  at: At,
  fields: readonly string[],
  label?: (obj: PlainObject) => string,
): Fields | undefined {
  if (!isPlainObject(v)) {
    reportValue(at, `must be an object, got ${describe(v)}`);
    return undefined;
  }
  const here = label ? at.entity(() => label(v)) : at;
  for (const key of Object.keys(v)) {
    if (key !== 'x' && !fields.includes(key)) {
      report(
        child(here, key),
        `unknown field ${quote(key)} (allowed: ${[...fields, 'x'].join(', ')}; extensions go under "x")`,
      );
    }
  }
  return new Fields(v, here);
}

/**
 * The label of an entity of a list, named by its `id` when that is a usable id
 * (`VM "vm3"`), else by its position (`VM #3`).
 * @param kind - `node`, `VM`, `vjob`
 * @param index - position in the list
 */
export function idLabel(kind: string, index: number): (obj: PlainObject) => string {
  return (obj) => {
    const id = Object.hasOwn(obj, 'id') ? obj['id'] : undefined;
    return typeof id === 'string' && id !== '' ? `${kind} ${quote(id)}` : `${kind} #${index}`;
  };
}

/**
 * Reads the array field `key` of an object one item at a time, with the item's index (so that
 * an entity can be named `VM #3` before its id is known). Returns the items that read well.
 * @param f - the object
 * @param key - the field
 * @param optional - whether the field may be absent
 * @param readOne - reads one item at its position
 */
export function readEach<T>(
  f: Fields,
  key: string,
  optional: boolean,
  readOne: (v: unknown, at: At, index: number) => T | undefined,
): T[] {
  const at = f.child(key);
  if (!f.has(key)) {
    if (!optional) reportValue(at, 'is missing');
    return [];
  }
  const v = f.get(key);
  if (!Array.isArray(v)) {
    reportValue(at, `must be an array, got ${describe(v)}`);
    return [];
  }
  const out: T[] = [];
  v.forEach((item: unknown, i) => {
    const r = readOne(item, child(at, i), i);
    if (r !== undefined) out.push(r);
  });
  return out;
}

/** The exchange-format version this library reads and writes. */
export const FORMAT_VERSION = 1;

/**
 * Checks the `version` field of a document. A missing version is reported and reading goes
 * on (the rest is probably version 1); an unknown one is reported and reading should stop,
 * since another version may give the other fields other meanings.
 * @param doc - the document's fields
 * @returns false when the version is present and unknown
 */
export function checkVersion(doc: Fields): boolean {
  if (!doc.has('version')) {
    reportValue(doc.child('version'), `is missing (this reader knows version ${FORMAT_VERSION})`);
    return true;
  }
  if (doc.get('version') === FORMAT_VERSION) return true;
  report(doc.child('version'), `unknown version ${describe(doc.get('version'))}; only version ${FORMAT_VERSION} is known`);
  return false;
}
