/**
 * The null-key filter before stream repartition sinks, as Kafka Streams 3.9 has it: null keys are
 * dropped before the topic, unless the repartitioned records can reach a left or outer join,
 * which keeps them (KIP-962), through processors and through further internal topics. The
 * conformance catalogue's `rekeyed-join` checks the same against Kafka's TopologyTestDriver.
 */
import { describe, expect, it } from 'vitest';
import { JoinWindows, Serdes, StreamJoined, StreamsBuilder } from '../../../index.js';
import type { KStream, Topology } from '../../../index.js';
import type { TopologyTestDriver } from '../../../test-utils/index.js';
import { builderOptions, openQuietDriver, strings, writeStrings } from '#test-kit';

const joinSerdes = StreamJoined.with<string, string, string>(Serdes.String(), Serdes.String(), Serdes.String());
const show = (left: string | null, right: string | null): string => `${left ?? 'null'}/${right ?? 'null'}`;

const openDriver = (topology: Topology): Promise<TopologyTestDriver> => openQuietDriver(topology, { applicationId: 'app', defaultKeySerde: Serdes.String(), defaultValueSerde: Serdes.String() });

/** The stream of `topic` re-keyed by value, a value of `none` giving a null key. */
function rekeyed(builder: StreamsBuilder, topic: string): KStream<string, string> {
  return builder.stream(topic, strings).selectKey((_key, value) => (value === 'none' ? (null as unknown as string) : value));
}

function keysOn(driver: TopologyTestDriver, topic: string): (string | null)[] {
  return driver.createOutputTopic(topic, Serdes.String(), Serdes.String()).readKeyValuesToList().map((record) => record.key);
}

describe('the null-key filter before a repartition', () => {
  it('drops (and counts) null keys before an inner join repartitions', async () => {
    const builder = new StreamsBuilder(builderOptions());
    rekeyed(builder, 'left').join(builder.stream('right', strings), show, JoinWindows.ofTimeDifferenceWithNoGrace(10), joinSerdes).to('out', writeStrings);
    const driver = await openDriver(builder.build());
    const left = driver.createInputTopic('left', Serdes.String(), Serdes.String());
    driver.createInputTopic('right', Serdes.String(), Serdes.String()).pipeInput('a', 'R', 1);
    left.pipeInput('x', 'a', 2);
    left.pipeInput('y', 'none', 3);
    expect(keysOn(driver, 'app-KSTREAM-KEY-SELECT-0000000001-repartition')).toEqual(['a']);
    expect(driver.createOutputTopic('out', Serdes.String(), Serdes.String()).readKeyValuesToList()).toEqual([{ key: 'a', value: 'a/R' }]);
    expect(driver.droppedRecords().get('null-key')).toBe(1);
  });

  it('keeps null keys above a left join, which emits them joined with null', async () => {
    const builder = new StreamsBuilder(builderOptions());
    rekeyed(builder, 'left').leftJoin(builder.stream('right', strings), show, JoinWindows.ofTimeDifferenceWithNoGrace(10), joinSerdes).to('out', writeStrings);
    const driver = await openDriver(builder.build());
    const left = driver.createInputTopic('left', Serdes.String(), Serdes.String());
    left.pipeInput('y', 'none', 3);
    expect(keysOn(driver, 'app-KSTREAM-KEY-SELECT-0000000001-repartition')).toEqual([null]);
    expect(driver.createOutputTopic('out', Serdes.String(), Serdes.String()).readKeyValuesToList()).toEqual([{ key: null, value: 'none/null' }]);
    expect(driver.droppedRecords().get('null-key')).toBeUndefined();
  });

  it('keeps null keys when a left join is further down, past another repartition; an aggregation there still drops them', async () => {
    const builder = new StreamsBuilder(builderOptions());
    const repartitioned = rekeyed(builder, 'in').repartition({ name: 'first' });
    repartitioned.groupByKey().count({ storeName: 'counts' });
    repartitioned
      .selectKey((key) => key)
      .leftJoin(builder.table('rows', strings), show, { name: 'second' })
      .to('out', writeStrings);
    const driver = await openDriver(builder.build());
    driver.createInputTopic('in', Serdes.String(), Serdes.String()).pipeInput('y', 'none', 1);
    expect(keysOn(driver, 'app-first-repartition')).toEqual([null]);
    expect(keysOn(driver, 'app-second-repartition')).toEqual([null]);
    expect(driver.createOutputTopic('out', Serdes.String(), Serdes.String()).readKeyValuesToList()).toEqual([{ key: null, value: 'none/null' }]);
    // The count below the first repartition drops it.
    expect(driver.droppedRecords().get('null-key')).toBe(1);
  });

  it('drops null keys before repartition() when nothing below keeps them', async () => {
    const builder = new StreamsBuilder(builderOptions());
    rekeyed(builder, 'in').repartition({ name: 'only' }).to('out', writeStrings);
    const driver = await openDriver(builder.build());
    const input = driver.createInputTopic('in', Serdes.String(), Serdes.String());
    input.pipeInput('y', 'none', 1);
    input.pipeInput('x', 'a', 2);
    expect(keysOn(driver, 'app-only-repartition')).toEqual(['a']);
    expect(keysOn(driver, 'out')).toEqual(['a']);
  });
});
