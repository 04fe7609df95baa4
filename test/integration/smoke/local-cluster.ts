/**
 * A three-broker Kafka cluster of the test's own (scripts/kafka-cluster.sh in a temporary
 * directory: replication 3, min.insync.replicas 2, three combined KRaft broker+controller nodes),
 * with the failures a broker can have: kill -9, a controlled shutdown (SIGTERM), a restart on
 * its ports and data. It is stopped when the test ends, whatever the outcome, and its JVMs are
 * killed if the test process exits first.
 *
 * And what a failure test asks of the cluster through kafkajs' admin: which broker leads which
 * partitions, and whether a restarted broker is back in every in-sync replica set.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Admin, Kafka, logLevel } from 'kafkajs';
import { fixKafkajsIdlePolling } from '@tributary/kafka';
import { onTestFinished } from 'vitest';
import { sleep } from './smoke-cluster.js';

const here = dirname(fileURLToPath(import.meta.url));
const script = join(here, '..', '..', '..', 'scripts', 'kafka-cluster.sh');

/** The node ids of the cluster. */
export const brokerIds = [1, 2, 3] as const;
export type BrokerId = (typeof brokerIds)[number];

/** Directories of clusters still running, whose JVMs are killed if the test process exits with them up. */
const liveClusters = new Set<string>();
process.once('exit', () => {
  for (const directory of liveClusters) {
    for (const id of brokerIds) {
      const pidFile = join(directory, `node${id}`, 'pid');
      if (!existsSync(pidFile)) continue;
      const pid = Number(readFileSync(pidFile, 'utf8'));
      try {
        if (pid > 0) process.kill(pid, 'SIGKILL');
      } catch {
        // Gone already.
      }
    }
  }
});

function runScript(directory: string, args: readonly string[], timeoutMs = 240_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('bash', [script, ...args], { env: { ...process.env, KAFKA_CLUSTER_DIR: directory }, timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error === null) resolve(stdout);
      else reject(new Error(`scripts/kafka-cluster.sh ${args.join(' ')} failed (${error.message}):\n${stderr.slice(-4000)}`));
    });
  });
}

export class LocalCluster {
  private constructor(
    readonly directory: string,
    /** The three brokers, `host:port,host:port,host:port`. */
    readonly bootstrap: string,
  ) {}

  /** Starts a fresh cluster in a temporary directory; stopped and removed when the test ends. */
  static async start(): Promise<LocalCluster> {
    const directory = await mkdtemp(join(tmpdir(), 'tributary-cluster-'));
    if (process.env.KEEP_FAILED_CLUSTER === '1') {
      // For a post-mortem of a failed run: the cluster stays up with its data, stopped by hand
      // (KAFKA_CLUSTER_DIR=<directory> bash scripts/kafka-cluster.sh stop).
      onTestFinished(({ task }) => console.log(`FAILURE cluster kept running in ${directory} (test ${task.result?.state ?? 'unknown'})`));
    } else {
      liveClusters.add(directory);
    }
    onTestFinished(async ({ task }) => {
      if (process.env.KEEP_FAILED_CLUSTER === '1' && task.result?.state === 'fail') return;
      await runScript(directory, ['stop'], 120_000).catch((error: unknown) => console.error(String(error)));
      liveClusters.delete(directory);
      await rm(directory, { recursive: true, force: true });
    });
    await runScript(directory, ['start']);
    const cluster = new LocalCluster(directory, readFileSync(join(directory, 'bootstrap'), 'utf8').trim());
    await cluster.waitForController(60_000);
    return cluster;
  }

