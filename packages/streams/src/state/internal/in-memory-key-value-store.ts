/**
 * A key-value store held in memory. Keys are kept by their serialized bytes (as latin1 strings,
 * whose code units are the bytes, so string order is byte order); values stay as objects, so
 * reads and writes cost no serialization.
 */
import { StateStoreError } from '../../errors/streams-error.js';
import type { Serde } from '../../serde/serde.js';
import { Headers } from '../../processor/headers.js';
import type { KeyValue, KeyValueStore } from '../key-value-store.js';
import type { StateStoreContext } from '../state-store.js';

const noHeaders = new Headers();

export class InMemoryKeyValueStore<K, V> implements KeyValueStore<K, V> {
  readonly persistent = false;
  private entries = new Map<string, { key: K; value: V }>();
  private sortedKeys: string[] | undefined;
  private open = false;

  constructor(
    readonly name: string,
    private readonly keySerde: Serde<K>,
  ) {}

  get isOpen(): boolean {
    return this.open;
  }

  init(_context: StateStoreContext): void {
    this.open = true;
  }

  flush(): void {}

  close(): void {
    this.open = false;
    this.entries = new Map();
    this.sortedKeys = undefined;
  }

  get(key: K): V | undefined {
    this.checkOpen();
    return this.entries.get(this.encode(key))?.value;
  }

  put(key: K, value: V | null): void {
    this.checkOpen();
    const encoded = this.encode(key);
    if (value === null || value === undefined) {
      if (this.entries.delete(encoded)) this.sortedKeys = undefined;
      return;
    }
    if (!this.entries.has(encoded)) this.sortedKeys = undefined;
    this.entries.set(encoded, { key, value });
  }

  putIfAbsent(key: K, value: V): V | undefined {
    const existing = this.get(key);
    if (existing === undefined) this.put(key, value);
    return existing;
  }

  putAll(entries: Iterable<KeyValue<K, V | null>>): void {
    for (const entry of entries) this.put(entry.key, entry.value);
  }

  delete(key: K): V | undefined {
    const existing = this.get(key);
    this.put(key, null);
    return existing;
  }

  *range(from: K | undefined, to: K | undefined): IterableIterator<KeyValue<K, V>> {
    this.checkOpen();
    const lower = from === undefined ? undefined : this.encode(from);
    const upper = to === undefined ? undefined : this.encode(to);
    for (const encoded of this.sorted()) {
      if (lower !== undefined && encoded < lower) continue;
      if (upper !== undefined && encoded > upper) break;
      const entry = this.entries.get(encoded);
      if (entry !== undefined) yield { key: entry.key, value: entry.value };
    }
  }

  all(): IterableIterator<KeyValue<K, V>> {
    return this.range(undefined, undefined);
  }

  approximateNumEntries(): number {
    return this.entries.size;
  }

  private sorted(): string[] {
    if (this.sortedKeys === undefined) this.sortedKeys = [...this.entries.keys()].sort();
    return this.sortedKeys;
  }

  private encode(key: K): string {
    if (key === null || key === undefined) throw new StateStoreError(`Store '${this.name}' cannot hold a null key.`);
    return this.keySerde.serialize(this.name, key, noHeaders).toString('latin1');
  }

  private checkOpen(): void {
    if (!this.open) throw new StateStoreError(`State store '${this.name}' is not open; it can be used once its task has started.`);
  }
}
