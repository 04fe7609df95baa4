/**
 * A deterministic generator of realistic input for the product-analytics app: interaction
 * events from user sessions walking the view → click → add_to_cart → purchase funnel over a
 * catalog whose popularity is skewed (Zipf-like), and catalog changes by CDC (Debezium
 * envelopes, plain upserts, deletes). Real feeds are messy, so a configurable share of events
 * arrive out of order (within the grace period and beyond it), twice (a retry resends the same
 * eventId) or malformed (bad JSON, an unknown event type, a negative price).
 *
 * Everything derives from the seed and the start time, so the same options give the same bytes:
 * the CLI feeds them to the embedded runner or to Kafka, and the tests pipe them into the test
 * driver to compare.
 */
import type { DebeziumEnvelope, EventType, Product, ProductEvent } from './model.js';
// mulberry32, shared with the tests and benchmarks, so a seed names the same data everywhere.
import { seededRandom } from '../../../test/support/seeded-random.js';

const second = 1_000;
const minute = 60 * second;

/** Which input topic a generated record belongs on. */
export type GeneratedStream = 'events' | 'catalog';

/** What a generated record is, for statistics and tests (the app never sees it). */
export type GeneratedKind = 'event' | 'late-within-grace' | 'late-beyond-grace' | 'duplicate' | 'malformed' | 'catalog';

/** One record, as bytes ready to send. */
export interface GeneratedRecord {
  readonly stream: GeneratedStream;
  readonly kind: GeneratedKind;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  /** The record timestamp: the event time for events, the change time for catalog records. */
  readonly timestamp: number;
}

/** How the generator shapes its data; every option has a realistic default. */
export interface GeneratorOptions {
  /** Seeds the pseudo-random sequence. Default 42. */
  readonly seed?: number;
  /** Event time of the first event, epoch ms. Default: a fixed instant (2026-01-01), for reproducible data. */
  readonly startTime?: number;
  /** How fast event time advances, in events per second of event time. Default 2000. */
  readonly eventsPerSecond?: number;
  /** Products in the catalog. Default 200. */
  readonly products?: number;
  /** Distinct users. Default 5000. */
  readonly users?: number;
  /** Sessions in progress at once. Default 64. */
  readonly concurrentSessions?: number;
  /** Zipf exponent of product popularity (rank r is chosen in proportion to 1 / r^s). Default 1.1. */
  readonly popularitySkew?: number;
  /** Share of events that are malformed. Default 0.005. */
  readonly malformedRate?: number;
  /** Share of events resent with the same eventId. Default 0.01. */
  readonly duplicateRate?: number;
  /** Share of events that arrive late but within the 1-minute grace period. Default 0.02. */
  readonly lateWithinGraceRate?: number;
  /**
   * How late those events are at most, in ms: from 5 s (or this, if less) up to this. Default
   * 45 s. A bound well inside the grace period keeps every event on time whichever order the
   * partitions are interleaved in.
   */
  readonly lateWithinGraceMaxMs?: number;
  /** Share of events that arrive after their window has closed (beyond grace). Default 0.002. */
  readonly lateBeyondGraceRate?: number;
  /** One catalog change after about this many events; 0 for the initial snapshot only. Default 1000. */
  readonly catalogChangeEvery?: number;
}

/** Funnel step probabilities: a view leads to a click 30% of the time, and so on. */
const funnel = { click: 0.3, addToCart: 0.35, purchase: 0.45 } as const;
/** The product at this popularity rank (1-based) has a broken checkout: its conversion collapses, which the conversion-drop alert catches. */
const brokenCheckoutRank = 3;

const categories = ['electronics', 'home', 'kitchen', 'books', 'toys', 'sports', 'beauty', 'garden', 'fashion', 'grocery', 'office', 'pets'] as const;
const adjectives = ['Classic', 'Smart', 'Compact', 'Deluxe', 'Eco', 'Pro', 'Mini', 'Ultra', 'Vintage', 'Wireless', 'Organic', 'Portable'] as const;
const nouns: Record<(typeof categories)[number], readonly string[]> = {
  electronics: ['Headphones', 'Speaker', 'Charger', 'Monitor', 'Keyboard'],
  home: ['Desk Lamp', 'Rug', 'Candle', 'Mirror', 'Throw Blanket'],
  kitchen: ['Kettle', 'Mug', 'Knife Set', 'Blender', 'Pan'],
  books: ['Cookbook', 'Novel', 'Atlas', 'Journal', 'Field Guide'],
  toys: ['Puzzle', 'Robot Kit', 'Board Game', 'Plush Bear', 'Kite'],
  sports: ['Yoga Mat', 'Water Bottle', 'Dumbbells', 'Running Cap', 'Jump Rope'],
  beauty: ['Face Serum', 'Lip Balm', 'Hair Dryer', 'Perfume', 'Brush Set'],
  garden: ['Planter', 'Hose', 'Seed Kit', 'Pruner', 'Bird Feeder'],
  fashion: ['Sneakers', 'Scarf', 'Backpack', 'Sunglasses', 'Watch'],
  grocery: ['Coffee Beans', 'Olive Oil', 'Green Tea', 'Honey', 'Dark Chocolate'],
  office: ['Notebook', 'Desk Chair', 'Pen Set', 'Stapler', 'Planner'],
  pets: ['Dog Bed', 'Cat Tree', 'Leash', 'Chew Toy', 'Aquarium'],
};


