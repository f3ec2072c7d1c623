/**
 * A small seeded pseudo-random generator (mulberry32): 32 bits of state, fast, good enough for
 * tie-breaking and randomised search. Every random choice of the library goes through one of
 * these, so that the same seed gives the same answer. Not for cryptography.
 */
export interface Random {
  /** A float in [0, 1). */
  next(): number;
  /**
   * An integer in [0, n).
   * @param n - exclusive upper bound (a positive integer)
   */
  int(n: number): number;
  /**
   * Shuffles `items` in place (Fisher–Yates) and returns it.
   * @param items - the array to shuffle
   */
  shuffle<T>(items: T[]): T[];
  /** A new generator whose sequence depends on this one's next draw (for independent sub-tasks). */
  fork(): Random;
}

/**
 * Creates a seeded generator.
 * @param seed - any number; its low 32 bits are used
 * @returns a generator whose sequence depends only on `seed`
 * @example
 * ```ts
 * const rng = createRandom(42);
 * rng.int(10); // same value on every run
 * ```
 */
export function createRandom(seed: number): Random {
  let a = (seed | 0) ^ 0x9e3779b9;
  const next = (): number => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number): number => Math.floor(next() * n);
  return {
    next,
    int,
    shuffle<T>(items: T[]): T[] {
      for (let i = items.length - 1; i > 0; i--) {
        const j = int(i + 1);
        const t = items[i]!;
        items[i] = items[j]!;
        items[j] = t;
      }
      return items;
    },
    fork(): Random {
      return createRandom(Math.floor(next() * 4294967296));
    },
  };
}
