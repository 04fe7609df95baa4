/**
 * The interactive-queries test application's topology (iq-app.mjs), also its thread module for
 * `numStreamThreads` above 1: clicks (String keys and values) counted per key into `counts` and
 * per key and hour into `hourly`, both on LevelDB. The topic comes from $IQ_INPUT_TOPIC, which
 * iq-app.mjs sets before any worker thread starts. Each worker runs on the client under test
 * (`createOptions`, from ../helpers/client-option.mjs).
 */
import { LevelStores } from '@tributary/level';
import { Consumed, Grouped, Materialized, Serdes, StreamsBuilder, TimeWindows } from '@tributary/streams';

export { createThreadOptions as createOptions } from '../helpers/client-option.mjs';

export function buildTopology(inputTopic) {
  const builder = new StreamsBuilder({ dslStoreSuppliers: LevelStores.dslStoreSuppliers() });
  const clicks = builder.stream(inputTopic, Consumed.with(Serdes.String(), Serdes.String())).groupByKey(Grouped.with(Serdes.String(), Serdes.String()));
  clicks.count(Materialized.as('counts'));
  clicks.windowedBy(TimeWindows.ofSizeAndGrace(3_600_000, 86_400_000)).count(Materialized.as('hourly'));
  return builder.build();
}

export function createTopology() {
  return buildTopology(process.env.IQ_INPUT_TOPIC);
}
