import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Materialized, Serdes, StreamsBuilder, silentLogger, type KeyValueStore, type ValueAndTimestamp } from '@tributary/streams';
import { topologyBuilder } from '@tributary/streams/engine';
import { FakeKafkaCluster } from '../client/testing/fake-kafka-cluster.js';
import { resolveKafkaStreamsOptions } from '../options.js';
import { GlobalStoreConsumer } from './global-store-bootstrap.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function globalConsumer(cluster: FakeKafkaCluster): Promise<{ globals: GlobalStoreConsumer; valueOf: (key: string) => string | undefined }> {
  const builder = new StreamsBuilder();
  builder.globalTable('products', { keySerde: Serdes.String(), valueSerde: Serdes.String() }, Materialized.as('products-store'));
  const topology = topologyBuilder(builder.build())!;
  const stateDir = await mkdtemp(join(tmpdir(), 'global-store-bootstrap-'));
  const options = resolveKafkaStreamsOptions({ applicationId: 'app', bootstrapServers: '127.0.0.1:9', stateDir, logger: silentLogger });
  const fatal: unknown[] = [];
  const globals = new GlobalStoreConsumer(cluster.supplier(), topology, options.streams, stateDir, {
    groupIdPrefix: 'app',
    logger: silentLogger,
    sessionTimeoutMs: 10_000,
    heartbeatIntervalMs: 1_000,
    onFatal: (error) => void fatal.push(error),
  });
  cleanups.push(async () => {
    await globals.close();
    await rm(stateDir, { recursive: true, force: true });
    expect(fatal).toEqual([]);
  });
  // A global table's store is timestamped: values come with their record's timestamp.
  const store = (): KeyValueStore<string, ValueAndTimestamp<string>> => globals.updater.stores().get('products-store') as unknown as KeyValueStore<string, ValueAndTimestamp<string>>;
  return { globals, valueOf: (key) => store().get(key)?.value };
}

describe('GlobalStoreConsumer through the client seam', () => {
  it('reads every partition of a global topic to the end offsets taken at start before it resolves, then keeps reading', async () => {
    const cluster = new FakeKafkaCluster();
    cluster.createTopic('products', 2);
    cluster.produce('products', 0, [
      { key: 'p1', value: 'shoes' },
      { key: 'p2', value: 'hats' },
    ]);
    cluster.produce('products', 1, [{ key: 'p3', value: 'socks' }]);
    const { globals, valueOf } = await globalConsumer(cluster);
    await globals.start(cluster.supplier().admin());
    expect([valueOf('p1'), valueOf('p2'), valueOf('p3')]).toEqual(['shoes', 'hats', 'socks']);
    expect(globals.applied).toBe(3);
    cluster.produce('products', 1, [{ key: 'p1', value: 'boots' }]);
    await expect.poll(() => valueOf('p1')).toBe('boots');
  });

  // Without the empty batch (a fetch of only aborted records or markers) start() would wait for ever.
  it('is loaded when a partition holds nothing but an aborted transaction, whose fetch hands it no record', { timeout: 10_000 }, async () => {
    const cluster = new FakeKafkaCluster();
    cluster.createTopic('products', 2);
    cluster.produce('products', 0, [{ key: 'p1', value: 'shoes' }]);
    // A transactional writer of the global topic was aborted: partition 1's end offset is past records no one sees.
    const writer = cluster.supplier().transactionalProducer({ transactionalId: 'writer', transactionTimeoutMs: 10_000 });
    await writer.initTransactions();
    await writer.beginTransaction();
    await writer.send('products', [{ key: Buffer.from('p2'), value: Buffer.from('aborted'), partition: 1 }]);
    await writer.abortTransaction();
    const { globals, valueOf } = await globalConsumer(cluster);
    await globals.start(cluster.supplier().admin());
    expect([valueOf('p1'), valueOf('p2')]).toEqual(['shoes', undefined]);
    expect(globals.applied).toBe(1);
  });
});
