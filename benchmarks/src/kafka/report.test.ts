import { describe, expect, it } from 'vitest';
import type { CommitsMeasurement } from './eos-commits.js';
import type { IdleMeasurement } from './idle.js';
import type { LatencyMeasurement } from './latency.js';
import { toMarkdown, type Report, type ScenarioResult } from './report.js';
import type { ThroughputMeasurement } from './throughput.js';

const throughput = (eventsPerSecond: number, rates: Partial<ThroughputMeasurement> = {}): ThroughputMeasurement => ({
  events: 50_000,
  seconds: 50_000 / eventsPerSecond,
  eventsPerSecond,
  cpuCores: 0.5,
  cpuMicrosecondsPerEvent: 40,
  peakRssBytes: 200 * 1024 * 1024,
  ...rates,
});

const latency = (p50Ms: number, transactionsPerSecond?: number): LatencyMeasurement => ({
  rate: 500,
  samples: 900,
  p50Ms,
  p99Ms: p50Ms * 3,
  maxMs: p50Ms * 5,
  producerLagMaxMs: 12,
  eventsSent: 15_000,
  backlogAtEnd: 40,
  commitsPerSecond: 9.8,
  ...(transactionsPerSecond === undefined ? {} : { transactionsPerSecond }),
});

function report(scenarios: ScenarioResult[]): Report {
  return {
    benchmark: 'kafka',
    mode: 'quick',
    date: '2026-12-05T10:00:00.000Z',
    machine: { node: 'v20.20.2', cpu: 'test cpu', cores: 2, platform: 'linux-x64', kafka: '3.9.2', kafkajs: '2.2.4', platformaticKafka: '2.12.1', appNode: { kafkajs: '20.20.2', platformatic: '24.22.3' }, loadAverage: [1, 1, 1] },
    settings: { runs: 1, events: 50_000, partitions: 4, commitIntervalMs: 1_000, latencyRate: 500, latencySeconds: 30, latencyWarmupSeconds: 10 },
    scenarios,
    elapsedSeconds: 60,
  };
}

/** The table row that starts with `label` and names `client`. */
function row(markdown: string, label: string, client: string): string {
  const found = markdown.split("\n").find((line) => line.includes(`| ${label} | ${client} |`));
  if (found === undefined) throw new Error(`no row '${label}' on ${client} in:\n${markdown}`);
  return found;
}

