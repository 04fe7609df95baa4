/**
 * The results of a run: each scenario's runs or the reason it has none, summarized as medians
 * with their spread, written as JSON (everything) and as a Markdown table (the summary).
 */
import type { Machine } from '../harness.js';
import type { CommitsMeasurement } from './eos-commits.js';
import type { IdleMeasurement } from './idle.js';
import type { KeyedStateMeasurement } from './keyed-state.js';
import type { LatencyMeasurement } from './latency.js';
import type { BenchClient } from './protocol.js';
import type { RecoveryMeasurement } from './recovery.js';
import type { ThroughputMeasurement } from './throughput.js';

type ScenarioKind = 'throughput' | 'latency' | 'recovery' | 'scaling' | 'commits' | 'state' | 'idle';

/** Thrown by a scenario that cannot run here (a missing Node, a runtime without the guarantee): its message is the row's outcome, `skipped: ...`. */
export class ScenarioSkipped extends Error {}

/** One scenario: what it is, and its runs or why it has none. */
export interface ScenarioResult {
  readonly id: string;
  readonly kind: ScenarioKind;
  readonly label: string;
  /** Which Kafka Streams scenario it compares with, if any. */
  readonly reference?: string;
  readonly partitions?: number;
  /** The Kafka client of a Tributary app or pipe when it is not kafkajs (the Java reference's and the engine's rows say so by their ids). */
  readonly client?: BenchClient;
  runs: (ThroughputMeasurement | LatencyMeasurement | RecoveryMeasurement | CommitsMeasurement | KeyedStateMeasurement | IdleMeasurement)[];
  /** Set when a run failed or the scenario was skipped: never a number in its place. */
  outcome?: string;
}

export interface Report {
  readonly benchmark: 'kafka';
  readonly mode: string;
  readonly date: string;
  readonly machine: Machine & {
    readonly kafka: string;
    readonly kafkajs: string;
    readonly platformaticKafka: string;
    /** The Node version each client's apps ran on; absent for @platformatic/kafka when it had none. */
    readonly appNode: { readonly kafkajs: string; readonly platformatic?: string };
    readonly loadAverage: readonly number[];
  };
  readonly settings: Record<string, unknown>;
  readonly scenarios: ScenarioResult[];
  elapsedSeconds: number;
}

interface Spread {
  readonly median: number;
  readonly min: number;
  readonly max: number;
}

function spread(values: readonly number[]): Spread {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const middleValue = sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
  return { median: middleValue, min: sorted[0]!, max: sorted[sorted.length - 1]! };
}

const whole = (value: number): string => Math.round(value).toLocaleString('en-US');
const megabytes = (bytes: number): string => `${Math.round(bytes / 1024 / 1024).toLocaleString('en-US')} MB`;
const seconds = (value: number): string => `${value.toFixed(1)} s`;
const milliseconds = (value: number): string => `${whole(value)} ms`;
const percent = (value: number | undefined): string => (value === undefined ? '–' : `${(value * 100).toFixed(0)}%`);

/** A row whose figures are replaced by why there are none; `|` in the message would end the cell. */
function reasonRow(leading: readonly string[], reason: string, columns: number): string {
  const cells = [...leading, reason.replace(/\|/g, '\\|')];
  while (cells.length < columns) cells.push('');
  return `| ${cells.join(' | ')} |`;
}

function median<T>(runs: readonly T[], pick: (run: T) => number): number {
  return spread(runs.map(pick)).median;
}

function rateOf(result: ScenarioResult | undefined): number | undefined {
  if (result === undefined || result.outcome !== undefined || result.runs.length === 0) return undefined;
  return median(result.runs as ThroughputMeasurement[], (run) => run.eventsPerSecond);
}

