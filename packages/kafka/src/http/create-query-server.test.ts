import { afterEach, describe, expect, it } from 'vitest';
import { Consumed, Materialized, QueryableStoreTypes, Serdes, StreamsBuilder, TimeWindows } from '@tributary/streams';
import { KafkaStreams } from '../kafka-streams.js';
import { UnknownStoreError } from '../errors.js';
import { createQueryServer, type QueryServer } from './query-server.js';

const servers: QueryServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

/** The guide's application (docs/operating.md), not started: no broker is needed to serve its routes. */
function pageViewCounter(applicationServer: string): KafkaStreams {
  const builder = new StreamsBuilder();
  const views = builder.stream('page-views', Consumed.with(Serdes.String(), Serdes.String())).groupByKey();
  views.count(Materialized.as('view-counts'));
  views.windowedBy(TimeWindows.ofSizeWithNoGrace(3_600_000)).count(Materialized.as('hourly'));
  return new KafkaStreams(builder.build(), { applicationId: 'page-view-counter', bootstrapServers: '127.0.0.1:1', applicationServer });
}

describe('createQueryServer on a KafkaStreams', () => {
  it('listens on 127.0.0.1 (on the applicationServer port unless told) and answers 503 until the application runs', async () => {
    const app = pageViewCounter('app-1.internal:8123');
    expect(createQueryServer(app).options).toMatchObject({ host: '127.0.0.1', port: 8123 });
    const server = createQueryServer(app, { port: 0 });
    servers.push(server);
    const { address, port } = await server.listen();
    expect(address).toBe('127.0.0.1');
    const get = async (path: string) => {
      const response = await fetch(`http://127.0.0.1:${port}${path}`);
      return { status: response.status, retryAfter: response.headers.get('retry-after'), body: (await response.json()) as any };
    };
    expect(await get('/stores/view-counts/keys/%2Fpricing')).toMatchObject({ status: 503, retryAfter: '1', body: { error: { code: 'STORE_UNAVAILABLE', message: expect.stringContaining('CREATED') } } });
    expect(await get('/stores/hourly/keys/%2Fpricing?from=0&to=10')).toMatchObject({ status: 503 });
    expect(await get('/stores/view-counts/all')).toMatchObject({ status: 503 });
    expect(await get('/stores/nothing/keys/x')).toMatchObject({ status: 404, body: { error: { code: 'STORE_UNKNOWN' } } });
    expect(await get('/stores/hourly/range')).toMatchObject({ status: 400 });
    expect(await get('/metadata')).toEqual({ status: 200, retryAfter: null, body: { instances: [] } });
    const keyMetadata = await get('/metadata/stores/view-counts/keys/x');
    expect(keyMetadata).toMatchObject({ status: 200, body: { standbyHosts: [], partition: -1 } });
    expect(keyMetadata.body).not.toHaveProperty('activeHost');
  });

  it('gives queryAsync and metadata errors that say what is wrong', async () => {
    const app = pageViewCounter('127.0.0.1:8080');
    expect(() => app.queryAsync('nothing', QueryableStoreTypes.keyValueStore())).toThrow(UnknownStoreError);
    expect(() => app.queryMetadataForKey('nothing', 'x')).toThrow(/no state store named 'nothing'/);
    await expect(app.queryAsync('view-counts', QueryableStoreTypes.keyValueStore<string, number>()).get('/pricing')).rejects.toThrow(/no assignment from the consumer group/);
    await expect(app.queryAsync('view-counts', QueryableStoreTypes.keyValueStore<string, number>()).all()).rejects.toThrow(/not running/);
    expect(() => app.queryAsync('view-counts', QueryableStoreTypes.timestampedKeyValueStore())).toThrow(/views are for query\(\)/);
    expect(app.metadataForAllStreamsClients()).toEqual([]);
    expect(app.streamsMetadataForStore('view-counts')).toEqual([]);
  });
});
