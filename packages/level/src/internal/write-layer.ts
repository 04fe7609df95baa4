/**
 * The writes a LevelDB store buffers for one batch: the last value written to each key, keys in
 * the order they were first written (the order the batch applies them). Kept as two arrays
 * indexed through one map of key ids rather than an object per write: a store buffers a write or
 * two per record between commits, and each object would survive to the batch.
 */
export class WriteLayer {
  /** The slot of each key in {@link keys} and {@link values}, by the key bytes as latin1. */
  private readonly slots = new Map<string, number>();
  /** Each key's bytes, by slot. */
  readonly keys: Buffer[] = [];
  /** Each key's last value by slot; `null` deletes it. */
  readonly values: (Buffer | null)[] = [];

  /** The keys written. */
  get size(): number {
    return this.keys.length;
  }

  /** Buffers a write of `key` (whose latin1 string is `id`); a later write of the key replaces its value. */
  set(key: Buffer, id: string, value: Buffer | null): void {
    const slot = this.slots.get(id);
    if (slot !== undefined) {
      this.values[slot] = value;
      return;
    }
    this.slots.set(id, this.keys.length);
    this.keys.push(key);
    this.values.push(value);
  }

  /** The value buffered for `id`: its bytes, `null` for a delete, `undefined` when the key was not written. */
  get(id: string): Buffer | null | undefined {
    const slot = this.slots.get(id);
    return slot === undefined ? undefined : this.values[slot];
  }

  /** Buffers every write of `later` over this layer's, as if each had been `set` here after the writes already here. */
  absorb(later: WriteLayer): void {
    for (const [id, slot] of later.slots) this.set(later.keys[slot]!, id, later.values[slot]!);
  }
}
