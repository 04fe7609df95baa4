/**
 * State store and record cache metrics (Kafka's `StateStoreMetrics` and the cache's hit ratio),
 * recorded at `DEBUG` only: a store of a task is then wrapped so each operation is timed, which
 * costs two clock reads per call, so `INFO` leaves stores unwrapped and free.
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
  /** Records restored into the store from its changelog, counted by the driver. */
  readonly restore = new SampledStat();

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

/** A store that can report its record cache's hit ratio (the typed stores with a cache). */
interface HitRatioSource {
  recordCacheHitRatio(stat: SampledStat): boolean;
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
 * Wraps `store` so each operation records its latency into a new {@link StoreSensors}. Methods
 * run on the store itself (so private fields work); other properties read through.
 */
export function meterStore<S extends StateStore>(store: S): { store: S; sensors: StoreSensors } {
  const hitRatio = new SampledStat();
  const source = store as unknown as Partial<HitRatioSource>;
  const cached = typeof source.recordCacheHitRatio === 'function' && source.recordCacheHitRatio(hitRatio);
  const sensors = new StoreSensors(store.name, storeTypeOf(store), cached ? hitRatio : undefined);
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