interface Session {
  readonly sessionId: string;
  readonly userId: string;
  readonly source: 'web' | 'mobile';
  productIndex: number;
  /** The funnel step last taken on `productIndex`, or undefined before the first view. */
  step: EventType | undefined;
}

function checkRate(name: string, value: number): number {
  if (!Number.isFinite(value) || value < 0 || value > 1) throw new RangeError(`Generator option '${name}' must be a number from 0 to 1, got ${value}.`);
  return value;
}

function checkPositiveInteger(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`Generator option '${name}' must be an integer >= 1, got ${value}.`);
  return value;
}

/**
 * Generates the app's input one record at a time: first {@link EventGenerator.catalogSnapshot},
 * then {@link EventGenerator.next} for ever. The same options always give the same sequence.
 */
export class EventGenerator {
  /** The catalog as the snapshot wrote it (later changes are not reflected here). */
  readonly products: readonly Product[];
  private readonly random: () => number;
  private readonly startTime: number;
  private readonly stepMs: number;
  private readonly users: number;
  private readonly cumulativePopularity: Float64Array;
  private readonly sessions: Session[] = [];
  private readonly recent: Array<{ key: Buffer | null; value: Buffer; timestamp: number }> = [];
  private readonly options: Required<Omit<GeneratorOptions, 'seed' | 'startTime' | 'eventsPerSecond' | 'products' | 'users' | 'concurrentSessions' | 'popularitySkew'>>;
  private readonly idPrefix: string;
  private readonly prices: number[];
  private readonly deleted = new Set<number>();
  private eventCount = 0;
  private sessionCount = 0;
  private sinceCatalogChange = 0;

  constructor(options: GeneratorOptions = {}) {
    const seed = options.seed ?? 42;
    if (!Number.isSafeInteger(seed)) throw new RangeError(`Generator option 'seed' must be an integer, got ${seed}.`);
    this.random = seededRandom(seed);
    this.startTime = options.startTime ?? Date.UTC(2026, 0, 1);
    const eventsPerSecond = options.eventsPerSecond ?? 2000;
    if (!Number.isFinite(eventsPerSecond) || eventsPerSecond <= 0) throw new RangeError(`Generator option 'eventsPerSecond' must be > 0, got ${eventsPerSecond}.`);
    this.stepMs = second / eventsPerSecond;
    this.users = checkPositiveInteger('users', options.users ?? 5000);
    const productCount = checkPositiveInteger('products', options.products ?? 200);
    this.options = {
      malformedRate: checkRate('malformedRate', options.malformedRate ?? 0.005),
      duplicateRate: checkRate('duplicateRate', options.duplicateRate ?? 0.01),
      lateWithinGraceRate: checkRate('lateWithinGraceRate', options.lateWithinGraceRate ?? 0.02),
      lateBeyondGraceRate: checkRate('lateBeyondGraceRate', options.lateBeyondGraceRate ?? 0.002),
      lateWithinGraceMaxMs: options.lateWithinGraceMaxMs ?? 45 * second,
      catalogChangeEvery: options.catalogChangeEvery ?? 1000,
    };
    if (!Number.isSafeInteger(this.options.lateWithinGraceMaxMs) || this.options.lateWithinGraceMaxMs < 0) {
      throw new RangeError(`Generator option 'lateWithinGraceMaxMs' must be an integer >= 0, got ${this.options.lateWithinGraceMaxMs}.`);
    }
    if (!Number.isSafeInteger(this.options.catalogChangeEvery) || this.options.catalogChangeEvery < 0) {
      throw new RangeError(`Generator option 'catalogChangeEvery' must be an integer >= 0, got ${this.options.catalogChangeEvery}.`);
    }
    // Ids carry the seed and start time, so a second run on the same state store is not taken for retries of the first.
    this.idPrefix = `${seed.toString(36)}${this.startTime.toString(36)}`;

    const skew = options.popularitySkew ?? 1.1;
    this.cumulativePopularity = new Float64Array(productCount);
    let total = 0;
    for (let rank = 0; rank < productCount; rank++) {
      total += 1 / Math.pow(rank + 1, skew);
      this.cumulativePopularity[rank] = total;
    }
    for (let rank = 0; rank < productCount; rank++) this.cumulativePopularity[rank]! /= total;

    const products: Product[] = [];
    this.prices = [];
    for (let index = 0; index < productCount; index++) {
      const category = categories[Math.floor(this.random() * categories.length)]!;
      const noun = nouns[category][Math.floor(this.random() * nouns[category].length)]!;
      const adjective = adjectives[Math.floor(this.random() * adjectives.length)]!;
      // Log-normal-ish prices between about $3 and $400, in cents.
      const price = Math.round(Math.exp(1.2 + this.random() * 4.8) * 100) / 100;
      this.prices.push(price);
      products.push({ productId: productId(index), name: `${adjective} ${noun}`, category, price, updatedAt: this.startTime - minute });
    }
    this.products = products;
    const concurrent = checkPositiveInteger('concurrentSessions', options.concurrentSessions ?? 64);
    for (let index = 0; index < concurrent; index++) this.sessions.push(this.newSession());
  }

