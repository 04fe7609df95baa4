/**
 * Compares the two sides' results of one scenario: the first record (by index, over the output
 * topics in catalogue order) where key, value, timestamp, topic or headers differ, or a run that
 * failed on one side only. Bytes are compared as hex; reports decode them as UTF-8 for reading.
 */
import type { OutputRecord, Scenario, ScenarioResult } from './scenario.js';

/** Where a scenario's two results first part. */
export interface Difference {
  /** Index of the first differing output record; the length of the shorter list when one side stopped early. */
  readonly index: number;
  /** Kafka Streams' record at that index; `undefined` when it has none. */
  readonly kafka: OutputRecord | undefined;
  /** Tributary's record at that index; `undefined` when it has none. */
  readonly tributary: OutputRecord | undefined;
  /** Each side's failure, when only one failed. */
  readonly kafkaError?: string;
  readonly tributaryError?: string;
}

function sameRecord(left: OutputRecord, right: OutputRecord): boolean {
  return (
    left.topic === right.topic &&
    left.key === right.key &&
    left.value === right.value &&
    left.ts === right.ts &&
    JSON.stringify(left.headers ?? []) === JSON.stringify(right.headers ?? [])
  );
}

/** The first difference between Kafka's and Tributary's results, or `undefined` when they agree. */
export function firstDifference(kafka: ScenarioResult, tributary: ScenarioResult): Difference | undefined {
  const length = Math.min(kafka.records.length, tributary.records.length);
  for (let index = 0; index < length; index++) {
    if (!sameRecord(kafka.records[index]!, tributary.records[index]!)) {
      return { index, kafka: kafka.records[index], tributary: tributary.records[index] };
    }
  }
  const failedOnOneSide = (kafka.error === undefined) !== (tributary.error === undefined);
  if (kafka.records.length === tributary.records.length && !failedOnOneSide) return undefined;
  return {
    index: length,
    kafka: kafka.records[length],
    tributary: tributary.records[length],
    ...(kafka.error === undefined ? {} : { kafkaError: kafka.error }),
    ...(tributary.error === undefined ? {} : { tributaryError: tributary.error }),
  };
}

function text(hex: string | null): string {
  return hex === null ? 'null' : JSON.stringify(Buffer.from(hex, 'hex').toString('utf8'));
}

/** A record for a report: `out key="a" value="1" ts=5`. */
function formatRecord(record: OutputRecord | undefined): string {
  if (record === undefined) return '(none)';
  const headers = record.headers === undefined ? '' : ` headers=${JSON.stringify(record.headers)}`;
  return `${record.topic} key=${text(record.key)} value=${text(record.value)} ts=${record.ts}${headers}`;
}

/** A difference for a report, several lines, each side's record and failure named. */
export function formatDifference(scenario: Scenario, difference: Difference): string {
  const lines = [
    `${scenario.id} (seed ${scenario.seed}, params ${JSON.stringify(scenario.params)}): first difference at output record #${difference.index}`,
    `  kafka:     ${formatRecord(difference.kafka)}`,
    `  tributary: ${formatRecord(difference.tributary)}`,
  ];
  if (difference.kafkaError !== undefined) lines.push(`  kafka failed: ${difference.kafkaError}`);
  if (difference.tributaryError !== undefined) lines.push(`  tributary failed: ${difference.tributaryError}`);
  return lines.join('\n');
}

/** A scenario's input steps for a report, one per line. */
export function formatSteps(scenario: Scenario): string {
  return scenario.steps
    .map((step) => ('advance' in step ? `  advanceWallClockTime(${step.advance})` : `  ${step.topic} key=${JSON.stringify(step.key)} value=${JSON.stringify(step.value)} ts=${step.ts}${step.headers === undefined ? '' : ` headers=${JSON.stringify(step.headers)}`}`))
    .join('\n');
}
