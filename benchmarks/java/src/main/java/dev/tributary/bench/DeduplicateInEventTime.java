package dev.tributary.bench;

import java.util.function.Function;
import org.apache.kafka.streams.processor.api.FixedKeyProcessor;
import org.apache.kafka.streams.processor.api.FixedKeyProcessorContext;
import org.apache.kafka.streams.processor.api.FixedKeyRecord;
import org.apache.kafka.streams.state.WindowStore;
import org.apache.kafka.streams.state.WindowStoreIterator;

/**
 * As processors.ts DeduplicateInEventTime (Confluent's de-duplication transformer over a window
 * store): drops a record when its id was seen at an event time strictly less than `horizonMs`
 * away from its own, earlier or later, i.e. in [t - horizon + 1, t + horizon - 1]. Every copy is
 * remembered, dropped ones too (put(id, t) → t). The store (id → times seen, Double as the TS
 * Float64 serde, no duplicates retained: a second copy at the same time overwrites the first)
 * should retain horizon + grace; a record older than the store's observed time minus retention
 * is compared with the copies still retained and its own time is not kept (the window store
 * drops the put), as in TS.
 */
final class DeduplicateInEventTime<K, V> implements FixedKeyProcessor<K, V, V> {
  private final String storeName;
  private final long horizonMs;
  private final Function<FixedKeyRecord<K, V>, String> idOf;
  private FixedKeyProcessorContext<K, V> context;
  private WindowStore<String, Double> seen;

  DeduplicateInEventTime(String storeName, long horizonMs, Function<FixedKeyRecord<K, V>, String> idOf) {
    this.storeName = storeName;
    this.horizonMs = horizonMs;
    this.idOf = idOf;
  }

  @Override
  public void init(FixedKeyProcessorContext<K, V> context) {
    this.context = context;
    this.seen = context.getStateStore(storeName);
  }

  @Override
  public void process(FixedKeyRecord<K, V> record) {
    String id = idOf.apply(record);
    long time = record.timestamp();
    // Strictly within the horizon: copies exactly `horizonMs` apart are two events. Event times
    // are >= 0 (validated), so clamping the lower bound at 0 changes nothing.
    boolean duplicate;
    try (WindowStoreIterator<Double> copies = seen.fetch(id, Math.max(0L, time - horizonMs + 1), time + horizonMs - 1)) {
      duplicate = copies.hasNext();
    }
    seen.put(id, (double) time, time);
    if (!duplicate) context.forward(record);
  }
}
