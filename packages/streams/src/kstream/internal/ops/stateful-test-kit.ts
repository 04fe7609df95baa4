/**
 * Helpers the table operators' tests share (beside `#test-kit`, which holds the drivers and
 * fixtures of every suite): a driver on the default serdes tables need, and reading its output.
 */
import { Serdes } from '../../../serde/serdes.js';
import type { Deserializer } from '../../../serde/serde.js';
import type { Topology } from '../../../processor/topology.js';
import type { TestOutputTopic, TopologyTestDriver } from '../../../test-utils/index.js';
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
