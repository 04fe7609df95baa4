/**
 * What the benchmark's child processes print, one JSON object per line on stdout, and what the
 * Tributary app and the pipe are told. The Java reference prints the same `state` and `metrics`
 * lines, so the runner reads every child alike.
 */
import { readFileSync } from 'node:fs';

/** A line from a child. `ts` is the child's wall clock, epoch ms (same machine as the runner). */
export type ChildLine =
  | { readonly event: 'state'; readonly state: string; readonly ts?: number }
  | {
      readonly event: 'metrics';
      /** Records processed since start (the app's own count: input, repartition and catalog records). */
      readonly processed: number;
      readonly ts: number;
      /** Changelog records restored into stores since start (Tributary only). */
      readonly restored?: number;
      /** Running tasks (Tributary only). */
      readonly tasks?: readonly string[];
      /** The stream threads' commits since start, Kafka's `commit-total` (Tributary only). */
      readonly commits?: number;
      /** Transactions committed since start (Tributary on @platformatic/kafka, one stream thread; see `counting-client.ts`). */
      readonly transactions?: number;
      /** The stream threads' `commit-latency-avg` (the largest), ms: how long a commit takes lately (Tributary only). */
      readonly commitLatencyAvgMs?: number;
      /** Where the app's time went since its previous metrics line (Tributary only): see {@link AppTiming}. */
      readonly timing?: AppTiming;
    }
  | { readonly event: 'error'; readonly message: string }
  | { readonly event: 'accepted' }
  | { readonly event: 'result'; readonly events: number; readonly startMs: number; readonly endMs: number; readonly cpuMs: number; readonly processed: number; readonly peakRssBytes: number };

/**
 * What held the Tributary app's event loop since its previous metrics line, and its commits: what
 * the latency scenarios report beside the end-to-end figures (`latency.ts`).
 */
export interface AppTiming {
  /** The longest event-loop delay in the slice (`monitorEventLoopDelay`, 10 ms resolution), ms. */
  readonly loopDelayMaxMs: number;
  /** Garbage-collection pauses in the slice (V8's `gc` performance entries), summed, ms. */
  readonly gcPauseMs: number;
  /** The longest of those pauses, ms. */
  readonly gcPauseMaxMs: number;
  /** Kafka's `commit-latency-avg` of the stream threads (over its 30 to 60 s window), ms: how long a commit holds the thread; absent before the first commit. */
  readonly commitLatencyAvgMs?: number;
  /** Kafka's `commit-latency-max`, the same way. */
  readonly commitLatencyMaxMs?: number;
}

/** The processing guarantees the benchmarks run Tributary with. */
export type BenchGuarantee = 'at_least_once' | 'exactly_once' | 'exactly_once_v2';

/** The Kafka clients the benchmarks compare: kafkajs (the default) and @platformatic/kafka. */
export type BenchClient = 'kafkajs' | 'platformatic';

/** The Tributary app's settings (`app.js` reads them as JSON from its first argument). */
export interface AppSettings {
  readonly applicationId: string;
  readonly bootstrapServers: string;
  readonly stateDir: string;
  /**
   * `'exactly_once_v2'` (one transactional producer per stream thread) is passed to the runtime
   * as it is: a build that does not know it refuses it, and the runner reports the scenario as
   * skipped (`eos-commits.ts`).
   */
  readonly guarantee: BenchGuarantee;
  /** The Kafka client the runtime uses; default `'kafkajs'`. */
  readonly client?: BenchClient;
  /** Only check that the runtime accepts these options: print `accepted` (or the error) and exit. */
  readonly checkOnly?: boolean;
  readonly threads: number;
  readonly commitIntervalMs: number;
  /** What to run: the flagship (the default), the stateless pipe (`pipe-topology.ts`) or the count per key (`keyed-state-topology.ts`). */
  readonly topology?: 'flagship' | 'pipe' | 'keyed-state';
  readonly sessionTimeoutMs?: number;
  readonly heartbeatIntervalMs?: number;
  /** How often to print a metrics line. */
  readonly metricsIntervalMs: number;
  /** Turn the engine's per-record metric sensors off (the metrics-cost comparison). */
  readonly metricsOff?: boolean;
  /** The record caches' budget, bytes (`cacheMaxBytes`); the runtime's default (10 MiB) when absent. */
  readonly cacheMaxBytes?: number;
}

/** The pipes' settings (`pipe.js` on kafkajs, `pipe-platformatic.js`; first argument). */
export interface PipeSettings {
  readonly groupId: string;
  readonly bootstrapServers: string;
  readonly inputTopic: string;
  readonly outputTopic: string;
  /** Partitions of the input: batches of that many partitions are handled at once. */
  readonly partitions: number;
  /** Events in the input topic: once it has sent on this many, the pipe prints its `result`. */
  readonly expected: number;
  readonly commitIntervalMs: number;
  readonly metricsIntervalMs: number;
}

/** Prints one line for the runner. */
export function emit(line: ChildLine): void {
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Peak resident memory of this process (VmHWM), in bytes. */
export function ownPeakRssBytes(): number {
  const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  return match === null ? 0 : Number(match[1]) * 1024;
}
