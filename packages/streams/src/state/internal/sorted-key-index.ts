/**
 * The byte order of a key-value backend's keys, kept beside the structure that says which keys
 * exist (the in-memory backend's Map, the LevelDB backend's key Set), so a synchronous `range` is
 * a binary search and a walk of a sorted array. Keys are latin1 strings of their bytes, whose
 * code units are the bytes, so string order is unsigned byte order (Kafka's `Bytes` order and
 * LevelDB's default comparator).
 *
 * Gets and puts stay O(1): a new key is only appended to a list, and the next `range` sorts once,
 * which TimSort does in close to linear time when a few new keys join an already sorted array.
 */

/** Which keys are live: a `Set` of them, or the keys of a `Map`. */
export interface LiveKeys {
  /** Whether `id` is a live key. */
  has(id: string): boolean;
  /** The number of live keys. */
  readonly size: number;
  /** Every live key, in any order. */
  keys(): IterableIterator<string>;
}

/**
 * The live keys of a {@link LiveKeys} in byte order, rebuilt lazily after writes. Its owner
 * tells it of each key that becomes live ({@link SortedKeyIndex.added}) and of each removal
 * ({@link SortedKeyIndex.removed}); it reads liveness from the {@link LiveKeys} itself.
 */
export class SortedKeyIndex {
  /** Keys in byte order; may hold stale (removed) keys until the next rebuild. */
  private sortedKeys: string[] = [];
  /** Keys added since the sorted array was last rebuilt. */
  private addedKeys: string[] = [];
  private removedCount = 0;
  /** Set when the added list outgrew the live keys (many writes, no range): sort from scratch. */
  private rebuildAll = false;

  constructor(private readonly live: LiveKeys) {}

  /** Notes that `id` became live; call it only when `id` was not live before. */
  added(id: string): void {
    if (this.rebuildAll) return;
    this.addedKeys.push(id);
    // Delete-and-reinsert cycles with no range in between would otherwise grow the list forever.
    if (this.addedKeys.length > 1024 && this.addedKeys.length > this.live.size) {
      this.rebuildAll = true;
      this.addedKeys = [];
      this.sortedKeys = [];
    }
  }

  /** Notes that a key stopped being live. */
  removed(): void {
    this.removedCount++;
  }

  /** Forgets every key, for when its owner's live keys were all dropped at once. */
  clear(): void {
    this.sortedKeys = [];
    this.addedKeys = [];
    this.removedCount = 0;
    this.rebuildAll = false;
  }

  /**
   * The live keys in byte order: a snapshot, which later writes never change (they rebuild a new
   * array), so a caller may iterate it while writing.
   */
  sorted(): readonly string[] {
    if (this.rebuildAll) {
      this.sortedKeys = [...this.live.keys()].sort();
      this.rebuildAll = false;
      this.removedCount = 0;
      return this.sortedKeys;
    }
    if (this.addedKeys.length === 0 && this.removedCount === 0) return this.sortedKeys;
    const merged = this.sortedKeys.concat(this.addedKeys);
    merged.sort();
    // Drop removed keys and the duplicates a remove-then-add leaves.
    let kept = 0;
    for (let index = 0; index < merged.length; index++) {
      const id = merged[index]!;
      if ((kept > 0 && merged[kept - 1] === id) || !this.live.has(id)) continue;
      merged[kept++] = id;
    }
    merged.length = kept;
    this.sortedKeys = merged;
    this.addedKeys = [];
    this.removedCount = 0;
    return merged;
  }

  /** The live keys with `lower <= key <= upper` in byte order (a bound left `undefined` is open), as a new array. */
  between(lower: string | undefined, upper: string | undefined): string[] {
    const keys = this.sorted();
    const start = lower === undefined ? 0 : SortedKeyIndex.lowerBound(keys, lower);
    let end = start;
    while (end < keys.length && (upper === undefined || keys[end]! <= upper)) end++;
    return keys.slice(start, end);
  }

  /** The first index of `keys` (sorted) whose key is `>= target`; `keys.length` when none is. */
  static lowerBound(keys: readonly string[], target: string): number {
    let low = 0;
    let high = keys.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (keys[middle]! < target) low = middle + 1;
      else high = middle;
    }
    return low;
  }
}
