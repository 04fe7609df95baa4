/**
 * The topology of the keyed-state scenario (`keyed-state.ts`): a count per key of the events
 * topic, in a LevelDB key-value store (`counts`, with its changelog and the default record cache),
 * each update written to `<prefix>counts`. With a million distinct keys its state is a million
 * entries, which is what the scenario measures memory and restore against.
 */
import { Consumed, Materialized, Produced, Serdes, StreamsBuilder, type Topology } from '@tributary/streams';
import { LevelStores } from '@tributary/level';
import type { FlagshipSettings } from './flagship.js';

/** The store's name; its changelog is `<applicationId>-counts-changelog`. */
export const keyedStateStoreName = 'counts';

/** The scenario's output topic for a run's settings. */
export function keyedStateOutputTopic(settings: Pick<FlagshipSettings, 'outputPrefix'>): string {
  return `${settings.outputPrefix}counts`;
}

export function buildKeyedState(settings: FlagshipSettings): Topology {
  const builder = new StreamsBuilder({ dslStoreSuppliers: LevelStores.dslStoreSuppliers() });
  builder
    .stream(settings.eventsTopic, Consumed.with(Serdes.String(), Serdes.Bytes()))
    .groupByKey()
    .count(Materialized.as<string, number>(keyedStateStoreName))
    .toStream()
    .to(keyedStateOutputTopic(settings), Produced.with(Serdes.String(), Serdes.Float64()));
  return builder.build();
}
