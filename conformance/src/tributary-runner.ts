/**
 * The Tributary side of the conformance suite: runs a scenario's catalogue topology through
 * `@tributary/streams/test`'s TopologyTestDriver, configured as the Java runner configures
 * Kafka's (application id, String serdes, wall clock at 0, the cache budget, failing on
 * processing errors as Kafka 3.9 does by default), and returns its output in bytes.
 */
import { Headers, Serdes, logAndFail, silentLogger, type Topology } from '@tributary/streams';
import { TestRecord, TopologyTestDriver, type TestInputTopic, type TestOutputTopic } from '@tributary/streams/test';
import { catalogueEntry } from './catalogue.js';
import { isAdvance, type OutputRecord, type Scenario, type ScenarioResult } from './scenario.js';

/** Kafka Streams' default `statestore.cache.max.bytes`: 10 MiB. */
const CACHE_ON_BYTES = 10 * 1024 * 1024;

/** Runs one scenario through Tributary's TopologyTestDriver. */
export function runTributary(scenario: Scenario): ScenarioResult {
  const entry = catalogueEntry(scenario.topology);
  let driver: TopologyTestDriver;
  try {
    driver = openDriver(entry.build(scenario.params), scenario.cache);
  } catch (failure) {
    return { id: scenario.id, records: [], error: `building the topology: ${describe(failure)}` };
  }
  let error: string | undefined;
  const records: OutputRecord[] = [];
  try {
    const outputs = entry.outputs.map((topic) => [topic, driver.createOutputTopic(topic, Serdes.Bytes(), Serdes.Bytes())] as const);
    const inputs = new Map<string, TestInputTopic<string, string>>();
    try {
      for (const step of scenario.steps) {
        if (isAdvance(step)) {
          driver.advanceWallClockTime(step.advance);
          continue;
        }
        let input = inputs.get(step.topic);
        if (input === undefined) {
          input = driver.createInputTopic(step.topic, Serdes.String(), Serdes.String());
          inputs.set(step.topic, input);
        }
        const headers = new Headers();
        for (const [key, value] of step.headers ?? []) headers.add(key, value);
        input.pipeInput(new TestRecord(step.key, step.value, step.ts, headers));
      }
    } catch (failure) {
      error = describe(failure);
    }
    for (const [topic, output] of outputs) collect(topic, output, records);
    if (scenario.internalTopics === true) {
      // Changelog and repartition topics too, sorted by name, after the outputs.
      const read = new Set(scenario.steps.flatMap((step) => ('topic' in step ? [step.topic] : [])));
      for (const topic of driver.producedTopicNames().sort()) {
        if (entry.outputs.includes(topic) || read.has(topic)) continue;
        collect(topic, driver.createOutputTopic(topic, Serdes.Bytes(), Serdes.Bytes()), records);
      }
    }
  } finally {
    try {
      driver.close();
    } catch (failure) {
      error ??= describe(failure);
    }
  }
  return error === undefined ? { id: scenario.id, records } : { id: scenario.id, records, error };
}

function openDriver(topology: Topology, cache: boolean): TopologyTestDriver {
  return new TopologyTestDriver(
    topology,
    {
      applicationId: 'conformance',
      defaultKeySerde: Serdes.String(),
      defaultValueSerde: Serdes.String(),
      cacheMaxBytes: cache ? CACHE_ON_BYTES : 0,
      processingExceptionHandler: logAndFail(),
      logger: silentLogger,
    },
    { initialWallClockTime: 0 },
  );
}

function collect(topic: string, output: TestOutputTopic<Buffer, Buffer>, records: OutputRecord[]): void {
  for (const record of output.readRecordsToList()) {
    const headers = [...record.headers].map((header) => [header.key, header.value.toString('hex')] as const);
    const base = {
      topic,
      key: record.key === null ? null : record.key.toString('hex'),
      value: record.value === null ? null : record.value.toString('hex'),
      ts: record.timestamp ?? null,
    };
    records.push(headers.length === 0 ? base : { ...base, headers });
  }
}

function describe(failure: unknown): string {
  let cause = failure;
  while (cause instanceof Error && cause.cause instanceof Error) cause = cause.cause;
  return cause instanceof Error ? `${cause.name}: ${cause.message}` : String(failure);
}
