import { spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { commandUsage, defaultStateDir, parseCommand, UsageError } from './cli-options.js';

const cli = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'cli.js');

function usageError(argv: string[]): UsageError {
  try {
    parseCommand(argv);
  } catch (error) {
    if (error instanceof UsageError) return error;
    throw error;
  }
  throw new Error(`expected a UsageError for ${argv.join(' ')}`);
}

describe('parseCommand', () => {
  it('applies the defaults of run: embedded, 2000 events/s, until stopped', () => {
    const command = parseCommand(['run']);
    expect(command).toMatchObject({ command: 'run', bootstrapServers: undefined, rate: 2000, duration: undefined, events: undefined, stateDir: defaultStateDir, partitions: 3, emitFinalOnly: false });
  });

  it('reads every flag of every command', () => {
    expect(parseCommand(['run', '--rate', '500', '--duration', '1.5', '--events', '10', '--state-dir', '/tmp/x', '--seed', '9', '--final-only'])).toMatchObject({ rate: 500, duration: 1.5, events: 10, stateDir: '/tmp/x', seed: 9, emitFinalOnly: true });
    expect(parseCommand(['run', '-b', 'localhost:9092', '--application-id', 'pa-1', '--partitions', '6'])).toMatchObject({ bootstrapServers: 'localhost:9092', applicationId: 'pa-1', partitions: 6, processingGuarantee: 'at_least_once' });
    expect(parseCommand(['run', '-b', 'localhost:9092', '--exactly-once'])).toMatchObject({ processingGuarantee: 'exactly_once', client: 'kafkajs' });
    for (const guarantee of ['at_least_once', 'exactly_once', 'exactly_once_v2']) {
      expect(parseCommand(['run', '-b', 'localhost:9092', '--processing-guarantee', guarantee, '--client', 'platformatic'])).toMatchObject({ processingGuarantee: guarantee, client: 'platformatic' });
    }
    expect(parseCommand(['run', '-b', 'localhost:9092', '--exactly-once', '--processing-guarantee', 'exactly_once'])).toMatchObject({ processingGuarantee: 'exactly_once' });
    expect(parseCommand(['run', '-b', 'localhost:9092', '--client', 'platformatic'])).toMatchObject({ client: 'platformatic' });
    expect(parseCommand(['produce', '--bootstrap-servers', 'a:1,b:2', '--rate', '100', '--events', '3000', '--seed', '1'])).toEqual({ command: 'produce', bootstrapServers: 'a:1,b:2', rate: 100, events: 3000, seed: 1, partitions: 3 });
    expect(parseCommand(['tail', '-b', 'h:9', '--topics', 'product-alerts', '--from-beginning', '--max', '5'])).toEqual({ command: 'tail', bootstrapServers: 'h:9', topics: ['product-alerts'], fromBeginning: true, max: 5 });
  });

  it('reads --http as [host:]port, 127.0.0.1 unless told otherwise, and --application-server on Kafka', () => {
    expect(parseCommand(['run'])).toMatchObject({ http: undefined, applicationServer: undefined });
    expect(parseCommand(['run', '--http', '127.0.0.1:8080'])).toMatchObject({ http: { host: '127.0.0.1', port: 8080 } });
    expect(parseCommand(['run', '--http', '8080'])).toMatchObject({ http: { host: '127.0.0.1', port: 8080 } });
    expect(parseCommand(['run', '--http', '127.0.0.1:0'])).toMatchObject({ http: { host: '127.0.0.1', port: 0 } });
    expect(parseCommand(['run', '--http', '[::1]:9000'])).toMatchObject({ http: { host: '::1', port: 9000 } });
    expect(parseCommand(['run', '--http', 'localhost:9000'])).toMatchObject({ http: { host: 'localhost', port: 9000 } });
    expect(parseCommand(['run', '--http', '0.0.0.0:8080'])).toMatchObject({ http: { host: '0.0.0.0', port: 8080 } }); // embedded: no other instance to reach it
    expect(parseCommand(['run', '-b', 'h:1', '--http', '0.0.0.0:8080', '--application-server', 'pa-1.internal:8080'])).toMatchObject({ applicationServer: 'pa-1.internal:8080' });
  });

  it('rejects a bad --http or --application-server with the form it takes', () => {
    for (const bad of ['', 'localhost', '127.0.0.1:', '127.0.0.1:65536', ':8080', 'http://127.0.0.1:8080', '1.2.3.4:80:80', 'a b:80']) {
      expect(usageError(['run', '--http', bad]).message).toBe(`--http must be [host:]port with a port from 0 to 65535, such as 127.0.0.1:8080 or 8080 (0 picks a free port), got '${bad}'.`);
    }
    expect(usageError(['run', '-b', 'h:1', '--http', '0.0.0.0:8080']).message).toBe(
      "--http 0.0.0.0:8080 listens on every interface, and other instances cannot connect to 0.0.0.0: give --application-server host:port, the address they reach this one at.",
    );
    expect(usageError(['run', '--http', '8080', '--application-server', 'h:8080']).message).toMatch(/^--application-server applies on Kafka with --http only/);
    expect(usageError(['run', '-b', 'h:1', '--application-server', 'h:8080']).message).toMatch(/^--application-server applies on Kafka with --http only/);
    for (const bad of ['h:0', '0.0.0.0:8080', '8080']) {
      expect(usageError(['run', '-b', 'h:1', '--http', '8080', '--application-server', bad]).message).toMatch(/^--application-server must be host:port with a host other instances can connect to and a port above 0/);
    }
  });

  it('gives help for the program and for each command', () => {
    expect(parseCommand([])).toEqual({ command: 'help', topic: undefined });
    expect(parseCommand(['--help'])).toEqual({ command: 'help', topic: undefined });
    for (const name of ['run', 'produce', 'tail'] as const) {
      expect(parseCommand([name, '--help'])).toEqual({ command: 'help', topic: name });
      expect(commandUsage[name]).toContain(`product-analytics ${name}`);
    }
  });

  it('rejects bad flags with a message that names them', () => {
    expect(usageError(['launch']).message).toMatch(/Unknown command 'launch'/);
    expect(usageError(['run', '--bogus']).message).toMatch(/--bogus/);
    expect(usageError(['run', '--exactly-once']).message).toMatch(/--exactly-once applies on Kafka only/);
    expect(usageError(['run', '--processing-guarantee', 'exactly_once_v2']).message).toMatch(/--processing-guarantee applies on Kafka only/);
    expect(usageError(['run', '-b', 'h:1', '--processing-guarantee', 'exactly_once_beta']).message).toBe("--processing-guarantee must be at_least_once, exactly_once, exactly_once_v2, got 'exactly_once_beta'.");
    expect(usageError(['run', '-b', 'h:1', '--exactly-once', '--processing-guarantee', 'exactly_once_v2']).message).toMatch(/--exactly-once means --processing-guarantee exactly_once, which contradicts --processing-guarantee exactly_once_v2/);
    expect(usageError(['run', '--client', 'platformatic']).message).toMatch(/--client applies on Kafka only/);
    expect(usageError(['run', '-b', 'localhost:9092', '--client', 'rdkafka']).message).toBe("--client must be kafkajs or platformatic, got 'rdkafka'.");
    expect(usageError(['run', '--rate', 'fast']).message).toMatch(/--rate must be a number > 0, got 'fast'/);
    expect(usageError(['run', '--rate', '0']).message).toMatch(/--rate/);
    expect(usageError(['run', '--events', '1.5']).message).toMatch(/--events must be a whole number/);
    expect(usageError(['run', '--duration', '-3']).message).toMatch(/--duration/);
    expect(usageError(['run', '--seed', 'abc']).message).toMatch(/--seed/);
    expect(usageError(['run', '-b', 'nohost']).message).toMatch(/--bootstrap-servers must be host:port/);
    expect(usageError(['run', '-b', 'h:1', '--events', '5']).message).toMatch(/--events applies to the embedded run only/);
    expect(usageError(['run', '--application-id', 'a b']).message).toMatch(/--application-id/);
    expect(usageError(['produce']).message).toMatch(/--bootstrap-servers host:port is required for 'produce'/);
    expect(usageError(['tail', '-b', 'h:1', '--topics', 'a,,b']).message).toMatch(/--topics/);
    expect(usageError(['tail', '-b', 'h:1', 'extra']).command).toBe('tail');
  });
});