  /**
   * Waits until the metadata names all three brokers and a controller: a KRaft broker that serves
   * can still answer controller -1 for a moment, and kafkajs' admin then fails every create and
   * delete with "Broker -1 not found in the cached metadata".
   */
  private async waitForController(timeoutMs: number): Promise<void> {
    fixKafkajsIdlePolling();
    const kafka = new Kafka({ clientId: 'local-cluster-ready', brokers: this.bootstrap.split(','), logLevel: logLevel.NOTHING });
    const deadline = Date.now() + timeoutMs;
    let last = 'no answer yet';
    for (;;) {
      const admin = kafka.admin();
      try {
        await admin.connect();
        const { brokers, controller } = await admin.describeCluster();
        if (controller !== null && controller >= 0 && brokers.length === brokerIds.length) return;
        last = `controller ${String(controller)}, ${brokers.length} broker(s)`;
      } catch (error) {
        last = error instanceof Error ? error.message : String(error);
      } finally {
        await admin.disconnect().catch(() => undefined);
      }
      if (Date.now() > deadline) throw new Error(`The three-broker cluster has no controller in its metadata after ${timeoutMs} ms (last: ${last}).`);
      await sleep(250);
    }
  }

  /** kill -9 the broker: no controlled shutdown, no flush. */
  async killBroker(id: BrokerId): Promise<void> {
    await runScript(this.directory, ['kill-broker', String(id)]);
  }

  /** A controlled shutdown (SIGTERM): the broker hands its leaderships over before it exits. */
  async stopBroker(id: BrokerId): Promise<void> {
    await runScript(this.directory, ['stop-broker', String(id)]);
  }

  /** Starts the broker again on its ports and data and waits until it serves. */
  async startBroker(id: BrokerId): Promise<void> {
    await runScript(this.directory, ['start-broker', String(id)]);
  }

  /** The broker's server.log, for a failing test's report. */
  serverLog(id: BrokerId): string {
    const file = join(this.directory, `node${id}`, 'logs', 'server.log');
    return existsSync(file) ? readFileSync(file, 'utf8') : '';
  }
}

/** One partition's leader and in-sync replicas. */
export interface PartitionState {
  readonly topic: string;
  readonly partition: number;
  readonly leader: number;
  readonly isr: readonly number[];
}

/** The partitions of `topics` as the cluster's metadata has them now. */
export async function partitionStates(admin: Admin, topics: readonly string[]): Promise<PartitionState[]> {
  const { topics: metadata } = await admin.fetchTopicMetadata({ topics: [...topics] });
  return metadata.flatMap(({ name, partitions }) => partitions.map(({ partitionId, leader, isr }) => ({ topic: name, partition: partitionId, leader, isr })));
}

/** The broker that leads most of the partitions of `topics` (other than `spare`), and how many each leads. */
export async function busiestLeader(admin: Admin, topics: readonly string[], spare?: BrokerId): Promise<{ broker: BrokerId; leads: Map<number, number> }> {
  const leads = new Map<number, number>(brokerIds.map((id) => [id, 0]));
  for (const { leader } of await partitionStates(admin, topics)) {
    if (leads.has(leader)) leads.set(leader, leads.get(leader)! + 1);
  }
  const [broker] = [...leads].filter(([id]) => id !== spare).reduce((best, entry) => (entry[1] > best[1] ? entry : best));
  return { broker: broker as BrokerId, leads };
}

/**
 * Waits until `broker` is back in the in-sync replica set of every partition of `topics` (it
 * caught up with each leader after a restart); throws after `timeoutMs`, naming the partitions
 * still without it.
 */
export async function waitInSync(admin: Admin, topics: readonly string[], broker: BrokerId, timeoutMs: number): Promise<number> {
  const started = Date.now();
  let missing: string[] = [];
  for (;;) {
    try {
      missing = (await partitionStates(admin, topics)).filter(({ isr }) => !isr.includes(broker)).map(({ topic, partition }) => `${topic}:${partition}`);
      if (missing.length === 0) return Date.now() - started;
    } catch {
      // The metadata request may hit a broker on its way down or up; ask again.
    }
    if (Date.now() - started > timeoutMs) throw new Error(`Broker ${broker} is not back in the ISR of ${missing.length} partition(s) ${timeoutMs} ms after its restart: ${missing.slice(0, 10).join(', ')}`);
    await sleep(500);
  }
}