describe('toMarkdown with the client dimension', () => {
  it('names each row\'s client and Node, and compares each with the ceiling on its own client', () => {
    const markdown = toMarkdown(
      report([
        { id: 'ceiling', kind: 'throughput', label: 'ceiling: kafkajs pipe', runs: [throughput(40_000)] },
        { id: 'ceiling-pf', kind: 'throughput', label: 'ceiling: @platformatic/kafka pipe', client: 'platformatic', runs: [throughput(80_000)] },
        { id: 'tributary-alo-1t', kind: 'throughput', label: 'Tributary, at-least-once, 1 thread', runs: [throughput(10_000)] },
        { id: 'tributary-pf-alo-1t', kind: 'throughput', label: 'Tributary, at-least-once, 1 thread', client: 'platformatic', runs: [throughput(20_000)] },
        { id: 'engine', kind: 'throughput', label: 'engine alone', runs: [throughput(30_000)] },
        { id: 'tributary-pf-eos-2t', kind: 'throughput', label: 'Tributary, exactly-once, 2 threads', client: 'platformatic', runs: [], outcome: 'skipped: no Node >= 22.22 for @platformatic/kafka (npm failed)' },
      ]),
      'results/x.json',
    );
    expect(row(markdown, 'ceiling: kafkajs pipe', 'kafkajs (Node 20.20.2)')).toContain('| **40,000** |');
    expect(row(markdown, 'ceiling: @platformatic/kafka pipe', '@platformatic/kafka (Node 24.22.3)')).toContain('| 100% |');
    expect(row(markdown, 'Tributary, at-least-once, 1 thread', 'kafkajs (Node 20.20.2)')).toContain('| 25% |');
    expect(row(markdown, 'Tributary, at-least-once, 1 thread', '@platformatic/kafka (Node 24.22.3)')).toContain('| 25% |');
    expect(row(markdown, 'engine alone', 'none')).toContain('| 75% |');
    expect(row(markdown, 'Tributary, exactly-once, 2 threads', '@platformatic/kafka (Node 24.22.3)')).toContain('| skipped: no Node >= 22.22 for @platformatic/kafka (npm failed) |');
  });

  it('sets v1 and v2 side by side: throughput, transactions and commits per second, latency; a skipped v2 row holds no figure', () => {
    const measured: CommitsMeasurement = { throughput: throughput(3_000, { transactionsPerSecond: 312.4, commitsPerSecond: 9.76 }), latency: latency(250, 318) };
    const markdown = toMarkdown(
      report([
        { id: 'eos-p32-v1-pf', kind: 'commits', label: 'Tributary, exactly-once, per-task producers (v1), 1 thread', partitions: 32, client: 'platformatic', runs: [measured] },
        { id: 'eos-p32-v2-pf', kind: 'commits', label: 'Tributary, exactly-once, one producer per thread (v2), 1 thread', partitions: 32, client: 'platformatic', runs: [], outcome: 'skipped: exactly_once_v2 not available in this build' },
      ]),
      'results/x.json',
    );
    expect(markdown).toContain('| 32 | Tributary, exactly-once, per-task producers (v1), 1 thread | @platformatic/kafka (Node 24.22.3) | **3,000** | 40 | 312 | 9.8 | **250 ms** | 750 ms | 318 | 40 events |');
    expect(markdown).toContain('| 32 | Tributary, exactly-once, one producer per thread (v2), 1 thread | @platformatic/kafka (Node 24.22.3) | skipped: exactly_once_v2 not available in this build |  |  |  |  |  |  |  |');
  });

  it('gives the latency rows a client column', () => {
    const markdown = toMarkdown(report([{ id: 'latency-tributary-pf-eos', kind: 'latency', label: 'Tributary, exactly-once', client: 'platformatic', runs: [latency(120)] }]), 'results/x.json');
    expect(row(markdown, 'Tributary, exactly-once', '@platformatic/kafka (Node 24.22.3)')).toContain('| 500/s | **120 ms** | 360 ms |');
  });

  it('sets the idle rows side by side, a skipped one without figures, and leaves out an empty throughput table', () => {
    const idle = (cpuPercentOfCore: number): IdleMeasurement => ({ seconds: 20, cpuMs: cpuPercentOfCore * 200, cpuPercentOfCore, peakRssBytes: 100 * 1024 * 1024 });
    const markdown = toMarkdown(
      report([
        { id: 'idle-tributary-alo', kind: 'idle', label: 'Tributary, at-least-once, 1 thread, no input', runs: [idle(2.35), idle(2.1), idle(3)] },
        { id: 'idle-tributary-pf-alo', kind: 'idle', label: 'Tributary, at-least-once, 1 thread, no input', client: 'platformatic', runs: [], outcome: 'skipped: no Node >= 22.22' },
        { id: 'idle-kstreams-alo', kind: 'idle', label: 'Kafka Streams (Java), at-least-once, 1 thread, no input', runs: [idle(2.75)] },
      ]),
      'results/x.json',
    );
    expect(row(markdown, 'Tributary, at-least-once, 1 thread, no input', 'kafkajs (Node 20.20.2)')).toBe('| Tributary, at-least-once, 1 thread, no input | kafkajs (Node 20.20.2) | 20.0 s | **2.35%** | 100 MB |');
    expect(row(markdown, 'Tributary, at-least-once, 1 thread, no input', '@platformatic/kafka (Node 24.22.3)')).toBe('| Tributary, at-least-once, 1 thread, no input | @platformatic/kafka (Node 24.22.3) | skipped: no Node >= 22.22 |  |  |');
    expect(row(markdown, 'Kafka Streams (Java), at-least-once, 1 thread, no input', 'Java (kafka-clients)')).toContain('**2.75%**');
    expect(markdown).toContain('## Idle');
    expect(markdown).not.toContain('## Throughput');
  });
});
