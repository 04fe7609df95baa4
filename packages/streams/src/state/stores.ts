/** Builds the state stores a topology adds by hand (Processor API) or the DSL materializes. */
import { TopologyError } from '../errors/streams-error.js';
import type { Serde } from '../serde/serde.js';
import { InMemoryKeyValueStore } from './internal/in-memory-key-value-store.js';
import type { KeyValueStore } from './key-value-store.js';
import type { ChangelogConfig, StoreBuilder } from './state-store.js';

/** Builds a key-value store for each task, with its changelog settings. */
export class KeyValueStoreBuilder<K, V> implements StoreBuilder<KeyValueStore<K, V>> {
  constructor(
    readonly name: string,
    private readonly create: () => KeyValueStore<K, V>,
    readonly changelog: ChangelogConfig = { enabled: true, topicConfig: {} },
  ) {}

  build(): KeyValueStore<K, V> {
    return this.create();
  }

  /** Keeps the store's writes out of a changelog topic: it will not be restored after a failure. */
  withLoggingDisabled(): KeyValueStoreBuilder<K, V> {
    return new KeyValueStoreBuilder(this.name, this.create, { enabled: false, topicConfig: {} });
  }

  /** Logs writes to the changelog topic, with extra topic configs. */
  withLoggingEnabled(topicConfig: Readonly<Record<string, string>> = {}): KeyValueStoreBuilder<K, V> {
    return new KeyValueStoreBuilder(this.name, this.create, { enabled: true, topicConfig: { ...topicConfig } });
  }
}

function checkStoreName(name: string): void {
  if (typeof name !== 'string' || !/^[a-zA-Z0-9._-]+$/.test(name)) {
    throw new TopologyError(`A store name must be letters, digits, '.', '_' or '-' (it names the changelog topic), got ${JSON.stringify(name)}.`);
  }
}

/** Factories of state stores, as in Kafka Streams. */
export const Stores = {
  /** A key-value store kept in memory, ordered by the key's serialized bytes. */
  inMemoryKeyValueStore<K, V>(name: string, keySerde: Serde<K>, _valueSerde: Serde<V>): KeyValueStoreBuilder<K, V> {
    checkStoreName(name);
    return new KeyValueStoreBuilder<K, V>(name, () => new InMemoryKeyValueStore<K, V>(name, keySerde));
  },
};
