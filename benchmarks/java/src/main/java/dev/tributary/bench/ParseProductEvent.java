package dev.tributary.bench;

import dev.tributary.bench.Model.Parsed;
import dev.tributary.bench.Model.ProductEvent;
import java.util.concurrent.atomic.LongAdder;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.processor.api.FixedKeyProcessor;
import org.apache.kafka.streams.processor.api.FixedKeyProcessorContext;
import org.apache.kafka.streams.processor.api.FixedKeyRecord;
import org.apache.kafka.streams.processor.api.RecordMetadata;

/**
 * As processors.ts ParseProductEvent: parses and validates a raw event; a valid one goes on with
 * its event time as the record timestamp, a rejected one with its original bytes and the reason
 * in the `__streams.errors.*` dead-letter headers. Also counts every record read from the events
 * topic, for the runner's `processed` metric.
 */
final class ParseProductEvent implements FixedKeyProcessor<Bytes, Bytes, Parsed> {
  static final LongAdder PROCESSED = new LongAdder();
  static final String INVALID_EVENT_EXCEPTION = "InvalidProductEvent";

  private final long maxFutureSkewMs;
  private FixedKeyProcessorContext<Bytes, Parsed> context;

  ParseProductEvent(long maxFutureSkewMs) {
    this.maxFutureSkewMs = maxFutureSkewMs;
  }

  @Override
  public void init(FixedKeyProcessorContext<Bytes, Parsed> context) {
    this.context = context;
  }

  @Override
  public void process(FixedKeyRecord<Bytes, Bytes> record) {
    PROCESSED.increment();
    RecordMetadata metadata = context.recordMetadata().orElse(null);
    String topic = metadata == null ? "product-events" : metadata.topic();
    byte[] bytes = record.value() == null ? null : record.value().get();
    String reason;
    if (bytes == null) {
      reason = "a null value (tombstone) is not a product event";
    } else {
      try {
        ProductEvent event = Json.readProductEvent(topic, bytes);
        long ahead = event.timestamp - context.currentSystemTimeMs();
        if (ahead <= maxFutureSkewMs) {
          context.forward(record.withValue(new Parsed(event, null)).withTimestamp(event.timestamp));
          return;
        }
        reason = "Validation on topic '" + topic + "': /timestamp is " + ahead + " ms in the future; at most " + maxFutureSkewMs + " ms is allowed";
      } catch (Json.Invalid e) {
        reason = e.getMessage();
      }
    }
    Headers headers = new RecordHeaders(record.headers().toArray());
    headers.add("__streams.errors.exception", Json.utf8(INVALID_EVENT_EXCEPTION));
    headers.add("__streams.errors.message", Json.utf8(reason));
    headers.add("__streams.errors.stacktrace", Json.utf8(""));
    if (metadata != null) {
      headers.add("__streams.errors.topic", Json.utf8(metadata.topic()));
      headers.add("__streams.errors.partition", Json.utf8(String.valueOf(metadata.partition())));
      headers.add("__streams.errors.offset", Json.utf8(String.valueOf(metadata.offset())));
    }
    context.forward(record.withValue(new Parsed(null, bytes)).withHeaders(headers));
  }
}
