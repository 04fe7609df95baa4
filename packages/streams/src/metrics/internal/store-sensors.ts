/**
 * State store and record cache metrics (Kafka's `StateStoreMetrics` and the cache's hit ratio),
 * recorded at `DEBUG` only, since timing an operation costs two clock reads. The stores `Stores`
 * builds time themselves in their metered layer (`state/internal/metered-store.ts`); any other
 * store (a suppression buffer, your own `StateStore`) is wrapped so each operation is timed.
 */
import type { StateStore } from '../../state/state-store.js';
import { SampledStat } from './sampled-stat.js';

/** The store methods timed, by the Kafka operation they count as. */
const operationOf: Readonly<Record<string, string>> = {
  put: 'put',
  // An aggregation's reads and writes of its own store (see `state/internal/exclusive-writes.ts`).
  putExclusive: 'put',
  putIfAbsent: 'put-if-absent',
  putAll: 'put-all',
  get: 'get',
  getForUpdate: 'get',
  delete: 'delete',
  remove: 'remove',
  range: 'range',
  reverseRange: 'range',
  all: 'all',
  reverseAll: 'all',
  prefixScan: 'prefix-scan',
  fetch: 'fetch',
  fetchForUpdate: 'fetch',
  backwardFetch: 'fetch',
  fetchAll: 'fetch',
  backwardFetchAll: 'fetch',
  findSessions: 'fetch',
  backwardFindSessions: 'fetch',
  fetchSession: 'fetch',
  flush: 'flush',
};

/** The timed operations of one store of one task, and its cache's hit ratio. */
export class StoreSensors {
  /** Latency of each operation, ms, by Kafka operation name (`put`, `get`, `range`, ...). */
  readonly operations = new Map<string, SampledStat>();
  constructor(
    /** The store's name. */
    readonly storeName: string,
    /** Kafka's store-type part of the state-id tag: `in-memory`, `in-memory-window`, `level-session`, ... */
    readonly storeType: string,
    /** The store's record cache hit ratio per read, when it has a cache. */
    readonly hitRatio: SampledStat | undefined,
  ) {}

  /** The latency stat of an operation, created on first use. */
  operation(name: string): SampledStat {
    let stat = this.operations.get(name);
    if (stat === undefined) this.operations.set(name, (stat = new SampledStat()));
    return stat;
  }
}

/** A store with a metered layer of its own, which times its operations once given sensors. */
interface SelfMeteredStore {
  /** Starts timing the store's operations (and its cache's hit ratio); returns the sensors. Call before `init`. */
  recordMetrics(): StoreSensors;
}

/** The store-type part of Kafka's `<type>-state-id` tag for a store. */
function storeTypeOf(store: StateStore): string {
  const backend = store.persistent ? 'level' : 'in-memory';
  const shape = store as unknown as Record<string, unknown>;
  if (typeof shape['findSessions'] === 'function') return `${backend}-session`;
  if (typeof shape['fetchAll'] === 'function') return `${backend}-window`;
  return backend;
}

/**
 * Has `store` record its operations' latencies into a new {@link StoreSensors}: a store with a
 * metered layer times itself; any other is wrapped, and the wrapper is what the task must use.
 * The wrapper's methods run on the store itself (so private fields work); other properties read
 * through.
 */
export function meterStore<S extends StateStore>(store: S): { store: S; sensors: StoreSensors } {
  const selfMetered = store as unknown as Partial<SelfMeteredStore>;
  if (typeof selfMetered.recordMetrics === 'function') return { store, sensors: selfMetered.recordMetrics() };
  const sensors = new StoreSensors(store.name, storeTypeOf(store), undefined);
  const wrapped = new Map<PropertyKey, unknown>();
  const metered = new Proxy(store, {
    get(target, property) {
      const value = Reflect.get(target, property, target) as unknown;
      if (typeof value !== 'function') return value;
      const known = wrapped.get(property);
      if (known !== undefined) return known;
      const method = value as (...args: unknown[]) => unknown;
      const operation = typeof property === 'string' ? operationOf[property] : undefined;
      let bound: unknown;
      if (operation === undefined) {
        bound = method.bind(target);
      } else {
        const stat = sensors.operation(operation);
        bound = (...args: unknown[]): unknown => {
          const start = performance.now();
          try {
            return method.apply(target, args);
          } finally {
            stat.record(performance.now() - start);
          }
        };
      }
      wrapped.set(property, bound);
      return bound;
    },
  });
  return { store: metered, sensors };
}
