/**
 * The app's own processors: parsing and validating raw events and catalog changes (so every
 * rejected record reaches the dead-letter topic with its reason and original bytes), de-duplication by event id in event time, and a filter
 * that lets each id through once within a horizon of stream time (alert cool-downs).
 */
import {
  DeadLetterHeaders,
  PunctuationType,
  type FixedKeyProcessor,
  type FixedKeyProcessorContext,
  type FixedKeyRecord,
  type KeyValueStore,
  type WindowStore,
} from '@tributary/streams';
import type { CatalogChange, Product, ProductEvent } from './model.js';
import { CatalogChangeSerde, ProductEventSerde, timestampReason } from './serdes.js';

/** The result of parsing one raw event: the event, or why it was rejected with its original bytes. */
export type ParsedEvent = ValidEvent | InvalidEvent;

/** An event that passed parsing and validation. */
export interface ValidEvent {
  readonly valid: true;
  readonly event: ProductEvent;
}

/** A rejected record (an event or a catalog change): why, and its value bytes as consumed. */
interface InvalidEvent {
  readonly valid: false;
  readonly reason: string;
  readonly original: Buffer | null;
}

/** The `__streams.errors.exception` header value of a rejected event. */
const invalidEventException = 'InvalidProductEvent';

/** The `__streams.errors.exception` header value of a rejected catalog change. */
const invalidCatalogChangeException = 'InvalidCatalogChange';

/** The result of parsing one catalog record: the product to store, a delete, or why it was rejected. */
export type ParsedCatalogChange = ValidCatalogChange | InvalidEvent;

/** A catalog change the table applies: the product's new state, or `null` to delete it. */
export interface ValidCatalogChange {
  readonly valid: true;
  readonly product: Product | null;
}

/**
 * Forwards a rejected record with its original value bytes and the reason in the dead-letter
 * headers (the same `__streams.errors.*` headers as the library's `deadLetterTopic` handler).
 */
function forwardRejected<KIn, VOut extends { readonly valid: boolean }>(
  context: FixedKeyProcessorContext<KIn, VOut | InvalidEvent>,
  record: FixedKeyRecord<KIn, Buffer | null>,
  exception: string,
  reason: string,
): void {
  const metadata = context.recordMetadata();
  const headers = record.headers.copy();
  headers.add(DeadLetterHeaders.exception, exception);
  headers.add(DeadLetterHeaders.message, reason);
  headers.add(DeadLetterHeaders.stacktrace, '');
  if (metadata !== undefined) {
    headers.add(DeadLetterHeaders.topic, metadata.topic);
    headers.add(DeadLetterHeaders.partition, String(metadata.partition));
    headers.add(DeadLetterHeaders.offset, String(metadata.offset));
  }
  context.forward(record.withValue<VOut | InvalidEvent>({ valid: false, reason, original: record.value ?? null }).withHeaders(headers));
}

/**
 * Parses `product-events` values with {@link ProductEventSerde} and checks what the schema
 * cannot: the timestamp against the wall clock (not too far ahead) and against the record's
 * timestamp (not produced too long after it happened). A valid event is forwarded with its event
 * time as the record's timestamp, so windows follow the device's clock, not the broker's. A
 * rejected one is forwarded with its original bytes and the reason in the dead-letter headers
 * (the same `__streams.errors.*` headers as the library's `deadLetterTopic` handler).
 */
export class ParseProductEvent implements FixedKeyProcessor<Buffer | null, Buffer | null, ParsedEvent> {
  private context!: FixedKeyProcessorContext<Buffer | null, ParsedEvent>;

  constructor(
    private readonly maxFutureSkewMs: number,
    private readonly maxLatenessMs: number,
  ) {}

  init(context: FixedKeyProcessorContext<Buffer | null, ParsedEvent>): void {
    this.context = context;
  }

  process(record: FixedKeyRecord<Buffer | null, Buffer | null>): void {
    const metadata = this.context.recordMetadata();
    const result = this.parse(metadata?.topic ?? 'product-events', record);
    if (typeof result !== 'string') {
      this.context.forward(record.withValue<ParsedEvent>({ valid: true, event: result }).withTimestamp(result.timestamp));
      return;
    }
    forwardRejected(this.context, record, invalidEventException, result);
  }

  /** The event, or why it is rejected. */
  private parse(topic: string, record: FixedKeyRecord<Buffer | null, Buffer | null>): ProductEvent | string {
    if (record.value === null || record.value === undefined) return 'a null value (tombstone) is not a product event';
    let event: ProductEvent;
    try {
      event = ProductEventSerde.deserialize(topic, record.value, record.headers);
    } catch (error) {
      return error instanceof Error ? error.message : String(error);
    }
    // The record's timestamp is when it reached Kafka (the source stamps a record without one
    // with its partition's time or the wall clock, see eventsSourceTime in topology.ts).
    const reason = timestampReason(event, this.context.currentSystemTimeMs(), this.maxFutureSkewMs, record.timestamp, this.maxLatenessMs);
    return reason === undefined ? event : `Validation on topic '${topic}': ${reason}`;
  }
}

/**
 * Parses `product-catalog` records with {@link CatalogChangeSerde} and checks what the serde
 * cannot see: the key. A change is applied only to the product its key names, so a record
 * keyed p-15 whose value is p-16 is rejected rather than stored as p-15, and a record with no
 * key is rejected rather than dropped by the table. A tombstone (null value) with a key is a
 * delete. Everything rejected is forwarded with its original bytes and the reason, for the
 * dead-letter topic.
 */
export class ParseCatalogChange implements FixedKeyProcessor<string | null, Buffer | null, ParsedCatalogChange> {
  private context!: FixedKeyProcessorContext<string | null, ParsedCatalogChange>;

