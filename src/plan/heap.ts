/**
 * A binary heap of small non-negative integers (action or entry indices) under a caller-given
 * order: the planner's ready queue, wait queues and event queue.
 */
export class IntHeap {
  private readonly items: number[] = [];

  /**
   * @param before - strict order: true when `a` must come out before `b`
   */
  constructor(private readonly before: (a: number, b: number) => boolean) {}

  /** Number of items. */
  get size(): number {
    return this.items.length;
  }

  /** The first item, or -1 when empty. */
  peek(): number {
    return this.items.length > 0 ? this.items[0]! : -1;
  }

  /**
   * Adds an item.
   * @param x - the item
   */
  push(x: number): void {
    const h = this.items;
    let i = h.length;
    h.push(x);
    while (i > 0) {
      const p = (i - 1) >> 1;
      const y = h[p]!;
      if (!this.before(x, y)) break;
      h[i] = y;
      i = p;
    }
    h[i] = x;
  }

  /** Removes and returns the first item (-1 when empty). */
  pop(): number {
    const h = this.items;
    if (h.length === 0) return -1;
    const top = h[0]!;
    const last = h.pop()!;
    const n = h.length;
    if (n > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const r = l + 1;
        const c = r < n && this.before(h[r]!, h[l]!) ? r : l;
        if (!this.before(h[c]!, last)) break;
        h[i] = h[c]!;
        i = c;
      }
      h[i] = last;
    }
    return top;
  }
}
