/**
 * Fixed-size bitsets over node indices, stored as `Uint32Array` words. Small, allocation-free
 * helpers for the placement engine's domains (which nodes a VM may still use).
 */

/**
 * Number of 32-bit words a bitset over `n` elements needs.
 * @param n - number of elements
 * @returns words
 */
export function wordsFor(n: number): number {
  return (n + 31) >>> 5;
}

/**
 * Whether element `i` is in the bitset.
 * @param bs - words
 * @param i - element
 * @param off - word offset of the bitset in `bs`
 * @returns true when present
 */
export function hasBit(bs: Uint32Array, i: number, off = 0): boolean {
  return ((bs[off + (i >>> 5)]! >>> (i & 31)) & 1) === 1;
}

/**
 * Adds element `i`.
 * @param bs - words
 * @param i - element
 * @param off - word offset of the bitset in `bs`
 */
export function setBit(bs: Uint32Array, i: number, off = 0): void {
  bs[off + (i >>> 5)]! |= 1 << (i & 31);
}

/**
 * Removes element `i`.
 * @param bs - words
 * @param i - element
 * @param off - word offset of the bitset in `bs`
 */
export function clearBit(bs: Uint32Array, i: number, off = 0): void {
  bs[off + (i >>> 5)]! &= ~(1 << (i & 31));
}

/**
 * Number of set bits in a 32-bit word.
 * @param x - the word
 * @returns 0..32
 */
export function popcount32(x: number): number {
  x = x - ((x >>> 1) & 0x55555555);
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return (((x + (x >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}

/**
 * Number of elements in the bitset `bs[off .. off+w)`.
 * @param bs - words
 * @param w - number of words
 * @param off - word offset
 * @returns the count
 */
export function countBits(bs: Uint32Array, w: number, off = 0): number {
  let c = 0;
  for (let i = 0; i < w; i++) c += popcount32(bs[off + i]!);
  return c;
}

/**
 * Calls `f` on every element of the bitset `bs[off .. off+w)`, in increasing order.
 * @param bs - words
 * @param w - number of words
 * @param f - callback; return `false` to stop early
 * @param off - word offset
 */
export function forEachBit(bs: Uint32Array, w: number, f: (i: number) => boolean | void, off = 0): void {
  for (let wi = 0; wi < w; wi++) {
    let word = bs[off + wi]!;
    while (word !== 0) {
      const t = word & -word;
      const i = (wi << 5) + (31 - Math.clz32(t));
      if (f(i) === false) return;
      word ^= t;
    }
  }
}