describe('the built CLI', () => {
  beforeAll(() => {
    if (!existsSync(cli)) throw new Error(`${cli} is missing: build the example first (pnpm --filter ./examples/product-analytics run build).`);
  });

  it('runs 2000 events embedded and prints throughput and products as plain lines', () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'product-analytics-cli-'));
    onTestFinished(() => rmSync(stateDir, { recursive: true, force: true }));
    const result = spawnSync(process.execPath, [cli, 'run', '--events', '2000', '--state-dir', stateDir, '--seed', '1'], { encoding: 'utf8', timeout: 30_000 });
    expect(result.error).toBeUndefined();
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^throughput: \d+ events\/s \| sent 2000 /m);
    expect(result.stdout).toMatch(/^product p\d{4} ".+" \S+ window \d\d:\d\d views=\d+ /m);
    expect(result.stdout).toMatch(/^category \S+ window/m);
    expect(result.stdout).toMatch(/^done: 2000 events in /m);
    expect(existsSync(stateDir)).toBe(true);
  }, 40_000);

  it('keeps to --duration at a rate no engine reaches, generating only as fast as it processes', () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'product-analytics-cli-'));
    onTestFinished(() => rmSync(stateDir, { recursive: true, force: true }));
    const startedAt = performance.now();
    const result = spawnSync(process.execPath, [cli, 'run', '--rate', '1e308', '--duration', '3', '--state-dir', stateDir], { encoding: 'utf8', timeout: 30_000, killSignal: 'SIGKILL' });
    const seconds = (performance.now() - startedAt) / 1000;
    expect(result.error).toBeUndefined(); // not killed by the timeout
    expect(result.status).toBe(0);
    const done = /^done: (\d+) events in ([\d.]+)s \((\d+) events\/s of 1e\+308 asked\), peak RSS (\d+) MB/m.exec(result.stdout);
    expect(done, result.stdout.slice(-500)).not.toBeNull();
    const [, sent, runSeconds, rate, peakMegabytes] = done!.map(Number);
    expect(runSeconds).toBeGreaterThanOrEqual(3);
    expect(runSeconds).toBeLessThan(6);
    expect(seconds).toBeLessThan(15); // start, 3 s of run, commit and close, on a loaded machine
    expect(sent).toBeGreaterThan(0);
    expect(Math.abs(rate! - sent! / runSeconds!)).toBeLessThan(0.05 * rate!); // the rate reached (the seconds are rounded), not the one asked for
    expect(peakMegabytes).toBeLessThan(1024);
  }, 40_000);

  it('stops cleanly at the first SIGINT, even when asked for more than it can generate', async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'product-analytics-cli-'));
    onTestFinished(() => rmSync(stateDir, { recursive: true, force: true }));
    const child = spawn(process.execPath, [cli, 'run', '--rate', '1e308', '--state-dir', stateDir], { stdio: ['ignore', 'pipe', 'pipe'] });
    onTestFinished(() => void child.kill('SIGKILL'));
    let stdout = '';
    child.stdout.setEncoding('utf8');
    const firstFrame = new Promise<void>((resolve) => {
      child.stdout.on('data', (chunk: string) => {
        stdout += chunk;
        if (/^throughput: /m.test(stdout)) resolve();
      });
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    await firstFrame; // running at full speed, a frame a second
    const signalledAt = performance.now();
    child.kill('SIGINT');
    const code = await Promise.race([exited, new Promise<'hung'>((resolve) => setTimeout(() => resolve('hung'), 10_000))]);
    expect(code).toBe(0);
    expect(performance.now() - signalledAt).toBeLessThan(5_000);
    expect(stdout).toMatch(/^done: \d+ events in /m);
  }, 40_000);

  it('exits with 2 and the usage on a bad flag, and 0 with --help', () => {
    const bad = spawnSync(process.execPath, [cli, 'produce', '--rate', 'x', '-b', 'h:1'], { encoding: 'utf8', timeout: 10_000 });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain("--rate must be a number > 0, got 'x'");
    expect(bad.stderr).toContain('Usage: product-analytics produce');
    const help = spawnSync(process.execPath, [cli, 'tail', '--help'], { encoding: 'utf8', timeout: 10_000 });
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('Usage: product-analytics tail');
  });

  it("refuses exactly_once_v2 on kafkajs with the runtime's error, before it reaches for the broker", () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'product-analytics-v2-'));
    onTestFinished(() => rmSync(stateDir, { recursive: true, force: true }));
    // Nothing listens on port 1: reaching for the broker would fail otherwise, and slowly.
    const refused = spawnSync(process.execPath, [cli, 'run', '-b', '127.0.0.1:1', '--processing-guarantee', 'exactly_once_v2', '--state-dir', stateDir], { encoding: 'utf8', timeout: 20_000 });
    expect(refused.error).toBeUndefined();
    expect(refused.status).toBe(1);
    expect(refused.stderr).toMatch(/^product-analytics: Option 'processingGuarantee' 'exactly_once_v2' needs transactional offset commits .* kafkajs cannot send them .* Use the @platformatic\/kafka client/);
    expect(refused.stdout).toBe('');
  });

  it('exits with 1 and says why when --http cannot listen, and with 2 on a malformed --http', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    onTestFinished(() => void taken.close());
    const port = (taken.address() as AddressInfo).port;
    const stateDir = mkdtempSync(join(tmpdir(), 'product-analytics-http-'));
    onTestFinished(() => rmSync(stateDir, { recursive: true, force: true }));
    const inUse = spawnSync(process.execPath, [cli, 'run', '--http', `127.0.0.1:${port}`, '--events', '10', '--state-dir', stateDir], { encoding: 'utf8', timeout: 20_000 });
    expect(inUse.status).toBe(1);
    expect(inUse.stderr).toBe(`product-analytics: Cannot serve the dashboard on 127.0.0.1:${port} (--http): the port is in use; pick another, or 0 for any free one.\n`);
    const malformed = spawnSync(process.execPath, [cli, 'run', '--http', 'localhost'], { encoding: 'utf8', timeout: 10_000 });
    expect(malformed.status).toBe(2);
    expect(malformed.stderr).toContain("--http must be [host:]port with a port from 0 to 65535, such as 127.0.0.1:8080 or 8080 (0 picks a free port), got 'localhost'.");
  }, 30_000);
});