/** The Kafka client of a row and the Node it ran on: the Java reference and the engine (no client) say so. */
function clientCell(report: Report, scenario: ScenarioResult): string {
  if (scenario.id.includes('kstreams')) return 'Java (kafka-clients)';
  if (scenario.id.startsWith('engine')) return 'none';
  const { appNode } = report.machine;
  return scenario.client === 'platformatic' ? `@platformatic/kafka (Node ${appNode.platformatic ?? '–'})` : `kafkajs (Node ${appNode.kafkajs})`;
}

/** The id of the pipe that is the row's ceiling: the one on its own client. */
function ceilingOf(scenario: ScenarioResult): string {
  return scenario.client === 'platformatic' ? 'ceiling-pf' : 'ceiling';
}

function throughputRows(report: Report, kind: 'throughput' | 'scaling'): string[] {
  const byId = new Map(report.scenarios.map((scenario) => [scenario.id, scenario]));
  const rows: string[] = [];
  for (const scenario of report.scenarios.filter((entry) => entry.kind === kind)) {
    const prefix = kind === 'scaling' ? `| ${scenario.partitions ?? ''} ` : '';
    if (scenario.outcome !== undefined || scenario.runs.length === 0) {
      const leading = kind === 'scaling' ? [String(scenario.partitions ?? ''), scenario.label, clientCell(report, scenario)] : [scenario.label, clientCell(report, scenario)];
      rows.push(reasonRow(leading, scenario.outcome ?? 'no runs', 9));
      continue;
    }
    const ceiling = rateOf(byId.get(ceilingOf(scenario)));
    const runs = scenario.runs as ThroughputMeasurement[];
    const rates = spread(runs.map((run) => run.eventsPerSecond));
    const reference = rateOf(scenario.reference === undefined ? undefined : byId.get(scenario.reference));
    const cells = [
      scenario.label,
      clientCell(report, scenario),
      `**${whole(rates.median)}**`,
      runs.length > 1 ? `${whole(rates.min)}–${whole(rates.max)}` : '(1 run)',
      median(runs, (run) => run.cpuCores).toFixed(2),
      whole(median(runs, (run) => run.cpuMicrosecondsPerEvent)),
      megabytes(median(runs, (run) => run.peakRssBytes)),
    ];
    if (kind === 'throughput') {
      cells.push(scenario.id === ceilingOf(scenario) ? '100%' : percent(ceiling === undefined ? undefined : rates.median / ceiling));
      cells.push(scenario.reference === undefined ? '' : reference === undefined ? '–' : percent(rates.median / reference));
    } else {
      const state = runs.map((run) => run.stateBytes).filter((value): value is number => value !== undefined);
      cells.push(state.length === 0 ? '–' : megabytes(spread(state).median));
    }
    rows.push(`${prefix}| ${cells.join(' | ')} |`);
  }
  return rows;
}

