package dev.tributary.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.FixedKeyProcessor;
import org.apache.kafka.streams.processor.api.FixedKeyProcessorContext;
import org.apache.kafka.streams.processor.api.FixedKeyRecord;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * As processors.ts OncePerHorizon: lets a record through when its id was not seen within
 * `horizonMs` of stream time. Two changelogged stores: ids (id → expiry) and an index
 * (zero-padded expiry | id → id) swept by a stream-time punctuator.
 */
final class OncePerHorizon<K, V> implements FixedKeyProcessor<K, V, V> {
  private final String idStoreName;
  private final String indexStoreName;
  private final long horizonMs;
  private final Function<FixedKeyRecord<K, V>, String> idOf;
  private FixedKeyProcessorContext<K, V> context;
  private KeyValueStore<String, Double> ids;
  private KeyValueStore<String, String> index;

  OncePerHorizon(String idStoreName, String indexStoreName, long horizonMs, Function<FixedKeyRecord<K, V>, String> idOf) {
    this.idStoreName = idStoreName;
    this.indexStoreName = indexStoreName;
    this.horizonMs = horizonMs;
    this.idOf = idOf;
  }

  static String indexKey(long expiresAt, String id) {
    String time = Long.toString(expiresAt);
    StringBuilder key = new StringBuilder(17 + id.length());
    for (int i = time.length(); i < 16; i++) key.append('0');
    return key.append(time).append('|').append(id).toString();
  }

  @Override
  public void init(FixedKeyProcessorContext<K, V> context) {
    this.context = context;
    this.ids = context.getStateStore(idStoreName);
    this.index = context.getStateStore(indexStoreName);
    long sweepEveryMs = Math.max(1_000, Math.min(horizonMs, 60_000));
    context.schedule(java.time.Duration.ofMillis(sweepEveryMs), PunctuationType.STREAM_TIME, this::expire);
  }

  @Override
  public void process(FixedKeyRecord<K, V> record) {
    long now = Math.max(context.currentStreamTimeMs(), record.timestamp());
    String id = idOf.apply(record);
    Double expiresAt = ids.get(id);
    if (expiresAt != null && expiresAt > now) return;
    long newExpiry = now + horizonMs;
    ids.put(id, (double) newExpiry);
    index.put(indexKey(newExpiry, id), id);
    context.forward(record);
  }

  private void expire(long streamTime) {
    String cutoff = indexKey(streamTime, "\uffff");
    List<KeyValue<String, String>> expired = new ArrayList<>();
    try (KeyValueIterator<String, String> all = index.all()) {
      while (all.hasNext()) {
        KeyValue<String, String> entry = all.next();
        if (entry.key.compareTo(cutoff) > 0) break;
        expired.add(entry);
      }
    }
    for (KeyValue<String, String> entry : expired) {
      index.delete(entry.key);
      Double expiresAt = ids.get(entry.value);
      if (expiresAt != null && expiresAt <= streamTime) ids.delete(entry.value);
    }
  }
}
