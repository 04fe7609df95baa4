// The click count topology of embedded.test.ts and its crash child (embedded-crash-counter.mjs):
// clicks per user in a LevelDB store, the counts to 'counts'. Plain ESM, so the child process
// runs it without a TypeScript step.
import { Consumed, Materialized, Produced, Serdes, StreamsBuilder } from '@tributary/streams';
import { LevelStores } from '@tributary/level';

/** The application id both run it under, so a run reopens the state another left. */
export const clickCountApplicationId = 'level-embedded';

export function clickCountTopology() {
  const builder = new StreamsBuilder();
  builder
    .stream('clicks', Consumed.with(Serdes.String(), Serdes.String()))
    .groupByKey()
    .count(Materialized.as(LevelStores.persistentKeyValueStore('clicks-per-user')))
    .toStream()
    .to('counts', Produced.with(Serdes.String(), Serdes.Float64()));
  return builder.build();
}
