/**
 * A suppression buffer bounded in bytes counts each held entry as Kafka Streams 3.9 does
 * (`InMemoryTimeOrderedKeyValueChangeBuffer.computeRecordSize`), so it emits early, or shuts
 * down, at exactly Kafka's threshold: 8 bytes of buffer time, the key, the prior value, the
 * latest update's old value when its bytes differ from the prior's, the latest value, and the
 * record context (8 + 8 + 4 bytes, the source topic's length, each header's key and value).
 */
import { describe, expect, it } from 'vitest';
import { Produced, Serdes, StreamsBuilder, logAndContinue, logAndFail } from '../../../index.js';
import type { KStream, ProcessingExceptionHandler } from '../../../index.js';
import { Headers } from '../../../processor/headers.js';
import { TestRecord, type TopologyTestDriver } from '../../../test-utils/index.js';
import type { KTable } from '../../ktable.js';
import { BufferConfig, Suppressed } from '../../suppressed.js';
import { builderOptions, openQuietDriver, strings } from '#test-kit';

/**
 * `in` (a 2-char topic) → reduce by concatenation (`a` then `b` is `a+b`) → suppress for 40 ms
 * with `buffer` → `out`. Each first update of a 1-byte key with a 2-byte value counts
 * 8 + 1 + 2 + (20 + 2) = 33 bytes.
 */
async function open(buffer: BufferConfig, cachingEnabled = false, processingExceptionHandler: ProcessingExceptionHandler = logAndFail()): Promise<TopologyTestDriver> {
  const builder = new StreamsBuilder(builderOptions());
  ((builder.stream('in', strings) as KStream<string, string>).groupByKey().reduce((left, right) => `${left}+${right}`, { cachingEnabled }) as KTable<string, string>)
    .suppress(Suppressed.untilTimeLimit(40, buffer))
    .toStream()
    .to('out', Produced.with(Serdes.String(), Serdes.String()));
  const driver = await openQuietDriver(builder.build(), { processingExceptionHandler });
  return driver;
}

function pipe(driver: TopologyTestDriver, records: readonly (readonly [key: string, value: string, timestamp: number, headers?: Headers])[]): void {
  const input = driver.createInputTopic('in', Serdes.String(), Serdes.String());
  for (const [key, value, timestamp, headers] of records) input.pipeInput(new TestRecord(key, value, timestamp, headers));
}

function read(driver: TopologyTestDriver): string[] {
  return driver
    .createOutputTopic('out', Serdes.String(), Serdes.String())
    .readRecordsToList()
    .map((record) => `${record.key}=${record.value}@${record.timestamp}`);
}

