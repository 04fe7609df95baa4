/**
 * A private single-node Kafka broker for tests that stop and restart one, so the shared broker
 * (scripts/kafka-broker.sh, fixed under .scratch/kafka/) is never touched. It runs from the
 * jars that script fetched (.scratch/kafka/lib) with the same KRaft settings, in its own
 * temporary directory and on its own ports, which it keeps across restarts so clients can
 * reconnect to the same address and find the same data.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { createServer, connect } from 'node:net';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { onTestFinished } from 'vitest';

const here = dirname(fileURLToPath(import.meta.url));
const libDir = join(here, '..', '..', '..', '.scratch', 'kafka', 'lib');
const host = '127.0.0.1';

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, host);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

function run(command: string, args: string[], logFile: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('error', reject);
    child.once('exit', (code) => {
      void writeFile(logFile, output);
      if (code === 0) resolve();
      else reject(new Error(`${command} ${args.join(' ')} exited ${code}: ${output.slice(-2000)}`));
    });
  });
}

/** A broker of one's own: start, stop (SIGTERM), start again on the same port and data. */
export class PrivateBroker {
  private child: ChildProcess | undefined;
  private exited: Promise<void> | undefined;

  private constructor(
    readonly directory: string,
    readonly port: number,
    readonly controllerPort: number,
  ) {}

  /** `host:port` of the broker. */
  get bootstrap(): string {
    return `${host}:${this.port}`;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Formats storage in a fresh temporary directory and starts; stopped and removed when the test ends. */
  static async create(): Promise<PrivateBroker> {
    if (!existsSync(libDir)) throw new Error(`No Kafka jars in ${libDir}: run \`bash scripts/kafka-broker.sh start\` once to fetch them.`);
    const directory = await mkdtemp(join(tmpdir(), 'tributary-broker-'));
    const broker = new PrivateBroker(directory, await freePort(), await freePort());
    onTestFinished(async () => {
      await broker.stop('SIGKILL');
      await rm(directory, { recursive: true, force: true });
    });
    await broker.writeConfig();
    const clusterId = randomBytes(16).toString('base64url').replace(/^-/, 'A');
    await run('java', [`-Dlog4j.configuration=file:${join(directory, 'tools-log4j.properties')}`, '-Xmx256m', '-cp', `${libDir}/*`, 'kafka.tools.StorageTool', 'format', '-t', clusterId, '-c', join(directory, 'server.properties')], join(directory, 'format.log'));
    await broker.start();
    return broker;
  }

  private async writeConfig(): Promise<void> {
    await mkdir(join(this.directory, 'logs'), { recursive: true });
    await writeFile(
      join(this.directory, 'server.properties'),
      [
        'process.roles=broker,controller',
        'node.id=1',
        `controller.quorum.voters=1@${host}:${this.controllerPort}`,
        `listeners=PLAINTEXT://${host}:${this.port},CONTROLLER://${host}:${this.controllerPort}`,
        `advertised.listeners=PLAINTEXT://${host}:${this.port}`,
        'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
        'inter.broker.listener.name=PLAINTEXT',
        'controller.listener.names=CONTROLLER',
        `log.dirs=${join(this.directory, 'data')}`,
        'offsets.topic.replication.factor=1',
        'offsets.topic.num.partitions=1',
        'transaction.state.log.replication.factor=1',
        'transaction.state.log.min.isr=1',
        'transaction.state.log.num.partitions=1',
        'default.replication.factor=1',
        'min.insync.replicas=1',
        'num.partitions=1',
        'group.initial.rebalance.delay.ms=0',
        'auto.create.topics.enable=true',
        'delete.topic.enable=true',
        'num.network.threads=2',
        'num.io.threads=2',
        'log.cleaner.threads=1',
        'num.recovery.threads.per.data.dir=1',
        '',
      ].join('\n'),
    );
    await writeFile(
      join(this.directory, 'log4j.properties'),
      [
        'log4j.rootLogger=INFO, file',
        'log4j.appender.file=org.apache.log4j.FileAppender',
        `log4j.appender.file.File=${join(this.directory, 'logs', 'server.log')}`,
        'log4j.appender.file.Append=true',
        'log4j.appender.file.layout=org.apache.log4j.PatternLayout',
        'log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n',
        'log4j.logger.kafka.request.logger=WARN',
        'log4j.logger.org.apache.kafka.clients=WARN',
        '',
      ].join('\n'),
    );
    await writeFile(join(this.directory, 'tools-log4j.properties'), 'log4j.rootLogger=WARN, stderr\nlog4j.appender.stderr=org.apache.log4j.ConsoleAppender\nlog4j.appender.stderr.Target=System.err\nlog4j.appender.stderr.layout=org.apache.log4j.PatternLayout\n');
  }

  private startedCount(): number {
    const log = join(this.directory, 'logs', 'server.log');
    if (!existsSync(log)) return 0;
    return readFileSync(log, 'utf8').split('Kafka Server started').length - 1;
  }

  /** Starts the broker on its port with its data (formatted once) and waits until it serves, up to `timeoutMs`. */
  async start(timeoutMs = 90_000): Promise<void> {
    if (this.running) return;
    const before = this.startedCount();
    const child = spawn(
      'java',
      [
        ...(process.env.KAFKA_HEAP_OPTS ?? '-Xmx384m -Xms128m').split(' '),
        '-server',
        '-XX:+UseG1GC',
        '-XX:MaxGCPauseMillis=20',
        '-XX:+ExitOnOutOfMemoryError',
        '-Djava.awt.headless=true',
        `-Dkafka.logs.dir=${join(this.directory, 'logs')}`,
        `-Dlog4j.configuration=file:${join(this.directory, 'log4j.properties')}`,
        '-cp',
        `${libDir}/*`,
        'kafka.Kafka',
        join(this.directory, 'server.properties'),
      ],
      { stdio: 'ignore' },
    );
    this.child = child;
    liveBrokers.add(child);
    this.exited = new Promise((resolve) =>
      child.once('exit', () => {
        liveBrokers.delete(child);
        resolve();
      }),
    );
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (!this.running) throw new Error(`The private broker exited while starting; see ${join(this.directory, 'logs', 'server.log')}.`);
      if (this.startedCount() > before && (await portOpen(this.port))) return;
      if (Date.now() > deadline) throw new Error(`The private broker did not start within ${timeoutMs} ms; see ${join(this.directory, 'logs', 'server.log')}.`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }

  /** Stops the broker: SIGTERM (a clean shutdown) and up to 30 s, then SIGKILL; or SIGKILL at once. */
  async stop(signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM'): Promise<void> {
    const child = this.child;
    if (child === undefined || !this.running) return;
    child.kill(signal);
    const timedOut = await Promise.race([this.exited!.then(() => false), new Promise<boolean>((resolve) => setTimeout(() => resolve(true), 30_000))]);
    if (timedOut) {
      child.kill('SIGKILL');
      await this.exited;
    }
  }

  /** The broker's data directories, for a report. */
  async dataDirectories(): Promise<string[]> {
    return readdir(join(this.directory, 'data')).catch(() => []);
  }
}

/** Brokers still running, killed if the test process exits first (the test's cleanup is the usual way). */
const liveBrokers = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of liveBrokers) child.kill('SIGKILL');
});
