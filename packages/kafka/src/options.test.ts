import { describe, expect, it } from 'vitest';
import { ConfigError, type Logger } from '@tributary/streams';
import { collectSecrets, redactError, redactingLogger, redactSecrets, resolveKafkaStreamsOptions, type KafkaStreamsOptions } from './options.js';

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
    expect(resolved.processingGuarantee).toBe('at_least_once');
    expect(resolved.stateDir).toMatch(/tributary$/);
    expect(resolved.sessionTimeoutMs).toBe(30_000);
    expect(resolved.heartbeatIntervalMs).toBe(3000);
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

  it('says exactly-once comes later', () => {
    expect(optionError({ processingGuarantee: 'exactly_once' })).toMatch(/exactly_once.*later version/);
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
    const sink: Logger = { debug: () => {}, info: () => {}, warn: () => {}, error: (message, fields) => logged.push(message + JSON.stringify(fields)) };
    const resolved = resolveKafkaStreamsOptions({ ...base, kafka, logger: sink });
    resolved.streams.logger.error('broker said p4ssw0rd!', { sasl: kafka.sasl });
    expect(logged.join()).not.toContain('p4ssw0rd!');
  });
});
