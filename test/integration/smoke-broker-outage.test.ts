/**
 * Broker outage (issue #6): one at-least-once application process runs against a private broker
 * (test/integration/smoke/smoke-broker.ts; the shared broker is never touched) while
 * known-answer input flows. The broker is stopped for ~20 s — twice the app's kafkajs retry
 * budget of about 10 s — and started again on the same port with the same data. Either the app
 * recovers by itself (back to RUNNING, output resumes) or it fails with a clear error and
 * exits, and the test restarts it, as an operator would. Either way no input the producer had
 * acknowledged may be missing from the output. The test prints which of the two happened.
 */
import { Kafka, logLevel } from 'kafkajs';
import { fixKafkajsIdlePolling } from '@tributary/kafka';
import { describe, expect, it } from 'vitest';
import { sleep } from './smoke/smoke-cluster.js';
import { PrivateBroker } from './smoke/smoke-broker.js';
import { produceSmokeData } from './smoke/smoke-data.js';
import { finishAndVerify, setUpSmoke, smokeInput } from './smoke/smoke-scenario.js';

/** kafkajs retries: 300 ms doubling to at most 3 s, 5 times, about 10 s in all. */
const appRetry = { retries: 5, initialRetryTime: 300, maxRetryTime: 3000 };
const outageMs = 20_000;

describe('smoke: the broker goes away and comes back', () => {
  it('loses no acknowledged input across a broker outage longer than the retry budget', { timeout: 240_000 }, async () => {
    const broker = await PrivateBroker.create();
    fixKafkajsIdlePolling();
    const kafka = new Kafka({ clientId: 'smoke-outage', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 5 } });
    const setup = await setUpSmoke({ name: 'outage', guarantee: 'at_least_once', bootstrap: broker.bootstrap, kafka, partitions: 2, appKafka: { retry: appRetry } });
    const { cluster, topics } = setup;
    cluster.start('app-1');
    await cluster.waitRunning(60_000);

    const rate = 500;
    const records = smokeInput(rate, 30_000);
    // The producer retries a batch the broker did not take; the idempotent producer keeps a
    // retried batch from being written twice, and the verifier counts any input duplicate apart.
    const producer = produceSmokeData({ kafka, topic: topics.data, records, ratePerSecond: rate, retryFailedBatches: true });
    await sleep(8000);
    const processedBefore = cluster.process('app-1').processed;
    await cluster.failure('app-1', 'broker', () => broker.stop('SIGTERM'));
    const stoppedAt = Date.now();
    await sleep(outageMs);
    await broker.start();
    console.log(`SMOKE broker-outage: broker down ${Date.now() - stoppedAt} ms (restart included); app processed ${processedBefore} before`);

    // Recovered by itself = alive, RUNNING and processing again; otherwise it must have exited with its reason.
    const deadline = Date.now() + 90_000;
    let outcome: 'recovered' | 'restarted' | undefined;
    while (outcome === undefined && Date.now() < deadline) {
      const app = cluster.process('app-1');
      if (!app.alive) {
        console.log(`SMOKE broker-outage: the app exited ${JSON.stringify(app.exit)} with: ${app.failure() ?? 'no error reported'}`);
        cluster.start('app-1');
        outcome = 'restarted';
      } else if (app.state === 'ERROR') {
        // It exits on ERROR by itself (smoke-app.mjs); wait for that.
      } else if (app.state === 'RUNNING' && app.processed > processedBefore && cluster.failures[0]!.resumedAfterMs !== undefined) {
        outcome = 'recovered';
      }
      await sleep(250);
    }
    console.log(`SMOKE broker-outage: the app ${outcome === 'recovered' ? 'recovered by itself' : outcome === 'restarted' ? 'failed and was restarted by the test' : 'neither recovered nor exited within 90 s'}`);
    expect(outcome, cluster.report()).toBeDefined();

    const summary = await finishAndVerify({ setup, name: `broker-outage (${outcome})`, records, producer, guarantee: 'at_least_once', killsSurvived: 1 });
    expect(summary.recordsIn).toBeGreaterThanOrEqual(summary.expectedRecords);
    expect(summary.lost).toBe(0);
    expect(summary.unexpected).toBe(0);
    expect(summary.aggregateErrors).toEqual([]);
    expect(summary.bucketErrors).toEqual([]);
  });
});
