package dev.tributary.bench;

import dev.tributary.bench.Model.Alert;
import dev.tributary.bench.Model.CatalogChange;
import dev.tributary.bench.Model.EnrichedEvent;
import dev.tributary.bench.Model.FunnelAggregate;
import dev.tributary.bench.Model.Parsed;
import dev.tributary.bench.Model.Product;
import dev.tributary.bench.Model.ProductEvent;
import dev.tributary.bench.Model.Stats;
import dev.tributary.bench.Model.Trend;
import dev.tributary.bench.Model.TrendAggregate;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.errors.LogAndContinueExceptionHandler;
import org.apache.kafka.streams.kstream.Branched;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Grouped;
import org.apache.kafka.streams.kstream.Joined;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.KTable;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.Repartitioned;
import org.apache.kafka.streams.kstream.Suppressed;
import org.apache.kafka.streams.kstream.TimeWindows;
import org.apache.kafka.streams.kstream.Windowed;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.apache.kafka.streams.state.WindowStore;

/**
 * The product-analytics flagship topology (examples/product-analytics/src/topology.ts) written
 * with Apache Kafka Streams, for the Kafka benchmark of issue #8: same stores, windows, grace,
 * de-duplication, join, output topics and JSON shapes. See benchmarks/java/README.md.
 */
public final class ProductAnalyticsReference {
  private static final long MINUTE = 60_000;

  /** The topology's options, with the TS defaults (options.ts). */
  static final class Options {
    String eventsTopic = "product-events";
    String catalogTopic = "product-catalog";
    String outputPrefix = "";
    long dedupeHorizonMs = 10 * MINUTE;
    long windowSizeMs = 5 * MINUTE;
    long gracePeriodMs = MINUTE;
    long trendWindowSizeMs = 5 * MINUTE;
    long trendAdvanceMs = MINUTE;
    long maxFutureSkewMs = 60 * MINUTE;
    boolean emitFinalOnly = false;
    int sketchPrecision = Hll.DEFAULT_PRECISION;
    double viewsPerMinute = 100;
    double conversionRateBelow = 0.01;
    long conversionMinViews = 200;
    double purchasesPerMinute = 20;
    long cooldownMs = 5 * MINUTE;

    String deadLetter() { return outputPrefix + "product-events-dlq"; }
    String productAnalytics() { return outputPrefix + "product-analytics"; }
    String categoryAnalytics() { return outputPrefix + "category-analytics"; }
    String trends() { return outputPrefix + "product-trends"; }
    String alerts() { return outputPrefix + "product-alerts"; }
  }

  static final String CATALOG = "catalog";
  static final String DEDUPE_IDS = "dedupe-event-ids";
  static final String UNKNOWN_PRODUCTS = "unknown-product-events";
  static final String PRODUCT_WINDOWS = "product-windows";
  static final String CATEGORY_WINDOWS = "category-windows";
  static final String TREND_WINDOWS = "product-trend-windows";
  static final String ALERT_IDS = "alert-cooldown-ids";
  static final String ALERT_INDEX = "alert-cooldown-expiry";

  private ProductAnalyticsReference() {}

  // ---- the topology's functions (as in topology.ts) ---------------------------------------

  static FunnelAggregate emptyFunnel(int precision) {
    FunnelAggregate a = new FunnelAggregate();
    a.users = new Hll(precision);
    return a;
  }

  static FunnelAggregate addToFunnel(EnrichedEvent event, FunnelAggregate a) {
    switch (event.eventType) {
      case "view": a.views++; break;
      case "click": a.clicks++; break;
      case "add_to_cart": a.addToCarts++; break;
      case "purchase": a.purchases++; break;
      default:
    }
    a.revenue += event.revenue;
    a.name = event.name;
    a.category = event.category;
    a.lastEventAt = Math.max(a.lastEventAt, event.timestamp);
    if (event.userId != null) a.users.add(event.userId);
    return a;
  }