  /** The catalog as a CDC snapshot: Debezium `r` (read) envelopes, with and without `payload`, and some plain upserts. */
  catalogSnapshot(): GeneratedRecord[] {
    const at = this.startTime - minute;
    return this.products.map((product, index) => {
      const form = index % 3;
      const row = { productId: product.productId, name: product.name, category: product.category, price: product.price, updatedAt: product.updatedAt };
      const envelope: DebeziumEnvelope = { before: null, after: row, op: 'r', ts_ms: at };
      const value = form === 0 ? { payload: envelope } : form === 1 ? envelope : row;
      return catalogRecord(product.productId, value, at);
    });
  }

  /** The next record: an event (possibly late, duplicated or malformed) or, now and then, a catalog change. */
  next(): GeneratedRecord {
    const every = this.options.catalogChangeEvery;
    if (every > 0 && this.sinceCatalogChange >= every) {
      this.sinceCatalogChange = 0;
      return this.catalogChange();
    }
    this.sinceCatalogChange++;
    const now = this.startTime + Math.floor(this.eventCount * this.stepMs);
    this.eventCount++;
    const roll = this.random();
    const { malformedRate, duplicateRate, lateWithinGraceRate, lateBeyondGraceRate } = this.options;
    if (roll < malformedRate) return this.malformed(now);
    if (roll < malformedRate + duplicateRate && this.recent.length > 0) {
      const copy = this.recent[Math.floor(this.random() * this.recent.length)]!;
      return { stream: 'events', kind: 'duplicate', key: copy.key, value: copy.value, timestamp: copy.timestamp };
    }
    let timestamp = now;
    let kind: GeneratedKind = 'event';
    const lateRoll = roll - malformedRate - duplicateRate;
    if (lateRoll >= 0 && lateRoll < lateWithinGraceRate) {
      const latest = this.options.lateWithinGraceMaxMs;
      const earliest = Math.min(5 * second, latest);
      timestamp = now - Math.floor(earliest + this.random() * (latest - earliest));
      kind = 'late-within-grace';
    } else if (lateRoll >= lateWithinGraceRate && lateRoll < lateWithinGraceRate + lateBeyondGraceRate) {
      // Later than window size + grace (6 minutes), so its window has closed whatever its alignment.
      timestamp = now - Math.floor(7 * minute + this.random() * 8 * minute);
      kind = 'late-beyond-grace';
    } else {
      timestamp = now + Math.floor(this.random() * 200); // devices' clocks jitter a little
    }
    const event = this.sessionEvent(timestamp);
    const key = this.random() < 0.1 ? null : Buffer.from(event.productId, 'utf8'); // some producers send no key
    const value = Buffer.from(JSON.stringify(event), 'utf8');
    this.remember(key, value, timestamp);
    return { stream: 'events', kind, key, value, timestamp };
  }

  /** `count` records of the events stream (catalog changes come on top, interleaved). */
  take(count: number): GeneratedRecord[] {
    const records: GeneratedRecord[] = [];
    let events = 0;
    while (events < count) {
      const record = this.next();
      if (record.stream === 'events') events++;
      records.push(record);
    }
    return records;
  }

  private newSession(): Session {
    const userNumber = Math.floor(Math.pow(this.random(), 1.5) * this.users); // some users are far more active
    return {
      sessionId: `s${this.idPrefix}-${this.sessionCount++}`,
      userId: `u${String(userNumber).padStart(5, '0')}`,
      source: this.random() < 0.55 ? 'mobile' : 'web',
      productIndex: 0,
      step: undefined,
    };
  }

