/**
 * Where an event's latency goes on its way to the flagship's outputs (`--latency-hops`): a reader
 * of its own follows the input topic and both repartition topics and notes, for every record whose
 * timestamp falls in the measured window, how long after that timestamp it could read the record.
 * The runner stamps each input record with its send time, and the flagship carries an event's
 * time on through both repartition topics (Tributary and Kafka Streams alike), so the figures are
 * the time from sending an event to its being readable after each hop: the runner's send, then
 * each sub-topology's fetch, processing and send. A reader's own fetch adds the same few
 * milliseconds to every hop, as it does to the output's figures.
 */
import type { Consumer } from 'kafkajs';
import { kafkaClient } from './cluster.js';

/** The median and 99th percentile of one hop's delays, with how many records gave them. */
interface HopLatency {
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly samples: number;
}

/** One figure per hop, in the order an event takes them. */
export interface LatencyHops {
  /** The input topic: the runner's send. */
  readonly input?: HopLatency;
  /** `events-by-product`: the first sub-topology's fetch, parse and send. */
  readonly byProduct?: HopLatency;
  /** `events-by-category`: the second's fetch, de-duplication, join and send. */
  readonly byCategory?: HopLatency;
}

/** The percentile `fraction` of ascending `sorted`; NaN when empty. */
export function percentile(sorted: readonly number[], fraction: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))]!;
}

function hopOf(delays: readonly number[]): HopLatency | undefined {
  if (delays.length === 0) return undefined;
  const sorted = [...delays].sort((a, b) => a - b);
  return { p50Ms: percentile(sorted, 0.5), p99Ms: percentile(sorted, 0.99), samples: sorted.length };
}

/** A reader of the hops of application `applicationId`, started after the app created its repartition topics. */
export class HopReader {
  private readonly consumer: Consumer;
  private readonly delays = new Map<string, number[]>();
  private readonly names: Record<keyof LatencyHops, string>;
  private fromMs = Number.POSITIVE_INFINITY;
  private toMs = Number.POSITIVE_INFINITY;

  constructor(bootstrap: string, applicationId: string, eventsTopic: string) {
    this.names = { input: eventsTopic, byProduct: `${applicationId}-events-by-product-repartition`, byCategory: `${applicationId}-events-by-category-repartition` };
    for (const topic of Object.values(this.names)) this.delays.set(topic, []);
    this.consumer = kafkaClient(bootstrap, `${applicationId}-hops`).consumer({ groupId: `${applicationId}-hops`, maxWaitTimeInMs: 20 });
  }

  async start(): Promise<void> {
    await this.consumer.connect();
    await this.consumer.subscribe({ topics: Object.values(this.names), fromBeginning: false });
    await this.consumer.run({
      eachBatch: async ({ batch }) => {
        const receivedAt = Date.now();
        const delays = this.delays.get(batch.topic);
        if (delays === undefined) return;
        for (const message of batch.messages) {
          const timestamp = Number(message.timestamp);
          if (timestamp >= this.fromMs && timestamp <= this.toMs) delays.push(receivedAt - timestamp);
        }
      },
    });
  }

  /** Counts records whose timestamp falls in `[fromMs, toMs]` (epoch ms) from now on. */
  measure(fromMs: number, toMs: number): void {
    this.fromMs = fromMs;
    this.toMs = toMs;
  }

  /** Each hop's figures so far. */
  hops(): LatencyHops {
    const result: { -readonly [hop in keyof LatencyHops]: HopLatency | undefined } = {};
    for (const hop of Object.keys(this.names) as (keyof LatencyHops)[]) {
      const figures = hopOf(this.delays.get(this.names[hop])!);
      if (figures !== undefined) result[hop] = figures;
    }
    return result;
  }

  async stop(): Promise<void> {
    await this.consumer.disconnect().catch(() => {});
  }
}
