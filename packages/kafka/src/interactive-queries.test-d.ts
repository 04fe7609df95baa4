/** Type tests of `queryAsync`: the asynchronous view follows the `QueryableStoreTypes` kind asked for. */
import { describe, expectTypeOf, it } from 'vitest';
import { QueryableStoreTypes, type KeyValue, type Windowed } from '@tributary/streams';
import type { KafkaStreams } from './kafka-streams.js';
import type { AsyncKeyValueStore, AsyncSessionStore, AsyncWindowStore } from './interactive-queries.js';

declare const app: KafkaStreams;

describe('queryAsync', () => {
  it('gives a key-value view of the key and value types asked for', () => {
    const counts = app.queryAsync('counts', QueryableStoreTypes.keyValueStore<string, number>());
    expectTypeOf(counts).toEqualTypeOf<AsyncKeyValueStore<string, number>>();
    expectTypeOf(counts.get).returns.resolves.toEqualTypeOf<number | undefined>();
    expectTypeOf(counts.range).parameter(0).toEqualTypeOf<string | undefined>();
  });

  it('gives window and session views with windowed keys', () => {
    const hourly = app.queryAsync('hourly', QueryableStoreTypes.windowStore<string, number>());
    expectTypeOf(hourly).toEqualTypeOf<AsyncWindowStore<string, number>>();
    expectTypeOf(hourly.fetchAll).returns.resolves.toEqualTypeOf<KeyValue<Windowed<string>, number>[]>();
    const sessions = app.queryAsync('sessions', QueryableStoreTypes.sessionStore<string, { clicks: number }>());
    expectTypeOf(sessions).toEqualTypeOf<AsyncSessionStore<string, { clicks: number }>>();
    // @ts-expect-error a session view has no key-value get
    void sessions.get;
  });
});
