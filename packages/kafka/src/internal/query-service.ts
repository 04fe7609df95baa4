/**
 * The interactive-query side of one `KafkaStreams`: the group's metadata (which instance holds
 * what), where a key lives, each store's kind and serdes as the topology declares them, and the
 * local answers to {@link StoreQuery}s. `KafkaStreams` holds one and delegates to it; a worker
 * thread's instance answers its supervisor's queries through it.
 */
import { ConfigError, Headers, KeyValueStoreBuilder, SessionStoreBuilder, WindowStoreBuilder, type Serde, type StateStore } from '@tributary/streams';
import type { InternalTopologyBuilder, ResolvedStreamsConfig } from '@tributary/streams/engine';
import { StoreUnavailableError } from '../errors.js';
import type { KeyLocator, KeyQueryMetadata, StreamsMetadata } from '../streams-metadata.js';
import { defaultPartition } from './murmur2.js';
import { executeStoreQuery, isKeyQuery, type LocalStores, type StoreQuery, type StoreQueryAnswer, type StoreSerdes } from './store-query.js';
import { storeSourcesOf, StreamsMetadataState, type GroupSnapshot } from './streams-metadata-state.js';

/** The kinds of store a query can read. */
export type StoreKind = 'key-value' | 'window' | 'session';

/** What the service reads of the running application. */
export interface QueryServiceHost {
  /** Whether stores may be read now (the application is RUNNING or REBALANCING). */
  readable(): boolean;
  /** Whether every task is running (the application is RUNNING): a read of every task's entries needs it. */
  settled(): boolean;
  /** Running tasks' instances of a (non-global) store. */
  storesNamed(store: string): StateStore[];
  /** A task's instance of a store: `'restoring'` while it restores, `undefined` when the task is not here. */
  storeOfTask(task: string, store: string): StateStore | 'restoring' | undefined;
  /** A global store's instance, when loaded. */
  globalStore(store: string): StateStore | undefined;
  /** A read-only instance of a store in this instance's standby of `task`, for stale reads; `undefined` when there is none. */
  standbyStoreOfTask(task: string, store: string): StateStore | undefined;
  /** Read-only instances of a store in this instance's standby tasks, for stale reads. */
  standbyStoresNamed(store: string): StateStore[];
}

export class QueryService {
  readonly metadata: StreamsMetadataState;
  private readonly serdes = new Map<string, StoreSerdes>();

  constructor(
    private readonly builder: InternalTopologyBuilder,
    private readonly applicationId: string,
    private readonly config: ResolvedStreamsConfig,
    applicationServer: string | undefined,
  ) {
    this.metadata = new StreamsMetadataState(storeSourcesOf(builder, applicationId), applicationServer);
  }

  update(snapshot: GroupSnapshot): void {
    this.metadata.update(snapshot);
  }

  allMetadata(): StreamsMetadata[] {
    return this.metadata.allMetadata();
  }

  metadataForStore(store: string): StreamsMetadata[] {
    return this.metadata.metadataForStore(store);
  }

  /** Where `key` of `store` lives, its partition found with `locator` (or the store's key serde). */
  keyQueryMetadata<K>(store: string, key: K, locator?: KeyLocator<K>): KeyQueryMetadata {
    const source = this.metadata.checkStore(store);
    const count = source === undefined ? undefined : this.metadata.partitionsOf(store);
    if (source === undefined || count === undefined) return this.metadata.keyQueryMetadata(store, -1);
    return this.metadata.keyQueryMetadata(store, this.partition(store, key, count, locator));
  }

  /** The partition of `key` in `store` (-1 for a global store); throws {@link StoreUnavailableError} before the first assignment. */
  partitionOf(store: string, key: unknown): number {
    if (this.metadata.checkStore(store) === undefined) return -1;
    const count = this.metadata.partitionsOf(store);
    if (count === undefined) throw new StoreUnavailableError(`Store '${store}' cannot be queried by key yet: this instance has had no assignment from the consumer group. Retry once the application is RUNNING.`);
    return this.partition(store, key, count);
  }

  /** The kind of a store, from its builder; `undefined` for a store of a kind queries cannot read. Throws `UnknownStoreError`. */
  kindOf(store: string): StoreKind | undefined {
    this.metadata.checkStore(store);
    const storeBuilder = this.storeBuilder(store);
    if (storeBuilder instanceof KeyValueStoreBuilder) return 'key-value';
    if (storeBuilder instanceof WindowStoreBuilder) return 'window';
    if (storeBuilder instanceof SessionStoreBuilder) return 'session';
    return undefined;
  }

