/**
 * Lists of groups of ids (the `groups` of `among` and `split`): a cheap key and an exact
 * comparison, so that equal lists repeated across constraints (every `among` of a tier naming the
 * same node groups) are recognised and shared rather than stored and compiled once each.
 */

/** A list of groups of ids. */
export type Groups = readonly (readonly string[])[];

/**
 * A key that equal lists share (sizes and end ids of each group); different lists may share it
 * too, so confirm with {@link sameGroups}.
 * @param groups - the list
 * @returns the key
 */
export function groupsKey(groups: Groups): string {
  return groups.map((g) => `${g.length}:${g[0] ?? ''}:${g[g.length - 1] ?? ''}`).join('|');
}

/**
 * Whether two lists of groups are equal, group by group and id by id (plain loops: lists of
 * thousands of ids are compared often).
 * @param a - a list
 * @param b - another
 * @returns true when equal
 */
export function sameGroups(a: Groups, b: Groups): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const g = a[i]!;
    const h = b[i]!;
    if (g === h) continue;
    if (g.length !== h.length) return false;
    for (let j = 0; j < g.length; j++) if (g[j] !== h[j]) return false;
  }
  return true;
}

/**
 * Shares equal lists: the first list equal to `groups` met by this interner, else `groups`
 * (remembered).
 * @returns the intern function
 */
export function groupsInterner(): <T extends Groups>(groups: T) => T {
  const seen = new Map<string, Groups[]>();
  return <T extends Groups>(groups: T): T => {
    const key = groupsKey(groups);
    const list = seen.get(key);
    if (list === undefined) {
      seen.set(key, [groups]);
      return groups;
    }
    const hit = list.find((g) => sameGroups(g, groups));
    if (hit !== undefined) return hit as T;
    list.push(groups);
    return groups;
  };
}
