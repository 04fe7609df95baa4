/**
 * The stateless pipe through Tributary: the events topic read as bytes and written unchanged to
 * `<prefix>pipe`, no state, no parsing. Against the kafkajs pipe (the ceiling) it measures what the
 * runtime itself costs per record: the consumer loop, the task's record queue, the source and sink
 * nodes, the record collector and commits.
 */
import { Consumed, Produced, Serdes, StreamsBuilder, type Topology } from '@tributary/streams';
import type { FlagshipSettings } from './flagship.js';

/** The pipe's output topic for a run's settings. */
export function pipeOutputTopic(settings: Pick<FlagshipSettings, 'outputPrefix'>): string {
  return `${settings.outputPrefix}pipe`;
}

export function buildPipe(settings: FlagshipSettings): Topology {
  const builder = new StreamsBuilder();
  builder.stream(settings.eventsTopic, Consumed.with(Serdes.Bytes(), Serdes.Bytes())).to(pipeOutputTopic(settings), Produced.with(Serdes.Bytes(), Serdes.Bytes()));
  return builder.build();
}
