package dev.tributary.bench;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeType;
import dev.tributary.bench.Model.Alert;
import dev.tributary.bench.Model.CatalogChange;
import dev.tributary.bench.Model.EnrichedEvent;
import dev.tributary.bench.Model.FunnelAggregate;
import dev.tributary.bench.Model.Product;
import dev.tributary.bench.Model.ProductEvent;
import dev.tributary.bench.Model.Stats;
import dev.tributary.bench.Model.Trend;
import dev.tributary.bench.Model.TrendAggregate;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;

/**
 * The JSON serdes, as examples/product-analytics/src/serdes.ts: JSON values validated like the
 * TS JSON schemas (required fields, types, enums, minimums) on reading, written field by field
 * in schema order (as fast-json-stringify writes them) with Jackson's streaming generator.
 */
final class Json {
  private Json() {}

  /** Rejects trailing content after the value, as JSON.parse does. */
  static final ObjectMapper MAPPER = new ObjectMapper().enable(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
  static final JsonFactory FACTORY = MAPPER.getFactory();
  static final Set<String> EVENT_TYPES = Set.of("view", "click", "add_to_cart", "purchase");
  static final Set<String> SOURCES = Set.of("web", "mobile");
  static final Set<String> OPS = Set.of("c", "u", "d", "r");

  /** Why a value does not match its schema (the message is the dead-letter reason). */
  static final class Invalid extends SerializationException {
    Invalid(String message) {
      super(message);
    }
  }

  // ---- writing --------------------------------------------------------------------------

  interface Writer<T> {
    void write(JsonGenerator gen, T value) throws IOException;
  }

  static <T> byte[] write(T value, Writer<T> writer) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(256);
    try (JsonGenerator gen = FACTORY.createGenerator(out)) {
      writer.write(gen, value);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  /** A JS number as JSON.stringify writes it where it matters: whole numbers without ".0". */
  static void number(JsonGenerator gen, String field, double value) throws IOException {
    gen.writeFieldName(field);
    if (value == Math.rint(value) && Math.abs(value) < 9.007199254740992E15) gen.writeNumber((long) value);
    else gen.writeNumber(value);
  }

  /** A JS number as `${value}` formats it (close: Java and JS agree on whole numbers and most decimals). */
  static String jsNumber(double value) {
    if (value == Math.rint(value) && Math.abs(value) < 9.007199254740992E15) return Long.toString((long) value);
    return Double.toString(value);
  }

  static <T> Serde<T> serde(Writer<T> writer, Deserializer<T> reader) {
    Serializer<T> serializer = (topic, value) -> value == null ? null : write(value, writer);
    return Serdes.serdeFrom(serializer, reader);
  }

  // ---- reading and validating -------------------------------------------------------------

  static JsonNode parse(String what, String topic, byte[] bytes) {
    try {
      return MAPPER.readTree(bytes);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new Invalid(what + " deserializer on topic '" + topic + "' got malformed JSON (" + bytes.length + " bytes): " + e.getOriginalMessage());
    } catch (IOException e) {
      throw new Invalid(what + " deserializer on topic '" + topic + "' got malformed JSON (" + bytes.length + " bytes): " + e.getMessage());
    }
  }

  static final class Check {
    final String prefix;
    final JsonNode node;
    final String path;

    Check(String prefix, JsonNode node, String path) {
      this.prefix = prefix;
      this.node = node;
      this.path = path;
    }

    Invalid fail(String where, String message) {
      return new Invalid(prefix + (where.isEmpty() ? "(root)" : where) + " " + message);
    }

    void object() {
      if (node == null || !node.isObject()) throw fail(path, "must be object");
    }

    void required(String... fields) {
      for (String field : fields) if (!node.has(field)) throw fail(path, "must have required property '" + field + "'");
    }

    String string(String field, boolean nonEmpty, Set<String> allowed) {
      JsonNode value = node.get(field);
      if (value == null) return null;
      if (!value.isTextual()) throw fail(path + "/" + field, "must be string");
      String text = value.textValue();
      if (nonEmpty && text.isEmpty()) throw fail(path + "/" + field, "must NOT have fewer than 1 characters");
      if (allowed != null && !allowed.contains(text)) throw fail(path + "/" + field, "must be equal to one of the allowed values");
      return text;
    }

    Long integer(String field, Long minimum) {
      JsonNode value = node.get(field);
      if (value == null) return null;
      if (value.getNodeType() != JsonNodeType.NUMBER) throw fail(path + "/" + field, "must be integer");
      double d = value.asDouble();
      if (d != Math.rint(d) || Double.isInfinite(d)) throw fail(path + "/" + field, "must be integer");
      if (minimum != null && d < minimum) throw fail(path + "/" + field, "must be >= " + minimum);
      return value.isIntegralNumber() && value.canConvertToLong() ? value.longValue() : (long) d;
    }

    Double number(String field, Double minimum) {
      JsonNode value = node.get(field);
      if (value == null) return null;
      if (value.getNodeType() != JsonNodeType.NUMBER) throw fail(path + "/" + field, "must be number");
      double d = value.asDouble();
      if (minimum != null && d < minimum) throw fail(path + "/" + field, "must be >= " + jsNumber(minimum));
      return d;
    }
  }

  // ---- product events ---------------------------------------------------------------------

  /** Reads a `product-events` value; throws {@link Invalid} with the reason. */
  static ProductEvent readProductEvent(String topic, byte[] bytes) {
    JsonNode node = parse("JsonSchema", topic, bytes);
    Check check = new Check("JsonSchema deserializer on topic '" + topic + "': ", node, "");
    check.object();
    check.required("eventId", "userId", "productId", "eventType", "timestamp");
    ProductEvent event = new ProductEvent();
    event.eventId = check.string("eventId", true, null);
    event.userId = check.string("userId", true, null);
    event.productId = check.string("productId", true, null);
    event.eventType = check.string("eventType", false, EVENT_TYPES);
    event.timestamp = check.integer("timestamp", 0L);
    event.price = check.number("price", 0.0);
    event.quantity = check.integer("quantity", 0L);
    event.sessionId = check.string("sessionId", false, null);
    event.source = check.string("source", false, SOURCES);
    return event;
  }

  static final Serde<ProductEvent> PRODUCT_EVENT = serde((gen, e) -> {
    gen.writeStartObject();
    gen.writeStringField("eventId", e.eventId);
    gen.writeStringField("userId", e.userId);
    gen.writeStringField("productId", e.productId);
    gen.writeStringField("eventType", e.eventType);
    gen.writeNumberField("timestamp", e.timestamp);
    if (e.price != null) number(gen, "price", e.price);
    if (e.quantity != null) gen.writeNumberField("quantity", e.quantity);
    if (e.sessionId != null) gen.writeStringField("sessionId", e.sessionId);
    if (e.source != null) gen.writeStringField("source", e.source);
    gen.writeEndObject();
  }, (topic, bytes) -> bytes == null ? null : readProductEvent(topic, bytes));

  // ---- catalog ------------------------------------------------------------------------------

  static Product readProduct(Check check) {
    check.object();
    check.required("productId", "name", "category", "price", "updatedAt");
    Product product = new Product();
    product.productId = check.string("productId", true, null);
    product.name = check.string("name", false, null);
    product.category = check.string("category", true, null);
    product.price = check.number("price", 0.0);
    product.updatedAt = check.integer("updatedAt", 0L);
    return product;
  }

  static final Serde<Product> PRODUCT = serde((gen, p) -> {
    gen.writeStartObject();
    gen.writeStringField("productId", p.productId);
    gen.writeStringField("name", p.name);
    gen.writeStringField("category", p.category);
    number(gen, "price", p.price);
    gen.writeNumberField("updatedAt", p.updatedAt);
    gen.writeEndObject();
  }, (topic, bytes) -> bytes == null ? null : readProduct(new Check("JsonSchema deserializer on topic '" + topic + "': ", parse("JsonSchema", topic, bytes), "")));

  private static CatalogChange fromDebezium(String topic, Check envelope) {
    envelope.object();
    envelope.required("op");
    String op = envelope.string("op", false, OPS);
    envelope.integer("ts_ms", null);
    Product before = debeziumRow(envelope, "before");
    Product after = debeziumRow(envelope, "after");
    if (op.equals("d")) {
      if (before == null || before.productId == null) throw new Invalid("Catalog change on topic '" + topic + "': a Debezium delete needs before.productId");
      return new CatalogChange(before.productId, null);
    }
    if (after == null || after.name == null || after.category == null || after.price < 0) {
      throw new Invalid("Catalog change on topic '" + topic + "': a Debezium '" + op + "' needs after.productId, after.name, after.category and after.price");
    }
    if (after.updatedAt < 0) {
      JsonNode ts = envelope.node.get("ts_ms");
      after.updatedAt = ts == null ? 0 : ts.asLong();
    }
    return new CatalogChange(after.productId, after);
  }

  /** A Debezium row: null, or a product of which only productId is required; -1 marks an absent price or updatedAt. */
  private static Product debeziumRow(Check envelope, String field) {
    JsonNode row = envelope.node.get(field);
    if (row == null || row.isNull()) return null;
    Check check = new Check(envelope.prefix, row, envelope.path + "/" + field);
    check.object();
    check.required("productId");
    Product product = new Product();
    product.productId = check.string("productId", true, null);
    product.name = check.string("name", false, null);
    product.category = check.string("category", true, null);
    Double price = check.number("price", 0.0);
    product.price = price == null ? -1 : price;
    Long updatedAt = check.integer("updatedAt", 0L);
    product.updatedAt = updatedAt == null ? -1 : updatedAt;
    return product;
  }

  /** Every catalog form: Debezium with or without `payload`, or a plain upsert. */
  static CatalogChange readCatalogChange(String topic, byte[] bytes) {
    JsonNode node = parse("JsonSchema", topic, bytes);
    String prefix = "JsonSchema deserializer on topic '" + topic + "': ";
    if (node == null || !node.isObject()) throw new Invalid(prefix + "(root) must be object");
    if (node.has("payload")) return fromDebezium(topic, new Check(prefix, node.get("payload"), "/payload"));
    if (node.has("op")) return fromDebezium(topic, new Check(prefix, node, ""));
    Product product = readProduct(new Check(prefix, node, ""));
    return new CatalogChange(product.productId, product);
  }

  static final Serde<CatalogChange> CATALOG_CHANGE = serde((gen, c) -> {
    throw new UnsupportedOperationException("catalog changes are only read");
  }, (topic, bytes) -> bytes == null ? null : readCatalogChange(topic, bytes));

  // ---- enriched events (repartition topic) -----------------------------------------------

  static final Serde<EnrichedEvent> ENRICHED_EVENT = serde((gen, e) -> {
    gen.writeStartObject();
    gen.writeStringField("eventId", e.eventId);
    gen.writeStringField("userId", e.userId);
    gen.writeStringField("productId", e.productId);
    gen.writeStringField("eventType", e.eventType);
    gen.writeNumberField("timestamp", e.timestamp);
    gen.writeStringField("name", e.name);
    gen.writeStringField("category", e.category);
    number(gen, "revenue", e.revenue);
    gen.writeEndObject();
  }, (topic, bytes) -> {
    if (bytes == null) return null;
    Check check = new Check("JsonSchema deserializer on topic '" + topic + "': ", parse("JsonSchema", topic, bytes), "");
    check.object();
    check.required("eventId", "userId", "productId", "eventType", "timestamp", "name", "category", "revenue");
    EnrichedEvent e = new EnrichedEvent();
    e.eventId = check.string("eventId", false, null);
    e.userId = check.string("userId", false, null);
    e.productId = check.string("productId", false, null);
    e.eventType = check.string("eventType", false, EVENT_TYPES);
    e.timestamp = check.integer("timestamp", null);
    e.name = check.string("name", false, null);
    e.category = check.string("category", false, null);
    e.revenue = check.number("revenue", null);
    return e;
  });

  // ---- aggregates (stores and changelogs) ------------------------------------------------

  /** As the TS FunnelAggregateSerde: a 4-byte length, the counts as JSON, then the sketch. */
  static final Serde<FunnelAggregate> FUNNEL_AGGREGATE = Serdes.serdeFrom((topic, a) -> {
    if (a == null) return null;
    byte[] json = write(a, (gen, v) -> {
      gen.writeStartObject();
      gen.writeNumberField("views", v.views);
      gen.writeNumberField("clicks", v.clicks);
      gen.writeNumberField("addToCarts", v.addToCarts);
      gen.writeNumberField("purchases", v.purchases);
      number(gen, "revenue", v.revenue);
      gen.writeStringField("name", v.name);
      gen.writeStringField("category", v.category);
      gen.writeNumberField("lastEventAt", v.lastEventAt);
      gen.writeEndObject();
    });
    byte[] out = new byte[4 + json.length + a.users.byteSize()];
    ByteBuffer.wrap(out).putInt(json.length).put(json);
    a.users.writeTo(out, 4 + json.length);
    return out;
  }, (topic, bytes) -> {
    if (bytes == null) return null;
    int length = ByteBuffer.wrap(bytes).getInt();
    JsonNode node;
    try {
      node = MAPPER.readTree(bytes, 4, length);
    } catch (IOException e) {
      throw new SerializationException("Funnel aggregate on topic '" + topic + "' is not readable", e);
    }
    FunnelAggregate a = new FunnelAggregate();
    a.views = node.get("views").longValue();
    a.clicks = node.get("clicks").longValue();
    a.addToCarts = node.get("addToCarts").longValue();
    a.purchases = node.get("purchases").longValue();
    a.revenue = node.get("revenue").doubleValue();
    a.name = node.get("name").textValue();
    a.category = node.get("category").textValue();
    a.lastEventAt = node.get("lastEventAt").longValue();
    a.users = Hll.fromBytes(bytes, 4 + length, bytes.length - 4 - length);
    return a;
  });

  static final Serde<TrendAggregate> TREND_AGGREGATE = serde((gen, v) -> {
    gen.writeStartObject();
    gen.writeNumberField("views", v.views);
    gen.writeNumberField("purchases", v.purchases);
    gen.writeStringField("name", v.name);
    gen.writeStringField("category", v.category);
    gen.writeNumberField("lastEventAt", v.lastEventAt);
    gen.writeEndObject();
  }, (topic, bytes) -> {
    if (bytes == null) return null;
    JsonNode node;
    try {
      node = MAPPER.readTree(bytes);
    } catch (IOException e) {
      throw new SerializationException("Trend aggregate on topic '" + topic + "' is not readable", e);
    }
    TrendAggregate a = new TrendAggregate();
    a.views = node.get("views").longValue();
    a.purchases = node.get("purchases").longValue();
    a.name = node.get("name").textValue();
    a.category = node.get("category").textValue();
    a.lastEventAt = node.get("lastEventAt").longValue();
    return a;
  });

  // ---- outputs ------------------------------------------------------------------------------

  private static final Deserializer<Object> WRITE_ONLY = (topic, bytes) -> {
    throw new UnsupportedOperationException("output values are only written");
  };

  @SuppressWarnings("unchecked")
  private static <T> Deserializer<T> writeOnly() {
    return (Deserializer<T>) WRITE_ONLY;
  }

  private static void funnelFields(JsonGenerator gen, Stats s) throws IOException {
    gen.writeNumberField("windowStart", s.windowStart);
    gen.writeNumberField("windowEnd", s.windowEnd);
    gen.writeNumberField("views", s.views);
    gen.writeNumberField("clicks", s.clicks);
    gen.writeNumberField("addToCarts", s.addToCarts);
    gen.writeNumberField("purchases", s.purchases);
    number(gen, "revenue", s.revenue);
    number(gen, "conversionRate", s.conversionRate);
    gen.writeNumberField("uniqueUsers", s.uniqueUsers);
    gen.writeNumberField("updatedAt", s.updatedAt);
  }

  /** `ProductStats` on `product-analytics`. */
  static final Serde<Stats> PRODUCT_STATS = serde((gen, s) -> {
    gen.writeStartObject();
    gen.writeStringField("productId", s.productId);
    gen.writeStringField("name", s.name);
    gen.writeStringField("category", s.category);
    funnelFields(gen, s);
    gen.writeEndObject();
  }, writeOnly());

  /** `CategoryStats` on `category-analytics`. */
  static final Serde<Stats> CATEGORY_STATS = serde((gen, s) -> {
    gen.writeStartObject();
    gen.writeStringField("category", s.category);
    funnelFields(gen, s);
    gen.writeEndObject();
  }, writeOnly());

  static final Serde<Trend> PRODUCT_TREND = serde((gen, t) -> {
    gen.writeStartObject();
    gen.writeStringField("productId", t.productId);
    gen.writeStringField("name", t.name);
    gen.writeStringField("category", t.category);
    gen.writeNumberField("windowStart", t.windowStart);
    gen.writeNumberField("windowEnd", t.windowEnd);
    gen.writeNumberField("views", t.views);
    gen.writeNumberField("purchases", t.purchases);
    number(gen, "viewsPerMinute", t.viewsPerMinute);
    number(gen, "purchasesPerMinute", t.purchasesPerMinute);
    gen.writeNumberField("updatedAt", t.updatedAt);
    gen.writeEndObject();
  }, writeOnly());

  static final Serde<Alert> ALERT = serde((gen, a) -> {
    gen.writeStartObject();
    gen.writeStringField("alertType", a.alertType);
    gen.writeStringField("productId", a.productId);
    gen.writeStringField("name", a.name);
    gen.writeStringField("category", a.category);
    gen.writeNumberField("windowStart", a.windowStart);
    gen.writeNumberField("windowEnd", a.windowEnd);
    number(gen, "value", a.value);
    number(gen, "threshold", a.threshold);
    gen.writeStringField("message", a.message);
    gen.writeNumberField("detectedAt", a.detectedAt);
    gen.writeEndObject();
  }, writeOnly());

  static byte[] utf8(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }
}
