/** `KafkaStreams` without a broker: what printing it shows, and how it fails to reach brokers that are not there. */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import { ConfigError, Consumed, Produced, Serdes, StreamsBuilder, silentLogger, type Topology } from '@tributary/streams';
import { FakeKafkaCluster } from './client/testing/fake-kafka-cluster.js';
import { BrokerUnreachableError, StateDirectoryLockedError } from './errors.js';
import { PROCESS_FILE_NAME } from './internal/process-id.js';
import { countTopology } from './internal/thread/thread-test-kit.js';
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
  // Each waits out start()'s 30 s connect budget: run side by side, asserting through its own
  // test context's expect, as vitest asks of concurrent tests.
  it.concurrent('fails against a server that accepts connections but never answers, saying so, and leaves no connection open', { timeout: 90_000 }, async (context) => {
    const { port, sockets } = await silentServer(context.onTestFinished);
    const app = new KafkaStreams(pipeTopology(), { ...secretOptions, bootstrapServers: `127.0.0.1:${port}`, kafka: { requestTimeout: 1000 } });
    const started = Date.now();
    const error = await app.start().catch((caught: unknown) => caught);
    // start()'s connect budget is 30 s; the margin is for a loaded machine's timers (a CI run
    // sharing two cores took 43 s once). What this guards is that start() fails, not hangs.
    context.expect(Date.now() - started).toBeLessThan(55_000);
    context.expect(error).toBeInstanceOf(BrokerUnreachableError);
    context.expect((error as Error).message).toContain(`127.0.0.1:${port}`);
    context.expect((error as Error).message).toContain('accepted but nothing answered');
    await app.close();
    // The server sees every connection of the application closed.
    const deadline = Date.now() + 5000;
    while (sockets.size > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    context.expect(sockets.size).toBe(0);
  });

  // Each waits out start()'s 30 s connect budget: run side by side, asserting through its own
  // test context's expect, as vitest asks of concurrent tests.
  it.concurrent('names the address and says nothing listens there when the connection is refused', { timeout: 60_000 }, async (context) => {
    const port = await freePort();
    const app = new KafkaStreams(pipeTopology(), { ...secretOptions, bootstrapServers: `127.0.0.1:${port}`, kafka: {} });
    const error = await app.start().catch((caught: unknown) => caught);
    context.expect(error).toBeInstanceOf(BrokerUnreachableError);
    context.expect((error as Error).message).toContain(`127.0.0.1:${port}`);
    context.expect((error as Error).message, (error as Error).message).toContain('ECONNREFUSED');
    context.expect((error as Error).message).toContain('Nothing listens at');
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

describe('the process id, kept in the state directory (exactly_once_v2 on the in-memory cluster)', () => {
  /** Starts `topology` as application `app` on `cluster` under exactly_once_v2, caches off (each record sends at once), closed when the test ends. */
  async function startOnCluster(cluster: FakeKafkaCluster, topology: Topology, stateDir: string): Promise<KafkaStreams> {
    const app = new KafkaStreams(topology, { applicationId: 'app', bootstrapServers: '127.0.0.1:9', stateDir, logger: silentLogger, client: cluster.supplier(), processingGuarantee: 'exactly_once_v2', commitIntervalMs: 600_000, cacheMaxBytes: 0 });
    onTestFinished(() => app.close());
    await app.start();
    return app;
  }

  /** The transactional id of the transaction a record sent to `in` opens (the thread's producer begins one at its first send). */
  async function transactionalIdOfNextSend(cluster: FakeKafkaCluster, key: string): Promise<string> {
    const seen = cluster.requests.length;
    cluster.produce('in', 0, [{ key, value: 'x' }]);
    return vi.waitFor(() => {
      const begun = cluster.requests.slice(seen).find((request) => request.operation === 'beginTransaction');
      if (begun === undefined) throw new Error('no transaction begun yet');
      return begun.detail;
    });
  }

  async function stateDirectory(): Promise<string> {
    const directory = await mkdtemp(join(tmpdir(), 'kafka-streams-process-id-'));
    onTestFinished(() => rm(directory, { recursive: true, force: true }));
    return directory;
  }

  function newCluster(): FakeKafkaCluster {
    const cluster = new FakeKafkaCluster();
    cluster.createTopic('in', 1);
    cluster.createTopic('out', 1);
    return cluster;
  }

  it('with persistent stores, a restart on the same state directory keeps the process id, and so its thread transactional id', async () => {
    const cluster = newCluster();
    const stateDir = await stateDirectory();
    const first = await startOnCluster(cluster, countTopology(), stateDir);
    const firstId = await transactionalIdOfNextSend(cluster, 'a');
    await first.close();

    await startOnCluster(cluster, countTopology(), stateDir);
    expect(await transactionalIdOfNextSend(cluster, 'b')).toBe(firstId);
    const kept = JSON.parse(await readFile(join(stateDir, 'app', PROCESS_FILE_NAME), 'utf8')) as { processId: string };
    expect(firstId).toBe(`app-${kept.processId}-1`);
  });

  it('a fresh state directory draws a new process id', async () => {
    const cluster = newCluster();
    const first = await startOnCluster(cluster, countTopology(), await stateDirectory());
    const firstId = await transactionalIdOfNextSend(cluster, 'a');
    await first.close();
    await startOnCluster(cluster, countTopology(), await stateDirectory());
    expect(await transactionalIdOfNextSend(cluster, 'b')).not.toBe(firstId);
  });

  it('without persistent stores there is no lock and no process file: each instance draws its own id, as in Kafka Streams', async () => {
    const cluster = newCluster();
    const stateDir = await stateDirectory();
    const first = await startOnCluster(cluster, pipeTopology(), stateDir);
    const firstId = await transactionalIdOfNextSend(cluster, 'a');
    await first.close();
    await startOnCluster(cluster, pipeTopology(), stateDir);
    expect(await transactionalIdOfNextSend(cluster, 'b')).not.toBe(firstId);
    expect(await readdir(join(stateDir, 'app'))).not.toContain(PROCESS_FILE_NAME);
  });

  it('a second instance on the same state directory does not start, so two live instances never share a process id', async () => {
    const cluster = newCluster();
    const stateDir = await stateDirectory();
    await startOnCluster(cluster, countTopology(), stateDir);
    const error = await startOnCluster(cluster, countTopology(), stateDir).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(StateDirectoryLockedError);
  });
});
