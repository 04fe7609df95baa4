/** `KafkaStreams` without a broker: what printing it shows, and how it fails to reach brokers that are not there. */
import { createServer, type Server, type Socket } from 'node:net';
import { inspect } from 'node:util';
import { describe, expect, it, onTestFinished } from 'vitest';
import { ConfigError, Consumed, Produced, Serdes, StreamsBuilder, silentLogger, type Topology } from '@tributary/streams';
import { BrokerUnreachableError } from './errors.js';
import { KafkaStreams } from './kafka-streams.js';
import { resolveKafkaStreamsOptions, type KafkaStreamsOptions } from './options.js';

const password = 'hunter2-very-secret';
const sslKey = '-----BEGIN PRIVATE KEY-----abc';

function pipeTopology(): Topology {
  const builder = new StreamsBuilder();
  builder.stream('in', Consumed.with(Serdes.String(), Serdes.String())).to('out', Produced.with(Serdes.String(), Serdes.String()));
  return builder.build();
}

const secretOptions: KafkaStreamsOptions = {
  applicationId: 'orders-app',
  bootstrapServers: '127.0.0.1:9092',
  logger: silentLogger,
  kafka: { sasl: { mechanism: 'plain', username: 'svc', password }, ssl: { key: sslKey } },
};

/** A TCP server on loopback that accepts connections and never answers; closed when the test ends (`onFinished` is the test's own hook, for concurrent tests). */
async function silentServer(onFinished: typeof onTestFinished = onTestFinished): Promise<{ server: Server; port: number; sockets: Set<Socket> }> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    // Read (and ignore) what clients send, so that their end of the connection is seen.
    socket.resume();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onFinished(() => {
    for (const socket of sockets) socket.destroy();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return { server, port: (server.address() as { port: number }).port, sockets };
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('printing a KafkaStreams or its options', () => {
  it('util.inspect and JSON.stringify of the app never show the client secrets', () => {
    const app = new KafkaStreams(pipeTopology(), secretOptions);
    const printed = [inspect(app, { depth: 20 }), JSON.stringify(app), inspect(app, { depth: 20, showHidden: true }), String(JSON.stringify({ app }))];
    for (const text of printed) {
      expect(text).not.toContain(password);
      expect(text).not.toContain(sslKey);
      expect(text).toContain('orders-app');
    }
    expect(JSON.parse(JSON.stringify(app))).toMatchObject({ applicationId: 'orders-app', state: 'CREATED', options: { kafka: { sasl: { username: 'svc', password: '[redacted]' } } } });
  });

  it('util.inspect and JSON.stringify of the resolved options never show the client secrets', () => {
    const resolved = resolveKafkaStreamsOptions(secretOptions);
    for (const text of [inspect(resolved, { depth: 20 }), JSON.stringify(resolved)]) {
      expect(text).not.toContain(password);
      expect(text).not.toContain(sslKey);
      expect(text).toContain('[redacted]');
    }
    // The runtime still has them, to connect with.
    expect((resolved.kafka.sasl as { password: string }).password).toBe(password);
  });
});

describe('start() when the brokers cannot be reached', () => {
  // Each waits out start()'s 30 s connect budget: run side by side.
  it.concurrent('fails against a server that accepts connections but never answers, saying so, and leaves no connection open', { timeout: 60_000 }, async ({ expect, onTestFinished: onFinished }) => {
    const { port, sockets } = await silentServer(onFinished);
    const app = new KafkaStreams(pipeTopology(), { ...secretOptions, bootstrapServers: `127.0.0.1:${port}`, kafka: { requestTimeout: 1000 } });
    const started = Date.now();
    const error = await app.start().catch((caught: unknown) => caught);
    expect(Date.now() - started).toBeLessThan(40_000);
    expect(error).toBeInstanceOf(BrokerUnreachableError);
    expect((error as Error).message).toContain(`127.0.0.1:${port}`);
    expect((error as Error).message).toContain('accepted but nothing answered');
    await app.close();
    // The server sees every connection of the application closed.
    const deadline = Date.now() + 5000;
    while (sockets.size > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(sockets.size).toBe(0);
  });

  // Each waits out start()'s 30 s connect budget: run side by side.
  it.concurrent('names the address and says nothing listens there when the connection is refused', { timeout: 60_000 }, async ({ expect }) => {
    const port = await freePort();
    const app = new KafkaStreams(pipeTopology(), { ...secretOptions, bootstrapServers: `127.0.0.1:${port}`, kafka: {} });
    const error = await app.start().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(BrokerUnreachableError);
    expect((error as Error).message).toContain(`127.0.0.1:${port}`);
    expect((error as Error).message, (error as Error).message).toContain('ECONNREFUSED');
    expect((error as Error).message).toContain('Nothing listens at');
    await app.close();
  });

  it('close() during the connect settles start() at once with a clear error, and leaves no connection open', { timeout: 30_000 }, async () => {
    const { port, sockets } = await silentServer();
    const app = new KafkaStreams(pipeTopology(), { ...secretOptions, bootstrapServers: `127.0.0.1:${port}`, kafka: {} });
    const start = app.start().catch((caught: unknown) => caught);
    while (sockets.size === 0) await new Promise((resolve) => setTimeout(resolve, 20));
    const began = Date.now();
    await app.close();
    const error = await start;
    expect(Date.now() - began).toBeLessThan(2000);
    expect((error as Error).message).toMatch(/closed while starting/);
    expect(app.state).toBe('NOT_RUNNING');
    const deadline = Date.now() + 5000;
    while (sockets.size > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(sockets.size).toBe(0);
  });
});

describe('KafkaStreams with exactly_once_v2', () => {
  it('fails at construction on the default kafkajs client, which cannot send group-fenced offset commits', () => {
    const construct = (): KafkaStreams => new KafkaStreams(pipeTopology(), { applicationId: 'orders-app', bootstrapServers: '127.0.0.1:9092', logger: silentLogger, processingGuarantee: 'exactly_once_v2' });
    expect(construct).toThrow(ConfigError);
    expect(construct).toThrow(/kafkajs cannot send them \(it speaks TxnOffsetCommit v0 and v1 only\)\. Use the @platformatic\/kafka client/);
  });
});
