/**
 * The entry point of the DSL: read topics as streams, add state stores, and `build()` the
 * topology a driver runs.
 */
import { TopologyError } from '../errors/streams-error.js';
import { Topology } from '../processor/topology.js';
import type { StoreBuilder } from '../state/state-store.js';
import type { Consumed } from './consumed.js';
import { KStreamImpl } from './internal/kstream-impl.js';
import type { KStream } from './kstream.js';

/** Builds a topology with the DSL. */
export class StreamsBuilder {
  private readonly topology = new Topology();

  /**
   * Reads one or more topics as a stream. The key and value types come from the serdes in
   * `consumed`, or from the type arguments when the config's default serdes are used.
   */
  stream<K = unknown, V = unknown>(topics: string | readonly string[], consumed: Consumed<K, V> = {}): KStream<K, V> {
    const list = typeof topics === 'string' ? [topics] : [...topics];
    if (list.length === 0) throw new TopologyError('stream() needs at least one topic.');
    const internal = this.topology.internal;
    const name = consumed.name ?? internal.newName('KSTREAM-SOURCE-');
    internal.addSource({
      name,
      topics: list,
      keySerde: consumed.keySerde,
      valueSerde: consumed.valueSerde,
      timestampExtractor: consumed.timestampExtractor as never,
    });
    return new KStreamImpl<K, V>(internal, name, consumed.keySerde, consumed.valueSerde, false);
  }

  /** Adds a state store that processors can then name in `process(supplier, storeName)`. */
  addStateStore(builder: StoreBuilder): this {
    this.topology.internal.addStateStore(builder, []);
    return this;
  }

  /** The topology built so far. */
  build(): Topology {
    return this.topology;
  }
}
