package dev.tributary.bench;

/** The data of the topology, as in examples/product-analytics/src/model.ts and serdes.ts. */
final class Model {
  private Model() {}

  static final String UNKNOWN_CATEGORY = "unknown";

  /** A parsed, validated `product-events` value. Optional fields are null when absent. */
  static final class ProductEvent {
    String eventId;
    String userId;
    String productId;
    String eventType;
    long timestamp;
    Double price;
    Long quantity;
    String sessionId;
    String source;
  }

  /** A catalog entry (the table's value). */
  static final class Product {
    String productId;
    String name;
    String category;
    double price;
    long updatedAt;
  }

  /** A catalog change: an upsert (product != null) or a delete (product == null). */
  static final class CatalogChange {
    final String productId;
    final Product product;

    CatalogChange(String productId, Product product) {
      this.productId = productId;
      this.product = product;
    }
  }

  /** The parse step's result: the event, or the original bytes of a rejected record. */
  static final class Parsed {
    final ProductEvent event;
    final byte[] original;

    Parsed(ProductEvent event, byte[] original) {
      this.event = event;
      this.original = original;
    }

    boolean valid() {
      return event != null;
    }
  }

  /** An event after de-duplication and the catalog join. */
  static final class EnrichedEvent {
    String eventId;
    String userId;
    String productId;
    String eventType;
    long timestamp;
    String name;
    String category;
    double revenue;
  }

  /** A 5-minute window's funnel counts and unique-user sketch. */
  static final class FunnelAggregate {
    long views;
    long clicks;
    long addToCarts;
    long purchases;
    double revenue;
    String name = "";
    String category = "";
    long lastEventAt;
    Hll users;
  }

  /** A trend window's counts. */
  static final class TrendAggregate {
    long views;
    long purchases;
    String name = "";
    String category = "";
    long lastEventAt;
  }

  /** Funnel fields of `ProductStats` / `CategoryStats`. */
  static final class Stats {
    String productId; // null for a category
    String name;
    String category;
    long windowStart;
    long windowEnd;
    long views;
    long clicks;
    long addToCarts;
    long purchases;
    double revenue;
    double conversionRate;
    long uniqueUsers;
    long updatedAt;
  }

  static final class Trend {
    String productId;
    String name;
    String category;
    long windowStart;
    long windowEnd;
    long views;
    long purchases;
    double viewsPerMinute;
    double purchasesPerMinute;
    long updatedAt;
  }

  static final class Alert {
    String alertType;
    String productId;
    String name;
    String category;
    long windowStart;
    long windowEnd;
    double value;
    double threshold;
    String message;
    long detectedAt;
  }
}
