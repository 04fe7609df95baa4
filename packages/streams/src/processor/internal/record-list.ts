/**
 * A list of records that is filled and then emptied as a whole, again and again, keeping its
 * array: V8 frees an array's backing store when its length is set to 0 (and `[]` starts with
 * none), so a list that fills and empties once per record, as a task's input queue and the local
 * runner's pending records do when records go through one at a time, would allocate a new backing
 * store for every record.
 */
export class RecordList<T> {
  private readonly items: (T | undefined)[] = [];
  private count = 0;

  /** The records in the list. */
  get length(): number {
    return this.count;
  }

  /** Appends a record. */
  push(item: T): void {
    if (this.count < this.items.length) this.items[this.count] = item;
    else this.items.push(item);
    this.count++;
  }

  /** The record at `index`, which must be below {@link length}. */
  at(index: number): T {
    return this.items[index] as T;
  }

  /** Empties the list, keeping its capacity (and none of its records). */
  clear(): void {
    const items = this.items;
    for (let index = 0; index < this.count; index++) items[index] = undefined;
    this.count = 0;
  }

  /** Removes the first `removed` records (at most {@link length}), moving the rest to the front. */
  removeFirst(removed: number): void {
    const items = this.items;
    const kept = this.count - removed;
    items.copyWithin(0, removed, this.count);
    for (let index = kept; index < this.count; index++) items[index] = undefined;
    this.count = kept;
  }
}
