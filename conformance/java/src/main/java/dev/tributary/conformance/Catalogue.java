package dev.tributary.conformance;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TopologyConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Branched;
import org.apache.kafka.streams.kstream.GlobalKTable;
import org.apache.kafka.streams.kstream.JoinWindows;
import org.apache.kafka.streams.kstream.KGroupedStream;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.KTable;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.SessionWindows;
import org.apache.kafka.streams.kstream.SlidingWindows;
import org.apache.kafka.streams.kstream.StreamJoined;
import org.apache.kafka.streams.kstream.Suppressed;
import org.apache.kafka.streams.kstream.Suppressed.BufferConfig;
import org.apache.kafka.streams.kstream.TimeWindows;
import org.apache.kafka.streams.kstream.ValueJoiner;
import org.apache.kafka.streams.kstream.Windowed;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;

/**
 * The catalogue of conformance topologies, by name. Each entry has a twin of the same name in
 * conformance/src/catalogue.ts, built with Tributary's DSL: the two must stay operator for
 * operator and function for function the same, so that only the engines differ. Every value is a
 * String (a decimal number as the generator writes them, or what the functions below make of
 * it); counts are written as decimal Strings too, so both sides write UTF-8 bytes.
 */
final class Catalogue {
  /** The keys the generator draws from; foreign keys and global-table keys are picked among them. */
  static final String[] KEYS = {"a", "b", "c", "d", "e"};

  private Catalogue() {}

  static List<String> outputs(String name) {
    return switch (name) {
      case "split-merge" -> List.of("out", "out-null");
      case "table-old-values" -> List.of("out", "sums", "evens");
      case "rekeyed-join" -> List.of("out", "counts");
      default -> List.of("out");
    };
  }

  static int n(String value) {
    return Integer.parseInt(value);
  }

  static String str(Object value) {
    return value == null ? null : String.valueOf(value);
  }

  /** The foreign key of a row: none for multiples of 7, else one of the keys. */
  static String foreignKey(String value) {
    int number = n(value);
    return number % 7 == 0 ? null : KEYS[number % KEYS.length];
  }

  static final ValueJoiner<String, String, String> JOINER = (left, right) -> left + "/" + right;

  private static String windowedKey(Windowed<String> key) {
    return key.key() + "@" + key.window().start() + "/" + key.window().end();
  }

  private static long param(JsonNode params, String name) {
    JsonNode node = params.get(name);
    if (node == null) throw new IllegalArgumentException("missing parameter '" + name + "'");
    return node.asLong();
  }

  private static Duration ms(JsonNode params, String name) {
    return Duration.ofMillis(param(params, name));
  }

  /** The suppression buffer of `time-limit-suppress`: bounded in records or bytes, emitting early or shutting down. */
  private static Suppressed.BufferConfig<?> buffer(JsonNode params) {
    return switch (params.path("buffer").asText()) {
      case "records-emit-early" -> BufferConfig.maxRecords(param(params, "maxRecords")).emitEarlyWhenFull();
      case "records-shut-down" -> BufferConfig.maxRecords(param(params, "maxRecords")).shutDownWhenFull();
      case "bytes-emit-early" -> BufferConfig.maxBytes(param(params, "maxBytes")).emitEarlyWhenFull();
      default -> throw new IllegalArgumentException("unknown buffer '" + params.path("buffer").asText() + "'");
    };
  }

  private static String kind(JsonNode params) {
    return params.path("kind").asText();
  }

  private static void toOut(KTable<Windowed<String>, ?> table) {
    table.toStream().map((key, value) -> KeyValue.pair(windowedKey(key), str(value))).to("out");
  }