  init(context: FixedKeyProcessorContext<string | null, ParsedCatalogChange>): void {
    this.context = context;
  }

  process(record: FixedKeyRecord<string | null, Buffer | null>): void {
    const result = this.parse(this.context.recordMetadata()?.topic ?? 'product-catalog', record);
    if (typeof result === 'string') forwardRejected(this.context, record, invalidCatalogChangeException, result);
    else this.context.forward(record.withValue<ParsedCatalogChange>({ valid: true, product: result }));
  }

  /** The product's new state, `null` for a delete, or why the record is rejected. */
  private parse(topic: string, record: FixedKeyRecord<string | null, Buffer | null>): Product | null | string {
    const key = record.key;
    if (key === null || key === undefined || key === '') return `Catalog change on topic '${topic}' has no key; the key must be the productId it changes`;
    if (record.value === null || record.value === undefined) return null; // a tombstone deletes the product
    let change: CatalogChange;
    try {
      change = CatalogChangeSerde.deserialize(topic, record.value, record.headers);
    } catch (error) {
      return error instanceof Error ? error.message : String(error);
    }
    const productId = change.kind === 'upsert' ? change.product.productId : change.productId;
    if (productId !== key) return `Catalog change on topic '${topic}' is keyed '${key}' but changes product '${productId}'; the key must be the productId`;
    return change.kind === 'upsert' ? change.product : null;
  }
}

/**
 * Drops a record when the same id was seen at an event time less than `horizonMs` away from its
 * own, earlier or later (Confluent's de-duplication transformer over a window store). Every
 * copy is remembered, dropped ones too, so a run of retries each within the horizon of the last
 * stays one event. Event time, not stream time: whether an event is a duplicate depends on the
 * event and its copies only, not on when other records (catalog changes on the same task, say)
 * moved the task's clock.
 *
 * The store (`id` → the times it was seen) should retain `horizonMs` + the windows' grace, so
 * every record the windows can still count as on time is compared with all its copies. A record
 * later than that is compared only with the copies still retained; its own time is not kept.
 */
export class DeduplicateInEventTime<K, V> implements FixedKeyProcessor<K, V, V> {
  private context!: FixedKeyProcessorContext<K, V>;
  private seen!: WindowStore<string, number>;

  constructor(
    private readonly storeName: string,
    private readonly horizonMs: number,
    private readonly idOf: (record: FixedKeyRecord<K, V>) => string,
  ) {}

  init(context: FixedKeyProcessorContext<K, V>): void {
    this.context = context;
    this.seen = context.getStateStore<WindowStore<string, number>>(this.storeName);
  }

  process(record: FixedKeyRecord<K, V>): void {
    const id = this.idOf(record);
    const time = record.timestamp;
    // Strictly within the horizon: copies exactly `horizonMs` apart are two events.
    const duplicate = this.seen.fetchRange(id, time - this.horizonMs + 1, time + this.horizonMs - 1).next().done !== true;
    this.seen.put(id, time, time);
    if (!duplicate) this.context.forward(record);
  }
}

/** Zero-padded so the index store's byte order is time order. */
function indexKey(expiresAt: number, id: string): string {
  return `${String(expiresAt).padStart(16, '0')}|${id}`;
}

/**
 * Lets a record through when its id has not been seen within `horizonMs` of stream time, and
 * drops it otherwise. Two stores, both changelogged: `ids` (id → when it expires) answers the
 * lookup; `index` (expiry time | id) is ordered by time, so a stream-time punctuator deletes
 * expired ids by reading only those, not the whole store. Expiry is exact: an id past its
 * horizon but not yet swept is treated as unseen.
 */
export class OncePerHorizon<K, V> implements FixedKeyProcessor<K, V, V> {
  private context!: FixedKeyProcessorContext<K, V>;
  private ids!: KeyValueStore<string, number>;
  private index!: KeyValueStore<string, string>;

  constructor(
    private readonly idStoreName: string,
    private readonly indexStoreName: string,
    private readonly horizonMs: number,
    private readonly idOf: (record: FixedKeyRecord<K, V>) => string,
  ) {}

  init(context: FixedKeyProcessorContext<K, V>): void {
    this.context = context;
    this.ids = context.getStateStore<KeyValueStore<string, number>>(this.idStoreName);
    this.index = context.getStateStore<KeyValueStore<string, string>>(this.indexStoreName);
    const sweepEveryMs = Math.max(1_000, Math.min(this.horizonMs, 60_000));
    context.schedule(sweepEveryMs, PunctuationType.STREAM_TIME, (streamTime) => this.expire(streamTime));
  }

  process(record: FixedKeyRecord<K, V>): void {
    // Stream time, not the record's timestamp: a late duplicate must not expire its own id.
    const now = Math.max(this.context.currentStreamTimeMs(), record.timestamp);
    const id = this.idOf(record);
    const expiresAt = this.ids.get(id);
    if (expiresAt !== undefined && expiresAt > now) return;
    const newExpiry = now + this.horizonMs;
    this.ids.put(id, newExpiry);
    this.index.put(indexKey(newExpiry, id), id);
    this.context.forward(record);
  }

  private expire(streamTime: number): void {
    const cutoff = indexKey(streamTime, '\uffff');
    const expired: Array<{ readonly key: string; readonly id: string }> = [];
    for (const entry of this.index.all()) {
      if (entry.key > cutoff) break;
      expired.push({ key: entry.key, id: entry.value });
    }
    for (const { key, id } of expired) {
      this.index.delete(key);
      // The id may have been seen again since, with a later expiry: keep it then.
      const expiresAt = this.ids.get(id);
      if (expiresAt !== undefined && expiresAt <= streamTime) this.ids.delete(id);
    }
  }
}
