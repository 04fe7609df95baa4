/**
 * Record headers, as Kafka carries them: an ordered list of key/value pairs in which a key may
 * repeat. Values are bytes; strings given to {@link Headers.add} are stored as UTF-8.
 */
export interface Header {
  /** The header's name; may repeat within one record. */
  readonly key: string;
  /** Raw bytes; decode with `toString('utf8')` when the producer wrote a string. */
  readonly value: Buffer;
}

/** The headers of one record. Mutable, like Kafka's `Headers`; copy with {@link Headers.copy}. */
export class Headers implements Iterable<Header> {
  private readonly entries: Header[];

  /** Headers holding `entries` in order (repeated keys allowed), or none. */
  constructor(entries?: Iterable<Header>) {
    this.entries = entries === undefined ? [] : Array.from(entries);
  }

  /** Builds headers from a plain object, as kafkajs hands them (arrays mean repeated keys). */
  static fromObject(object: Readonly<Record<string, Buffer | string | ReadonlyArray<Buffer | string> | undefined>> | undefined): Headers {
    const headers = new Headers();
    if (object === undefined) return headers;
    for (const key of Object.keys(object)) {
      const value = object[key];
      if (value === undefined) continue;
      if (Array.isArray(value)) {
        for (const item of value as ReadonlyArray<Buffer | string>) headers.add(key, item);
      } else {
        headers.add(key, value as Buffer | string);
      }
    }
    return headers;
  }

  /** Appends a header; a key may appear more than once. */
  add(key: string, value: Buffer | string): this {
    this.entries.push({ key, value: typeof value === 'string' ? Buffer.from(value, 'utf8') : value });
    return this;
  }

  /** Removes every header with this key. */
  remove(key: string): this {
    for (let index = this.entries.length - 1; index >= 0; index--) {
      if (this.entries[index]!.key === key) this.entries.splice(index, 1);
    }
    return this;
  }

  /** The last header with this key, or `undefined`. */
  lastHeader(key: string): Header | undefined {
    for (let index = this.entries.length - 1; index >= 0; index--) {
      const entry = this.entries[index]!;
      if (entry.key === key) return entry;
    }
    return undefined;
  }

  /** The last value for this key decoded as UTF-8, or `undefined`. */
  lastString(key: string): string | undefined {
    return this.lastHeader(key)?.value.toString('utf8');
  }

  /** Every header with this key, in order. */
  headers(key: string): Header[] {
    return this.entries.filter((entry) => entry.key === key);
  }

  /** The number of headers. */
  get size(): number {
    return this.entries.length;
  }

  /** A copy that can be changed without changing this one. */
  copy(): Headers {
    return new Headers(this.entries);
  }

  /** All headers, in order. */
  toArray(): Header[] {
    return this.entries.slice();
  }

  /** The headers as kafkajs takes them (repeated keys become arrays). */
  toObject(): Record<string, Buffer | Buffer[]> {
    const object: Record<string, Buffer | Buffer[]> = {};
    for (const { key, value } of this.entries) {
      const existing = object[key];
      if (existing === undefined) object[key] = value;
      else if (Array.isArray(existing)) existing.push(value);
      else object[key] = [existing, value];
    }
    return object;
  }

  /** Iterates the headers in order, repeated keys included, so `for…of` and spreads work. */
  [Symbol.iterator](): Iterator<Header> {
    return this.entries[Symbol.iterator]();
  }
}
