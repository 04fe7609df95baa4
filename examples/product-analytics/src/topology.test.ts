import fc from 'fast-check';
import { describe, expect, it, onTestFinished } from 'vitest';
import { DeadLetterHeaders, QueryableStoreTypes, Serdes, StreamsBuilder, silentLogger, type WindowStore } from '@tributary/streams';
import { TopologyTestDriver } from '@tributary/streams/test';
import type { Alert, CategoryStats, EventType, Product, ProductEvent, ProductStats } from './model.js';
import { AlertSerde, CategoryStatsSerde, ProductEventSerde, ProductStatsSerde } from './serdes.js';
import { buildTopology, defaultOptions, storeNames, type ProductAnalyticsOptions } from './topology.js';

const minute = 60_000;
/** A window boundary, so `at(m)` is m minutes into the first 5-minute window. */
const base = Date.UTC(2026, 0, 1);
const at = (minutes: number): number => base + minutes * minute;
const topics = defaultOptions.topics;

function openDriver(options: ProductAnalyticsOptions = {}) {
  const driver = new TopologyTestDriver(
    buildTopology(new StreamsBuilder(), options),
    { applicationId: 'product-analytics-test', logger: silentLogger },
    { initialWallClockTime: at(24 * 60) },
  );
  onTestFinished(() => driver.close());
  const events = driver.createInputTopic(topics.events, Serdes.String(), ProductEventSerde);
  const rawEvents = driver.createInputTopic(topics.events, Serdes.String(), Serdes.Bytes());
  const catalog = driver.createInputTopic(topics.catalog, Serdes.String(), Serdes.Json<unknown>());
  const rawCatalog = driver.createInputTopic(topics.catalog, Serdes.String(), Serdes.Bytes());
  const stats = driver.createOutputTopic(topics.productAnalytics, Serdes.String(), ProductStatsSerde);
  const categories = driver.createOutputTopic(topics.categoryAnalytics, Serdes.String(), CategoryStatsSerde);
  const alerts = driver.createOutputTopic(topics.alerts, Serdes.String(), AlertSerde);
  const deadLetters = driver.createOutputTopic(topics.deadLetter, Serdes.String(), Serdes.Bytes());
  let sequence = 0;
  /** Pipes an event with the record timestamp equal to its event time. */
  const send = (overrides: Partial<ProductEvent> & { readonly productId: string }, key: string | null = overrides.productId): ProductEvent => {
    const event: ProductEvent = { eventId: `e${sequence++}`, userId: 'u1', eventType: 'view', timestamp: at(1), ...overrides };
    events.pipeInput(key, event, event.timestamp);
    return event;
  };
  /** The latest result per `key@windowStart`. */
  const latestStats = (): Map<string, ProductStats> => new Map(present(stats.readValuesToList()).map((value) => [`${value.productId}@${value.windowStart}`, value]));
  const latestCategories = (): Map<string, CategoryStats> => new Map(present(categories.readValuesToList()).map((value) => [`${value.category}@${value.windowStart}`, value]));
  return { driver, events, rawEvents, catalog, rawCatalog, stats, categories, alerts, deadLetters, send, latestStats, latestCategories };
}

/** Values without tombstones (the outputs never hold any; this keeps the types honest). */
function present<V>(values: ReadonlyArray<V | null>): V[] {
  return values.filter((value): value is V => value !== null);
}

const lamp: Product = { productId: 'p1', name: 'Desk lamp', category: 'home', price: 20, updatedAt: at(0) };

