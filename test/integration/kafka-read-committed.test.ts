/**
 * Records of aborted transactions never reach a task, however the transactions interleave: the
 * shape a repartition topic takes when an instance is killed, with every one of its upstream
 * tasks' producers holding a transaction open in each repartition partition until the tasks' new
 * owners fence them, in any order. The broker lists aborted transactions by abort, not by first
 * offset, and kafkajs 2.2.4 alone delivered the records of one that began first but was aborted
 * last (the over-counts behind repartition topics seen in the flagship kill test).
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Serdes } from '@tributary/streams';
import { levelCountTopology } from './helpers/counting.js';
import { createTopics, inputProducer, kafkaClient, uniqueTopic } from './helpers/kafka.js';
import { consumeUntil, startApp, type OutputRecord } from './helpers/streams-app.js';

const testTimeout = 60_000;
const countModule = new URL('./fixtures/count-topology.mjs', import.meta.url);

describe('read_committed input', () => {
  // Worker threads (numStreamThreads 2) load kafkajs again, and must be fixed too.
  const cases = [
    { processingGuarantee: 'exactly_once', numStreamThreads: 1 },
    { processingGuarantee: 'at_least_once', numStreamThreads: 1 },
    { processingGuarantee: 'exactly_once', numStreamThreads: 2 },
  ] as const;
  for (const { processingGuarantee, numStreamThreads } of cases) {
    it(`${processingGuarantee}, ${numStreamThreads} stream thread(s): no record of transactions aborted out of first-offset order is processed`, { timeout: testTimeout }, async () => {
      const input = uniqueTopic('it-rc-in');
      const output = uniqueTopic('it-rc-out');
      const kafka = kafkaClient('it-rc-writers');
      await createTopics(kafka, [{ topic: input }, { topic: output }]);
      const id = randomUUID().slice(0, 8);
      // Two killed upstream tasks' producers, and one that commits (as the tasks' new owners do).
      const first = kafka.producer({ transactionalId: `it-rc-first-${id}`, idempotent: true, maxInFlightRequests: 1 });
      const second = kafka.producer({ transactionalId: `it-rc-second-${id}`, idempotent: true, maxInFlightRequests: 1 });
      const committed = inputProducer(kafka);
      await Promise.all([first.connect(), second.connect(), committed.connect()]);
      try {
        const send = (key: string, count: number) => ({ topic: input, messages: Array.from({ length: count }, (_, index) => ({ key, value: `${key}${index}` })) });
        const firstTransaction = await first.transaction();
        await firstTransaction.send(send('first', 5));
        const secondTransaction = await second.transaction();
        await secondTransaction.send(send('second', 3));
        await committed.send(send('committed', 2));
        await firstTransaction.send(send('first', 4));
        await secondTransaction.send(send('second', 2));
        // The transaction that began later is aborted first.
        await secondTransaction.abort();
        await firstTransaction.send(send('first', 1));
        await firstTransaction.abort();
        await committed.send(send('committed', 3));
        await committed.send(send('end', 1));
      } finally {
        await Promise.all([first.disconnect(), second.disconnect(), committed.disconnect()]);
      }

      // More threads run in workers, which build the same count topology from a module.
      const threads = numStreamThreads > 1 ? { numStreamThreads, threadModule: countModule, appConfigs: { inputTopic: input, outputTopic: output } } : {};
      const app = await startApp(levelCountTopology(input, output), { processingGuarantee, commitIntervalMs: 100, ...threads });
      const records = await consumeUntil<string, number>(output, (read: readonly OutputRecord<string, number>[]) => read.some((record) => record.key === 'end'), {
        valueSerde: Serdes.Float64(),
      });
      const latest = new Map<string, number>();
      for (const record of records) latest.set(record.key!, record.value!);
      expect(Object.fromEntries(latest)).toEqual({ committed: 5, end: 1 });
      // Workers report their counters later: the single-thread cases check that nothing hidden was processed.
      if (numStreamThreads === 1) expect(app.app.metrics().processed).toBe(6);
    });
  }
});
