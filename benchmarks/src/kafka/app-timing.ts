/**
 * What held the Tributary app's event loop between two of its metrics lines (`AppTiming`): the
 * longest event-loop delay and the garbage collector's pauses in the slice, and the stream threads'
 * commit latency. The latency scenarios read them beside the end-to-end figures, to tell a slow
 * hop from a stalled process.
 */
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import type { KafkaStreams } from '@tributary/kafka';
import type { AppTiming } from './protocol.js';

/** The resolution of the event-loop delay monitor, ms: delays shorter than this do not show. */
const loopResolutionMs = 10;

function commitLatency(metrics: ReturnType<KafkaStreams['metrics']>, name: 'commit-latency-avg' | 'commit-latency-max'): number | undefined {
  let found: number | undefined;
  for (const metric of metrics.all) {
    if (metric.name !== name || metric.group !== 'stream-thread-metrics' || Number.isNaN(metric.value)) continue;
    found = found === undefined ? metric.value : Math.max(found, metric.value);
  }
  return found;
}

/** Samples the app's timing from its start; each {@link AppTimingSampler.take} returns the slice since the previous one. */
export class AppTimingSampler {
  private readonly loop = monitorEventLoopDelay({ resolution: loopResolutionMs });
  private gcPauseMs = 0;
  private gcPauseMaxMs = 0;

  constructor() {
    this.loop.enable();
    new PerformanceObserver((entries) => {
      for (const entry of entries.getEntries()) {
        this.gcPauseMs += entry.duration;
        if (entry.duration > this.gcPauseMaxMs) this.gcPauseMaxMs = entry.duration;
      }
    }).observe({ entryTypes: ['gc'] });
  }

  /** The slice since the previous call, with the threads' commit latency from `metrics`; starts the next slice. */
  take(metrics: ReturnType<KafkaStreams['metrics']>): AppTiming {
    const loopMaxNs = this.loop.count === 0 ? 0 : this.loop.max;
    const commitLatencyAvgMs = commitLatency(metrics, 'commit-latency-avg');
    const commitLatencyMaxMs = commitLatency(metrics, 'commit-latency-max');
    const timing: AppTiming = {
      loopDelayMaxMs: Math.max(0, loopMaxNs / 1e6 - loopResolutionMs),
      gcPauseMs: this.gcPauseMs,
      gcPauseMaxMs: this.gcPauseMaxMs,
      ...(commitLatencyAvgMs === undefined ? {} : { commitLatencyAvgMs }),
      ...(commitLatencyMaxMs === undefined ? {} : { commitLatencyMaxMs }),
    };
    this.loop.reset();
    this.gcPauseMs = 0;
    this.gcPauseMaxMs = 0;
    return timing;
  }
}
