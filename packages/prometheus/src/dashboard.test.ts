/**
 * The Grafana dashboard in docs/grafana reads only series this package exports: every metric name
 * its queries use is one the metrics reader produces (at DEBUG, on a Kafka-like thread that polls
 * and times its tasks), so a renamed metric cannot leave a panel silently empty.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BufferConfig, Consumed, Headers, Materialized, Produced, Serdes, StreamsBuilder, Suppressed, TimeWindows, silentLogger } from '@tributary/streams';
import { LocalRunner, StreamsMetricsReader } from '@tributary/streams/engine';
import { prometheusName } from './index.js';

const dashboardPath = new URL('../../../docs/grafana/tributary-dashboard.json', import.meta.url);

describe('docs/grafana/tributary-dashboard.json', () => {
  it('queries only metrics Tributary exports', () => {
    const builder = new StreamsBuilder();
    const grouped = builder.stream('in', Consumed.with(Serdes.String(), Serdes.String())).groupByKey();
    grouped.count(Materialized.as<string, number>('counts')).toStream().to('out', Produced.with(Serdes.String(), Serdes.Float64()));
    grouped
      .windowedBy(TimeWindows.ofSizeWithNoGrace(60_000))
      .count(Materialized.as<string, number>('windowed-counts'))
      .suppress(Suppressed.untilWindowCloses(BufferConfig.unbounded()));
    const runner = new LocalRunner(builder.build(), { applicationId: 'dashboard', logger: silentLogger, metricsRecordingLevel: 'DEBUG' });
    runner.pipe('in', Buffer.from('k'), Buffer.from('v'), new Headers(), 1_000);
    runner.threadSensors.setLag('in', 0, 'in:0', 0);
    const client = { clientId: 'dashboard', applicationId: 'dashboard', state: 'RUNNING', aliveStreamThreads: 1, failedStreamThreads: 0 };
    const metrics = new StreamsMetricsReader('DEBUG').read(client, [{ threadId: 'dashboard-StreamThread-1', sensors: runner.threadSensors, tasks: runner.tasks, polls: true, timesTasks: true }], Date.now());
    const exported = new Set(metrics.map((metric) => prometheusName(metric)));
    const dashboard = JSON.parse(readFileSync(dashboardPath, 'utf8')) as { panels: { title: string; targets: { expr: string }[] }[] };
    const queried = new Set<string>();
    for (const panel of dashboard.panels) {
      expect(panel.targets.length, panel.title).toBeGreaterThan(0);
      for (const { expr } of panel.targets) {
        for (const name of expr.match(/kafka_(?:streams|consumer)_[a-z0-9_]+/g) ?? []) queried.add(name);
        // A regex over names: each alternative must be exported.
        for (const [, prefix, alternatives, suffix] of expr.matchAll(/"(kafka_streams_[a-z_]+)\(([a-z|_]+)\)([a-z_]*)"/g)) {
          for (const alternative of alternatives!.split('|')) queried.add(`${prefix}${alternative}${suffix}`);
        }
      }
    }
    const plainNames = [...queried].filter((name) => !name.endsWith('_'));
    expect(plainNames.length).toBeGreaterThan(15);
    expect(plainNames.filter((name) => !exported.has(name))).toEqual([]);
    runner.close();
  });
});