  /** Builds a topology; `config` reaches the builder, so `default.dsl.store` makes every DSL store in memory. */
  static Topology build(String name, JsonNode params, Properties config) {
    StreamsBuilder builder = new StreamsBuilder(new TopologyConfig(new StreamsConfig(config)));
    switch (name) {
      case "filter-map-values" -> builder.<String, String>stream("a")
          .filter((key, value) -> value == null || n(value) % 3 != 0)
          .mapValues(value -> value == null ? null : value + "!")
          .to("out");
      case "map-flat-map" -> builder.<String, String>stream("a")
          .map((key, value) -> KeyValue.pair(value, key))
          .flatMap((key, value) -> key == null ? List.<KeyValue<String, String>>of() : List.of(KeyValue.pair(key, value), KeyValue.pair(key + "#", value)))
          .flatMapValues(value -> value == null ? List.of("none") : List.of(value, value + value))
          .to("out");
      case "select-key-peek" -> builder.<String, String>stream("a")
          .peek((key, value) -> { })
          .selectKey((key, value) -> value == null ? null : "g" + (n(value) % 3))
          .filterNot((key, value) -> key == null && value == null)
          .to("out");
      case "split-merge" -> {
        Map<String, KStream<String, String>> branches = builder.<String, String>stream("a")
            .split(Named.as("s-"))
            .branch((key, value) -> value == null, Branched.as("null"))
            .branch((key, value) -> n(value) % 2 == 0, Branched.as("even"))
            .defaultBranch(Branched.as("odd"));
        branches.get("s-null").to("out-null");
        branches.get("s-even").mapValues(value -> value + "e")
            .merge(branches.get("s-odd").mapValues(value -> value + "o"))
            .to("out");
      }
      case "group-by-count" -> builder.<String, String>stream("a")
          .groupBy((key, value) -> value == null ? null : "g" + (n(value) % 3))
          .count()
          .toStream().mapValues(Catalogue::str).to("out");
      case "select-key-reduce" -> builder.<String, String>stream("a")
          .selectKey((key, value) -> value == null ? key : "g" + (n(value) % 3))
          .groupByKey()
          .reduce((left, right) -> left + "+" + right)
          .toStream().to("out");
      case "group-by-key-aggregate" -> builder.<String, String>stream("a")
          .groupByKey()
          .aggregate(() -> "", (key, value, aggregate) -> aggregate + "|" + value)
          .toStream().to("out");
      case "cogroup" -> {
        KGroupedStream<String, String> b = builder.<String, String>stream("b").groupByKey();
        builder.<String, String>stream("a").groupByKey()
            .<String>cogroup((key, value, aggregate) -> aggregate + "a" + value)
            .cogroup(b, (key, value, aggregate) -> aggregate + "b" + value)
            .aggregate(() -> "")
            .toStream().to("out");
      }
      case "tumbling-count" -> toOut(builder.<String, String>stream("a").groupByKey()
          .windowedBy(TimeWindows.ofSizeAndGrace(ms(params, "size"), ms(params, "grace")))
          .count());
      case "hopping-aggregate" -> toOut(builder.<String, String>stream("a").groupByKey()
          .windowedBy(TimeWindows.ofSizeAndGrace(ms(params, "size"), ms(params, "grace")).advanceBy(ms(params, "advance")))
          .aggregate(() -> "", (key, value, aggregate) -> aggregate + "|" + value));
      case "sliding-reduce" -> toOut(builder.<String, String>stream("a").groupByKey()
          .windowedBy(SlidingWindows.ofTimeDifferenceAndGrace(ms(params, "difference"), ms(params, "grace")))
          .reduce((left, right) -> left + "+" + right));
      case "session-aggregate" -> toOut(builder.<String, String>stream("a").groupByKey()
          .windowedBy(SessionWindows.ofInactivityGapAndGrace(ms(params, "gap"), ms(params, "grace")))
          .aggregate(() -> "", (key, value, aggregate) -> aggregate + "|" + value, (key, left, right) -> left + "&" + right));
      case "tumbling-suppress" -> toOut(builder.<String, String>stream("a").groupByKey()
          .windowedBy(TimeWindows.ofSizeAndGrace(ms(params, "size"), ms(params, "grace")))
          .count(Materialized.with(Serdes.String(), Serdes.Long()))
          .suppress(Suppressed.untilWindowCloses(BufferConfig.unbounded())));
      case "session-suppress" -> toOut(builder.<String, String>stream("a").groupByKey()
          .windowedBy(SessionWindows.ofInactivityGapAndGrace(ms(params, "gap"), ms(params, "grace")))
          .count(Materialized.with(Serdes.String(), Serdes.Long()))
          .suppress(Suppressed.untilWindowCloses(BufferConfig.unbounded())));
      case "time-limit-suppress" -> builder.<String, String>stream("a").groupByKey()
          .reduce((left, right) -> left + "+" + right)
          .suppress(Suppressed.untilTimeLimit(ms(params, "limit"), buffer(params)))
          .toStream().to("out");
      case "table-filter-map-values" -> {
        boolean materialized = params.path("materialized").asBoolean();
        KTable<String, String> table = builder.table("t");
        KTable<String, String> filtered = materialized
            ? table.filter((key, value) -> n(value) % 2 == 0, Materialized.<String, String, KeyValueStore<Bytes, byte[]>>as("filtered"))
            : table.filter((key, value) -> n(value) % 2 == 0);
        KTable<String, String> mapped = materialized
            ? filtered.mapValues(value -> value + "m", Materialized.<String, String, KeyValueStore<Bytes, byte[]>>as("mapped"))
            : filtered.mapValues(value -> value + "m");
        mapped.toStream().to("out");
      }
      case "table-old-values" -> {
        KTable<String, String> filtered = builder.<String, String>table("t").filter((key, value) -> n(value) % 2 == 0);
        filtered.toStream().to("out");
        filtered.groupBy((key, value) -> KeyValue.pair("g" + (n(value) % 3), value))
            .aggregate(() -> "0",
                (key, value, aggregate) -> String.valueOf(n(aggregate) + n(value)),
                (key, value, aggregate) -> String.valueOf(n(aggregate) - n(value)))
            .toStream().to("sums");
        builder.<String, String>stream("a").groupByKey()
            .reduce((left, right) -> String.valueOf(n(left) + n(right)))
            .filter((key, value) -> n(value) % 2 == 0)
            .toStream().to("evens");
      }
      case "table-group-by-aggregate" -> builder.<String, String>table("t")
          .groupBy((key, value) -> KeyValue.pair("g" + (n(value) % 3), value))
          .aggregate(() -> "0",
              (key, value, aggregate) -> String.valueOf(n(aggregate) + n(value)),
              (key, value, aggregate) -> String.valueOf(n(aggregate) - n(value)))
          .toStream().to("out");
      case "table-group-by-reduce" -> builder.<String, String>table("t")
          .groupBy((key, value) -> KeyValue.pair("g" + (n(value) % 2), key))
          .reduce((left, right) -> left + "+" + right, (left, right) -> left + "-" + right)
          .toStream().to("out");
      case "table-table-join" -> {
        KTable<String, String> left = builder.table("t");
        KTable<String, String> right = builder.table("u");
        KTable<String, String> joined = switch (kind(params)) {
          case "inner" -> left.join(right, JOINER);
          case "left" -> left.leftJoin(right, JOINER);
          default -> left.outerJoin(right, JOINER);
        };
        joined.toStream().to("out");
      }
      case "foreign-key-join" -> {
        KTable<String, String> left = builder.table("t");
        KTable<String, String> right = builder.table("u");
        java.util.function.Function<String, String> extractor = Catalogue::foreignKey;
        KTable<String, String> joined = kind(params).equals("inner")
            ? left.join(right, extractor, JOINER)
            : left.leftJoin(right, extractor, JOINER);
        joined.toStream().to("out");
      }
      case "to-table" -> builder.<String, String>stream("a")
          .toTable()
          .mapValues(value -> value + "t")
          .toStream().to("out");
      case "stream-stream-join" -> {
        KStream<String, String> left = builder.stream("a");
        KStream<String, String> right = builder.stream("b");
        JoinWindows windows = JoinWindows.ofTimeDifferenceAndGrace(ms(params, "before"), ms(params, "grace")).after(ms(params, "after"));
        StreamJoined<String, String, String> serdes = StreamJoined.with(Serdes.String(), Serdes.String(), Serdes.String());
        KStream<String, String> joined = switch (kind(params)) {
          case "inner" -> left.join(right, JOINER, windows, serdes);
          case "left" -> left.leftJoin(right, JOINER, windows, serdes);
          default -> left.outerJoin(right, JOINER, windows, serdes);
        };
        joined.to("out");
      }
      case "rekeyed-join" -> {
        KStream<String, String> rekeyed = builder.<String, String>stream("a")
            .selectKey((key, value) -> value == null ? key : n(value) % 4 == 0 ? null : KEYS[n(value) % KEYS.length]);
        boolean viaRepartition = params.path("via").asText().equals("repartition");
        KStream<String, String> left = viaRepartition ? rekeyed.repartition() : rekeyed;
        if (viaRepartition) {
          left.groupByKey().count().toStream().mapValues(Catalogue::str).to("counts");
        }
        JoinWindows windows = JoinWindows.ofTimeDifferenceAndGrace(ms(params, "before"), ms(params, "grace"));
        StreamJoined<String, String, String> serdes = StreamJoined.with(Serdes.String(), Serdes.String(), Serdes.String());
        // Both right sides exist whatever the kind, so that every input topic has a source.
        KStream<String, String> right = builder.stream("b");
        KTable<String, String> rows = builder.table("t");
        KStream<String, String> joined = switch (kind(params)) {
          case "inner" -> left.join(right, JOINER, windows, serdes);
          case "left" -> left.leftJoin(right, JOINER, windows, serdes);
          case "outer" -> left.outerJoin(right, JOINER, windows, serdes);
          case "table-inner" -> left.join(rows, JOINER);
          default -> left.leftJoin(rows, JOINER);
        };
        joined.to("out");
      }
      case "stream-table-join" -> {
        KStream<String, String> left = builder.stream("a");
        KTable<String, String> right = builder.table("t");
        (kind(params).equals("inner") ? left.join(right, JOINER) : left.leftJoin(right, JOINER)).to("out");
      }
      case "stream-global-join" -> {
        KStream<String, String> left = builder.stream("a");
        GlobalKTable<String, String> right = builder.globalTable("g");
        (kind(params).equals("inner")
            ? left.join(right, (key, value) -> value == null ? null : KEYS[n(value) % KEYS.length], JOINER)
            : left.leftJoin(right, (key, value) -> value == null ? null : KEYS[n(value) % KEYS.length], JOINER))
            .to("out");
      }
      case "punctuators" -> {
        long streamInterval = param(params, "streamInterval");
        long wallInterval = param(params, "wallInterval");
        builder.addStateStore(Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore("counts"), Serdes.String(), Serdes.Long()).withCachingEnabled());
        builder.<String, String>stream("a")
            .process(() -> new Punctuating(streamInterval, wallInterval), "counts")
            .to("out");
      }
      default -> throw new IllegalArgumentException("no catalogue topology named '" + name + "'");
    }
    return builder.build();
  }

  /**
   * Counts records per key in a store; forwards each record with its key's count, every count at
   * each stream-time punctuation, and the number of keys at each wall-clock punctuation.
   */
  static final class Punctuating implements Processor<String, String, String, String> {
    private final long streamInterval;
    private final long wallInterval;
    private ProcessorContext<String, String> context;
    private KeyValueStore<String, Long> counts;

    Punctuating(long streamInterval, long wallInterval) {
      this.streamInterval = streamInterval;
      this.wallInterval = wallInterval;
    }

    @Override
    public void init(ProcessorContext<String, String> context) {
      this.context = context;
      this.counts = context.getStateStore("counts");
      context.schedule(Duration.ofMillis(streamInterval), PunctuationType.STREAM_TIME, timestamp -> {
        try (KeyValueIterator<String, Long> all = counts.all()) {
          while (all.hasNext()) {
            KeyValue<String, Long> entry = all.next();
            context.forward(new Record<>(entry.key, "stream:" + entry.value, timestamp));
          }
        }
      });
      context.schedule(Duration.ofMillis(wallInterval), PunctuationType.WALL_CLOCK_TIME, timestamp -> {
        long keys = 0;
        try (KeyValueIterator<String, Long> all = counts.all()) {
          while (all.hasNext()) {
            all.next();
            keys++;
          }
        }
        context.forward(new Record<>("wall", "keys:" + keys, timestamp));
      });
    }

    @Override
    public void process(Record<String, String> record) {
      if (record.key() == null) {
        context.forward(record.withValue("nokey:" + record.value()));
        return;
      }
      Long previous = counts.get(record.key());
      long count = previous == null ? 1 : previous + 1;
      counts.put(record.key(), count);
      context.forward(record.withValue("seen:" + count));
    }
  }
}
