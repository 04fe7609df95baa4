/**
 * `@tributary/prometheus`: Tributary's Kafka Streams metrics in a prom-client registry, read from
 * the application's `metrics()` on each scrape. Names follow what Prometheus' JMX exporter gives
 * Kafka Streams' MBeans: `kafka_streams_<group>_<name>` (`consumer-*` groups under
 * `kafka_consumer_`), dashes as underscores, tags as labels. See docs/operating.md.
 *
 * @packageDocumentation
 * @module @tributary/prometheus
 */
import { register as defaultRegistry, type Registry } from 'prom-client';
import type { Metric } from '@tributary/streams';

/** Anything with Tributary's metrics: `KafkaStreams`, `EmbeddedRunner` (`metrics().all`). */
export interface StreamsMetricsSource {
  /** The source's metrics as they are now; called once per scrape. */
  metrics(): {
    /** Every metric: group, name, tags and current value. */
    readonly all: readonly Metric[];
  };
}

/** Options of {@link registerStreamsMetrics}. */
export interface StreamsMetricsOptions {
  /** Where to register the metric families. Default: prom-client's global `register`. */
  readonly registry?: Registry;
  /** Labels added to every series, such as `{ instance_name: 'orders-1' }`. Default none. */
  readonly labels?: Readonly<Record<string, string>>;
}

/** The Prometheus name of a metric: `kafka_streams_stream_thread_metrics_process_rate` for `stream-thread-metrics` `process-rate`. */
export function prometheusName(metric: Pick<Metric, 'group' | 'name'>): string {
  const domain = metric.group.startsWith('consumer-') ? 'kafka_consumer' : 'kafka_streams';
  return sanitize(`${domain}_${metric.group}_${metric.name}`);
}

/** The Prometheus labels of a metric: its tags, with names as `thread_id`, `task_id`, ... */
export function prometheusLabels(metric: Pick<Metric, 'tags'>): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const [tag, value] of Object.entries(metric.tags)) labels[sanitize(tag)] = value;
  return labels;
}

function sanitize(name: string): string {
  return name.replace(/[^a-zA-Z0-9_]/g, '_');
}

/** One metric family in the registry, served from the collector's snapshot. */
interface Family {
  readonly name: string;
  readonly help: string;
  readonly type: 'counter' | 'gauge';
  readonly aggregator: 'sum';
  get(): { name: string; help: string; type: 'counter' | 'gauge'; aggregator: 'sum'; values: { labels: Record<string, string>; value: number }[] };
  reset(): void;
}

/**
 * Registers the metric families of `source` in a prom-client registry. Each scrape reads
 * `source.metrics().all` once; a family that appears later (a store operation first used, the
 * threads of an app that started) is registered at that scrape and shows from the next one.
 *
 * @example
 * ```ts
 * import { register } from 'prom-client';
 * const collector = registerStreamsMetrics(app);
 * http.createServer(async (_request, response) => response.end(await register.metrics())).listen(9464, '127.0.0.1');
 * ```
 */
export function registerStreamsMetrics(source: StreamsMetricsSource, options: StreamsMetricsOptions = {}): StreamsMetricsCollector {
  return new StreamsMetricsCollector(source, options);
}

/** The families {@link registerStreamsMetrics} registered; {@link close} removes them. */
export class StreamsMetricsCollector {
  private readonly registry: Registry;
  private readonly labels: Readonly<Record<string, string>>;
  private readonly families = new Map<string, Family>();
  private snapshot: Map<string, { labels: Record<string, string>; value: number }[]> = new Map();
  /**
   * Whether the snapshot is this scrape's: a scrape asks every family synchronously, so the first
   * family read refreshes it and a microtask ends it, and every family of one scrape agrees.
   */
  private fresh = false;

  /**
   * Reads `source` once and registers the families it reports in the registry of `options`
   * (prom-client's global `register` when none is given). {@link registerStreamsMetrics} does the same.
   */
  constructor(
    private readonly source: StreamsMetricsSource,
    options: StreamsMetricsOptions = {},
  ) {
    this.registry = options.registry ?? defaultRegistry;
    this.labels = options.labels ?? {};
    this.read();
  }

  /** The metric families registered so far, by Prometheus name. */
  get names(): string[] {
    return [...this.families.keys()];
  }

  /** Reads the source now, registering families not seen before. Scrapes call it; call it after `start()` to have every family in the first scrape. */
  read(): void {
    const snapshot = new Map<string, { labels: Record<string, string>; value: number }[]>();
    for (const metric of this.source.metrics().all) {
      const name = prometheusName(metric);
      let series = snapshot.get(name);
      if (series === undefined) snapshot.set(name, (series = []));
      series.push({ labels: { ...prometheusLabels(metric), ...this.labels }, value: metric.value });
      if (!this.families.has(name)) this.register(name, metric);
    }
    this.snapshot = snapshot;
  }

  /** Removes every family this collector registered. */
  close(): void {
    for (const name of this.families.keys()) this.registry.removeSingleMetric(name);
    this.families.clear();
  }

  private register(name: string, metric: Metric): void {
    const help = `${metric.description} (Kafka Streams ${metric.group} ${metric.name}, ${metric.level}.)`;
    const family: Family = {
      name,
      help,
      type: metric.type,
      aggregator: 'sum',
      get: () => {
        if (!this.fresh) {
          this.read();
          this.fresh = true;
          queueMicrotask(() => {
            this.fresh = false;
          });
        }
        return { name, help, type: metric.type, aggregator: 'sum', values: this.snapshot.get(name) ?? [] };
      },
      reset: () => {},
    };
    // A family of the same name from an earlier collector (a restarted app) is replaced.
    if (this.registry.getSingleMetric(name) !== undefined) this.registry.removeSingleMetric(name);
    this.registry.registerMetric(family as unknown as Parameters<Registry['registerMetric']>[0]);
    this.families.set(name, family);
  }
}