describe('suppression buffers bounded in bytes, sized as Kafka sizes them', () => {
  it('emits the oldest entry early once the buffer holds more than maxBytes, and not at maxBytes', async () => {
    // Three entries of 33 bytes: 99 in all.
    const inputs = [['e', '12', 45], ['d', '98', 54], ['b', '72', 69]] as const;
    const over = await open(BufferConfig.maxBytes(98, 'emit-early'));
    pipe(over, inputs);
    expect(read(over)).toEqual(['e=12@45']);
    const exact = await open(BufferConfig.maxBytes(99, 'emit-early'));
    pipe(exact, inputs);
    expect(read(exact)).toEqual([]);
  });

  it('counts the source topic and headers of the record context', async () => {
    // A header 'h' = 'xyz' adds 1 + 3 bytes: 33 + 37 = 70.
    const headers = new Headers().add('h', 'xyz');
    const inputs = [['a', '11', 1], ['b', '22', 2, headers]] as const;
    const over = await open(BufferConfig.maxBytes(69, 'emit-early'));
    pipe(over, inputs);
    expect(read(over)).toEqual(['a=11@1']);
    const exact = await open(BufferConfig.maxBytes(70, 'emit-early'));
    pipe(exact, inputs);
    expect(read(exact)).toEqual([]);
  });

  it("counts a later update's old value beside the prior value", async () => {
    // a=1 first: prior and old are null, 8 + 1 + 1 + 22 = 32. Then a=1+2, old 1 (prior still
    // null): 8 + 1 + 1 + 3 + 22 = 35. Then a=1+2+3, old 1+2: 8 + 1 + 3 + 5 + 22 = 39.
    const over = await open(BufferConfig.maxBytes(34, 'emit-early'));
    pipe(over, [['a', '1', 1], ['a', '2', 2]]);
    expect(read(over)).toEqual(['a=1+2@2']);
    const exact = await open(BufferConfig.maxBytes(35, 'emit-early'));
    pipe(exact, [['a', '1', 1], ['a', '2', 2]]);
    expect(read(exact)).toEqual([]);
    pipe(exact, [['a', '3', 3]]);
    expect(read(exact)).toEqual(['a=1+2+3@3']);
  });

  it('counts an old value equal to the prior value once', async () => {
    // a=1 expires at stream time 41 and is emitted; x=1 is held (32 bytes); a is held again from
    // a=1+2, whose old value 1 is its prior value: 8 + 1 + 1 + 3 + 22 = 35, 67 in all.
    const inputs = [['a', '1', 1], ['x', '1', 41], ['a', '2', 42]] as const;
    const over = await open(BufferConfig.maxBytes(66, 'emit-early'));
    pipe(over, inputs);
    expect(read(over)).toEqual(['a=1@1', 'x=1@41']);
    const exact = await open(BufferConfig.maxBytes(67, 'emit-early'));
    pipe(exact, inputs);
    expect(read(exact)).toEqual(['a=1@1']);
  });

  it('fails a shut-down buffer one byte past maxBytes, naming the sizes', async () => {
    const fits = await open(BufferConfig.maxBytes(66, 'shut-down'));
    pipe(fits, [['e', '12', 45], ['d', '98', 54]]);
    expect(read(fits)).toEqual([]);
    const over = await open(BufferConfig.maxBytes(65, 'shut-down'));
    pipe(over, [['e', '12', 45]]);
    expect(() => pipe(over, [['d', '98', 54]])).toThrow(expect.objectContaining({ cause: expect.objectContaining({ code: 'SUPPRESSION_BUFFER_FULL', message: expect.stringContaining('66 bytes') }) }));
  });

  it("hands a full 'shut-down' buffer to the processing exception handler, as Kafka 3.9 does (KIP-1033)", async () => {
    // logAndFail: the task stops with a ProcessingError whose cause is the buffer's.
    const failing = await open(BufferConfig.maxRecords(1, 'shut-down'), false, logAndFail());
    pipe(failing, [['a', '1', 1]]);
    expect(() => pipe(failing, [['b', '2', 2]])).toThrow(
      expect.objectContaining({ name: 'ProcessingError', cause: expect.objectContaining({ name: 'SuppressionBufferFullError', message: expect.stringContaining('2 records') }) }),
    );
    // logAndContinue: logged and counted; the record stays buffered (Kafka buffers it before it
    // checks the bound), so the buffer, still over its bound, fails every record until entries fall due.
    const continuing = await open(BufferConfig.maxRecords(1, 'shut-down'), false, logAndContinue());
    pipe(continuing, [['a', '1', 1], ['b', '2', 2], ['c', '3', 3], ['c', '4', 45]]);
    expect(continuing.droppedRecords().get('processing-error')).toBe(2);
    // At stream time 45, a, b and c (first buffered at 1, 2 and 3: due at 41, 42 and 43) go out.
    expect(read(continuing)).toEqual(['a=1@1', 'b=2@2', 'c=3+4@45']);
  });

  it('takes bounds of 0, as Kafka does: every update is emitted at once, or fails the task', async () => {
    const records = await open(BufferConfig.maxRecords(0, 'emit-early'));
    pipe(records, [['a', '1', 1], ['a', '2', 2]]);
    expect(read(records)).toEqual(['a=1@1', 'a=1+2@2']);
    const bytes = await open(BufferConfig.maxBytes(0, 'shut-down'));
    expect(() => pipe(bytes, [['a', '1', 1]])).toThrow(expect.objectContaining({ cause: expect.objectContaining({ code: 'SUPPRESSION_BUFFER_FULL' }) }));
    expect(() => BufferConfig.maxBytes(-1)).toThrow(expect.objectContaining({ name: 'ConfigError', message: expect.stringContaining("'maxBytes'") }));
  });

  it('counts the source topic of updates a record cache flushes', async () => {
    // With the reduce's store cached, updates reach the buffer when the cache flushes (after each
    // record in the test driver), still counting the topic 'in' of the record that wrote them.
    const inputs = [['e', '12', 45], ['d', '98', 54], ['b', '72', 69]] as const;
    const over = await open(BufferConfig.maxBytes(98, 'emit-early'), true);
    pipe(over, inputs);
    expect(read(over)).toEqual(['e=12@45']);
    const exact = await open(BufferConfig.maxBytes(99, 'emit-early'), true);
    pipe(exact, inputs);
    expect(read(exact)).toEqual([]);
  });
});