describe('product-analytics topology', () => {
  it('enriches events from every catalog form and keeps unknown products, counted', () => {
    const { driver, catalog, send, latestStats, latestCategories } = openDriver();
    catalog.pipeInput('p1', lamp, at(0));
    catalog.pipeInput('p2', { payload: { before: null, after: { productId: 'p2', name: 'Kettle', category: 'kitchen', price: 35 }, op: 'c', ts_ms: at(0) } }, at(0));
    catalog.pipeInput('p3', { before: null, after: { productId: 'p3', name: 'Mug', category: 'kitchen', price: 8 }, op: 'r', ts_ms: at(0) }, at(0));

    send({ productId: 'p1', userId: 'u1', timestamp: at(1) });
    send({ productId: 'p1', userId: 'u2', eventType: 'purchase', quantity: 2, timestamp: at(1.5) }); // catalog price: 2 × 20
    send({ productId: 'p2', userId: 'u1', eventType: 'purchase', price: 30, timestamp: at(2) }); // event price wins
    send({ productId: 'p3', eventType: 'add_to_cart', timestamp: at(2) }, null); // no key: re-keyed by productId
    send({ productId: 'p9', eventType: 'click', timestamp: at(3) });

    const stats = latestStats();
    expect(stats.get(`p1@${at(0)}`)).toEqual({
      productId: 'p1', name: 'Desk lamp', category: 'home', windowStart: at(0), windowEnd: at(5),
      views: 1, clicks: 0, addToCarts: 0, purchases: 1, revenue: 40, conversionRate: 1, uniqueUsers: 2, updatedAt: at(1.5),
    });
    expect(stats.get(`p2@${at(0)}`)).toMatchObject({ name: 'Kettle', category: 'kitchen', purchases: 1, revenue: 30, conversionRate: 0 });
    expect(stats.get(`p3@${at(0)}`)).toMatchObject({ name: 'Mug', category: 'kitchen', addToCarts: 1 });
    expect(stats.get(`p9@${at(0)}`)).toMatchObject({ name: 'p9', category: 'unknown', clicks: 1 });
    expect(latestCategories().get(`kitchen@${at(0)}`)).toMatchObject({ purchases: 1, addToCarts: 1, revenue: 30, uniqueUsers: 1 });
    const unknown = driver.query(storeNames.unknownProducts, QueryableStoreTypes.keyValueStore<string, number>());
    expect(unknown.get('p9')).toBe(1);
    expect(unknown.get('p1')).toBeUndefined();
  });

  it('honours catalog updates, Debezium deletes and tombstones', () => {
    const { catalog, send, latestStats } = openDriver();
    catalog.pipeInput('p1', lamp, at(0));
    catalog.pipeInput('p2', { ...lamp, productId: 'p2', name: 'Chair' }, at(0));
    send({ productId: 'p1', timestamp: at(1) });
    expect(latestStats().get(`p1@${at(0)}`)).toMatchObject({ category: 'home' });

    catalog.pipeInput('p1', { payload: { before: { productId: 'p1' }, after: { productId: 'p1', name: 'Desk lamp', category: 'lighting', price: 25 }, op: 'u', ts_ms: at(1) } }, at(1));
    send({ productId: 'p1', timestamp: at(2) });
    expect(latestStats().get(`p1@${at(0)}`)).toMatchObject({ category: 'lighting', views: 2 });

    catalog.pipeInput('p1', { before: { productId: 'p1' }, after: null, op: 'd', ts_ms: at(2) }, at(2));
    catalog.pipeInput('p2', null, at(2)); // tombstone
    send({ productId: 'p1', timestamp: at(3) });
    send({ productId: 'p2', timestamp: at(3) });
    const stats = latestStats();
    expect(stats.get(`p1@${at(0)}`)).toMatchObject({ name: 'p1', category: 'unknown', views: 3 });
    expect(stats.get(`p2@${at(0)}`)).toMatchObject({ name: 'p2', category: 'unknown', views: 1 });
  });

  it('counts a late event within grace and drops one after it', () => {
    const { driver, send, latestStats } = openDriver();
    send({ productId: 'p1', timestamp: at(1) });
    send({ productId: 'p1', timestamp: at(5.5) }); // next window; the first is open until 5 + 1 minutes
    send({ productId: 'p1', timestamp: at(4.5) }); // late, within grace: counted
    expect(latestStats().get(`p1@${at(0)}`)).toMatchObject({ views: 2 });
    send({ productId: 'p1', timestamp: at(6.5) }); // stream time passes 5 + 1 minutes: the first window closes
    send({ productId: 'p1', timestamp: at(2) }); // after grace: dropped and counted
    const stats = latestStats();
    expect(stats.has(`p1@${at(0)}`)).toBe(false); // no update for the closed window
    expect(stats.get(`p1@${at(5)}`)).toMatchObject({ views: 2 });
    expect(driver.droppedRecords().get('late-record')).toBeGreaterThanOrEqual(1);
  });

  it('emits one final result per window with emitFinalOnly', () => {
    const { send, stats, categories } = openDriver({ emitFinalOnly: true });
    send({ productId: 'p1', timestamp: at(1) });
    send({ productId: 'p1', timestamp: at(2), userId: 'u2' });
    expect(stats.isEmpty()).toBe(true);
    send({ productId: 'p1', timestamp: at(6) }); // stream time reaches end + grace
    expect(present(stats.readValuesToList()).map((value) => [value.windowStart, value.views, value.uniqueUsers])).toEqual([[at(0), 2, 2]]);
    expect(present(categories.readValuesToList()).map((value) => [value.category, value.views])).toEqual([['unknown', 2]]);
  });

  it('removes duplicates within the horizon, whatever their key, and forgets ids after it', () => {
    const { driver, events, send, latestStats } = openDriver({ dedupeHorizonMs: 2 * minute });
    const first = send({ productId: 'p1', timestamp: at(1) });
    events.pipeInput(null, first, first.timestamp); // a retry without a key
    events.pipeInput('p1', { ...first, timestamp: at(1.5) }, at(1.5)); // and one with another timestamp
    events.pipeInput('p1', { ...first, timestamp: at(3.4) }, at(3.4)); // within the horizon of the last copy, though not of the first
    expect(latestStats().get(`p1@${at(0)}`)).toMatchObject({ views: 1 });

    events.pipeInput('p1', { ...first, timestamp: at(5.5) }, at(5.5)); // past the horizon of every copy: a new event
    expect(latestStats().get(`p1@${at(5)}`)).toMatchObject({ views: 1 });
    // The store keeps horizon + grace (3 minutes) behind the latest event time: the copies before 2.5 are gone.
    const seen = driver.getStateStore<WindowStore<string, number>>(storeNames.dedupeIds);
    expect([...seen.fetchRange(first.eventId, at(0), at(10))].map((entry) => entry.key)).toEqual([at(3.4), at(5.5)]);
  });

  it('de-duplicates in event time, however far a catalog change moved stream time (fast-check seed -845753019)', () => {
    const { catalog, events, latestStats } = openDriver();
    catalog.pipeInput('p1', lamp, at(0)); // the task's stream time is at(0) before the first event
    const view = { eventId: 'e33', userId: 'u0', productId: 'p1', eventType: 'view' } as const;
    const pipe = (event: ProductEvent) => events.pipeInput(null, event, event.timestamp);
    pipe({ ...view, timestamp: at(0) - 36_563 }); // 36.6 s behind stream time, within grace
    pipe({ ...view, eventId: 'e0', timestamp: at(0) });
    pipe({ ...view, timestamp: at(10) - 36_563 }); // exactly the 10-minute horizon after the first e33: a new event
    const stats = latestStats();
    expect([...stats.keys()].sort()).toEqual([`p1@${at(-5)}`, `p1@${at(0)}`, `p1@${at(5)}`]);
    for (const value of stats.values()) expect(value.views).toBe(1);

    pipe({ ...view, timestamp: at(10) - 36_564 }); // 1 ms inside the horizon of the first e33 (and of the second): a copy
    pipe({ ...view, eventId: 'e9', timestamp: at(9.5) });
    pipe({ ...view, eventId: 'e9', timestamp: at(9) }); // arrives later with an earlier time: a copy all the same
    expect(latestStats().get(`p1@${at(5)}`)).toMatchObject({ views: 2 });
  });

  it('sends malformed and invalid events to the dead-letter topic with the reason and original bytes', () => {
    const { rawEvents, deadLetters, stats } = openDriver({ maxFutureSkewMs: minute });
    const valid = { eventId: 'e1', userId: 'u1', productId: 'p1', eventType: 'view', timestamp: at(1) };
    const inputs: Array<[string, string | null, RegExp]> = [
      ['truncated', '{"eventId": "e1", "userId": ', /malformed JSON/],
      ['missing', JSON.stringify({ ...valid, userId: undefined }), /must have required property 'userId'/],
      ['type', JSON.stringify({ ...valid, eventType: 'like' }), /\/eventType must be equal to one of the allowed values/],
      ['price', JSON.stringify({ ...valid, eventType: 'purchase', price: -1 }), /\/price must be >= 0/],
      ['quantity', JSON.stringify({ ...valid, quantity: -2 }), /\/quantity must be >= 0/],
      ['future', JSON.stringify({ ...valid, timestamp: at(24 * 60 + 2) }), /\/timestamp is 120000 ms in the future; at most 60000 ms/],
      ['tombstone', null, /null value/],
    ];
    for (const [key, value] of inputs) rawEvents.pipeInput(key, value === null ? null : Buffer.from(value), at(1));

    const letters = deadLetters.readRecordsToList();
    expect(letters.map((letter) => letter.key)).toEqual(inputs.map(([key]) => key));
    letters.forEach((letter, index) => {
      const [, value, reason] = inputs[index]!;
      expect(letter.value === null ? null : letter.value.toString()).toBe(value);
      expect(letter.headers.lastString(DeadLetterHeaders.exception)).toBe('InvalidProductEvent');
      expect(letter.headers.lastString(DeadLetterHeaders.message)).toMatch(reason);
      expect(letter.headers.lastString(DeadLetterHeaders.topic)).toBe(topics.events);
    });
    expect(stats.isEmpty()).toBe(true);
  });

  it('sends every catalog change the table cannot apply to the dead-letter topic, with the reason and original bytes', () => {
    const { driver, catalog, rawCatalog, deadLetters, send, latestStats } = openDriver();
    catalog.pipeInput('p1', lamp, at(0));
    const row = { productId: 'p1', name: 'Desk lamp', category: 'lighting', price: 25 };
    const inputs: Array<[string | null, string, RegExp]> = [
      ['p1', '"just a string"', /\(root\) must be object/],
      ['p1', 'null', /\(root\) must be object/],
      ['p1', '{"payload":"x"}', /\/payload must be object/],
      ['p1', '{"payload":null}', /\/payload must be object/],
      ['p1', JSON.stringify({ before: null, after: null, op: 'c' }), /a Debezium 'c' needs after.productId/],
      ['p1', JSON.stringify({ before: null, after: row, op: 'x' }), /\/op must be equal to one of the allowed values/],
      ['p1', JSON.stringify({ before: null, after: null, op: 't' }), /a Debezium truncate \(op 't'\) is not applied/],
      ['p1', JSON.stringify({ before: null, after: null, op: 'd' }), /a Debezium delete needs before.productId/],
      ['p1', '{"productId": "p1", ', /malformed JSON/],
      ['p1', JSON.stringify({ ...lamp, category: undefined }), /must have required property 'category'/],
      ['p1', JSON.stringify({ ...lamp, price: undefined }), /must have required property 'price'/],
      ['p1', JSON.stringify({ ...lamp, price: '20' }), /\/price must be number/],
      [null, JSON.stringify(lamp), /has no key; the key must be the productId/],
      ['p15', JSON.stringify({ ...lamp, productId: 'p16' }), /is keyed 'p15' but changes product 'p16'/],
    ];
    for (const [key, value] of inputs) rawCatalog.pipeInput(key, Buffer.from(value), at(0));
    // Legitimate deletes are not errors: a Debezium 'd' and a tombstone.
    catalog.pipeInput('p2', { ...lamp, productId: 'p2' }, at(0));
    catalog.pipeInput('p2', { before: { productId: 'p2' }, after: null, op: 'd' }, at(0));
    rawCatalog.pipeInput('p3', null, at(0));

    const letters = deadLetters.readRecordsToList();
    expect(letters.map((letter) => letter.key)).toEqual(inputs.map(([key]) => key));
    letters.forEach((letter, index) => {
      const [, value, reason] = inputs[index]!;
      expect(letter.value?.toString()).toBe(value);
      expect(letter.headers.lastString(DeadLetterHeaders.exception)).toBe('InvalidCatalogChange');
      expect(letter.headers.lastString(DeadLetterHeaders.message)).toMatch(reason);
      expect(letter.headers.lastString(DeadLetterHeaders.topic)).toBe(topics.catalog);
      expect(letter.headers.lastString(DeadLetterHeaders.offset)).toBe(String(index + 1));
    });
    expect(driver.droppedRecords().size).toBe(0); // every one dead-lettered, none dropped on the way

    // None of them changed the table: p1 is still the lamp, and neither p15 nor p16 was stored.
    send({ productId: 'p1', timestamp: at(1) });
    send({ productId: 'p15', timestamp: at(1) });
    send({ productId: 'p16', timestamp: at(1) });
    send({ productId: 'p2', timestamp: at(1) });
    const stats = latestStats();
    expect(stats.get(`p1@${at(0)}`)).toMatchObject({ name: 'Desk lamp', category: 'home' });
    for (const productId of ['p15', 'p16', 'p2']) expect(stats.get(`${productId}@${at(0)}`)).toMatchObject({ category: 'unknown' });
  });

  it('dead-letters an event stamped beyond the future tolerance, so on-time events are still counted', () => {
    const { driver, send, deadLetters, latestStats, latestCategories } = openDriver();
    const now = at(24 * 60); // the driver's wall clock
    send({ productId: 'p1', eventId: 'skewed', timestamp: now + 30 * minute }); // a device clock 30 minutes fast
    const products = ['p1', 'p2', 'p3'];
    for (let index = 0; index < 180; index++) send({ productId: products[index % 3]!, userId: `u${index}`, timestamp: now - 18_000 + index * 100 });

    const letters = deadLetters.readRecordsToList();
    expect(letters.map((letter) => letter.headers.lastString(DeadLetterHeaders.message))).toEqual([
      `Validation on topic '${topics.events}': /timestamp is ${30 * minute} ms in the future; at most 10000 ms is allowed (maxFutureSkewMs)`,
    ]);
    const views = (values: Iterable<{ readonly views: number }>) => [...values].reduce((sum, value) => sum + value.views, 0);
    expect(views(latestStats().values())).toBe(180);
    expect(views(latestCategories().values())).toBe(180);
    expect(driver.droppedRecords().get('late-record')).toBeUndefined();
  });

  it('dead-letters an event produced long after it happened (from 1970, say), so product and category windows agree', () => {
    const { driver, events, deadLetters, latestStats, latestCategories } = openDriver();
    const now = at(24 * 60);
    const old = { eventId: 'e1970', userId: 'u1', productId: 'p1', eventType: 'view', timestamp: 0 } as const;
    events.pipeInput('p1', old, now); // first on a fresh task: no window would have called it late
    events.pipeInput('p1', { ...old, eventId: 'e-now', timestamp: now }, now);
    events.pipeInput('p2', { ...old, eventId: 'e1970-2', productId: 'p2' }, now); // and after stream time moved
    events.pipeInput('p2', { ...old, eventId: 'e-late', productId: 'p2', timestamp: now - 50_000 }, now); // 50 s late: within the grace
    const letters = deadLetters.readRecordsToList();
    expect(letters.map((letter) => letter.key)).toEqual(['p1', 'p2']);
    expect(letters[0]!.headers.lastString(DeadLetterHeaders.message)).toBe(
      `Validation on topic '${topics.events}': /timestamp is ${now} ms before the record was produced; at most 60000 ms is allowed (maxLatenessMs)`,
    );
    expect([...latestStats().keys()].sort()).toEqual([`p1@${now}`, `p2@${at(24 * 60 - 5)}`]);
    expect([...latestCategories().keys()].sort()).toEqual([`unknown@${at(24 * 60 - 5)}`, `unknown@${now}`]);
    expect(driver.droppedRecords().get('late-record')).toBeUndefined();
  });

  it('counts a valid event whose Kafka record has no timestamp (-1), by its own event time, and dead-letters a bad one', () => {
    const { driver, rawEvents, deadLetters, latestStats } = openDriver();
    // Without a record timestamp, lateness is measured against the wall clock: a second here.
    const event = { eventId: 'e1', userId: 'u1', productId: 'p1', eventType: 'view', timestamp: at(24 * 60) - 1_000 };
    rawEvents.pipeInput('p1', Buffer.from(JSON.stringify(event)), -1);
    rawEvents.pipeInput('p1', Buffer.from('{"eventId": '), -1);
    expect(latestStats().get(`p1@${at(24 * 60 - 5)}`)).toMatchObject({ views: 1, updatedAt: event.timestamp });
    expect(deadLetters.readRecordsToList().map((letter) => letter.headers.lastString(DeadLetterHeaders.message))).toEqual([expect.stringMatching(/malformed JSON/)]);
    expect(driver.droppedRecords().size).toBe(0);
  });

  it('estimates unique users within the HyperLogLog error bound', { timeout: 30_000 }, () => {
    const { send, latestStats, latestCategories } = openDriver();
    const users = 2_000;
    for (let index = 0; index < 2 * users; index++) send({ productId: 'p1', userId: `user-${(index * 7919) % users}`, timestamp: at(1) + index });
    // 4 standard errors at precision 12 (1.63% each): fails by chance about once in 15,000 runs, and the input is fixed.
    const bound = 4 * (1.04 / Math.sqrt(4096)) * users;
    const product = latestStats().get(`p1@${at(0)}`)!;
    expect(product.views).toBe(2 * users);
    expect(Math.abs(product.uniqueUsers - users)).toBeLessThanOrEqual(bound);
    expect(Math.abs(latestCategories().get(`unknown@${at(0)}`)!.uniqueUsers - users)).toBeLessThanOrEqual(bound);
  });

  describe('alerts', () => {
    // Trend windows are 5 minutes: 2 views per minute is 10 views, 1 purchase per minute is 5 purchases.
    const alerts = { viewsPerMinute: 2, purchasesPerMinute: 1, conversionRateBelow: 0.2, conversionMinViews: 10, cooldownMs: 5 * minute };
    const types = (list: readonly Alert[]) => list.map((alert) => alert.alertType);

    it('fires a views spike at the threshold, once per cool-down', () => {
      const { send, alerts: output } = openDriver({ alerts: { ...alerts, conversionMinViews: 1_000 } });
      for (let index = 0; index < 9; index++) send({ productId: 'p1', timestamp: at(1) + index });
      expect(output.isEmpty()).toBe(true);
      send({ productId: 'p1', timestamp: at(1) + 9 });
      const [alert, ...rest] = output.readKeyValuesToList();
      expect(rest).toEqual([]);
      expect(alert?.key).toBe('p1');
      expect(alert?.value).toMatchObject({ alertType: 'views_spike', productId: 'p1', value: 2, threshold: 2, detectedAt: at(1) + 9 });
      for (let index = 0; index < 20; index++) send({ productId: 'p1', timestamp: at(2) + index });
      expect(output.isEmpty()).toBe(true); // within the cool-down
      for (let index = 0; index < 10; index++) send({ productId: 'p1', timestamp: at(7) + index });
      expect(types(present(output.readValuesToList()))).toEqual(['views_spike']); // after it
    });

    it('fires a purchase surge at the threshold', () => {
      const { send, alerts: output } = openDriver({ alerts });
      for (let index = 0; index < 4; index++) send({ productId: 'p1', eventType: 'purchase', timestamp: at(1) + index });
      expect(output.isEmpty()).toBe(true);
      send({ productId: 'p1', eventType: 'purchase', timestamp: at(1) + 4 });
      expect(output.readValuesToList()).toMatchObject([{ alertType: 'purchase_surge', value: 1, threshold: 1 }]);
    });

    it('fires a conversion drop once the window has enough views and converts below the threshold', () => {
      const { send, alerts: output } = openDriver({ alerts: { ...alerts, viewsPerMinute: 1_000 } });
      send({ productId: 'p1', eventType: 'purchase', timestamp: at(0) });
      for (let index = 0; index < 5; index++) send({ productId: 'p1', timestamp: at(0) + 1 + index });
      expect(output.isEmpty()).toBe(true); // 1 / 5 = 0.2 is not below 0.2, and 5 views are too few
      for (let index = 0; index < 4; index++) send({ productId: 'p1', timestamp: at(1) + index });
      expect(output.isEmpty()).toBe(true); // 9 views
      send({ productId: 'p1', timestamp: at(2) });
      expect(output.readValuesToList()).toMatchObject([{ alertType: 'conversion_drop', value: 0.1, threshold: 0.2, windowStart: at(0) }]);
    });
  });

  it('rejects bad options, naming the option', () => {
    expect(() => buildTopology(new StreamsBuilder(), { gracePeriodMs: -1 })).toThrow(/'gracePeriodMs' must be an integer >= 0/);
    expect(() => buildTopology(new StreamsBuilder(), { topics: { alerts: 'product-analytics' } })).toThrow(/'topics.alerts' must differ from topics.productAnalytics/);
    expect(() => buildTopology(new StreamsBuilder(), { alerts: { conversionRateBelow: 2 } })).toThrow(/'alerts.conversionRateBelow' must be a number from 0 to 1/);
    expect(() => buildTopology(new StreamsBuilder(), { windowSize: 1 } as ProductAnalyticsOptions)).toThrow(/'windowSize' is unknown/);
    expect(() => buildTopology(new StreamsBuilder(), { gracePeriodMs: 5_000, maxFutureSkewMs: 5_001 })).toThrow(/'maxFutureSkewMs' must be at most gracePeriodMs \(5000\)/);
    expect(buildTopology(new StreamsBuilder(), { gracePeriodMs: 0 })).toBeDefined(); // the future tolerance's default follows a shorter grace
  });

  it('matches a brute-force computation of ProductStats per product and window', () => {
    const grace = defaultOptions.gracePeriodMs;
    const eventTypesArbitrary = fc.constantFrom<EventType>('view', 'view', 'view', 'click', 'add_to_cart', 'purchase');
    const generated = fc.record({
      eventId: fc.integer({ min: 0, max: 60 }).map((id) => `e${id}`), // a small pool, so some ids repeat
      userId: fc.integer({ min: 0, max: 15 }).map((id) => `u${id}`),
      productId: fc.constantFrom('p1', 'p2', 'p3'),
      eventType: eventTypesArbitrary,
      offset: fc.integer({ min: 0, max: 20 * minute }),
      jitter: fc.integer({ min: 0, max: grace - 1 }),
      price: fc.option(fc.integer({ min: 0, max: 500 }), { nil: undefined }),
      quantity: fc.option(fc.integer({ min: 1, max: 3 }), { nil: undefined }),
      keyed: fc.boolean(),
    });
    fc.assert(
      fc.property(fc.array(generated, { minLength: 1, maxLength: 80 }), (rows) => {
        const { catalog, events, latestStats } = openDriver();
        const products = new Map<string, Product>([
          ['p1', lamp],
          ['p2', { productId: 'p2', name: 'Kettle', category: 'kitchen', price: 35, updatedAt: at(0) }],
        ]);
        for (const product of products.values()) catalog.pipeInput(product.productId, product, at(0));
        // Sorted, then moved back by less than the grace period: out of order, never late.
        const sorted = [...rows].sort((a, b) => a.offset - b.offset);
        const piped: ProductEvent[] = sorted.map((row) => ({
          eventId: row.eventId, userId: row.userId, productId: row.productId, eventType: row.eventType, timestamp: at(0) + row.offset - row.jitter,
          ...(row.price === undefined ? {} : { price: row.price }),
          ...(row.quantity === undefined ? {} : { quantity: row.quantity }),
        }));
        piped.forEach((event, index) => events.pipeInput(sorted[index]!.keyed ? event.productId : null, event, event.timestamp));

        // The oracle. De-duplicate as the spec says, in event time: an event is a copy when its id
        // was seen (kept or dropped) less than the horizon before or after it. Times are kept for
        // the horizon + grace behind the latest event time (none here is later than grace).
        const horizon = defaultOptions.dedupeHorizonMs;
        const retention = horizon + grace;
        const seenAt = new Map<string, number[]>();
        let latest = Number.NEGATIVE_INFINITY;
        const expected = new Map<string, { stats: ProductStats; users: Set<string> }>();
        for (const event of piped) {
          const times = seenAt.get(event.eventId) ?? [];
          const copy = times.some((time) => time > latest - retention && Math.abs(time - event.timestamp) < horizon);
          latest = Math.max(latest, event.timestamp);
          if (event.timestamp > latest - retention) seenAt.set(event.eventId, [...times, event.timestamp]);
          if (copy) continue;
          const product = products.get(event.productId);
          const windowStart = Math.floor(event.timestamp / (5 * minute)) * (5 * minute);
          const key = `${event.productId}@${windowStart}`;
          const entry = expected.get(key) ?? {
            users: new Set<string>(),
            stats: {
              productId: event.productId, name: product?.name ?? event.productId, category: product?.category ?? 'unknown',
              windowStart, windowEnd: windowStart + 5 * minute, views: 0, clicks: 0, addToCarts: 0, purchases: 0, revenue: 0, conversionRate: 0, uniqueUsers: 0, updatedAt: 0,
            },
          };
          const s = entry.stats;
          entry.users.add(event.userId);
          const revenue = event.eventType === 'purchase' ? (event.price ?? product?.price ?? 0) * (event.quantity ?? 1) : 0;
          const views = s.views + (event.eventType === 'view' ? 1 : 0);
          const purchases = s.purchases + (event.eventType === 'purchase' ? 1 : 0);
          entry.stats = {
            ...s, views, purchases,
            clicks: s.clicks + (event.eventType === 'click' ? 1 : 0),
            addToCarts: s.addToCarts + (event.eventType === 'add_to_cart' ? 1 : 0),
            revenue: s.revenue + revenue,
            conversionRate: views === 0 ? 0 : purchases / views,
            uniqueUsers: entry.users.size,
            updatedAt: Math.max(s.updatedAt, event.timestamp),
          };
          expected.set(key, entry);
        }

        const actual = latestStats();
        expect([...actual.keys()].sort()).toEqual([...expected.keys()].sort());
        for (const [key, { stats }] of expected) {
          const got = actual.get(key)!;
          expect({ ...got, uniqueUsers: 0 }).toEqual({ ...stats, uniqueUsers: 0 });
          // Linear counting below 2.5 × 4096 registers: near exact; allow the 4-sigma HLL bound anyway.
          expect(Math.abs(got.uniqueUsers - stats.uniqueUsers)).toBeLessThanOrEqual(Math.max(1, 4 * 0.0163 * stats.uniqueUsers));
        }
      }),
      { numRuns: 40 },
    );
  });
});
