import { hash, is } from 'immutable';

/** The methods every {@link ValueRecord} value has besides its fields (the subset of `immutable`'s Record API the model uses). */
export interface ValueRecordMethods<P extends object> {
  /** The field `key`. */
  get<K extends keyof P>(key: K): P[K];
  /** A copy with field `key` set to `value` (`undefined` gives the field its default). */
  set<K extends keyof P>(key: K, value: P[K]): this;
  /** A copy with field `key` set to `f` of its value. */
  update<K extends keyof P>(key: K, f: (value: P[K]) => P[K]): this;
  /** A copy with the given fields set (`undefined` gives a field its default). */
  merge(fields: Partial<P>): this;
  /** A copy with field `key` back to its default. */
  remove<K extends keyof P>(key: K): this;
  /** A copy with field `key` back to its default. */
  delete<K extends keyof P>(key: K): this;
  /** Value equality: the same kind of value, every field equal by `Immutable.is`. */
  equals(other: unknown): boolean;
  /** A hash consistent with {@link ValueRecordMethods.equals} (so that `Immutable.is` and the collections treat these as values). */
  hashCode(): number;
  /** The fields as a plain object (shallow). */
  toObject(): P;
  /** The fields as a plain object (shallow), for `JSON.stringify`. */
  toJSON(): P;
  /** The fields as plain JavaScript, deeply (immutable collections turned into objects and arrays). */
  toJS(): unknown;
}

/** The class {@link ValueRecord} returns: `new R(fields)` gives a frozen value. */
export interface ValueRecordClass<P extends object> {
  new (fields?: Partial<P>): Readonly<P> & ValueRecordMethods<P>;
}

/**
 * A class of immutable values with the fields of `defaults`: a frozen plain object per value
 * whose fields are own properties (read at the cost of a property, built at the cost of an
 * object), with the part of `immutable`'s `Record` API the model uses (`set`, `merge`, `remove`,
 * `equals`, `hashCode`, ...). `Immutable.is` and the collections compare these by value.
 *
 * The model holds one value per VM and per node; an `immutable` Record keeps its fields in a
 * List (a List built per value, a List read per field), which cost more than the rest of reading
 * a 50,000-VM instance (docs/decisions.md, D-value-records).
 *
 * @param defaults - every field with its default (a field set to `undefined` takes it)
 * @returns the class; extend it to name the kind of value
 * @example
 * ```ts
 * class Point extends ValueRecord<{ x: number; y: number }>({ x: 0, y: 0 }) {}
 * new Point({ x: 1 }).set('y', 2).equals(new Point({ x: 1, y: 2 })); // true
 * ```
 */
export function ValueRecord<P extends object>(defaults: P): ValueRecordClass<P> {
  const keys = Object.keys(defaults) as (keyof P & string)[];
  const defs = defaults as Record<keyof P, unknown>;
  class Value {
    constructor(fields?: Partial<P>) {
      const self = this as unknown as Record<keyof P, unknown>;
      const given = (fields ?? {}) as Partial<Record<keyof P, unknown>>;
      for (const k of keys) {
        const v = given[k];
        self[k] = v === undefined ? defs[k] : v;
      }
      Object.freeze(this);
    }
    get<K extends keyof P>(key: K): P[K] {
      return (this as unknown as P)[key];
    }
    set<K extends keyof P>(key: K, value: P[K]): this {
      return this.merge({ [key]: value } as unknown as Partial<P>);
    }
    update<K extends keyof P>(key: K, f: (value: P[K]) => P[K]): this {
      return this.set(key, f(this.get(key)));
    }
    merge(fields: Partial<P>): this {
      const next = { ...this.toObject() } as Record<keyof P, unknown>;
      for (const k of Object.keys(fields) as (keyof P)[]) if (k in defs) next[k] = (fields as Record<keyof P, unknown>)[k];
      const Kind = this.constructor as new (f: Partial<P>) => this;
      return new Kind(next as Partial<P>);
    }
    remove<K extends keyof P>(key: K): this {
      return this.set(key, defs[key] as P[K]);
    }
    delete<K extends keyof P>(key: K): this {
      return this.remove(key);
    }
    equals(other: unknown): boolean {
      if (other === this) return true;
      if (!(other instanceof Value) || other.constructor !== this.constructor) return false;
      const a = this as unknown as Record<keyof P, unknown>;
      const b = other as unknown as Record<keyof P, unknown>;
      for (const k of keys) if (!is(a[k], b[k])) return false;
      return true;
    }
    hashCode(): number {
      const self = this as unknown as Record<keyof P, unknown>;
      let h = 0;
      for (const k of keys) h = (Math.imul(31, h) + hash(self[k])) | 0;
      return h;
    }
    toObject(): P {
      const self = this as unknown as Record<keyof P, unknown>;
      const out = {} as Record<keyof P, unknown>;
      for (const k of keys) out[k] = self[k];
      return out as P;
    }
    toJSON(): P {
      return this.toObject();
    }
    toJS(): unknown {
      const self = this as unknown as Record<keyof P, unknown>;
      const out: Record<string, unknown> = {};
      for (const k of keys) {
        const v = self[k] as { toJS?: () => unknown } | undefined;
        out[k] = v !== null && typeof v === 'object' && typeof v.toJS === 'function' ? v.toJS() : v;
      }
      return out;
    }
  }
  return Value as unknown as ValueRecordClass<P>;
}
