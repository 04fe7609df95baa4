/**
 * The streams configuration: every bad option is rejected once, at construction, with a message
 * that names it; defaults are filled in; and the error classes carry their code, name and cause.
 */
import { describe, expect, it, vi } from 'vitest';
import { resolveStreamsConfig, type StreamsConfig } from './config.js';
import { logAndFail } from './errors/handlers.js';
import {
  ConfigError,
  DeserializationError,
  ProcessingError,
  SerializationError,
  StateStoreError,
  StreamsError,
  TopologyError,
} from './errors/streams-error.js';
import { consoleLogger, silentLogger } from './logger.js';
import { Headers } from './processor/headers.js';
import { StreamRecord } from './processor/stream-record.js';
import { recordTimestampExtractor } from './processor/timestamp-extractor.js';
import { Serdes } from './serde/serdes.js';

/** The brand another copy of the package puts on its errors: the same global symbol. */
const foreignBrand: unique symbol = Symbol.for('tributary.error');

/** Resolves `config` and returns the ConfigError it throws. */
function configError(config: unknown): ConfigError {
  try {
    resolveStreamsConfig(config as StreamsConfig);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error(`expected ${JSON.stringify(config)} to be rejected`);
}

describe('resolveStreamsConfig', () => {
  describe('rejects', () => {
    it('a configuration that is not an object', () => {
      expect(configError(null).message).toContain('applicationId');
      expect(configError('app').message).toContain('applicationId');
    });

    it.each([
      ['missing', {}],
      ['empty', { applicationId: '' }],
      ['with spaces', { applicationId: 'my app' }],
      ['with a slash', { applicationId: 'team/app' }],
      ['not a string', { applicationId: 42 }],
    ])('an applicationId that is %s', (_case, config) => {
      const error = configError(config);
      expect(error.message).toContain("Option 'applicationId'");
      expect(error.code).toBe('CONFIG_INVALID');
    });

    it.each(['deserializationExceptionHandler', 'processingExceptionHandler', 'productionExceptionHandler', 'defaultTimestampExtractor'])(
      'a %s that is not a function',
      (option) => {
        expect(configError({ applicationId: 'app', [option]: 'logAndContinue' }).message).toBe(`Option '${option}' must be a function, got string.`);
        expect(configError({ applicationId: 'app', [option]: { action: 'continue' } }).message).toContain(`'${option}'`);
      },
    );

    it.each(['defaultKeySerde', 'defaultValueSerde'])('a %s that is not a serde', (option) => {
      for (const bad of ['string', null, {}, { serialize: () => Buffer.alloc(0) }, Serdes.String]) {
        const error = configError({ applicationId: 'app', [option]: bad });
        expect(error.message).toContain(`Option '${option}' must be a Serde`);
      }
    });

    it('a key that is no option (a misspelling, from JavaScript), naming the closest option', () => {
      const misspelt = configError({ applicationId: 'app', cacheMaxByte: 0 });
      expect(misspelt.code).toBe('CONFIG_INVALID');
      expect(misspelt.message).toMatch(/^Unknown streams config option 'cacheMaxByte'; did you mean 'cacheMaxBytes'\? The options are 'applicationId', /);
      expect(misspelt.message).toContain("put settings of your own for processors in 'appConfigs'");
      expect(configError({ applicationId: 'app', defaultkeyserde: Serdes.String() }).message).toContain("did you mean 'defaultKeySerde'?");
      expect(configError({ applicationId: 'app', 'my.setting': 5 }).message).toMatch(/^Unknown streams config option 'my\.setting'\. The options are /);
      expect(configError({ applicationId: 'app', appConfigs: [1] }).message).toBe("Option 'appConfigs' must be an object of settings for processors, got an array.");
    });

    it.each(['prefixed', '0.0', 1, null])('an upgradeFrom that is no older format (%s), naming the one there is', (bad) => {
      const error = configError({ applicationId: 'app', upgradeFrom: bad });
      expect(error.message).toBe(
        `Option 'upgradeFrom' must be 'prefixed-changelogs' (while changelogs may hold records of a pre-0.1 Tributary build) or absent (Kafka Streams' formats only), got ${JSON.stringify(bad)}.`,
      );
    });

    it('a logger without the four methods, naming the missing one', () => {
      expect(configError({ applicationId: 'app', logger: {} }).message).toBe("Option 'logger' must have a 'debug' method.");
      const { error: _error, ...noError } = silentLogger;
      expect(configError({ applicationId: 'app', logger: noError }).message).toBe("Option 'logger' must have a 'error' method.");
      expect(configError({ applicationId: 'app', logger: console.log }).message).toContain("Option 'logger'");
      expect(configError({ applicationId: 'app', logger: null }).message).toContain('use silentLogger');
    });

    it('a maxTaskIdleMs that is not an integer of -1 or more', () => {
      for (const bad of [-2, 1.5, '100', Number.NaN, Number.POSITIVE_INFINITY]) {
        expect(configError({ applicationId: 'app', maxTaskIdleMs: bad }).message).toMatch(/^Option 'maxTaskIdleMs' must be an integer number of milliseconds, 0 or more .* or -1 \(never wait/);
      }
    });
  });

  it('fills in the defaults', () => {
    const resolved = resolveStreamsConfig({ applicationId: 'orders-app.v2_1' });
    expect(resolved.applicationId).toBe('orders-app.v2_1');
    expect(resolved.defaultKeySerde).toBeUndefined();
    expect(resolved.defaultValueSerde).toBeUndefined();
    expect(resolved.defaultTimestampExtractor).toBe(recordTimestampExtractor);
    expect(resolved.logger).toBe(consoleLogger);
    expect(resolved.upgradeFrom).toBeUndefined();
    // Kafka's default: wait for records already on the broker, not for new ones.
    expect(resolved.maxTaskIdleMs).toBe(0);
    expect(resolveStreamsConfig({ applicationId: 'app', maxTaskIdleMs: -1 }).maxTaskIdleMs).toBe(-1);
    expect(resolveStreamsConfig({ applicationId: 'app', maxTaskIdleMs: 250 }).maxTaskIdleMs).toBe(250);
    expect(resolved.appConfigs).toEqual({ applicationId: 'orders-app.v2_1' });
    for (const handler of [resolved.deserializationExceptionHandler, resolved.processingExceptionHandler, resolved.productionExceptionHandler]) {
      expect(typeof handler).toBe('function');
    }
  });

  it('defaults every handler to log and continue, through the configured logger', () => {
    const logger = { debug: vi.fn(), info: vi.fn(), warn: vi.fn(), error: vi.fn() };
    const resolved = resolveStreamsConfig({ applicationId: 'app', logger });
    const context = {
      taskId: { subtopology: 0, partition: 3 },
      topic: 'in',
      partition: 3,
      offset: 9,
      processorNodeName: 'node',
      sourceRawKey: null,
      sourceRawValue: null,
      headers: new Headers(),
      timestamp: 1,
      logger: resolved.logger,
    };
    const record = new StreamRecord<unknown, unknown>(null, null, 1);
    expect(resolved.deserializationExceptionHandler(context, new Error('bad bytes'))).toEqual({ action: 'continue' });
    expect(resolved.processingExceptionHandler(context, record, new Error('bad logic'))).toEqual({ action: 'continue' });
    expect(resolved.productionExceptionHandler(context, record, new Error('bad output'))).toEqual({ action: 'continue' });
    expect(logger.warn.mock.calls.map((call) => call[0])).toEqual(['Skipping record: bad bytes', 'Skipping record: bad logic', 'Skipping record: bad output']);
    expect(logger.warn.mock.calls[0]![1]).toEqual({ task: '0_3', node: 'node', topic: 'in', partition: 3, offset: 9 });
  });

  it('keeps what was given, and hands every option to processors as appConfigs', () => {
    const extractor = (): number => 7;
    const handler = logAndFail();
    const config: StreamsConfig = {
      applicationId: 'app',
      defaultKeySerde: Serdes.String(),
      defaultValueSerde: Serdes.Json(),
      defaultTimestampExtractor: extractor,
      deserializationExceptionHandler: handler,
      processingExceptionHandler: handler,
      productionExceptionHandler: handler,
      logger: silentLogger,
      upgradeFrom: 'prefixed-changelogs',
      appConfigs: { 'my.setting': 5 },
    };
    const resolved = resolveStreamsConfig(config);
    expect(resolved.defaultKeySerde).toBe(Serdes.String());
    expect(resolved.defaultValueSerde).toBe(Serdes.Json());
    expect(resolved.defaultTimestampExtractor).toBe(extractor);
    expect(resolved.deserializationExceptionHandler).toBe(handler);
    expect(resolved.processingExceptionHandler).toBe(handler);
    expect(resolved.productionExceptionHandler).toBe(handler);
    expect(resolved.logger).toBe(silentLogger);
    expect(resolved.upgradeFrom).toBe('prefixed-changelogs');
    // Stores read it there: a timestamped store's changelog format.
    expect(resolved.appConfigs['upgradeFrom']).toBe('prefixed-changelogs');
    expect(resolved.appConfigs['my.setting']).toBe(5);
    expect(resolved.appConfigs['defaultKeySerde']).toBe(Serdes.String());
  });
});

describe('StreamsError', () => {
  it('recognizes its own errors by brand, and nothing else', () => {
    expect(StreamsError.isInstance(new ConfigError('x'))).toBe(true);
    expect(StreamsError.isInstance(new StreamsError('CUSTOM', 'x'))).toBe(true);
    expect(StreamsError.isInstance(new Error('x'))).toBe(false);
    expect(StreamsError.isInstance(null)).toBe(false);
    expect(StreamsError.isInstance(undefined)).toBe(false);
    expect(StreamsError.isInstance('ConfigError')).toBe(false);
    expect(StreamsError.isInstance({ code: 'CONFIG_INVALID', name: 'ConfigError' })).toBe(false);
  });

  it('recognizes an error from another copy of the package, which shares only the brand', () => {
    // What a duplicate install's error looks like from here: a different class, the same global symbol.
    class ForeignError extends Error {
      readonly [foreignBrand] = true;
      readonly code = 'CONFIG_INVALID';
    }
    const foreign = new ForeignError('from the other copy');
    expect(foreign).not.toBeInstanceOf(StreamsError);
    expect(StreamsError.isInstance(foreign)).toBe(true);
  });

  it.each([
    ['TopologyError', TopologyError, 'TOPOLOGY_INVALID'],
    ['ConfigError', ConfigError, 'CONFIG_INVALID'],
    ['DeserializationError', DeserializationError, 'DESERIALIZATION_FAILED'],
    ['SerializationError', SerializationError, 'SERIALIZATION_FAILED'],
    ['ProcessingError', ProcessingError, 'PROCESSING_FAILED'],
    ['StateStoreError', StateStoreError, 'STATE_STORE_INVALID'],
  ] as const)('%s has a stable code, its own name and the cause', (_name, ErrorClass, code) => {
    const cause = new RangeError('underlying');
    const error = new ErrorClass('what went wrong; how to fix it', { cause });
    expect(error).toBeInstanceOf(StreamsError);
    expect(error).toBeInstanceOf(Error);
    expect(StreamsError.isInstance(error)).toBe(true);
    expect(error.code).toBe(code);
    expect(error.name).toBe(ErrorClass.name);
    expect(error.message).toBe('what went wrong; how to fix it');
    expect(error.cause).toBe(cause);
    expect(error.stack).toContain(ErrorClass.name);
  });

  it('leaves cause unset when none is given', () => {
    const error = new ConfigError('x');
    expect(error.cause).toBeUndefined();
    expect('cause' in error).toBe(false);
    const root = new StreamsError('MY_CODE', 'y');
    expect(root.name).toBe('StreamsError');
    expect(root.code).toBe('MY_CODE');
  });
});