  private popularProduct(): number {
    const target = this.random();
    let low = 0;
    let high = this.cumulativePopularity.length - 1;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (this.cumulativePopularity[middle]! < target) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  /** One session's next step: down the funnel on its product, or on to view another, or it ends. */
  private sessionEvent(timestamp: number): ProductEvent {
    const slot = Math.floor(this.random() * this.sessions.length);
    let session = this.sessions[slot]!;
    let eventType: EventType = 'view';
    const progress = this.random();
    if (session.step === 'view' && progress < funnel.click) eventType = 'click';
    else if (session.step === 'click' && progress < funnel.addToCart) eventType = 'add_to_cart';
    else if (session.step === 'add_to_cart' && progress < (session.productIndex === brokenCheckoutRank - 1 ? 0.02 : funnel.purchase)) eventType = 'purchase';
    else if (session.step !== undefined && progress > 0.85) {
      session = this.newSession(); // the session ends; a new one takes its slot
      this.sessions[slot] = session;
    }
    if (eventType === 'view') session.productIndex = this.popularProduct();
    session.step = eventType;
    const id = this.products[session.productIndex]!.productId;
    const base = { eventId: `e${this.idPrefix}-${this.eventCount}`, userId: session.userId, productId: id, eventType, timestamp, sessionId: session.sessionId, source: session.source };
    if (eventType !== 'purchase') return base;
    const quantity = this.random() < 0.8 ? 1 : 2 + Math.floor(this.random() * 3);
    // Most purchases carry the price paid (sometimes a discount); some leave it to the catalog.
    if (this.random() < 0.3) return { ...base, quantity };
    const discount = this.random() < 0.2 ? 0.9 : 1;
    return { ...base, quantity, price: Math.round(this.prices[session.productIndex]! * discount * 100) / 100 };
  }

  private malformed(timestamp: number): GeneratedRecord {
    const form = Math.floor(this.random() * 3);
    const event = this.sessionEvent(timestamp);
    let text: string;
    if (form === 0) {
      const json = JSON.stringify(event);
      text = json.slice(0, Math.max(1, Math.floor(json.length * this.random()))); // truncated: bad JSON
    } else if (form === 1) {
      text = JSON.stringify({ ...event, eventType: 'wishlist' }); // an event type the app does not know
    } else {
      text = JSON.stringify({ ...event, eventType: 'purchase', price: -Math.round(1 + this.random() * 50), quantity: 1 }); // negative price
    }
    return { stream: 'events', kind: 'malformed', key: Buffer.from(event.productId, 'utf8'), value: Buffer.from(text, 'utf8'), timestamp };
  }

  private remember(key: Buffer | null, value: Buffer, timestamp: number): void {
    if (this.recent.length >= 256) this.recent[Math.floor(this.random() * this.recent.length)] = { key, value, timestamp };
    else this.recent.push({ key, value, timestamp });
  }

  /** A price change (Debezium `u` or plain upsert), a tail product deleted (Debezium `d` or tombstone), or a deleted one restored. */
  private catalogChange(): GeneratedRecord {
    const at = this.startTime + Math.floor(this.eventCount * this.stepMs);
    const count = this.products.length;
    const roll = this.random();
    if (roll < 0.1 && count > 20) {
      // Deletes hit the long tail: discontinued products, whose later events count as unknown.
      const index = count - 1 - Math.floor(this.random() * Math.floor(count / 4));
      const id = productId(index);
      this.deleted.add(index);
      if (this.random() < 0.5) return { stream: 'catalog', kind: 'catalog', key: Buffer.from(id, 'utf8'), value: null, timestamp: at };
      const product = this.products[index]!;
      return catalogRecord(id, { before: { productId: id, name: product.name, category: product.category, price: this.prices[index]! }, after: null, op: 'd', ts_ms: at }, at);
    }
    const restored = [...this.deleted][0];
    const index = roll < 0.2 && restored !== undefined ? restored : this.popularProduct();
    this.deleted.delete(index);
    const product = this.products[index]!;
    const before = { productId: product.productId, name: product.name, category: product.category, price: this.prices[index]! };
    const price = Math.max(0.5, Math.round(before.price * (0.85 + this.random() * 0.3) * 100) / 100);
    this.prices[index] = price;
    const after = { ...before, price, updatedAt: at };
    if (this.random() < 0.5) return catalogRecord(product.productId, { payload: { before, after, op: 'u', ts_ms: at } }, at);
    return catalogRecord(product.productId, after, at);
  }
}

function productId(index: number): string {
  return `p${String(index + 1).padStart(4, '0')}`;
}

function catalogRecord(id: string, value: unknown, timestamp: number): GeneratedRecord {
  return { stream: 'catalog', kind: 'catalog', key: Buffer.from(id, 'utf8'), value: Buffer.from(JSON.stringify(value), 'utf8'), timestamp };
}

/** The catalog snapshot followed by `events` event records (with catalog changes interleaved): a fixed data set. */
export function generateDataSet(events: number, options: GeneratorOptions = {}): GeneratedRecord[] {
  const generator = new EventGenerator(options);
  return [...generator.catalogSnapshot(), ...generator.take(events)];
}
