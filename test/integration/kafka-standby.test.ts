/**
 * Standby replicas on the real broker: with `numStandbyReplicas: 1`, each instance keeps warm
 * copies of the other's LevelDB stores, so when one instance leaves, the survivor takes its
 * tasks over restoring only the changelog tail its standbys had not read, not the whole log.
 */
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { QueryableStoreTypes, Serdes } from '@tributary/streams';
import { StoreUnavailableError } from '@tributary/kafka';
import { createQueryServer } from '@tributary/kafka/http';
import { keyedRecords, levelCountTopology, totals } from './helpers/counting.js';
import { createTopics, kafkaClient, uniqueTopic } from './helpers/kafka.js';
import { consumeLatest, produce, startApp, waitFor, type TestApp } from './helpers/streams-app.js';

const testTimeout = 90_000;

const sorted = (values: readonly string[]): string[] => [...values].sort();

describe('KafkaStreams standby replicas', () => {
  it('keep the other instance’s stores warm, so a takeover restores only the tail of the changelog', { timeout: testTimeout }, async () => {
    const input = uniqueTopic('it-standby-in');
    const output = uniqueTopic('it-standby-out');
    await createTopics(kafkaClient(), [{ topic: input, numPartitions: 4 }, { topic: output, numPartitions: 4 }]);
    // No record cache, so every update is a changelog record: a long changelog to restore.
    const options = { numStandbyReplicas: 1, cacheMaxBytes: 0 };
    const first = await startApp(levelCountTopology(input, output), options);
    const second = await startApp(levelCountTopology(input, output), { ...options, applicationId: first.applicationId });
    const assignmentOf = (app: TestApp): string => `${app.state()} active ${inspect(app.app.metrics().tasks)} standby ${inspect(app.app.metrics().standbyTasks)}`;
    await waitFor(
      () => {
        const [a, b] = [first.app.metrics(), second.app.metrics()];
        return (
          first.state() === 'RUNNING' &&
          second.state() === 'RUNNING' &&
          a.tasks.length === 2 &&
          b.tasks.length === 2 &&
          sorted(a.standbyTasks).join() === sorted(b.tasks).join() &&
          sorted(b.standbyTasks).join() === sorted(a.tasks).join()
        );
      },
      () => `each instance to hold the other's tasks as standbys (first ${assignmentOf(first)}, second ${assignmentOf(second)})`,
      30_000,
    );

    const records = keyedRecords(2000, 40, 'a', 1);
    await produce({ topic: input, records });
    const expected = totals(records);
    expect(await consumeLatest(output, expected, { valueSerde: Serdes.Float64() })).toEqual(expected);
    const takenOver = first.app.metrics().tasks;
    await waitFor(() => second.app.metrics().standbyRecords >= 1000, () => `the second instance's standbys to read the first's changelogs (${second.app.metrics().standbyRecords})`, 20_000);
    const standbyRecords = second.app.metrics().standbyRecords;

    await first.app.close({ timeoutMs: 15_000 });
    await waitFor(() => second.state() === 'RUNNING' && second.app.metrics().tasks.length === 4, () => `the second instance to take every task (${assignmentOf(second)})`, 30_000);
    const restored = second.app.metrics().restored;
    console.log(`STANDBY takeover of [${takenOver.join(', ')}]: standby had applied ${standbyRecords} changelog records; the takeover restored ${restored}`);
    // Without standbys it would restore every record of the taken-over changelog partitions (about 1000 here).
    expect(restored).toBeLessThan(standbyRecords / 4);
    const counts = second.app.query('counts', QueryableStoreTypes.keyValueStore<string, number>());
    expect(new Map([...expected.keys()].map((key) => [key, counts.get(key)]))).toEqual(expected);

    const more = keyedRecords(400, 40, 'b', 1);
    await produce({ topic: input, records: more });
    const after = totals([...records, ...more]);
    expect(await consumeLatest(output, after, { valueSerde: Serdes.Float64() })).toEqual(after);
  });

  it('answer stale queries (staleStores, ?stale=true) for the partitions an instance holds only as standbys', { timeout: testTimeout }, async () => {
    const input = uniqueTopic('it-stale-in');
    const output = uniqueTopic('it-stale-out');
    await createTopics(kafkaClient(), [{ topic: input, numPartitions: 4 }, { topic: output, numPartitions: 4 }]);
    const options = { numStandbyReplicas: 1, cacheMaxBytes: 0 };
    const first = await startApp(levelCountTopology(input, output), options);
    const second = await startApp(levelCountTopology(input, output), { ...options, applicationId: first.applicationId });
    await waitFor(
      () => first.state() === 'RUNNING' && second.state() === 'RUNNING' && second.app.metrics().standbyTasks.length === 2 && sorted(second.app.metrics().standbyTasks).join() === sorted(first.app.metrics().tasks).join(),
      () => `the second instance to hold the first's tasks as standbys (${inspect(second.app.metrics())})`,
      30_000,
    );
    const records = keyedRecords(400, 40, 'a', 1);
    await produce({ topic: input, records });
    const expected = totals(records);
    expect(await consumeLatest(output, expected, { valueSerde: Serdes.Float64() })).toEqual(expected);

    const type = QueryableStoreTypes.keyValueStore<string, number>();
    const active = second.app.queryAsync('counts', type);
    const stale = second.app.queryAsync('counts', type, { staleStores: true });
    const server = createQueryServer(second.app, { port: 0 });
    const { port } = await server.listen();
    try {
      // Keys of the first instance's partitions: the second holds them only as standbys.
      const onFirst = [...expected.keys()].filter((key) => first.app.metrics().tasks.includes(`0_${second.app.queryMetadataForKey('counts', key).partition}`));
      expect(onFirst.length).toBeGreaterThan(0);
      await expect(active.get(onFirst[0]!)).rejects.toBeInstanceOf(StoreUnavailableError);
      // The standby applies the changelog shortly after the active task commits it.
      const staleCounts = async (): Promise<[string, number | undefined][]> => Promise.all(onFirst.map(async (key): Promise<[string, number | undefined]> => [key, await stale.get(key)]));
      const deadline = Date.now() + 20_000;
      let seen = await staleCounts();
      while (seen.some(([key, count]) => count !== expected.get(key)) && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 200));
        seen = await staleCounts();
      }
      expect(new Map(seen)).toEqual(new Map(onFirst.map((key) => [key, expected.get(key)])));
      const response = await fetch(`http://127.0.0.1:${port}/stores/counts/keys/${onFirst[0]}?stale=true`);
      expect({ status: response.status, body: await response.json() }).toEqual({ status: 200, body: { store: 'counts', key: onFirst[0], value: expected.get(onFirst[0]!) } });
      expect((await fetch(`http://127.0.0.1:${port}/stores/counts/keys/${onFirst[0]}`)).status).toBe(503);
      // A stale whole-store read lists this instance's active and standby entries: every key once.
      const all = await stale.all({ limit: 1000 });
      expect(new Map(all.map((entry) => [entry.key, entry.value]))).toEqual(expected);
      expect(all).toHaveLength(expected.size);
    } finally {
      await server.close();
    }
  });
});