/** The Markdown report: machine, then a table per kind of scenario. */
export function toMarkdown(report: Report, jsonFile: string): string {
  const { machine } = report;
  const lines = [
    `# Kafka benchmarks: ${report.mode} mode`,
    '',
    `${report.date}; ${machine.cpu}, ${machine.cores} cores (${machine.platform}), runner on Node ${machine.node}, Apache Kafka ${machine.kafka} (one local broker), kafkajs ${machine.kafkajs}, @platformatic/kafka ${machine.platformaticKafka}; load average at the start ${machine.loadAverage.map((value) => value.toFixed(1)).join(', ')}. ` +
      `Runs per scenario: ${String(report.settings.runs)}; figures are medians, with min–max over the runs. All of it in \`${jsonFile}\`; definitions in benchmarks/README.md.`,
  ];
  if (report.scenarios.some((scenario) => scenario.kind === 'throughput')) {
    lines.push(
      '',
      '## Throughput',
      '',
      `${whole(Number(report.settings.events))} events pre-loaded in ${String(report.settings.partitions)} partitions; commit interval ${String(report.settings.commitIntervalMs)} ms. Each row's ceiling is the pipe on its own client.`,
      '',
      '| scenario | client | events/s | spread | CPU (cores) | CPU µs/event | peak RSS | vs ceiling | vs Kafka Streams |',
      '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
      ...throughputRows(report, 'throughput'),
    );
  }
  const latency = report.scenarios.filter((scenario) => scenario.kind === 'latency');
  if (latency.length > 0) {
    lines.push('', '## Latency', '', `At ${whole(Number(report.settings.latencyRate))} events/s (unless the row says otherwise) for ${String(report.settings.latencySeconds)} s (the first ${String(report.settings.latencyWarmupSeconds)} s not counted), commit interval 100 ms. A backlog at the end above a second's worth of events means the app fell behind the rate and its latency grew through the run.`, '');
    lines.push('| scenario | client | rate | p50 | p99 | max | samples | producer lag (max) | backlog at end |', '| --- | --- | --- | --- | --- | --- | --- | --- | --- |');
    for (const scenario of latency) {
      if (scenario.outcome !== undefined || scenario.runs.length === 0) {
        lines.push(reasonRow([scenario.label, clientCell(report, scenario)], scenario.outcome ?? 'no runs', 9));
        continue;
      }
      const runs = scenario.runs as LatencyMeasurement[];
      lines.push(`| ${scenario.label} | ${clientCell(report, scenario)} | ${whole(runs[0]!.rate)}/s | **${milliseconds(median(runs, (run) => run.p50Ms))}** | ${milliseconds(median(runs, (run) => run.p99Ms))} | ${milliseconds(median(runs, (run) => run.maxMs))} | ${whole(median(runs, (run) => run.samples))} | ${milliseconds(median(runs, (run) => run.producerLagMaxMs))} | ${whole(median(runs, (run) => run.backlogAtEnd))} events |`);
    }
    lines.push(...latencyDetailTable(latency));
  }
  const recovery = report.scenarios.filter((scenario) => scenario.kind === 'recovery');
  if (recovery.length > 0) {
    lines.push('', '## Recovery', '', 'Two instances on kafkajs, one killed with SIGKILL; session timeout 6 s.', '');
    lines.push('| scenario | keys | takeover | first output on every partition | restored records | restore rate | survivor peak RSS |', '| --- | --- | --- | --- | --- | --- | --- |');
    for (const scenario of recovery) {
      if (scenario.outcome !== undefined || scenario.runs.length === 0) {
        lines.push(reasonRow([scenario.label], scenario.outcome ?? 'no runs', 7));
        continue;
      }
      const runs = scenario.runs as RecoveryMeasurement[];
      lines.push(`| ${scenario.label} | ${whole(runs[0]!.keys)} | ${seconds(median(runs, (run) => run.takeoverSeconds))} | **${seconds(median(runs, (run) => run.recoverySeconds))}** | ${whole(median(runs, (run) => run.restoredRecords))} | ${whole(median(runs, (run) => run.restoreRate))}/s | ${megabytes(median(runs, (run) => run.survivorPeakRssBytes))} |`);
    }
  }
  const scaling = report.scenarios.filter((scenario) => scenario.kind === 'scaling');
  if (scaling.length > 0) {
    lines.push('', '## Scaling: partitions per instance', '', 'Tributary, at-least-once, one thread, one instance; the same events in 1, 2 and 4 partitions.', '');
    lines.push('| partitions | scenario | client | events/s | spread | CPU (cores) | CPU µs/event | peak RSS | state on disk |', '| --- | --- | --- | --- | --- | --- | --- | --- | --- |');
    lines.push(...throughputRows(report, 'scaling'));
  }
  lines.push(...commitsTable(report));
  const state = report.scenarios.filter((scenario) => scenario.kind === 'state');
  if (state.length > 0) {
    lines.push('', '## Keyed state: build and restore', '', 'A count per key over distinct keys (LevelDB, default memory settings, the app under `--max-old-space-size=256 --max-semi-space-size=16`); then the state directory deleted and the instance restarted, restoring from the changelog.', '');
    lines.push('| scenario | client | keys | build events/s | build CPU µs/event | build peak RSS | state on disk | restored records | restore | restore rate | restore peak RSS |', '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
    for (const scenario of state) {
      if (scenario.outcome !== undefined || scenario.runs.length === 0) {
        lines.push(reasonRow([scenario.label, clientCell(report, scenario)], scenario.outcome ?? 'no runs', 11));
        continue;
      }
      const runs = scenario.runs as KeyedStateMeasurement[];
      const cells = [
        scenario.label,
        clientCell(report, scenario),
        whole(runs[0]!.keys),
        whole(median(runs, (run) => run.eventsPerSecond)),
        whole(median(runs, (run) => run.cpuMicrosecondsPerEvent)),
        `**${megabytes(median(runs, (run) => run.peakRssBytes))}**`,
        megabytes(median(runs, (run) => run.stateBytes)),
        `${whole(median(runs, (run) => run.restoredRecords))} of ${whole(median(runs, (run) => run.changelogRecords))}`,
        seconds(median(runs, (run) => run.restoreSeconds)),
        `${whole(median(runs, (run) => run.restoreRate))}/s`,
        `**${megabytes(median(runs, (run) => run.restorePeakRssBytes))}**`,
      ];
      lines.push(`| ${cells.join(' | ')} |`);
    }
  }
  lines.push(...idleTable(report));
  lines.push('', `Elapsed: ${seconds(report.elapsedSeconds)}.`, '');
  return lines.join('\n');
}

/** The idle table (`idle.ts`): each app's CPU and memory with nothing to process. */
function idleTable(report: Report): string[] {
  const scenarios = report.scenarios.filter((scenario) => scenario.kind === 'idle');
  if (scenarios.length === 0) return [];
  const lines = [
    '',
    '## Idle',
    '',
    `The flagship on empty input topics (${String(report.settings.partitions)} partitions), commit interval ${String(report.settings.commitIntervalMs)} ms: the CPU of the whole process over a window that starts 10 s after it is RUNNING.`,
    '',
    '| scenario | client | window | CPU (% of a core) | peak RSS |',
    '| --- | --- | --- | --- | --- |',
  ];
  for (const scenario of scenarios) {
    const leading = [scenario.label, clientCell(report, scenario)];
    if (scenario.outcome !== undefined || scenario.runs.length === 0) {
      lines.push(reasonRow(leading, scenario.outcome ?? 'no runs', 5));
      continue;
    }
    const runs = scenario.runs as IdleMeasurement[];
    lines.push(`| ${leading.join(' | ')} | ${seconds(median(runs, (run) => run.seconds))} | **${median(runs, (run) => run.cpuPercentOfCore).toFixed(2)}%** | ${megabytes(median(runs, (run) => run.peakRssBytes))} |`);
  }
  return lines;
}

/**
 * Where the latency scenarios' time went: each hop's p50/p99 (with `--latency-hops`) beside the
 * output's, and what held Tributary's event loop (medians over the runs). Empty when no run has either.
 */
function latencyDetailTable(latency: readonly ScenarioResult[]): string[] {
  const rows: string[] = [];
  const hop = (runs: readonly LatencyMeasurement[], pick: (run: LatencyMeasurement) => { p50Ms: number; p99Ms: number } | undefined): string => {
    const measured = runs.filter((run) => pick(run) !== undefined);
    return measured.length === 0 ? '–' : `${milliseconds(median(measured, (run) => pick(run)!.p50Ms))} / ${milliseconds(median(measured, (run) => pick(run)!.p99Ms))}`;
  };
  const timed = (runs: readonly LatencyMeasurement[], pick: (timing: NonNullable<LatencyMeasurement['timing']>) => number | undefined, format: (value: number) => string): string => {
    const measured = runs.filter((run) => run.timing !== undefined && pick(run.timing) !== undefined);
    return measured.length === 0 ? '–' : format(median(measured, (run) => pick(run.timing!)!));
  };
  for (const scenario of latency) {
    const runs = scenario.runs as LatencyMeasurement[];
    if (scenario.outcome !== undefined || !runs.some((run) => run.hops !== undefined || run.timing !== undefined)) continue;
    const cells = [
      scenario.label,
      hop(runs, (run) => run.hops?.input),
      hop(runs, (run) => run.hops?.byProduct),
      hop(runs, (run) => run.hops?.byCategory),
      hop(runs, (run) => run),
      timed(runs, (timing) => timing.commitLatencyAvgMs, milliseconds) + ' / ' + timed(runs, (timing) => timing.commitLatencyMaxMs, milliseconds),
      timed(runs, (timing) => timing.gcShare, (share) => `${(share * 100).toFixed(1)}%`) + ' / ' + timed(runs, (timing) => timing.gcPauseMaxMs, milliseconds),
      timed(runs, (timing) => timing.loopDelaySliceMedianMs, milliseconds) + ' / ' + timed(runs, (timing) => timing.loopDelayMaxMs, milliseconds),
    ];
    rows.push(`| ${cells.join(' | ')} |`);
  }
  if (rows.length === 0) return [];
  return [
    '',
    'Where the time went. Each hop: from sending an event to its being readable on that topic, p50 / p99 (`--latency-hops`); the output as above. Commit: how long a commit held the thread, Kafka\'s `commit-latency` avg / max. GC: pauses\' share of the time / longest pause. Event loop: the longest delay per 200 ms, median / max (10 ms resolution).',
    '',
    '| scenario | input | events-by-product | events-by-category | output | commit | GC | event loop |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
    ...rows,
  ];
}

const perSecond = (value: number | undefined): string => (value === undefined ? '–' : value < 100 ? value.toFixed(1) : whole(value));

/** The exactly-once commits table (`eos-commits.ts`): throughput, commits and latency side by side, per partition count and producer model. */
function commitsTable(report: Report): string[] {
  const scenarios = report.scenarios.filter((scenario) => scenario.kind === 'commits');
  if (scenarios.length === 0) return [];
  const lines = [
    '',
    '## Exactly-once commits: per-task (v1) against per-thread (v2) producers',
    '',
    `One stream thread, commit interval 100 ms. Throughput over the ${whole(Number(report.settings.events))} pre-loaded events in each partition count; latency at ${whole(Number(report.settings.latencyRate))} events/s as in the latency table. transactions/s: transactions the app's client committed; commits/s: the thread's commits (\`commit-total\`).`,
    '',
    '| partitions | scenario | client | events/s | CPU µs/event | transactions/s | commits/s | latency p50 | p99 | transactions/s at the rate | backlog at end |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const scenario of scenarios) {
    const leading = [String(scenario.partitions ?? ''), scenario.label, clientCell(report, scenario)];
    if (scenario.outcome !== undefined || scenario.runs.length === 0) {
      lines.push(reasonRow(leading, scenario.outcome ?? 'no runs', 11));
      continue;
    }
    const runs = scenario.runs as CommitsMeasurement[];
    const optional = (pick: (run: CommitsMeasurement) => number | undefined): number | undefined => {
      const values = runs.map(pick).filter((value): value is number => value !== undefined);
      return values.length === 0 ? undefined : spread(values).median;
    };
    const cells = [
      ...leading,
      `**${whole(median(runs, (run) => run.throughput.eventsPerSecond))}**`,
      whole(median(runs, (run) => run.throughput.cpuMicrosecondsPerEvent)),
      perSecond(optional((run) => run.throughput.transactionsPerSecond)),
      perSecond(optional((run) => run.throughput.commitsPerSecond)),
      `**${milliseconds(median(runs, (run) => run.latency.p50Ms))}**`,
      milliseconds(median(runs, (run) => run.latency.p99Ms)),
      perSecond(optional((run) => run.latency.transactionsPerSecond)),
      `${whole(median(runs, (run) => run.latency.backlogAtEnd))} events`,
    ];
    lines.push(`| ${cells.join(' | ')} |`);
  }
  return lines;
}
