/**
 * `StreamsBuilder.globalTable`: a global store filled from its topic, with no task and no changelog.
 */
import { describe, expect, it } from 'vitest';
import { topologyBuilder } from '../../engine.js';
import { boundedTimestampExtractor, Materialized, Produced, recordTimestampExtractor, Serdes, StreamsBuilder } from '../../index.js';
import type { ValueAndTimestamp } from '../../index.js';
import { builderOptions, strings } from '#test-kit';
import { openTableDriver } from './ops/stateful-test-kit.js';

describe('StreamsBuilder.globalTable', () => {
  it('fills a global store from its topic at once, with no task, deletes on tombstones and is not changelogged', async () => {
    const builder = new StreamsBuilder(builderOptions());
    const global = builder.globalTable('products', strings, Materialized.as('products-store'));
    builder.stream('in', strings).to('out', Produced.with(Serdes.String(), Serdes.String()));
    expect(global.queryableStoreName).toBe('products-store');
    const topology = builder.build();
    expect([...topologyBuilder(topology)!.globalStores.keys()]).toEqual(['products']);
    const driver = await openTableDriver(topology);
    const products = driver.createInputTopic('products', Serdes.String(), Serdes.String());
    products.pipeInput('p1', 'apple', 1);
    products.pipeInput('p2', 'pear', 2);
    products.pipeInput('p2', null, 3);
    products.pipeInput(null, 'no key', 4);
    const store = driver.getKeyValueStore<string, ValueAndTimestamp<string>>('products-store');
    expect(store.get('p1')).toEqual({ value: 'apple', timestamp: 1 });
    expect(store.get('p2')).toBeUndefined();
    expect(driver.droppedRecords().get('null-key')).toBe(1);
    expect(driver.producedTopicNames().filter((topic) => topic.endsWith('-changelog'))).toEqual([]);
  });

  it('skips and counts a record its bounded timestamp extractor rejects, rather than failing', async () => {
    const builder = new StreamsBuilder(builderOptions());
    builder.globalTable('products', { ...strings, timestampExtractor: boundedTimestampExtractor(recordTimestampExtractor, { maxFutureMs: 1_000 }) }, Materialized.as('products-store'));
    builder.stream('in', strings).to('out', Produced.with(Serdes.String(), Serdes.String()));
    const driver = await openTableDriver(builder.build());
    const products = driver.createInputTopic('products', Serdes.String(), Serdes.String());
    products.pipeInput('p1', 'apple', Date.now() + 60_000); // a minute ahead of the (real) wall clock
    products.pipeInput('p2', 'pear', 2);
    const store = driver.getKeyValueStore<string, ValueAndTimestamp<string>>('products-store');
    expect(store.get('p1')).toBeUndefined();
    expect(store.get('p2')).toEqual({ value: 'pear', timestamp: 2 });
    expect(driver.droppedRecords().get('invalid-timestamp')).toBe(1);
  });
});