  static TrendAggregate addToTrend(EnrichedEvent event, TrendAggregate a) {
    if (event.eventType.equals("view")) a.views++;
    if (event.eventType.equals("purchase")) a.purchases++;
    a.name = event.name;
    a.category = event.category;
    a.lastEventAt = Math.max(a.lastEventAt, event.timestamp);
    return a;
  }

  /** JS Math.round(amount * 100) / 100 (Java's Math.round also rounds half up). */
  static double roundMoney(double amount) {
    return Math.round(amount * 100) / 100.0;
  }

  static Stats toStats(Windowed<String> windowed, FunnelAggregate a, boolean product) {
    Stats s = new Stats();
    if (product) {
      s.productId = windowed.key();
      s.name = a.name;
      s.category = a.category;
    } else {
      s.category = windowed.key();
    }
    s.windowStart = windowed.window().start();
    s.windowEnd = windowed.window().end();
    s.views = a.views;
    s.clicks = a.clicks;
    s.addToCarts = a.addToCarts;
    s.purchases = a.purchases;
    s.revenue = roundMoney(a.revenue);
    s.conversionRate = a.views == 0 ? 0 : (double) a.purchases / a.views;
    s.uniqueUsers = a.users.count();
    s.updatedAt = a.lastEventAt;
    return s;
  }

  static Trend toTrend(Windowed<String> windowed, TrendAggregate a, long windowSizeMs) {
    double minutes = (double) windowSizeMs / MINUTE;
    Trend t = new Trend();
    t.productId = windowed.key();
    t.name = a.name;
    t.category = a.category;
    t.windowStart = windowed.window().start();
    t.windowEnd = windowed.window().end();
    t.views = a.views;
    t.purchases = a.purchases;
    t.viewsPerMinute = a.views / minutes;
    t.purchasesPerMinute = a.purchases / minutes;
    t.updatedAt = a.lastEventAt;
    return t;
  }

  static EnrichedEvent enrich(ProductEvent event, Product product) {
    double unitPrice = event.price != null ? event.price : product != null ? product.price : 0;
    EnrichedEvent e = new EnrichedEvent();
    e.eventId = event.eventId;
    e.userId = event.userId;
    e.productId = event.productId;
    e.eventType = event.eventType;
    e.timestamp = event.timestamp;
    e.name = product != null ? product.name : event.productId;
    e.category = product != null ? product.category : Model.UNKNOWN_CATEGORY;
    e.revenue = event.eventType.equals("purchase") ? unitPrice * (event.quantity != null ? event.quantity : 1) : 0;
    return e;
  }

  /** JS `(x).toFixed(2)`: the exact binary value, half up. */
  static String toFixed2(double x) {
    return new BigDecimal(x).setScale(2, RoundingMode.HALF_UP).toPlainString();
  }

  static Alert alert(String type, Trend t, double value, double threshold, String message) {
    Alert a = new Alert();
    a.alertType = type;
    a.productId = t.productId;
    a.name = t.name;
    a.category = t.category;
    a.windowStart = t.windowStart;
    a.windowEnd = t.windowEnd;
    a.value = value;
    a.threshold = threshold;
    a.message = message;
    a.detectedAt = t.updatedAt;
    return a;
  }

  static List<Alert> trendAlerts(Trend t, Options o) {
    boolean spike = t.viewsPerMinute >= o.viewsPerMinute;
    boolean surge = t.purchasesPerMinute >= o.purchasesPerMinute;
    if (!spike && !surge) return Collections.emptyList();
    List<Alert> alerts = new ArrayList<>(2);
    if (spike) {
      alerts.add(alert("views_spike", t, t.viewsPerMinute, o.viewsPerMinute,
          t.name + ": " + Json.jsNumber(t.viewsPerMinute) + " views/min (threshold " + Json.jsNumber(o.viewsPerMinute) + ")"));
    }
    if (surge) {
      alerts.add(alert("purchase_surge", t, t.purchasesPerMinute, o.purchasesPerMinute,
          t.name + ": " + Json.jsNumber(t.purchasesPerMinute) + " purchases/min (threshold " + Json.jsNumber(o.purchasesPerMinute) + ")"));
    }
    return alerts;
  }

