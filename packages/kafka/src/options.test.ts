import { describe, expect, it } from 'vitest';
import { ConfigError, type Logger } from '@tributary/streams';
import {
  checkThreadModuleExports,
  collectSecrets,
  redactError,
  redactingLogger,
  redactSecrets,
  resolveKafkaStreamsOptions,
  splitCloneableOptions,
  type KafkaStreamsOptions,
} from './options.js';

const base: KafkaStreamsOptions = { applicationId: 'orders-app', bootstrapServers: '127.0.0.1:9092' };

function optionError(options: Record<string, unknown>): string {
  try {
    resolveKafkaStreamsOptions({ ...base, ...options } as KafkaStreamsOptions);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('resolveKafkaStreamsOptions', () => {
  it('fills in the defaults', () => {
    const resolved = resolveKafkaStreamsOptions(base);
    expect(resolved.brokers).toEqual(['127.0.0.1:9092']);
    expect(resolved.commitIntervalMs).toBe(1000);
    expect(resolved.checkpointThresholdRecords).toBe(10_000);
    expect(resolveKafkaStreamsOptions({ ...base, checkpointThresholdRecords: 0 }).checkpointThresholdRecords).toBe(0);
    expect(resolved.processingGuarantee).toBe('at_least_once');
    expect(resolved.stateDir).toMatch(/tributary$/);
    expect(resolved.sessionTimeoutMs).toBe(10_000);
    expect(resolved.heartbeatIntervalMs).toBe(3000);
    expect(resolved.replicationFactor).toBe(-1);
  });

  it("takes a replication factor for the internal topics: -1 (the brokers' default) or 1 and up", () => {
    expect(resolveKafkaStreamsOptions({ ...base, replicationFactor: 3 }).replicationFactor).toBe(3);
    expect(resolveKafkaStreamsOptions({ ...base, replicationFactor: -1 }).replicationFactor).toBe(-1);
    for (const bad of [0, -2, 1.5, '3']) expect(optionError({ replicationFactor: bad })).toMatch(/^Option 'replicationFactor' must be -1 \(the brokers' default.replication.factor\) or a whole number of at least 1/);
  });

  it("takes maxTaskIdleMs as Kafka Streams' max.task.idle.ms: 0 by default, -1 never waits, and names it when bad", () => {
    expect(resolveKafkaStreamsOptions(base).streams.maxTaskIdleMs).toBe(0);
    expect(resolveKafkaStreamsOptions({ ...base, maxTaskIdleMs: 500 }).streams.maxTaskIdleMs).toBe(500);
    expect(resolveKafkaStreamsOptions({ ...base, maxTaskIdleMs: -1 }).streams.maxTaskIdleMs).toBe(-1);
    expect(optionError({ maxTaskIdleMs: -3 })).toMatch(/^Option 'maxTaskIdleMs' must be an integer/);
    expect(optionError({ maxTaskIdelMs: 100 })).toContain("did you mean 'maxTaskIdleMs'?");
  });

  it('commits every 100 ms by default under exactly-once, as Kafka Streams does', () => {
    const resolved = resolveKafkaStreamsOptions({ ...base, processingGuarantee: 'exactly_once' });
    expect(resolved.processingGuarantee).toBe('exactly_once');
    expect(resolved.commitIntervalMs).toBe(100);
    expect(resolveKafkaStreamsOptions({ ...base, processingGuarantee: 'exactly_once', commitIntervalMs: 2000 }).commitIntervalMs).toBe(2000);
  });

  it("takes applicationServer as 'host:port' and names it when it is not", () => {
    expect(resolveKafkaStreamsOptions(base).applicationServer).toBeUndefined();
    expect(resolveKafkaStreamsOptions({ ...base, applicationServer: 'app-1.internal:8080' }).applicationServer).toBe('app-1.internal:8080');
    expect(resolveKafkaStreamsOptions({ ...base, applicationServer: '[::1]:8080' }).applicationServer).toBe('[::1]:8080');
    for (const bad of ['localhost', 'host:0', 'host:70000', 'http://host:80', 8080]) expect(optionError({ applicationServer: bad })).toMatch(/'applicationServer' must be 'host:port'/);
  });

  it('accepts comma-separated and array brokers', () => {
    expect(resolveKafkaStreamsOptions({ ...base, bootstrapServers: 'a:1, b:2' }).brokers).toEqual(['a:1', 'b:2']);
    expect(resolveKafkaStreamsOptions({ ...base, bootstrapServers: ['a:1', '[::1]:9092'] }).brokers).toEqual(['a:1', '[::1]:9092']);
  });

  it.each([
    [{ applicationId: '' }, 'applicationId'],
    [{ bootstrapServers: '' }, 'bootstrapServers'],
    [{ bootstrapServers: 'localhost' }, 'bootstrapServers'],
    [{ bootstrapServers: ['a:1', 42] }, 'bootstrapServers'],
    [{ bootstrapServers: 'a:99999' }, 'bootstrapServers'],
    [{ stateDir: '' }, 'stateDir'],
    [{ processingGuarantee: 'at_most_once' }, 'processingGuarantee'],
    [{ commitIntervalMs: -1 }, 'commitIntervalMs'],
    [{ commitIntervalMs: 1.5 }, 'commitIntervalMs'],
    [{ checkpointThresholdRecords: -1 }, 'checkpointThresholdRecords'],
    [{ checkpointThresholdRecords: '10000' }, 'checkpointThresholdRecords'],
    [{ cacheMaxBytes: 'big' }, 'cacheMaxBytes'],
    [{ numPartitionsForInternalTopics: 3 }, 'numPartitionsForInternalTopics'],
    [{ kafka: 'x' }, 'kafka'],
    [{ kafka: { brokers: ['a:1'] } }, 'kafka.brokers'],
    [{ kafka: { clientId: 3 } }, 'kafka.clientId'],
    [{ kafka: { ssl: 'yes' } }, 'kafka.ssl'],
    [{ kafka: { sasl: { username: 'u' } } }, 'kafka.sasl'],
    [{ kafka: { connectionTimeout: 0 } }, 'kafka.connectionTimeout'],
    [{ consumer: { sessionTimeoutMs: 10 } }, 'consumer.sessionTimeoutMs'],
    [{ consumer: { sessionTimeoutMs: 6000, heartbeatIntervalMs: 6000 } }, 'consumer.heartbeatIntervalMs'],
    [{ consumer: { pollMs: 1 } }, 'consumer.pollMs'],
    [{ consumer: { partitionFetchMaxBytes: 0 } }, 'consumer.partitionFetchMaxBytes'],
    [{ consumer: { partitionFetchMaxBytes: 2 ** 31 } }, 'consumer.partitionFetchMaxBytes'],
    [{ consumer: { fetchMaxBytes: '4MB' } }, 'consumer.fetchMaxBytes'],
    [{ defaultKeySerde: {} }, 'defaultKeySerde'],
    [{ logger: 'console' }, 'logger'],
  ])('names the bad option in %j', (options, name) => {
    expect(optionError(options)).toContain(`'${name}'`);
  });

  it('names kafka.sasl.mechanism and lists the supported mechanisms when it is unknown', () => {
    const message = optionError({ kafka: { sasl: { mechanism: 'gssapi', username: 'u', password: 'secret-pw' } } });
    expect(message).toContain("'kafka.sasl.mechanism'");
    expect(message).toContain('"gssapi"');
    for (const mechanism of ['plain', 'scram-sha-256', 'scram-sha-512', 'aws', 'oauthbearer']) expect(message).toContain(`'${mechanism}'`);
    expect(message).not.toContain('secret-pw');
    expect(() => resolveKafkaStreamsOptions({ ...base, kafka: { sasl: { mechanism: 'SCRAM-SHA-256', username: 'u', password: 'p' } } } as never)).not.toThrow();
  });

  it('refuses a key that is no option, naming the closest one, before any other check', () => {
    expect(optionError({ bootstrapServer: 'x' })).toMatch(/^Unknown KafkaStreams option 'bootstrapServer'; did you mean 'bootstrapServers'\? The options are 'applicationId', .*'numStandbyReplicas'.*; put settings of your own for processors in 'appConfigs'\.$/);
    expect(optionError({ numStreamThread: 2 })).toContain("did you mean 'numStreamThreads'?");
    expect(optionError({ cacheMaxByte: 0 })).toContain("did you mean 'cacheMaxBytes'?");
    expect(optionError({ inputTopic: 'in' })).toMatch(/^Unknown KafkaStreams option 'inputTopic'\. /);
    expect(resolveKafkaStreamsOptions({ ...base, appConfigs: { inputTopic: 'in' } }).streams.appConfigs['inputTopic']).toBe('in');
  });

  it("names Java's exactly_once_beta as 'exactly_once_v2'", () => {
    expect(optionError({ processingGuarantee: 'exactly_once_beta' })).toMatch(/'at_least_once', 'exactly_once' or 'exactly_once_v2'.*exactly_once_beta is 'exactly_once_v2'/);
  });

  it("refuses exactly_once_v2 on kafkajs, which cannot send group-fenced offset commits, and on a client that does not say it can", () => {
    const kafkajs = optionError({ processingGuarantee: 'exactly_once_v2' });
    expect(kafkajs).toContain('kafkajs cannot send them');
    expect(kafkajs).toContain('TxnOffsetCommit v3');
    expect(kafkajs).toContain("platformaticClient({ brokers }) from '@tributary/kafka/platformatic'");
    expect(kafkajs).toContain("or 'exactly_once'");
    const supplier = { name: 'mine', consumer: () => {}, producer: () => {}, transactionalProducer: () => {}, admin: () => {}, shutdown: () => {} };
    expect(optionError({ processingGuarantee: 'exactly_once_v2', client: supplier })).toContain("the client 'mine' does not say it sends them");
    const fencing = { ...supplier, groupFencedOffsetCommits: true } as unknown as KafkaStreamsOptions['client'];
    const resolved = resolveKafkaStreamsOptions({ ...base, processingGuarantee: 'exactly_once_v2', client: fencing });
    expect(resolved.processingGuarantee).toBe('exactly_once_v2');
    expect(resolved.commitIntervalMs).toBe(100);
  });

  it("sizes the kafkajs client's fetches from consumer.partitionFetchMaxBytes and consumer.fetchMaxBytes, and leaves another client's to it", () => {
    expect(resolveKafkaStreamsOptions(base).fetchSizes).toEqual({ partitionMaxBytes: 131_072, maxBytes: 4_194_304 });
    expect(resolveKafkaStreamsOptions({ ...base, consumer: { partitionFetchMaxBytes: 1_048_576, fetchMaxBytes: 52_428_800 } }).fetchSizes).toEqual({
      partitionMaxBytes: 1_048_576,
      maxBytes: 52_428_800,
    });
    expect(optionError({ consumer: { fetchMaxBytes: 1.5 } })).toMatch(/'consumer\.fetchMaxBytes' must be a whole number of bytes from 1 to 2147483647, got 1\.5/);
    const supplier = { name: 'mine', consumer: () => {}, producer: () => {}, transactionalProducer: () => {}, admin: () => {}, shutdown: () => {} };
    expect(optionError({ client: supplier, consumer: { partitionFetchMaxBytes: 65_536 } })).toMatch(
      /'consumer\.partitionFetchMaxBytes' sizes the fetches of the default kafkajs client; the option 'client' \('mine'\) takes its own/,
    );
  });

  it('keeps secrets out of appConfigs', () => {
    const resolved = resolveKafkaStreamsOptions({ ...base, kafka: { sasl: { mechanism: 'plain', username: 'me', password: 'hunter2-secret' } } });
    expect(JSON.stringify(resolved.streams.appConfigs)).not.toContain('hunter2-secret');
    expect(resolved.kafka.sasl).toMatchObject({ password: 'hunter2-secret' });
  });
});

describe('secret redaction', () => {
  const kafka = {
    sasl: { mechanism: 'scram-sha-512' as const, username: 'svc', password: 'p4ssw0rd!' },
    ssl: { key: '-----BEGIN PRIVATE KEY-----abc', passphrase: 'keypass', ca: ['public-ca'] },
  };

  it('collects SASL passwords and TLS keys, not public values', () => {
    const secrets = collectSecrets(kafka);
    expect(secrets).toEqual(expect.arrayContaining(['p4ssw0rd!', '-----BEGIN PRIVATE KEY-----abc', 'keypass']));
    expect(secrets).not.toContain('public-ca');
    expect(secrets).not.toContain('svc');
  });

  it('scrubs messages, fields, errors and their causes', () => {
    const secrets = collectSecrets(kafka);
    expect(redactSecrets('auth failed for p4ssw0rd! with keypass', secrets)).toBe('auth failed for [redacted] with [redacted]');
    const lines: string[] = [];
    const sink: Logger = {
      debug: (message, fields) => lines.push(message + JSON.stringify(fields ?? {})),
      info: (message, fields) => lines.push(message + JSON.stringify(fields ?? {})),
      warn: (message, fields) => lines.push(message + JSON.stringify(fields ?? {})),
      error: (message, fields) => lines.push(message + JSON.stringify(fields ?? {})),
    };
    const logger = redactingLogger(sink, secrets);
    logger.error('connect p4ssw0rd!', { config: { password: 'p4ssw0rd!', nested: ['keypass'] } });
    logger.warn('plain');
    expect(lines.join('\n')).not.toMatch(/p4ssw0rd!|keypass/);
    expect(lines[1]).toBe('plain{}');
    const error = redactError(new Error('bad p4ssw0rd!', { cause: new Error('key keypass') }), secrets);
    expect(error.message).toBe('bad [redacted]');
    expect((error.cause as Error).message).toBe('key [redacted]');
    expect(error.stack).not.toContain('p4ssw0rd!');
  });

  it('never quotes a secret in a validation error', () => {
    const message = optionError({ kafka: { ...kafka, clientId: 7 } });
    expect(message).toContain('kafka.clientId');
    expect(message).not.toMatch(/p4ssw0rd!|keypass/);
    const logged: string[] = [];
    const sink: Logger = { debug: () => {}, info: () => {}, warn: () => {}, error: (loggedMessage, fields) => logged.push(loggedMessage + JSON.stringify(fields)) };
    const resolved = resolveKafkaStreamsOptions({ ...base, kafka, logger: sink });
    resolved.streams.logger.error('broker said p4ssw0rd!', { sasl: kafka.sasl });
    expect(logged.join()).not.toContain('p4ssw0rd!');
  });
});

describe('stream thread options', () => {
  const createTopology = (): unknown => ({});

  it('run one thread by default, and resolve the thread module to a file: URL', () => {
    expect(resolveKafkaStreamsOptions(base)).toMatchObject({ numStreamThreads: 1, threadModule: undefined });
    const resolved = resolveKafkaStreamsOptions({ ...base, numStreamThreads: 4, threadModule: 'app/topology.js' });
    expect(resolved.numStreamThreads).toBe(4);
    expect(resolved.threadModule).toMatch(/^file:\/\/.*\/app\/topology\.js$/);
    expect(resolveKafkaStreamsOptions({ ...base, numStreamThreads: 2, threadModule: new URL('file:///srv/topology.mjs') }).threadModule).toBe('file:///srv/topology.mjs');
  });

  it.each([
    [{ numStreamThreads: 0 }, /'numStreamThreads' must be an integer of at least 1, got 0/],
    [{ numStreamThreads: 1.5 }, /'numStreamThreads' must be an integer/],
    [{ numStreamThreads: 65, threadModule: 'a.js' }, /'numStreamThreads' must be at most 64, got 65/],
    [{ numStreamThreads: 2 }, /'threadModule' is required when 'numStreamThreads' is above 1: .*functions and topologies cannot be sent/],
    [{ numStreamThreads: 2, threadModule: 'https://example.com/t.js' }, /'threadModule' must be a file path or a file: URL/],
    [{ numStreamThreads: 2, threadModule: 42 }, /'threadModule' must be a file path or a file: URL of an ES module, got number/],
  ])('rejects %j', (options, message) => {
    expect(optionError(options)).toMatch(message);
  });

  it('leaves out, and names, the options a worker thread cannot receive', () => {
    const logger: Logger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };
    const split = splitCloneableOptions({
      ...base,
      numStreamThreads: 2,
      threadModule: 'a.js',
      logger,
      processingExceptionHandler: () => ({ action: 'continue' }),
      kafka: { clientId: 'orders', logCreator: () => () => {}, ssl: { ca: ['public-ca'] } },
      consumer: { sessionTimeoutMs: 6000 },
      appConfigs: { inputTopic: 'orders' },
    });
    expect(split.omitted).toEqual(['logger', 'processingExceptionHandler', 'kafka.logCreator']);
    expect(split.cloneable).toEqual({
      ...base,
      kafka: { clientId: 'orders', ssl: { ca: ['public-ca'] } },
      consumer: { sessionTimeoutMs: 6000 },
      appConfigs: { inputTopic: 'orders' },
    });
  });

  it('treats an object with methods (a serde) as one option to give from createOptions()', () => {
    class UpperSerde {
      serialize(): Buffer {
        return Buffer.alloc(0);
      }
    }
    expect(splitCloneableOptions({ ...base, defaultValueSerde: new UpperSerde() as never }).omitted).toEqual(['defaultValueSerde']);
  });

  it('needs createTopology, and createOptions for the options left out other than the logger', () => {
    expect(() => checkThreadModuleExports({}, [], 'file:///t.js')).toThrow(/'threadModule' \(file:\/\/\/t\.js\) must export a function createTopology\(\)/);
    expect(() => checkThreadModuleExports({ createTopology }, ['logger'], 'file:///t.js')).not.toThrow();
    const error = (() => {
      try {
        checkThreadModuleExports({ createTopology }, ['logger', 'processingExceptionHandler', 'kafka.logCreator'], 'file:///t.js');
      } catch (caught) {
        return caught as Error;
      }
      throw new Error('expected a ConfigError');
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toContain("must export createOptions(), because these options cannot be sent to worker threads: 'processingExceptionHandler', 'kafka.logCreator'");
    expect(() => checkThreadModuleExports({ createTopology, createOptions: () => ({}) }, ['processingExceptionHandler'], 'file:///t.js')).not.toThrow();
  });
});
