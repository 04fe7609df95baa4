/**
 * The web dashboard of `run --bootstrap-servers ... --http`: the query server of the
 * `KafkaStreams` app (`@tributary/kafka/http`) with the dashboard's routes beside its store
 * routes. The analytics are read through those store routes, which ask every instance, and the
 * counters of every instance the group metadata names are summed, so each instance's page shows
 * the whole application. Alerts and dead letters are events, not state: a consumer of their
 * topics counts them (read_committed, so aborted transactions never show).
 */
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { Kafka, logLevel, type Consumer } from 'kafkajs';
import { fixKafkajsIdlePolling, fixKafkajsReadCommitted, hostAddress, type KafkaStreams } from '@tributary/kafka';
import { createQueryServer, type QueryServer } from '@tributary/kafka/http';
import { sumMetrics } from '@tributary/streams';
import type { HttpAddress } from './cli-options.js';
import type { Alert } from './model.js';
import type { ProductAnalyticsTopics } from './topology.js';
import { storeNames } from './topology.js';
import { feedAlerts, funnelToJson, queryServerReader, type Counters, type EventFeed } from './web-dashboard-data.js';
import { listenError, RateSampler, urlOf, WebDashboard } from './web-dashboard.js';

/** One instance's own counters, as `/dashboard/instance` answers them. */
type InstanceCounters = Omit<Counters, 'instances' | 'answering'>;

/**
 * The port to listen on: `address.port`, or for 0 a free one found now. The app must know its
 * `applicationServer` (port included) before it starts, and the server can only listen once the
 * app exists, so port 0 is resolved here; another process could take the port in between, and
 * then listening fails with a clear error.
 */
export async function resolvePort(address: HttpAddress): Promise<number> {
  if (address.port !== 0) return address.port;
  const probe = createServer();
  return new Promise((resolve, reject) => {
    probe.once('error', (error) => reject(listenError(address, error)));
    probe.listen(0, address.host, () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

/** Counts the alerts and dead letters on their topics, from the beginning, keeping the latest alerts. */
class KafkaEventFeed {
  private readonly alerts: Alert[] = [];
  private alertCount = 0;
  private deadLetters = 0;

  private constructor(private readonly consumer: Consumer) {}

  /** Starts reading `topics.alerts` and `topics.deadLetter` (which must exist). */
  static async start(bootstrapServers: string, topics: Pick<ProductAnalyticsTopics, 'alerts' | 'deadLetter'>): Promise<KafkaEventFeed> {
    fixKafkajsReadCommitted();
    fixKafkajsIdlePolling();
    const kafka = new Kafka({ clientId: 'product-analytics-dashboard', brokers: bootstrapServers.split(',').map((server) => server.trim()), logLevel: logLevel.NOTHING, retry: { retries: 5 } });
    const consumer = kafka.consumer({ groupId: `product-analytics-dashboard-${randomUUID().slice(0, 8)}`, maxWaitTimeInMs: 500, readUncommitted: false });
    const feed = new KafkaEventFeed(consumer);
    await consumer.connect();
    try {
      await consumer.subscribe({ topics: [topics.alerts, topics.deadLetter], fromBeginning: true });
      await consumer.run({
        eachBatch: async ({ batch }) => {
          if (batch.topic === topics.deadLetter) {
            feed.deadLetters += batch.messages.length;
            return;
          }
          for (const message of batch.messages) {
            if (message.value === null) continue;
            let alert: Alert;
            try {
              alert = JSON.parse(message.value.toString('utf8')) as Alert;
            } catch {
              continue; // not the app's output: the feed shows alerts only
            }
            feed.alertCount++;
            feed.alerts.push(alert);
            if (feed.alerts.length > feedAlerts) feed.alerts.shift();
          }
        },
      });
    } catch (error) {
      await consumer.disconnect();
      throw error;
    }
    return feed;
  }

  /** What the dashboard shows. */
  current(): EventFeed {
    return { alerts: this.alerts, alertCount: this.alertCount, deadLetters: this.deadLetters };
  }

  /** Leaves its (private) group. */
  async close(): Promise<void> {
    await this.consumer.disconnect();
  }
}

/** A running Kafka dashboard. */
export interface KafkaDashboard {
  /** The page's address. */
  readonly url: string;
  /** The query server, for its routes. */
  readonly server: QueryServer;
  close(): Promise<void>;
}

/**
 * Serves the dashboard of `app` at `address` (its port resolved: see {@link resolvePort}), with
 * `applicationServer` the address other instances reach this one at. Call before `app.start()`,
 * so forwarded queries find it listening.
 */
export async function startKafkaDashboard(app: KafkaStreams, address: HttpAddress, applicationServer: string, bootstrapServers: string, topics: ProductAnalyticsTopics): Promise<KafkaDashboard> {
  const server = createQueryServer(app, {
    host: address.host,
    port: address.port,
    stores: { [storeNames.productWindows]: { toJson: funnelToJson }, [storeNames.categoryWindows]: { toJson: funnelToJson } },
  });
  const sampler = new RateSampler(() => app.metrics().processed);
  const local = (): InstanceCounters => {
    const metrics = app.metrics();
    let dropped = 0;
    for (const count of metrics.dropped.values()) dropped += count;
    const lag = sumMetrics(metrics.all, 'consumer-fetch-manager-metrics', 'records-lag');
    return { recordsPerSecond: sampler.perSecond, processed: metrics.processed, lag: Number.isFinite(lag) ? lag : 0, dropped };
  };
  const counters = async (): Promise<Counters> => {
    const others = app.metadataForAllStreamsClients().filter((metadata) => hostAddress(metadata.hostInfo) !== applicationServer);
    const answers = await Promise.all(
      others.map(async (metadata): Promise<InstanceCounters | undefined> => {
        try {
          const response = await fetch(`http://${hostAddress(metadata.hostInfo)}/dashboard/instance`, { signal: AbortSignal.timeout(1_000) });
          return response.ok ? ((await response.json()) as InstanceCounters) : undefined;
        } catch {
          return undefined; // counted as not answering
        }
      }),
    );
    const total = { ...local() };
    let answering = 1;
    for (const answer of answers) {
      if (answer === undefined) continue;
      answering++;
      total.recordsPerSecond += answer.recordsPerSecond;
      total.processed += answer.processed;
      total.lag += answer.lag;
      total.dropped += answer.dropped;
    }
    return { instances: others.length + 1, answering, ...total };
  };

  let feed: KafkaEventFeed | undefined;
  let dashboard: WebDashboard | undefined;
  try {
    feed = await KafkaEventFeed.start(bootstrapServers, topics);
    const url = urlOf({ address: address.host, port: address.port, family: address.host.includes(':') ? 'IPv6' : 'IPv4' });
    const events = feed;
    dashboard = new WebDashboard({ mode: 'kafka', reader: queryServerReader(url), counters, feed: () => events.current() });
    dashboard.addRoutes(server.routes);
    server.routes.get('/dashboard/instance', () => ({ status: 200, body: local() }));
    await server.listen().catch((error: unknown) => {
      throw listenError(address, error);
    });
    const shown = dashboard;
    return {
      url,
      server,
      async close() {
        shown.close();
        sampler.close();
        await server.close();
        await events.close();
      },
    };
  } catch (error) {
    dashboard?.close();
    sampler.close();
    await feed?.close();
    throw error;
  }
}
