/**
 * The keys of a LevelDB key-value store, held in memory so that `range` (synchronous in the
 * engine, while classic-level iterators are asynchronous) is a binary search and a walk of a
 * sorted array, each value then read with `getSync`. Keys are latin1 strings of their bytes, so
 * string order is unsigned byte order. It also answers misses without touching LevelDB.
 */
export class SortedKeySet {
  private readonly keys = new Set<string>();
  /** Keys in byte order; rebuilt lazily after writes, by a sort that merges the new keys in. */
  private sorted: string[] = [];
  private added: string[] = [];
  private removed = 0;

  get size(): number {
    return this.keys.size;
  }

  has(id: string): boolean {
    return this.keys.has(id);
  }

  add(id: string): void {
    if (this.keys.has(id)) return;
    this.keys.add(id);
    this.added.push(id);
  }

  delete(id: string): void {
    if (this.keys.delete(id)) this.removed++;
  }

  /** Keys with `lower <= key <= upper` in byte order (a bound left `undefined` is open): a snapshot. */
  between(lower: string | undefined, upper: string | undefined): string[] {
    const keys = this.order();
    let start = 0;
    if (lower !== undefined) {
      let high = keys.length;
      while (start < high) {
        const middle = (start + high) >>> 1;
        if (keys[middle]! < lower) start = middle + 1;
        else high = middle;
      }
    }
    let end = start;
    while (end < keys.length && (upper === undefined || keys[end]! <= upper)) end++;
    return keys.slice(start, end);
  }

  private order(): string[] {
    if (this.added.length === 0 && this.removed === 0) return this.sorted;
    // Many writes and few ranges: sorting the live keys from scratch is cheaper than merging.
    const merged = this.added.length > this.keys.size ? [...this.keys] : this.sorted.concat(this.added);
    merged.sort();
    let kept = 0;
    for (let index = 0; index < merged.length; index++) {
      const id = merged[index]!;
      if ((kept > 0 && merged[kept - 1] === id) || !this.keys.has(id)) continue;
      merged[kept++] = id;
    }
    merged.length = kept;
    this.sorted = merged;
    this.added = [];
    this.removed = 0;
    return merged;
  }
}
