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
  // A trie over the entries in order: key, then value (a number and a string never meet: Map
  // keys are compared by SameValueZero), then the next key... Walking it costs a lookup per key
  // and value, with no key string built per object.
  const root: TrieNode = new Map();
  return <V extends string | number>(entries: Readonly<Record<string, V>>): IMap<string, V> => {
    let node = root;
    for (const k in entries) {
      if (!Object.hasOwn(entries, k)) continue;
      let byValue = node.get(k) as Map<unknown, TrieNode> | undefined;
      if (byValue === undefined) {
        byValue = new Map();
        node.set(k, byValue);
      }
      const v = entries[k]!;
      let next = byValue.get(v);
      if (next === undefined) {
        next = new Map();
        byValue.set(v, next);
      }
      node = next;
    }
    let m = node.get(LEAF) as IMap<string, string | number> | undefined;
    if (m === undefined) {
      m = IMap(Object.entries(entries));
      node.set(LEAF, m);
    }
    return m as IMap<string, V>;
  };
}

/** A node of the interner's trie: entry key → (value → next node), and {@link LEAF} → the map. */
type TrieNode = Map<unknown, unknown>;

/** Where a trie node keeps the map of the entries that lead to it. */
const LEAF = Symbol('map');