  static List<Alert> conversionAlerts(Stats s, Options o) {
    if (s.views < o.conversionMinViews || s.conversionRate >= o.conversionRateBelow) return Collections.emptyList();
    Alert a = new Alert();
    a.alertType = "conversion_drop";
    a.productId = s.productId;
    a.name = s.name;
    a.category = s.category;
    a.windowStart = s.windowStart;
    a.windowEnd = s.windowEnd;
    a.value = s.conversionRate;
    a.threshold = o.conversionRateBelow;
    a.message = s.name + ": conversion " + toFixed2(s.conversionRate * 100) + "% over " + s.views + " views (threshold " + toFixed2(o.conversionRateBelow * 100) + "%)";
    a.detectedAt = s.updatedAt;
    return List.of(a);
  }

  static <V> KTable<Windowed<String>, V> finalOnly(KTable<Windowed<String>, V> table, Options o, String name) {
    return o.emitFinalOnly ? table.suppress(Suppressed.untilWindowCloses(Suppressed.BufferConfig.unbounded()).withName(name)) : table;
  }

  // ---- the topology ------------------------------------------------------------------------

  static Topology buildTopology(Options o) {
    StreamsBuilder builder = new StreamsBuilder();
    Serde<String> string = Serdes.String();

    // 1. Parse and validate; invalid records (with their original bytes) to the dead-letter topic.
    Map<String, KStream<Bytes, Parsed>> parsed = builder
        .stream(o.eventsTopic, Consumed.with(Serdes.Bytes(), Serdes.Bytes()))
        .processValues(() -> new ParseProductEvent(o.maxFutureSkewMs), Named.as("parse-and-validate"))
        .split(Named.as("events-"))
        .branch((key, result) -> result.valid(), Branched.as("valid"))
        .defaultBranch(Branched.as("invalid"));
    parsed.get("events-invalid")
        .mapValues(result -> result.valid() ? null : (result.original == null ? null : Bytes.wrap(result.original)), Named.as("original-bytes"))
        .to(o.deadLetter(), Produced.with(Serdes.Bytes(), Serdes.Bytes()));

    // 2. De-duplicate by eventId in event time, after re-keying by productId through a repartition
    // topic. The window store (id -> times seen) is retained for the horizon plus the grace, so a
    // record the windows still take on time is compared with every copy within the horizon of it.
    long dedupeRetentionMs = o.dedupeHorizonMs + o.gracePeriodMs;
    builder.addStateStore(Stores.windowStoreBuilder(
        Stores.persistentWindowStore(DEDUPE_IDS, Duration.ofMillis(dedupeRetentionMs), Duration.ofMillis(o.dedupeHorizonMs), false),
        string, Serdes.Double()));
    KStream<String, ProductEvent> events = parsed.get("events-valid")
        .map((key, result) -> KeyValue.pair(result.event.productId, result.event), Named.as("key-by-product"))
        .repartition(Repartitioned.<String, ProductEvent>as("events-by-product").withKeySerde(string).withValueSerde(Json.PRODUCT_EVENT))
        .processValues(
            () -> new DeduplicateInEventTime<String, ProductEvent>(DEDUPE_IDS, o.dedupeHorizonMs, record -> record.value().eventId),
            Named.as("dedupe-by-event-id"), DEDUPE_IDS);

    // 3. Enrich from the catalog table (Debezium or plain upserts; deletes and tombstones remove).
    KTable<String, Product> catalog = builder
        .stream(o.catalogTopic, Consumed.with(string, Json.CATALOG_CHANGE))
        .mapValues((CatalogChange change) -> change == null ? null : change.product, Named.as("catalog-to-product"))
        .toTable(Named.as("catalog-table"),
            Materialized.<String, Product, KeyValueStore<Bytes, byte[]>>as(CATALOG).withKeySerde(string).withValueSerde(Json.PRODUCT));
    KStream<String, EnrichedEvent> enriched = events.leftJoin(catalog, ProductAnalyticsReference::enrich,
        Joined.with(string, Json.PRODUCT_EVENT, Json.PRODUCT));
    enriched
        .filter((productId, event) -> event.category.equals(Model.UNKNOWN_CATEGORY), Named.as("unknown-products"))
        .groupByKey(Grouped.with(string, Json.ENRICHED_EVENT))
        .count(Materialized.<String, Long, KeyValueStore<Bytes, byte[]>>as(UNKNOWN_PRODUCTS).withKeySerde(string));

    // 4. Windows: funnel counts + unique users per product and per category; trends per product.
    int precision = o.sketchPrecision;
    TimeWindows tumbling = TimeWindows.ofSizeAndGrace(Duration.ofMillis(o.windowSizeMs), Duration.ofMillis(o.gracePeriodMs));
    KTable<Windowed<String>, FunnelAggregate> productWindows = enriched
        .groupByKey(Grouped.with(string, Json.ENRICHED_EVENT))
        .windowedBy(tumbling)
        .aggregate(() -> emptyFunnel(precision), (productId, event, aggregate) -> addToFunnel(event, aggregate),
            Materialized.<String, FunnelAggregate, WindowStore<Bytes, byte[]>>as(PRODUCT_WINDOWS).withKeySerde(string).withValueSerde(Json.FUNNEL_AGGREGATE));
    KTable<Windowed<String>, FunnelAggregate> categoryWindows = enriched
        .groupBy((productId, event) -> event.category, Grouped.with("events-by-category", string, Json.ENRICHED_EVENT))
        .windowedBy(tumbling)
        .aggregate(() -> emptyFunnel(precision), (category, event, aggregate) -> addToFunnel(event, aggregate),
            Materialized.<String, FunnelAggregate, WindowStore<Bytes, byte[]>>as(CATEGORY_WINDOWS).withKeySerde(string).withValueSerde(Json.FUNNEL_AGGREGATE));
    KTable<Windowed<String>, TrendAggregate> trendWindows = enriched
        .groupByKey(Grouped.with(string, Json.ENRICHED_EVENT))
        .windowedBy(TimeWindows.ofSizeAndGrace(Duration.ofMillis(o.trendWindowSizeMs), Duration.ofMillis(o.gracePeriodMs)).advanceBy(Duration.ofMillis(o.trendAdvanceMs)))
        .aggregate(TrendAggregate::new, (productId, event, aggregate) -> addToTrend(event, aggregate),
            Materialized.<String, TrendAggregate, WindowStore<Bytes, byte[]>>as(TREND_WINDOWS).withKeySerde(string).withValueSerde(Json.TREND_AGGREGATE));

    // 5. Results, keyed by productId or category (the window is in the value).
    finalOnly(productWindows, o, "product-windows-final")
        .toStream(Named.as("product-windows-out"))
        .map((windowed, aggregate) -> KeyValue.pair(windowed.key(), aggregate == null ? null : toStats(windowed, aggregate, true)), Named.as("to-product-stats"))
        .to(o.productAnalytics(), Produced.with(string, Json.PRODUCT_STATS));
    finalOnly(categoryWindows, o, "category-windows-final")
        .toStream(Named.as("category-windows-out"))
        .map((windowed, aggregate) -> KeyValue.pair(windowed.key(), aggregate == null ? null : toStats(windowed, aggregate, false)), Named.as("to-category-stats"))
        .to(o.categoryAnalytics(), Produced.with(string, Json.CATEGORY_STATS));
    KStream<String, Trend> trends = trendWindows
        .toStream(Named.as("trend-windows-out"))
        .map((windowed, aggregate) -> KeyValue.pair(windowed.key(), aggregate == null ? null : toTrend(windowed, aggregate, o.trendWindowSizeMs)), Named.as("to-product-trend"));
    trends.to(o.trends(), Produced.with(string, Json.PRODUCT_TREND));

    // 6. Alerts from every update, at most one per kind and product per cool-down.
    builder.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(ALERT_IDS), string, Serdes.Double()));
    builder.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(ALERT_INDEX), string, string));
    KStream<String, Alert> conversion = productWindows
        .toStream(Named.as("product-windows-for-alerts"))
        .map((windowed, aggregate) -> KeyValue.pair(windowed.key(), aggregate == null ? null : toStats(windowed, aggregate, true)), Named.as("stats-for-alerts"))
        .flatMapValues(stats -> stats == null ? Collections.<Alert>emptyList() : conversionAlerts(stats, o), Named.as("conversion-alerts"));
    trends
        .flatMapValues(trend -> trend == null ? Collections.<Alert>emptyList() : trendAlerts(trend, o), Named.as("trend-alerts"))
        .merge(conversion, Named.as("all-alerts"))
        .processValues(
            () -> new OncePerHorizon<String, Alert>(ALERT_IDS, ALERT_INDEX, o.cooldownMs, record -> record.value().alertType + "|" + record.key()),
            Named.as("alert-cooldown"), ALERT_IDS, ALERT_INDEX)
        .to(o.alerts(), Produced.with(string, Json.ALERT));

    return builder.build();
  }

  // ---- CLI -----------------------------------------------------------------------------------

  private static final String USAGE = String.join("\n",
      "Usage: java -jar product-analytics-reference.jar --bootstrap-servers HOST:PORT --application-id ID",
      "         --events-topic T --catalog-topic C --output-prefix P --guarantee at_least_once|exactly_once_v2",
      "         --threads N --state-dir DIR --commit-interval-ms MS [--cache-max-bytes B] [--emit-final-only] [--describe]",
      "Prints JSON lines on stdout: {\"event\":\"state\",...} on state changes and",
      "{\"event\":\"metrics\",\"processed\":N,\"ts\":epochMs} every second. SIGTERM closes cleanly.");

  private static synchronized void emit(String line) {
    System.out.println(line);
    System.out.flush();
  }

  private static String jsonString(String text) {
    try {
      return Json.MAPPER.writeValueAsString(text);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  public static void main(String[] args) throws Exception {
    Map<String, String> flags = new HashMap<>();
    boolean emitFinalOnly = false;
    boolean describe = false;
    for (int i = 0; i < args.length; i++) {
      String arg = args[i];
      if (arg.equals("--emit-final-only")) emitFinalOnly = true;
      else if (arg.equals("--describe")) describe = true;
      else if (arg.equals("-h") || arg.equals("--help")) {
        System.err.println(USAGE);
        return;
      } else if (arg.startsWith("--") && arg.contains("=")) {
        flags.put(arg.substring(2, arg.indexOf('=')), arg.substring(arg.indexOf('=') + 1));
      } else if (arg.startsWith("--") && i + 1 < args.length) {
        flags.put(arg.substring(2), args[++i]);
      } else {
        System.err.println("Unknown or incomplete argument '" + arg + "'.\n" + USAGE);
        System.exit(2);
      }
    }
    List<String> known = List.of("bootstrap-servers", "application-id", "events-topic", "catalog-topic", "output-prefix", "guarantee", "threads", "state-dir", "commit-interval-ms", "cache-max-bytes");
    for (String flag : flags.keySet()) {
      if (!known.contains(flag)) {
        System.err.println("Unknown flag --" + flag + ".\n" + USAGE);
        System.exit(2);
      }
    }
    Options options = new Options();
    options.eventsTopic = flags.getOrDefault("events-topic", options.eventsTopic);
    options.catalogTopic = flags.getOrDefault("catalog-topic", options.catalogTopic);
    options.outputPrefix = flags.getOrDefault("output-prefix", "");
    options.emitFinalOnly = emitFinalOnly;
    Topology topology = buildTopology(options);
    if (describe) {
      System.out.println(topology.describe());
      return;
    }
    String bootstrap = flags.get("bootstrap-servers");
    if (bootstrap == null) {
      System.err.println("--bootstrap-servers is required.\n" + USAGE);
      System.exit(2);
    }
    String guarantee = flags.getOrDefault("guarantee", "at_least_once");
    if (!guarantee.equals("at_least_once") && !guarantee.equals("exactly_once_v2")) {
      System.err.println("--guarantee must be at_least_once or exactly_once_v2, got '" + guarantee + "'.");
      System.exit(2);
    }
    Properties props = new Properties();
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, flags.getOrDefault("application-id", "product-analytics-reference"));
    props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, guarantee);
    props.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, Integer.parseInt(flags.getOrDefault("threads", "1")));
    props.put(StreamsConfig.STATE_DIR_CONFIG, flags.getOrDefault("state-dir", "/tmp/product-analytics-reference"));
    if (flags.containsKey("commit-interval-ms")) props.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, Long.parseLong(flags.get("commit-interval-ms")));
    if (flags.containsKey("cache-max-bytes")) props.put(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, Long.parseLong(flags.get("cache-max-bytes")));
    // A catalog value no serde can read is logged and skipped, not fatal (events never reach a
    // serde: they are read as bytes and rejected to the dead-letter topic).
    props.put(StreamsConfig.DEFAULT_DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG, LogAndContinueExceptionHandler.class);
    // A record whose processing throws is logged and skipped, as Tributary's default handler does.
    props.put(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_CLASS_CONFIG, org.apache.kafka.streams.errors.LogAndContinueProcessingExceptionHandler.class);
    props.put(StreamsConfig.consumerPrefix("auto.offset.reset"), "earliest");

    KafkaStreams streams = new KafkaStreams(topology, props);
    CountDownLatch stopped = new CountDownLatch(1);
    streams.setStateListener((state, previous) -> {
      emit("{\"event\":\"state\",\"state\":\"" + state + "\",\"previous\":\"" + previous + "\",\"ts\":" + System.currentTimeMillis() + "}");
      if (state == KafkaStreams.State.NOT_RUNNING || state == KafkaStreams.State.ERROR) stopped.countDown();
    });
    streams.setUncaughtExceptionHandler(exception -> {
      emit("{\"event\":\"error\",\"message\":" + jsonString(String.valueOf(exception)) + ",\"ts\":" + System.currentTimeMillis() + "}");
      return org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
    });
    ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor(runnable -> {
      Thread thread = new Thread(runnable, "metrics-ticker");
      thread.setDaemon(true);
      return thread;
    });
    ticker.scheduleAtFixedRate(
        () -> emit("{\"event\":\"metrics\",\"processed\":" + ParseProductEvent.PROCESSED.sum() + ",\"ts\":" + System.currentTimeMillis() + "}"),
        1, 1, TimeUnit.SECONDS);
    Thread hook = new Thread(() -> {
      streams.close(Duration.ofSeconds(30));
      ticker.shutdown();
      emit("{\"event\":\"metrics\",\"processed\":" + ParseProductEvent.PROCESSED.sum() + ",\"ts\":" + System.currentTimeMillis() + "}");
      emit("{\"event\":\"closed\",\"clean\":" + (streams.state() == KafkaStreams.State.NOT_RUNNING) + ",\"ts\":" + System.currentTimeMillis() + "}");
      // Closed and committed: exit 0 rather than the JVM's 143 for SIGTERM.
      Runtime.getRuntime().halt(streams.state() == KafkaStreams.State.NOT_RUNNING ? 0 : 1);
    }, "shutdown");
    Runtime.getRuntime().addShutdownHook(hook);
    streams.start();
    stopped.await();
    // ERROR (or NOT_RUNNING without a signal): exit non-zero unless the hook is closing us.
    KafkaStreams.State finalState = streams.state();
    if (finalState == KafkaStreams.State.ERROR) {
      streams.close(Duration.ofSeconds(30));
      System.exit(1);
    }
    hook.join();
  }
}
