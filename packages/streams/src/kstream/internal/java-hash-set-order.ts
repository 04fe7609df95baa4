/**
 * The iteration order of a `java.util.HashSet<Bytes>` of keys added since its last `clear()`:
 * Kafka Streams' suppression buffer logs its dirty keys at each flush in that order, so a
 * changelog written in the same order is the same, record for record.
 *
 * A Java `HashMap` iterates its table's buckets in index order and each bucket's chain in
 * insertion order (a resize splits chains keeping their order). A key's bucket is
 * `(h ^ (h >>> 16)) & (capacity - 1)`, `h` being `Bytes.hashCode()` (`Arrays.hashCode` of the
 * bytes). The table starts at 16 buckets, doubles when its size passes three quarters of its
 * capacity, and also when a chain reaches 9 keys in a table under 64 buckets; `clear()` keeps the
 * capacity. (A chain of 9 keys in a table of 64 buckets or more becomes a tree, whose order this
 * does not follow: it needs that many keys of one set colliding in one bucket.)
 */

/** A key with its bucket hash and when it was added. */
interface OrderedKey {
  readonly bytes: Buffer;
  readonly spread: number;
  readonly sequence: number;
}

const initialCapacity = 16;
const treeifyThreshold = 8;
const minimumTreeifyCapacity = 64;

/** `Arrays.hashCode(byte[])`, bytes signed, as `Bytes.hashCode()`. */
export function javaBytesHashCode(bytes: Buffer): number {
  let hash = 1;
  for (let index = 0; index < bytes.length; index++) hash = (Math.imul(31, hash) + ((bytes[index]! << 24) >> 24)) | 0;
  return hash;
}

export class JavaHashSetOrder {
  private readonly keys = new Map<string, OrderedKey>();
  /** Keys per bucket at the current capacity. */
  private readonly bucketSizes = new Map<number, number>();
  private capacity = initialCapacity;
  private sequence = 0;

  get size(): number {
    return this.keys.size;
  }

  /** Adds a key (`id`: its bytes as latin1); a key already in the set keeps its place. */
  add(id: string, bytes: Buffer): void {
    if (this.keys.has(id)) return;
    const hash = javaBytesHashCode(bytes);
    const key: OrderedKey = { bytes, spread: hash ^ (hash >>> 16), sequence: this.sequence++ };
    const bucket = key.spread & (this.capacity - 1);
    const chain = this.bucketSizes.get(bucket) ?? 0;
    this.keys.set(id, key);
    this.bucketSizes.set(bucket, chain + 1);
    if (chain >= treeifyThreshold && this.capacity < minimumTreeifyCapacity) this.resize();
    if (this.keys.size > this.capacity * 0.75) this.resize();
  }

  /** The keys in the set's iteration order. */
  ordered(): Buffer[] {
    const mask = this.capacity - 1;
    return [...this.keys.values()].sort((left, right) => (left.spread & mask) - (right.spread & mask) || left.sequence - right.sequence).map((key) => key.bytes);
  }

  /** Empties the set; its capacity stays, as a Java `HashSet`'s does. */
  clear(): void {
    this.keys.clear();
    this.bucketSizes.clear();
    this.sequence = 0;
  }

  private resize(): void {
    this.capacity *= 2;
    this.bucketSizes.clear();
    const mask = this.capacity - 1;
    for (const key of this.keys.values()) {
      const bucket = key.spread & mask;
      this.bucketSizes.set(bucket, (this.bucketSizes.get(bucket) ?? 0) + 1);
    }
  }
}
