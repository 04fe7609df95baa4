import { describe, expect, it } from 'vitest';
import { EventGenerator, generateDataSet, type GeneratedRecord } from './generator.js';
import { eventTypes } from './model.js';
import { ProductEventSerde } from './serdes.js';
import { Headers } from '@tributary/streams';

function parses(record: GeneratedRecord): boolean {
  if (record.value === null) return false;
  try {
    ProductEventSerde.deserialize('product-events', record.value, new Headers());
    return true;
  } catch {
    return false;
  }
}

const bytes = (records: readonly GeneratedRecord[]) => records.map((record) => `${record.stream}|${record.key?.toString('hex')}|${record.value?.toString('hex')}|${record.timestamp}`);

describe('EventGenerator', () => {
  it('is deterministic per seed and start time, and differs across seeds', () => {
    const a = generateDataSet(3000, { seed: 7, startTime: 1_000_000 });
    const b = generateDataSet(3000, { seed: 7, startTime: 1_000_000 });
    const c = generateDataSet(3000, { seed: 8, startTime: 1_000_000 });
    expect(bytes(a)).toEqual(bytes(b));
    expect(bytes(a)).not.toEqual(bytes(c));
  });

  it('produces the malformed fraction roughly as configured, each rejected by the serde', () => {
    for (const malformedRate of [0, 0.01, 0.05]) {
      const events = new EventGenerator({ seed: 3, malformedRate }).take(20_000).filter((record) => record.stream === 'events');
      const malformed = events.filter((record) => record.kind === 'malformed');
      expect(malformed.length / events.length).toBeGreaterThanOrEqual(malformedRate * 0.7);
      expect(malformed.length / events.length).toBeLessThanOrEqual(malformedRate * 1.3 + 0.0005);
      expect(malformed.every((record) => !parses(record))).toBe(true);
      expect(events.filter((record) => record.kind !== 'malformed').every(parses)).toBe(true);
    }
  });

  it('has skewed popularity, a realistic funnel, duplicates and late events', () => {
    const events = new EventGenerator({ seed: 11 }).take(50_000).filter((record) => record.stream === 'events' && record.kind !== 'malformed');
    const parsed = events.map((record) => ProductEventSerde.deserialize('product-events', record.value!, new Headers()));
    const byProduct = new Map<string, number>();
    const byType = new Map<string, number>(eventTypes.map((type) => [type, 0]));
    for (const event of parsed) {
      if (event.eventType === 'view') byProduct.set(event.productId, (byProduct.get(event.productId) ?? 0) + 1);
      byType.set(event.eventType, byType.get(event.eventType)! + 1);
    }
    const counts = [...byProduct.values()].sort((a, b) => b - a);
    // Zipf-like: the most viewed product gets far more views than the median one.
    expect(counts[0]!).toBeGreaterThan(10 * counts[Math.floor(counts.length / 2)]!);
    const views = byType.get('view')!;
    expect(byType.get('click')! / views).toBeGreaterThan(0.1);
    expect(byType.get('click')! / views).toBeLessThan(0.4);
    expect(byType.get('purchase')! / views).toBeGreaterThan(0.01);
    expect(byType.get('purchase')! / views).toBeLessThan(0.1);
    const duplicates = events.filter((record) => record.kind === 'duplicate').length / events.length;
    expect(duplicates).toBeGreaterThan(0.005);
    expect(new Set(parsed.map((event) => event.eventId)).size).toBeLessThan(parsed.length);
    expect(events.some((record) => record.kind === 'late-within-grace')).toBe(true);
    expect(events.some((record) => record.kind === 'late-beyond-grace')).toBe(true);
  });

  it('writes the catalog as Debezium envelopes, plain upserts, deletes and tombstones', () => {
    const records = generateDataSet(100_000, { seed: 5 }).filter((record) => record.stream === 'catalog');
    const values = records.map((record) => (record.value === null ? null : (JSON.parse(record.value.toString('utf8')) as Record<string, unknown>)));
    expect(values.some((value) => value !== null && 'payload' in value)).toBe(true);
    expect(values.some((value) => value !== null && value['op'] === 'r')).toBe(true);
    expect(values.some((value) => value !== null && value['op'] === 'd')).toBe(true);
    expect(values.some((value) => value !== null && 'productId' in value && !('op' in value))).toBe(true);
    expect(values.some((value) => value === null)).toBe(true);
  });

  it('keeps late events within lateWithinGraceMaxMs of their place in the sequence', () => {
    const startTime = 1_000_000;
    const stepMs = 1000 / 2000;
    const records = new EventGenerator({ seed: 4, startTime, lateWithinGraceRate: 0.2, lateWithinGraceMaxMs: 8000, catalogChangeEvery: 0 }).take(5000);
    const late = records.flatMap((record, index) => (record.kind === 'late-within-grace' ? [startTime + Math.floor(index * stepMs) - record.timestamp] : []));
    expect(late.length).toBeGreaterThan(500);
    expect(Math.min(...late)).toBeGreaterThanOrEqual(5000);
    expect(Math.max(...late)).toBeLessThanOrEqual(8000);
    expect(Math.max(...late)).toBeGreaterThan(7500);
  });

  it('rejects bad options, naming them', () => {
    expect(() => new EventGenerator({ malformedRate: 2 })).toThrow(/malformedRate/);
    expect(() => new EventGenerator({ products: 0 })).toThrow(/products/);
    expect(() => new EventGenerator({ eventsPerSecond: -1 })).toThrow(/eventsPerSecond/);
    expect(() => new EventGenerator({ lateWithinGraceMaxMs: -1 })).toThrow(/lateWithinGraceMaxMs/);
  });
});
