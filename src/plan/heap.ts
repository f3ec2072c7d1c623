/**
 * Binary heaps under a caller-given order: the planner's ready queue, wait queues and event
 * queue, the replay's topological order, and the virtual clock's timers.
 */

/** A binary heap of values of type `T`; `before(a, b)` is true when `a` must come out first. */
export class Heap<T> {
  private readonly items: T[] = [];

  /**
   * @param before - strict order: true when `a` must come out before `b`
   */
  constructor(private readonly before: (a: T, b: T) => boolean) {}

  /** Number of items. */
  get size(): number {
    return this.items.length;
  }

  /** The items, in no particular order. */
  values(): readonly T[] {
    return this.items;
  }

  /** The first item, or undefined when empty. */
  first(): T | undefined {
    return this.items[0];
  }

  /**
   * Adds an item.
   * @param x - the item
   */
  push(x: T): void {
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

  /** Removes and returns the first item (undefined when empty). */
  take(): T | undefined {
    const h = this.items;
    if (h.length === 0) return undefined;
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

/** A heap of small non-negative integers (action or entry indices): -1 stands for "empty". */
export class IntHeap extends Heap<number> {
  /** The first item, or -1 when empty. */
  peek(): number {
    return this.first() ?? -1;
  }

  /** Removes and returns the first item (-1 when empty). */
  pop(): number {
    return this.take() ?? -1;
  }
}
