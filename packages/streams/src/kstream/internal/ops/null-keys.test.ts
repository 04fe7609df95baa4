/**
 * Records with a null key (or value) where Kafka Streams 3.9 does not skip them quietly: a KTable
 * aggregation and a foreign-key join throw on what their own internal topics never carry (Kafka's
 * KTableAggregate and KTableReduce throw "Record key ... should not be null", its deserializers and
 * stores fail on the rest), so the record goes to the processing handler: counted as a
 * `processing-error` drop and logged, or failing the task. A null group key from `KTable.groupBy`
 * is skipped (Kafka skips it silently) and counted and warned about as a `null-key` drop.
 */
import { describe, expect, it, vi } from 'vitest';
import { Grouped, logAndContinue, logAndFail, Materialized, Produced, Serdes, StreamsBuilder, silentLogger } from '../../../index.js';
import type { KeyValueStore, Topology, ValueAndTimestamp } from '../../../index.js';
import type { TopologyTestDriver } from '../../../test-utils/index.js';
import { builderOptions, openQuietDriver, strings } from '#test-kit';

/** Rows keyed by name, counted and summed per value length through `test-by-length-repartition`. */
function groupedTable(): Topology {
  const builder = new StreamsBuilder(builderOptions());
  const byLength = builder
    .table('rows', strings)
    .groupBy((key, value) => ({ key: String(value.length), value: key }), { ...Grouped.with(Serdes.String(), Serdes.String()), name: 'by-length' });
  byLength.count(Materialized.as('counts'));
  return builder.build();
}

/** Orders ("product/quantity") joined with products by foreign key, through `test-fk-subscription-*-topic`. */
function foreignKeyJoin(): Topology {
  const builder = new StreamsBuilder(builderOptions());
  const products = builder.table('products', strings);
  builder
    .table('orders', strings)
    .join(products, (order) => order.split('/')[0]!, (order, product) => `${order}+${product}`, { name: 'fk' })
    .toStream()
    .to('out', Produced.with(Serdes.String(), Serdes.String()));
  return builder.build();
}

const counts = (driver: TopologyTestDriver) => driver.getStateStore<KeyValueStore<string, ValueAndTimestamp<number>>>('counts');

describe('null keys and values at a KGroupedTable aggregation (Kafka: KTableAggregate, KTableReduce)', () => {
  it('a record with a null key on its repartition topic goes to the processing handler, counted and logged', async () => {
    const warn = vi.fn();
    const driver = await openQuietDriver(groupedTable(), { processingExceptionHandler: logAndContinue(), logger: { ...silentLogger, warn } });
    driver.createInputTopic('rows', Serdes.String(), Serdes.String()).pipeInput('ann', 'xy', 1);
    // A change adding the row 'bob' (flag 1), as the groupBy writes it, but with no group key.
    driver.createInputTopic('test-by-length-repartition', Serdes.String(), Serdes.Bytes()).pipeInput(null, Buffer.from('bob\u0001'), 2);
    expect(driver.droppedRecords().get('processing-error')).toBe(1);
    expect(String(warn.mock.calls[0]?.[0])).toMatch(/null key from 'test-by-length-repartition'/);
    expect(counts(driver).get('2')?.value).toBe(1);
  });

  it('fails the task under logAndFail, naming the topic and the fix', async () => {
    const driver = await openQuietDriver(groupedTable(), { processingExceptionHandler: logAndFail() });
    const repartition = driver.createInputTopic('test-by-length-repartition', Serdes.String(), Serdes.Bytes());
    expect(() => repartition.pipeInput(null, Buffer.from('bob\u0001'), 2)).toThrow(/null key from 'test-by-length-repartition'.*only the groupBy's own repartition processor should write to it/);
  });

  it('a tombstone on its repartition topic is not a table change: the processing handler gets it', async () => {
    const driver = await openQuietDriver(groupedTable(), { processingExceptionHandler: logAndFail() });
    const repartition = driver.createInputTopic('test-by-length-repartition', Serdes.String(), Serdes.Bytes());
    expect(() => repartition.pipeInput('3', null, 2)).toThrow(/has a null value, not a table change as KTable.groupBy writes it/);
  });

  it('a null group key from the selector is skipped, counted as null-key and warned about', async () => {
    const warn = vi.fn();
    const builder = new StreamsBuilder(builderOptions());
    builder
      .table('rows', strings)
      .groupBy((key, value) => ({ key: value === 'none' ? null : value, value: key }), Grouped.with(Serdes.String(), Serdes.String()))
      .count(Materialized.as('counts'));
    const driver = await openQuietDriver(builder.build(), { logger: { ...silentLogger, warn } });
    const rows = driver.createInputTopic('rows', Serdes.String(), Serdes.String());
    rows.pipeInput('ann', 'none', 1);
    rows.pipeInput('bob', 'b', 2);
    expect(driver.droppedRecords().get('null-key')).toBe(1);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0]![0])).toMatch(/Table grouping skipped a record whose selected key is null/);
    expect(counts(driver).get('b')?.value).toBe(1);
  });
});

describe('null keys and values on a foreign-key join internal topics', () => {
  it('a response with a null key goes to the processing handler, counted', async () => {
    const driver = await openQuietDriver(foreignKeyJoin(), { processingExceptionHandler: logAndContinue() });
    driver.createInputTopic('test-fk-subscription-response-topic', Serdes.Bytes(), Serdes.Bytes()).pipeInput(null, Buffer.from([0]), 1);
    expect(driver.droppedRecords().get('processing-error')).toBe(1);
  });

  it('names the topic and the fix under logAndFail, for a response without a key and a subscription or response without a value', async () => {
    /** What piping one record onto an internal topic of a fresh driver throws. */
    const failureOf = async (topic: string, key: Buffer | null, value: Buffer | null): Promise<string> => {
      const driver = await openQuietDriver(foreignKeyJoin(), { processingExceptionHandler: logAndFail() });
      const input = driver.createInputTopic(`test-fk-subscription-${topic}-topic`, Serdes.Bytes(), Serdes.Bytes());
      try {
        input.pipeInput(key, value, 1);
      } catch (error) {
        return (error as Error).message;
      }
      return 'nothing thrown';
    };
    expect(await failureOf('response', null, Buffer.from([0]))).toMatch(/internal topic 'fk-subscription-response-topic' has a null key.*reset the application/);
    expect(await failureOf('response', Buffer.from('o1'), null)).toMatch(/internal topic 'fk-subscription-response-topic' has a null value/);
    expect(await failureOf('registration', Buffer.from('p1'), null)).toMatch(/internal topic 'fk-subscription-registration-topic' has a null value/);
  });
});
