/**
 * A counting application for runtime tests: string records counted per key in a LevelDB store,
 * with counts written as Float64. Input records and their expected counts come with it.
 */
import { LevelStores } from '@tributary/level';
import { Consumed, Materialized, Produced, Serdes, StreamsBuilder, type Topology } from '@tributary/streams';
import { retainedBaseTime } from './kafka.js';
import type { InputRecord } from './streams-app.js';

/** `input` → groupByKey → count (LevelDB store `counts`) → `output`. */
export function levelCountTopology(input: string, output: string): Topology {
  const builder = new StreamsBuilder();
  builder
    .stream(input, Consumed.with(Serdes.String(), Serdes.String()))
    .groupByKey()
    .count(Materialized.as(LevelStores.persistentKeyValueStore('counts')))
    .toStream()
    .to(output, Produced.with(Serdes.String(), Serdes.Float64()));
  return builder.build();
}

/** `count` records over keys `k0`..`k<keys-1>`, valued `<prefix><index>`, `stepMs` apart. */
export function keyedRecords(count: number, keys: number, prefix: string, stepMs = 1000): InputRecord<string, string>[] {
  return Array.from({ length: count }, (_, index) => ({ key: `k${index % keys}`, value: `${prefix}${index}`, timestamp: retainedBaseTime + index * stepMs }));
}

/** Each key's number of records. */
export function totals(records: readonly InputRecord<string, string>[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const record of records) counts.set(record.key!, (counts.get(record.key!) ?? 0) + 1);
  return counts;
}
