/**
 * Branches of `KStream.split()`: each branch takes the records its predicate accepts (the first
 * matching branch wins), and may be named, handed to a function, or consumed in place.
 */
import type { KStream } from './kstream.js';

/** Options of one branch. `N` is the branch's name, kept in the result's type. */
export interface Branched<K, V, N extends string = string> {
  /**
   * The branch's key in the result map, after the split's prefix. Defaults to the branch's
   * position (`1`, `2`, …; `0` for the default branch), as in Kafka Streams.
   */
  readonly name?: N;
  /** Builds on the branch; its result is what the map holds for this branch. */
  readonly chain?: (stream: KStream<K, V>) => KStream<K, V>;
  /** Consumes the branch; the map holds nothing for it. */
  readonly consumer?: (stream: KStream<K, V>) => void;
}

/** Builds {@link Branched} options, as in Kafka Streams. */
export const Branched = {
  /** Names the branch; the result map holds it under the split's prefix plus this name. */
  as<N extends string, K = any, V = any>(name: N): Branched<K, V, N> {
    return { name };
  },
  /** Transforms the branch; the map holds the transformed stream. */
  withFunction<K, V, N extends string = never>(chain: (stream: KStream<K, V>) => KStream<K, V>, name?: N): Branched<K, V, N> {
    return name === undefined ? { chain } : { chain, name };
  },
  /** Consumes the branch; the map does not hold it. */
  withConsumer<K, V>(consumer: (stream: KStream<K, V>) => void): Branched<K, V, never> {
    return { consumer };
  },
};
