/**
 * What both sides of the conformance suite exchange: a scenario (a catalogue topology by name,
 * its parameters, the cache setting and the input steps) and a result (every output record in
 * bytes). Scenarios travel to the Java runner as JSON lines, so every field is plain JSON.
 */

/** Parameters of a catalogue topology: window sizes, join kinds, bounds. */
export type ScenarioParams = Readonly<Record<string, number | string | boolean>>;

/** One input record piped into a topic. Keys and values are strings (`Serdes.String()` on both sides). */
export interface InputStep {
  readonly topic: string;
  readonly key: string | null;
  readonly value: string | null;
  readonly ts: number;
  /** Record headers, `[key, UTF-8 value]` pairs in order; absent for none. */
  readonly headers?: readonly (readonly [string, string])[];
}

/** A move of the mock wall clock (`advanceWallClockTime`), which fires wall-clock punctuators and commits. */
export interface AdvanceStep {
  readonly advance: number;
}

/** What a scenario does, in order. */
export type Step = InputStep | AdvanceStep;

/** One run of one catalogue topology over one input. */
export interface Scenario {
  /** `<topology>/<seed>/<cache on|off>`: names the run in reports. */
  readonly id: string;
  /** The catalogue entry's name. */
  readonly topology: string;
  readonly params: ScenarioParams;
  /** Record caches on (10 MiB, Kafka's default `statestore.cache.max.bytes`) or off (0). */
  readonly cache: boolean;
  /** The seed the input and parameters were drawn from. */
  readonly seed: number;
  readonly steps: readonly Step[];
  /** Also compare the changelog and repartition topics, after the outputs (`pnpm conformance --internal-topics`). */
  readonly internalTopics?: boolean;
  /** Only describe the topology: the Kafka runner answers with its `describe()` nodes (`names.ts`), running nothing. */
  readonly describeOnly?: boolean;
}

/** An output record, bytes as lowercase hex so the comparison is byte for byte. */
export interface OutputRecord {
  readonly topic: string;
  readonly key: string | null;
  readonly value: string | null;
  /** `null` for a record produced without a timestamp (a suppression buffer's changelog records). */
  readonly ts: number | null;
  /** `[key, value hex]` pairs; absent when the record has none. */
  readonly headers?: readonly (readonly [string, string | null])[];
}

/** What one side made of a scenario. */
export interface ScenarioResult {
  readonly id: string;
  /** Output records of each output topic, topic by topic in the catalogue's order, each in production order. */
  readonly records: readonly OutputRecord[];
  /** Set when the run failed (the exception's class and message); records hold what came out before. */
  readonly error?: string;
  /** A `describeOnly` scenario's answer: the topology's nodes as sorted lines (`names.ts`). */
  readonly nodes?: readonly string[];
}

/** Whether a step moves the wall clock. */
export function isAdvance(step: Step): step is AdvanceStep {
  return 'advance' in step;
}
