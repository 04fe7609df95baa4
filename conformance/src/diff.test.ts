/** The comparison of two results, and the generator's determinism: no JVM needed. */
import { describe, expect, it } from 'vitest';
import { catalogue } from './catalogue.js';
import { firstDifference, formatDifference } from './diff.js';
import { loadExceptions } from './exceptions.js';
import { generateScenario } from './generator.js';
import type { OutputRecord } from './scenario.js';

const hex = (text: string): string => Buffer.from(text).toString('hex');
const record = (key: string, value: string | null, ts: number): OutputRecord => ({ topic: 'out', key: hex(key), value: value === null ? null : hex(value), ts });

describe('firstDifference', () => {
  it('is undefined when every record and the outcome agree', () => {
    const records = [record('a', '1', 1), record('b', null, 2)];
    expect(firstDifference({ id: 'x', records }, { id: 'x', records: [...records] })).toBeUndefined();
  });

  it('names the first record whose key, value, timestamp or headers differ', () => {
    const kafka = [record('a', '1', 1), record('b', '2', 2), record('c', '3', 3)];
    expect(firstDifference({ id: 'x', records: kafka }, { id: 'x', records: [record('a', '1', 1), record('b', '2', 9), record('c', '4', 3)] })).toMatchObject({
      index: 1,
      kafka: kafka[1],
    });
    const withHeader = { ...record('a', '1', 1), headers: [['h', '00']] as const };
    expect(firstDifference({ id: 'x', records: [record('a', '1', 1)] }, { id: 'x', records: [withHeader] })?.index).toBe(0);
  });

  it('names the first missing record when one side wrote fewer, and a failure on one side only', () => {
    const difference = firstDifference({ id: 'x', records: [record('a', '1', 1), record('b', '2', 2)] }, { id: 'x', records: [record('a', '1', 1)] });
    expect(difference).toMatchObject({ index: 1, tributary: undefined });
    const failed = firstDifference({ id: 'x', records: [] }, { id: 'x', records: [], error: 'TypeError: boom' });
    expect(failed).toMatchObject({ index: 0, tributaryError: 'TypeError: boom' });
    const scenario = generateScenario(catalogue[0]!, 1, false);
    expect(formatDifference(scenario, difference!)).toContain('kafka:     out key="b" value="2" ts=2');
    expect(formatDifference(scenario, difference!)).toContain('tributary: (none)');
  });
});

describe('generateScenario', () => {
  it('gives the same scenario for the same seed, another for another seed, and the same input with caches on and off', () => {
    for (const entry of catalogue) {
      expect(generateScenario(entry, 3, false)).toEqual(generateScenario(entry, 3, false));
      expect(generateScenario(entry, 3, false).steps).toEqual(generateScenario(entry, 3, true).steps);
      expect(generateScenario(entry, 3, false).steps).not.toEqual(generateScenario(entry, 4, false).steps);
      const topics = new Set(generateScenario(entry, 3, false).steps.flatMap((step) => ('topic' in step ? [step.topic] : [])));
      for (const topic of topics) expect(Object.keys(entry.inputs)).toContain(topic);
    }
  });
});

describe('the exception list', () => {
  it('parses, and every entry names a catalogue topology, its reason and the Kafka source behind it', () => {
    for (const exception of loadExceptions()) expect(catalogue.map((entry) => entry.name)).toContain(exception.topology);
  });
});
