/**
 * Helpers the table, join and aggregation operators' tests share (beside `#test-kit`, which holds
 * the drivers and fixtures of every suite): a driver on the default serdes tables need, stream-table
 * joins run arrival by arrival, piping timed records into `in`, reading a window store, and the
 * windowed aggregations' brute-force oracles.
 */
import fc from 'fast-check';
import { Serdes } from '../../../serde/serdes.js';
import type { Deserializer } from '../../../serde/serde.js';
import type { Topology } from '../../../processor/topology.js';
import type { TestOutputTopic, TopologyTestDriver } from '../../../test-utils/index.js';
import type { ValueAndTimestamp } from '../../../state/value-and-timestamp.js';
import type { WindowStore } from '../../../state/window-store.js';
import { openQuietDriver } from '#test-kit';

/**
 * A quiet driver (`openQuietDriver`) with String keys and JSON values as the default serdes: stores
 * of mapped, joined and aggregated values use the default serdes, as in Kafka Streams.
 */
export function openTableDriver(topology: Topology): Promise<TopologyTestDriver> {
  return openQuietDriver(topology, { defaultKeySerde: Serdes.String(), defaultValueSerde: Serdes.Json() });
}

/** The output topic `topic` read with String keys and `valueSerde` (JSON unless given). */
export function stringKeyedOutput<V>(driver: TopologyTestDriver, topic: string, valueSerde: Deserializer<V> = Serdes.Json<V>()): TestOutputTopic<string, V> {
  return driver.createOutputTopic(topic, Serdes.String(), valueSerde);
}

/** A stream-table join's result as the join tests show it: `left - right`, a missing row as null. */
export const showJoin = (left: string, right: string | null): string => `${left} - ${right ?? 'null'}`;

/** One record for a join test: to the stream (`stream`) or to the table. */
export interface JoinArrival {
  readonly topic: 'stream' | 'table';
  readonly key: string | null;
  readonly value: string | null;
  readonly timestamp: number;
}

/**
 * Pipes `arrivals` one by one into `stream` or the table's topic (`tableTopic`) on a quiet driver,
 * and returns what `out` got after each one, as `key:value@timestamp`, with the driver.
 */
export async function runJoin(topology: Topology, arrivals: readonly JoinArrival[], tableTopic = 'table'): Promise<{ outputs: string[][]; driver: TopologyTestDriver }> {
  const driver = await openQuietDriver(topology);
  const inputs = {
    stream: driver.createInputTopic('stream', Serdes.String(), Serdes.String()),
    table: driver.createInputTopic(tableTopic, Serdes.String(), Serdes.String()),
  };
  const output = driver.createOutputTopic('out', Serdes.String(), Serdes.String());
  const outputs = arrivals.map((arrival) => {
    inputs[arrival.topic].pipeInput(arrival.key, arrival.value, arrival.timestamp);
    return output.readRecordsToList().map((record) => `${record.key}:${record.value}@${record.timestamp}`);
  });
  return { outputs, driver };
}

/** One record for `in`: a String key, an Int32 value (either may be null) and its timestamp. */
export type TimedNumber = readonly [key: string | null, value: number | null, timestamp: number];

/** Pipes `inputs` into `in` (String keys, Int32 values), each at its own timestamp. */
export function pipeNumbers(driver: TopologyTestDriver, inputs: readonly TimedNumber[]): void {
  const input = driver.createInputTopic('in', Serdes.String(), Serdes.Int32());
  for (const [key, value, timestamp] of inputs) input.pipeInput(key, value, timestamp);
}

/** `key@start` → value for every window in a window store. */
export function windowContents(driver: TopologyTestDriver, storeName: string): Map<string, number> {
  const store = driver.getStateStore<WindowStore<string, ValueAndTimestamp<number>>>(storeName);
  const result = new Map<string, number>();
  for (const { key, value } of store.all()) result.set(`${key.key}@${key.window.start}`, value.value);
  return result;
}

/** A map's entries sorted by key, to compare maps whatever their insertion order. */
export const sortedEntries = (map: Map<string, number>): Array<[string, number]> => [...map.entries()].sort(([left], [right]) => (left < right ? -1 : left > right ? 1 : 0));

/** Records of keys a, b and c, mostly in order with random lateness and duplicates. */
export const recordsArbitrary = fc
  .array(fc.tuple(fc.constantFrom('a', 'b', 'c'), fc.integer({ min: 1, max: 5 }), fc.integer({ min: 0, max: 400 }), fc.boolean()), { maxLength: 40 })
  .map((entries) => {
    const inputs: TimedNumber[] = [];
    for (const [key, value, timestamp, duplicate] of entries) {
      inputs.push([key, value, timestamp]);
      if (duplicate) inputs.push([key, value, timestamp]);
    }
    return inputs;
  });

interface TimeOracle {
  windows: Map<string, number>;
  late: number;
}

/** Replays in order: a record joins each window containing it whose end + grace > stream time. */
export function timeWindowOracle(inputs: readonly TimedNumber[], size: number, advance: number, grace: number): TimeOracle {
  const windows = new Map<string, number>();
  let streamTime = -1;
  let late = 0;
  for (const [key, value, timestamp] of inputs) {
    streamTime = Math.max(streamTime, timestamp);
    for (let start = 0; start <= timestamp; start += advance) {
      if (timestamp >= start + size) continue;
      if (start + size + grace <= streamTime) {
        late++;
        continue;
      }
      const id = `${key}@${start}`;
      windows.set(id, (windows.get(id) ?? 0) + value!);
    }
  }
  return { windows, late };
}
