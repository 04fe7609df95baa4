import { describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { Consumed, Produced, Serdes, StreamsBuilder, silentLogger, type Metric } from '@tributary/streams';
import { TopologyTestDriver } from '@tributary/streams/test';
import { prometheusLabels, prometheusName, registerStreamsMetrics } from './index.js';

describe('@tributary/prometheus', () => {
  it('names metrics as the JMX exporter names Kafka Streams MBeans', () => {
    const metric = { group: 'stream-thread-metrics', name: 'process-rate', tags: { 'thread-id': 'app-StreamThread-1' } };
    expect(prometheusName(metric)).toBe('kafka_streams_stream_thread_metrics_process_rate');
    expect(prometheusLabels(metric)).toEqual({ thread_id: 'app-StreamThread-1' });
    expect(prometheusName({ group: 'consumer-fetch-manager-metrics', name: 'records-lag' })).toBe('kafka_consumer_consumer_fetch_manager_metrics_records_lag');
  });

  it('exposes a driver\'s metrics, read again at each scrape', async () => {
    const builder = new StreamsBuilder();
    builder.stream('in', Consumed.with(Serdes.String(), Serdes.Json<{ n: number }>())).to('out', Produced.with(Serdes.String(), Serdes.Json<{ n: number }>()));
    const driver = new TopologyTestDriver(builder.build(), { applicationId: 'prom', logger: silentLogger }, { initialWallClockTime: 50_000 });
    const input = driver.createInputTopic('in', Serdes.String(), Serdes.String());
    const registry = new Registry();
    const collector = registerStreamsMetrics({ metrics: () => ({ all: driver.metrics() }) }, { registry, labels: { instance_name: 'one' } });
    input.pipeInput('a', '{"n":1}', 49_000);
    input.pipeInput('b', 'oops', 49_000);
    const text = await registry.metrics();
    expect(text).toContain('# TYPE kafka_streams_stream_thread_metrics_process_total counter');
    expect(text).toContain('kafka_streams_stream_thread_metrics_process_total{thread_id="prom-StreamThread-1",instance_name="one"} 1');
    expect(text).toContain('kafka_streams_stream_task_metrics_dropped_records_total{thread_id="prom-StreamThread-1",task_id="0_0",instance_name="one"} 1');
    expect(text).toContain('kafka_streams_stream_task_metrics_dropped_records_reason_total{thread_id="prom-StreamThread-1",task_id="0_0",reason="deserialization-error",instance_name="one"} 1');
    expect(text).toContain('kafka_streams_stream_processor_node_metrics_record_e2e_latency_max{thread_id="prom-StreamThread-1",task_id="0_0",processor_node_id="KSTREAM-SOURCE-0000000000",instance_name="one"} 1000');
    collector.close();
    expect(await registry.metrics()).not.toContain('kafka_streams');
    driver.close();
  });

  it('replaces the families of an earlier collector on the same registry', async () => {
    const registry = new Registry();
    const metric: Metric = { group: 'stream-metrics', name: 'alive-stream-threads', tags: { 'client-id': 'c' }, description: 'Threads.', level: 'INFO', type: 'gauge', value: 2 };
    registerStreamsMetrics({ metrics: () => ({ all: [metric] }) }, { registry });
    registerStreamsMetrics({ metrics: () => ({ all: [{ ...metric, value: 3 }] }) }, { registry });
    expect(await registry.metrics()).toContain('kafka_streams_stream_metrics_alive_stream_threads{client_id="c"} 3');
  });
});
