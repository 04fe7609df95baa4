import { describe, expect, it, vi } from 'vitest';
import { Consumed, Serdes, StreamsBuilder, type Logger } from '../../index.js';
import { TopologyTestDriver } from '../../test-utils/index.js';
import { TimeWindows } from '../../kstream/windows.js';
import { DROP_WARNING_INTERVAL_MS, DropWarnings } from './drop-warnings.js';
import { TaskMetrics } from './task-metrics.js';

function spyLogger() {
  return { debug: vi.fn(), info: vi.fn(), warn: vi.fn(), error: vi.fn() } satisfies Logger;
}

describe('DropWarnings', () => {
  it('warns at the first drop of a reason, then at most once per interval with the count since the last warning', () => {
    let now = 1_000;
    const metrics = new TaskMetrics();
    const warnings = new DropWarnings(metrics, spyLogger(), '0_1', () => now);
    expect(warnings.count('late-record')).toBe(1);
    expect(warnings.count('late-record')).toBe(0);
    now += DROP_WARNING_INTERVAL_MS - 1;
    expect(warnings.count('late-record')).toBe(0);
    expect(warnings.count('null-key')).toBe(1); // each reason on its own
    now += 1;
    expect(warnings.count('late-record')).toBe(3); // the two kept quiet, and this one
    expect(warnings.count('late-record')).toBe(0);
    expect(metrics.dropped).toEqual(new Map([['late-record', 5], ['null-key', 1]]));
  });

  it('warns again when the clock goes back (a test driver reset, a wall-clock jump)', () => {
    let now = 50_000;
    const warnings = new DropWarnings(new TaskMetrics(), spyLogger(), '0_0', () => now);
    expect(warnings.count('null-value')).toBe(1);
    now = 10_000;
    expect(warnings.count('null-value')).toBe(1);
  });

  it('names the task, the reason and the count in the warning', () => {
    const logger = spyLogger();
    const warnings = new DropWarnings(new TaskMetrics(), logger, '2_3', () => 0);
    warnings.warn(7, 'late-record', 'Windowed aggregation skipped a record for an expired window [0,60000].', { timestamp: 5 });
    expect(logger.warn).toHaveBeenCalledWith(
      "Windowed aggregation skipped a record for an expired window [0,60000]. 7 records dropped as 'late-record' by this task since the previous such warning. (At most one such warning per task every 10 s; every drop is counted in the metrics.)",
      { timestamp: 5, taskId: '2_3', reason: 'late-record', dropped: 7 },
    );
  });
});

describe('late records', () => {
  it('are dropped, counted, and logged at warn: one line per task per 10 s of wall clock, with the count', () => {
    const builder = new StreamsBuilder();
    builder
      .stream('clicks', Consumed.with(Serdes.String(), Serdes.String()))
      .groupByKey()
      .windowedBy(TimeWindows.ofSizeWithNoGrace(60_000))
      .count();
    const logger = spyLogger();
    const driver = new TopologyTestDriver(builder.build(), { applicationId: 'late', logger }, { initialWallClockTime: 700_000 });
    try {
      const input = driver.createInputTopic('clicks', Serdes.String(), Serdes.String());
      input.pipeInput('a', 'x', 600_000); // stream time 10 min: the windows before [600000, 660000) are closed
      for (let index = 0; index < 5; index++) input.pipeInput('a', 'late', 1_000 + index);
      expect(driver.droppedRecords().get('late-record')).toBe(5);
      expect(logger.warn).toHaveBeenCalledTimes(1);
      const [message, fields] = logger.warn.mock.calls[0]!;
      expect(message).toMatch(/^Windowed aggregation skipped a record for an expired window \[0,60000\]: windows ending at or before 600000 \(its stream time minus the grace period\) are closed\. \(At most one such warning/);
      expect(fields).toMatchObject({ taskId: '0_0', reason: 'late-record', dropped: 1, timestamp: 1_000, source: 'clicks-0 at offset 1', streamTime: 600_000 });

      driver.advanceWallClockTime(DROP_WARNING_INTERVAL_MS);
      input.pipeInput('a', 'late', 2_000);
      expect(driver.droppedRecords().get('late-record')).toBe(6);
      expect(logger.warn).toHaveBeenCalledTimes(2);
      expect(logger.warn.mock.calls[1]![0]).toContain("5 records dropped as 'late-record' by this task since the previous such warning.");
      expect(logger.warn.mock.calls[1]![1]).toMatchObject({ dropped: 5, timestamp: 2_000 });
      expect(logger.debug).not.toHaveBeenCalled();
    } finally {
      driver.close();
    }
  });

  it('so are records a table source drops for their null key, which were counted but never logged', () => {
    const builder = new StreamsBuilder();
    builder.table('products', Consumed.with(Serdes.String(), Serdes.String()));
    const logger = spyLogger();
    const driver = new TopologyTestDriver(builder.build(), { applicationId: 'null-keys', logger }, { initialWallClockTime: 0 });
    try {
      const input = driver.createInputTopic('products', Serdes.String(), Serdes.String());
      input.pipeInput(null, 'no key', 1);
      input.pipeInput(null, 'no key either', 2);
      expect(driver.droppedRecords().get('null-key')).toBe(2);
      expect(logger.warn).toHaveBeenCalledTimes(1);
      expect(logger.warn.mock.calls[0]![0]).toMatch(/^Table source skipped a record with a null key\./);
      expect(logger.warn.mock.calls[0]![1]).toMatchObject({ reason: 'null-key', dropped: 1, source: 'products-0 at offset 0' });
    } finally {
      driver.close();
    }
  });
});
