/**
 * Draws a scenario's parameters and input from a seed: out-of-order and late records, equal
 * timestamps, null keys, null values (tombstones on tables), keys whose rows move between groups
 * and foreign keys, and wall-clock advances for punctuators. The same seed always gives the same
 * scenario; the cache setting does not change the input, so a pair of runs differs only in it.
 */
import { KEYS, type CatalogueEntry } from './catalogue.js';
import { Random } from './random.js';
import type { Scenario, Step } from './scenario.js';

/** The scenario of `entry` for `seed`, with record caches on or off. */
export function generateScenario(entry: CatalogueEntry, seed: number, cache: boolean): Scenario {
  // The entry's name mixes into the seed, so seed 1 of two topologies are different inputs.
  const random = new Random(seed * 1_000_003 + hash(entry.name));
  // Headers come from a stream of their own, so the keys, values and times stay what they were.
  const headerRandom = new Random(seed * 7_919 + hash(entry.name) + 1);
  const params = entry.params(random);
  const topics = Object.entries(entry.inputs);
  const steps: Step[] = [];
  const count = random.int(6, 40);
  let clock = random.int(0, 30);
  let last = clock;
  for (let index = 0; index < count; index++) {
    if (random.bool(0.08)) steps.push({ advance: random.int(1, 120) });
    const [topic, kind] = random.pick(topics);
    const roll = random.next();
    let ts: number;
    if (roll < 0.15) ts = last; // an equal timestamp
    else if (roll < 0.35) ts = Math.max(0, clock - random.int(1, 50)); // out of order, often past a window's grace
    else {
      clock += random.int(0, 9);
      ts = clock;
    }
    last = ts;
    const key = random.bool(kind === 'stream' ? 0.08 : 0.04) ? null : random.pick(KEYS);
    const value = random.bool(kind === 'stream' ? 0.1 : 0.2) ? null : String(random.int(0, 99));
    if (headerRandom.bool(0.3)) steps.push({ topic, key, value, ts, headers: [['h', String(headerRandom.int(0, 9))]] });
    else steps.push({ topic, key, value, ts });
  }
  return { id: `${entry.name}/${seed}/cache-${cache ? 'on' : 'off'}`, topology: entry.name, params, cache, seed, steps };
}

function hash(text: string): number {
  let result = 0;
  for (let index = 0; index < text.length; index++) result = (Math.imul(result, 31) + text.charCodeAt(index)) >>> 0;
  return result;
}