  /** The serdes of a store as the topology declares them (the defaults where it declares none). */
  serdesOf(store: string): StoreSerdes {
    let found = this.serdes.get(store);
    if (found !== undefined) return found;
    this.metadata.checkStore(store);
    const storeBuilder = this.storeBuilder(store) as { keySerde?: Serde<unknown>; valueSerde?: Serde<unknown> } | undefined;
    const global = [...this.builder.globalStores.values()].find((spec) => spec.builder.name === store);
    const key = storeBuilder?.keySerde ?? global?.keySerde ?? this.config.defaultKeySerde;
    const value = storeBuilder?.valueSerde ?? global?.valueSerde ?? this.config.defaultValueSerde;
    if (key === undefined || value === undefined) {
      throw new ConfigError(`Store '${store}' has no ${key === undefined ? 'key' : 'value'} serde to carry queries with: give it one (Materialized.with, Stores.*StoreBuilder) or set the application's default${key === undefined ? 'Key' : 'Value'}Serde.`);
    }
    found = { key, value, topic: `${this.applicationId}-${store}-changelog` };
    this.serdes.set(store, found);
    return found;
  }

  /** Answers a query from this thread's stores. */
  execute(query: StoreQuery, host: QueryServiceHost): StoreQueryAnswer {
    if (!host.readable()) throw new StoreUnavailableError(`Store '${query.store}' cannot be queried now: the application is not running (it is starting, closing or failed). Retry once it is RUNNING.`);
    const source = this.metadata.checkStore(query.store);
    const stale = query.stale === true;
    // As Kafka Streams without stale stores: while tasks restore or move, a list would miss theirs.
    if (source !== undefined && !isKeyQuery(query) && !stale && !host.settled()) {
      throw new StoreUnavailableError(
        `Store '${query.store}' cannot be read whole now: the application is rebalancing or restoring, and the list would miss those tasks' entries. Retry once it is RUNNING, or read stale stores (staleStores: true, ?stale=true over HTTP).`,
      );
    }
    const stores: LocalStores = {
      running: (store) => {
        if (source !== undefined) return stale ? [...host.storesNamed(store), ...host.standbyStoresNamed(store)] : host.storesNamed(store);
        const global = host.globalStore(store);
        return global === undefined ? [] : [global];
      },
      forPartition: (store, partition) => {
        if (source === undefined) return stores.running(store);
        const task = `${source.subtopology}_${partition}`;
        const found = host.storeOfTask(task, store);
        if (found !== undefined && found !== 'restoring') return [found];
        const standby = stale ? host.standbyStoreOfTask(task, store) : undefined;
        if (standby !== undefined) return [standby];
        if (found === 'restoring') throw new StoreUnavailableError(`Partition ${partition} of store '${store}' is restoring on this instance; retry in a moment.`);
        throw new StoreUnavailableError(
          `Partition ${partition} of store '${store}' is not hosted by this instance${stale ? ', active or standby' : ''} (its task moved, or a rebalance is under way); ask queryMetadataForKey where it lives now.`,
        );
      },
    };
    return executeStoreQuery(query, stores);
  }

  private storeBuilder(store: string): unknown {
    return this.builder.stores.get(store)?.builder ?? [...this.builder.globalStores.values()].find((spec) => spec.builder.name === store)?.builder;
  }

  private partition<K>(store: string, key: K, count: number, locator?: KeyLocator<K>): number {
    if (locator !== undefined && 'partitioner' in locator) {
      const chosen = locator.partitioner(this.metadata.topicOf(store), key, undefined, count);
      if (chosen !== undefined) {
        if (!Number.isInteger(chosen) || chosen < 0 || chosen >= count) throw new ConfigError(`The partitioner given for store '${store}' chose partition ${chosen}; it must be an integer from 0 to ${count - 1}.`);
        return chosen;
      }
    }
    const serializer = locator !== undefined && 'serialize' in locator ? locator : this.serdesOf(store).key;
    return defaultPartition(serializer.serialize(this.metadata.topicOf(store), key, new Headers()), count);
  }
}
