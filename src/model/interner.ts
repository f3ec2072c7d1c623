import { Map as IMap } from 'immutable';

/**
 * Shares equal small maps (a VM's demand, a node's capacity or labels): the first map built for
 * given entries, in the same order, is returned for every later equal object. Values are
 * immutable, so sharing them changes nothing but the memory and the time to build them.
 */
export type MapInterner = <V extends string | number>(entries: Readonly<Record<string, V>>) => IMap<string, V>;

/**
 * A new {@link MapInterner} (one per instance built: nothing is kept between calls).
 * @returns the interner
 * @example
 * ```ts
 * const maps = mapInterner();
 * maps({ cpu: 2 }) === maps({ cpu: 2 }); // true
 * ```
 */
export function mapInterner(): MapInterner {
  const seen = new Map<string, IMap<string, string | number>>();
  return <V extends string | number>(entries: Readonly<Record<string, V>>): IMap<string, V> => {
    let key = '';
    for (const k in entries) {
      if (!Object.hasOwn(entries, k)) continue;
      const v = entries[k]!;
      key += `${k.length}:${k}${typeof v === 'number' ? '#' : '$'}${v}\u0000`;
    }
    let m = seen.get(key);
    if (m === undefined) {
      m = IMap(Object.entries(entries));
      seen.set(key, m);
    }
    return m as IMap<string, V>;
  };
}
