/**
 * Runs smoke-app.mjs instances (or another app script, such as flagship-app.mjs) as child
 * processes and does to them what a bad day does to a deployment: kill -9, freeze (SIGSTOP) and
 * thaw (SIGCONT), restart with the same state directory. Tracks each instance's state from its
 * JSON event lines and measures how long output stops after a failure.
 *
 * "Kill → resumed output" is measured on the end offsets of the echo topic (the app's progress
 * topic) as kafkajs' admin lists them, which are last stable offsets (its ListOffsets defaults
 * to read_committed): from the moment of the failure until every partition's end offset has
 * moved past where it was a second later (writes already on the wire when the failure struck
 * still land in that second).
 * With input flowing into every partition and echo partitioned as the input (same key, same
 * murmur2 partitioner, same partition count), each echo partition is written by one task, so the
 * time is how long the failed instance's tasks gave no output a read_committed consumer could
 * see. Under exactly-once, aborting the dead producer's open transaction also moves the end
 * offset, but that happens when the task's new owner starts its producer, just before output
 * resumes. An instance that ran no task writing echo at the time (see `tasks`) measures short.
 *
 * Every process is killed with SIGKILL when the test ends (and when the test process exits), so
 * no instance outlives its test.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, mkdirSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readdir, realpath, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { Admin, Kafka } from 'kafkajs';
import { onTestFailed, onTestFinished } from 'vitest';
import { clientName } from '../helpers/client-option.mjs';
import type { SmokeTopics } from './smoke-verify.js';

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = join(here, '..', '..', '..');

/** A workspace package an app imports. */
export interface WorkspacePackage {
  /** Its directory in the repository. */
  readonly directory: string;
  /** Its package name. */
  readonly name: string;
  /** A module whose import proves that a copy of its dist/ loads. */
  readonly entry: string;
}

const libraryPackages: readonly WorkspacePackage[] = ['streams', 'kafka', 'level'].map((name) => ({ directory: `packages/${name}`, name: `@tributary/${name}`, entry: `@tributary/${name}` }));

/** Which application the instances of a cluster run. */
export interface SmokeApp {
  /** The script, a file in this directory, run as `node <script> '<config JSON>'`. */
  readonly script: string;
  /** Workspace packages it imports besides @tributary/streams, kafka and level (the flagship example, say). */
  readonly packages?: readonly WorkspacePackage[];
  /** The output topic whose end offsets show that output resumed after a failure (see above). */
  readonly progressTopic: string;
  /** Other files of this directory the script imports (a thread module, say), copied beside it. */
  readonly files?: readonly string[];
}

/**
 * A copy of the app's script beside a copy of the built workspace packages it imports (their
 * dependencies linked), made for each test and removed when it ends. Every instance, restarts
 * included, then runs the same code, even while someone rebuilds a package's dist/ (tsup empties
 * it first, and a process started in that moment would not find @tributary/kafka). Returns the
 * path of the app.
 */
async function appSnapshot(app: SmokeApp): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'tributary-smoke-app-'));
  onTestFinished(() => rm(root, { recursive: true, force: true }));
  const packages = [...libraryPackages, ...(app.packages ?? [])];
  for (let attempt = 1; ; attempt++) {
    try {
      await rm(join(root, 'node_modules'), { recursive: true, force: true });
      for (const { directory, name } of packages) {
        const source = join(repoRoot, directory);
        const target = join(root, 'node_modules', name);
        await mkdir(target, { recursive: true });
        await cp(join(source, 'package.json'), join(target, 'package.json'));
        await cp(join(source, 'dist'), join(target, 'dist'), { recursive: true });
        await linkDependencies(join(source, 'node_modules'), join(root, 'node_modules'));
      }
      // The scripts keep their place beside ../helpers, where app-process.mjs finds the client choice.
      await mkdir(join(root, 'smoke'), { recursive: true });
      await mkdir(join(root, 'helpers'), { recursive: true });
      for (const file of [app.script, 'app-process.mjs', ...(app.files ?? [])]) await cp(join(here, file), join(root, 'smoke', file));
      await cp(join(here, '..', 'helpers', 'client-option.mjs'), join(root, 'helpers', 'client-option.mjs'));
      // A copy taken halfway through a rebuild does not load; take it again.
      const entries = [...packages.map(({ entry }) => entry), ...(clientName === 'platformatic' ? ['@tributary/kafka/platformatic'] : [])];
      await new Promise<void>((resolve, reject) =>
        execFile(process.execPath, ['--input-type=module', '-e', entries.map((entry) => `await import('${entry}');`).join(' ')], { cwd: root }, (error) =>
          error === null ? resolve() : reject(error),
        ),
      );
      return join(root, 'smoke', app.script);
    } catch (error) {
      if (attempt >= 30) throw new Error(`Could not copy a loadable build of ${packages.map(({ name }) => name).join(', ')} (run \`pnpm -r run build\`): ${String(error)}`);
      await sleep(1000);
    }
  }
}

/** Links each dependency in `from` (a package's pnpm node_modules) into `to`, but not @tributary/*. */
async function linkDependencies(from: string, to: string): Promise<void> {
  const entries = await readdir(from).catch(() => [] as string[]);
  for (const entry of entries) {
    if (entry === '.bin' || entry === '@tributary') continue;
    const names = entry.startsWith('@') ? (await readdir(join(from, entry))).map((name) => join(entry, name)) : [entry];
    for (const name of names) {
      await mkdir(dirname(join(to, name)), { recursive: true });
      await symlink(await realpath(join(from, name)), join(to, name)).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== 'EEXIST') throw error;
      });
    }
  }
}

/** The config smoke-app.mjs reads. */
export interface SmokeAppConfig {
  readonly bootstrap: string;
  readonly applicationId: string;
  readonly topics: SmokeTopics;
  readonly processingGuarantee: 'at_least_once' | 'exactly_once' | 'exactly_once_v2';
  /** Which topology the app runs (see smoke-app.mjs); default `smoke`. */
  readonly topology?: 'smoke' | 'dedupe';
  /** The dedupe topology's stores: LevelDB (default) or in memory. */
  readonly stores?: 'level' | 'memory';
  readonly commitIntervalMs?: number;
  readonly stateDir: string;
  readonly consumer?: { readonly sessionTimeoutMs?: number; readonly heartbeatIntervalMs?: number; readonly rebalanceTimeoutMs?: number };
  readonly kafka?: Record<string, unknown>;
  /** Test hook (kafkajs only, see app-process.mjs): armed by SIGUSR2, the app freezes itself in the middle of a burst of produce requests. */
  readonly freezeMidProduce?: boolean;
}

/** One JSON line an instance printed. */
export interface SmokeEvent {
  readonly event: string;
  readonly time: number;
  readonly [field: string]: unknown;
}

/** One run of smoke-app.mjs (a restart is a new one). */
export class SmokeProcess {
  readonly events: SmokeEvent[] = [];
  readonly stderr: string[] = [];
  /** The last state the instance reported. */
  state = 'CREATED';
  processed = 0;
  /** The tasks it ran at its last report. */
  tasks: string[] = [];
  /** When its last progress report (one a second while its event loop runs) arrived. */
  lastReportAt = Date.now();
  exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  readonly exited: Promise<void>;
  readonly startedAt = Date.now();

  constructor(
    readonly name: string,
    readonly child: ChildProcess,
  ) {
    createInterface({ input: child.stdout! }).on('line', (line) => this.onLine(line));
    createInterface({ input: child.stderr! }).on('line', (line) => {
      this.stderr.push(line);
      if (this.stderr.length > 200) this.stderr.shift();
    });
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.exit = { code, signal };
        resolve();
      });
    });
  }

  get alive(): boolean {
    return this.exit === undefined;
  }

  /** Why the instance failed, from its fatal and error events, if it said. */
  failure(): string | undefined {
    const fatal = this.events.filter((event) => event.event === 'fatal').map((event) => String(event.message));
    const errors = this.events.filter((event) => event.event === 'log' && event.level === 'error').map((event) => `${String(event.message)} ${JSON.stringify(event.fields ?? {})}`);
    const all = [...fatal, ...errors];
    // Without a word on stdout (a crash before the app's handlers, say), stderr has the reason.
    if (all.length === 0 && this.stderr.length > 0) all.push(this.stderr.slice(-8).join('\n'));
    return all.length === 0 ? undefined : all.join(' | ');
  }

  /** The last lines it printed, for a failing test's report. */
  tail(lines = 30): string {
    const text = this.events.filter((event) => event.event !== 'processed').slice(-lines).map((event) => JSON.stringify(event));
    return [...text, ...this.stderr.slice(-10).map((line) => `stderr: ${line}`)].join('\n');
  }

  private onLine(line: string): void {
    let event: SmokeEvent;
    try {
      event = JSON.parse(line) as SmokeEvent;
    } catch {
      this.stderr.push(`stdout: ${line}`);
      return;
    }
    if (event.event === 'processed') {
      this.lastReportAt = Date.now();
      this.processed = Number(event.n);
      const tasks = Array.isArray(event.tasks) ? event.tasks.map(String) : [];
      // Kept as an event when they change, so a report shows which tasks went where and when.
      if (tasks.join(',') !== this.tasks.join(',')) this.events.push({ event: 'tasks', time: event.time, tasks });
      this.tasks = tasks;
    }
    else {
      if (event.event === 'state') this.state = String(event.state);
      this.events.push(event);
      if (process.env.SMOKE_LOG === '1') console.log(`[${this.name}] ${line}`);
      if (process.env.SMOKE_LOG_FILE !== undefined) appendFileSync(process.env.SMOKE_LOG_FILE, `[${this.name} ${this.child.pid}] ${line}\n`);
    }
  }
}

/** A failure the cluster measured. */
export interface FailureRecord {
  readonly name: string;
  readonly kind: 'SIGKILL' | 'SIGSTOP' | 'broker';
  readonly at: number;
  /** The tasks the instance ran at its last report before the failure. */
  readonly tasks: readonly string[];
  /** ms until every echo partition had new output, or undefined if it did not within the bound. */
  resumedAfterMs: number | undefined;
}

/** The config every app script reads: at least where its state goes. */
export interface AppConfig {
  readonly stateDir: string;
}

/** Instances of one app script (smoke-app.mjs unless told) with a shared base config. */
export class SmokeCluster<Config extends AppConfig = SmokeAppConfig> {
  private readonly processes = new Map<string, SmokeProcess>();
  private readonly history: SmokeProcess[] = [];
  private readonly measurements: Promise<void>[] = [];
  private measuring = true;
  readonly failures: FailureRecord[] = [];
  private admin: Admin | undefined;

  constructor(
    private readonly kafka: Kafka,
    private readonly base: Omit<Config, 'stateDir'>,
    private readonly stateRoot: string,
    private readonly appPath: string,
    private readonly progressTopic: string,
  ) {}

  /** The current run of `name`. */
  process(name: string): SmokeProcess {
    const found = this.processes.get(name);
    if (found === undefined) throw new Error(`No smoke instance '${name}'.`);
    return found;
  }

  /** Every instance started so far, restarts included, in order. */
  get instances(): readonly SmokeProcess[] {
    return this.history;
  }

  get names(): string[] {
    return [...this.processes.keys()];
  }

  /** Starts (or restarts, with the same state directory) instance `name`; `env` adds to the app's environment (`SMOKE_APP_LOG: '1'` for its debug log). */
  start(name: string, overrides: Partial<Config> = {}, env: Readonly<Record<string, string>> = {}): SmokeProcess {
    const previous = this.processes.get(name);
    if (previous?.alive === true) throw new Error(`Smoke instance '${name}' is still running (pid ${previous.child.pid}).`);
    const config = { ...this.base, stateDir: join(this.stateRoot, name), ...overrides } as Config;
    // The LevelDB stores want the state directory to exist (the runtime does not create it).
    mkdirSync(config.stateDir, { recursive: true });
    const child = spawn(process.execPath, [this.appPath, JSON.stringify(config)], { cwd: dirname(this.appPath), stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    liveChildren.add(child);
    child.once('exit', () => liveChildren.delete(child));
    const instance = new SmokeProcess(name, child);
    this.processes.set(name, instance);
    this.history.push(instance);
    return instance;
  }

  /** kill -9 `name`, waits for it to be gone, and starts measuring how long output stops. */
  async kill(name: string): Promise<FailureRecord> {
    const instance = this.process(name);
    const record = await this.failure(name, 'SIGKILL', () => instance.child.kill('SIGKILL'));
    await instance.exited;
    return record;
  }

  /** Asks `name` to close (SIGTERM) and waits until it exits; kill -9 after `timeoutMs`. */
  async stop(name: string, timeoutMs = 15_000): Promise<void> {
    const instance = this.process(name);
    instance.child.kill('SIGTERM');
    await Promise.race([instance.exited, sleep(timeoutMs)]);
    if (instance.alive) instance.child.kill('SIGKILL');
    await instance.exited;
  }

  /** Freezes `name` (SIGSTOP): it keeps its sockets but answers nothing, as a long GC pause would. */
  async freeze(name: string): Promise<FailureRecord> {
    const instance = this.process(name);
    return this.failure(name, 'SIGSTOP', () => instance.child.kill('SIGSTOP'));
  }

  /** Thaws a frozen `name` (SIGCONT). */
  thaw(name: string): void {
    this.process(name).child.kill('SIGCONT');
  }

  /** Starts measuring an outage that `act` begins (a broker stop, say). */
  async failure(name: string, kind: FailureRecord['kind'], act: () => unknown, boundMs = 90_000): Promise<FailureRecord> {
    const echo = this.progressTopic;
    const record: FailureRecord = { name, kind, at: Date.now(), tasks: this.processes.get(name)?.tasks ?? [], resumedAfterMs: undefined };
    this.failures.push(record);
    // When the broker is what fails, nothing can land after it, and nothing can be read a second later.
    let before: Map<number, number> | undefined = kind === 'broker' ? await this.endOffsets(echo) : undefined;
    await act();
    this.measurements.push(
      (async () => {
        // Produce requests already on the wire complete at the broker even after the client is
        // killed or frozen, so the baseline is taken a second after the failure, not at it.
        if (before === undefined) await sleep(1000);
        const deadline = record.at + boundMs;
        while (this.measuring && Date.now() < deadline) {
          try {
            if (before === undefined) {
              before = await this.endOffsets(echo);
              continue;
            }
            await sleep(250);
            const now = await this.endOffsets(echo);
            if ([...before].every(([partition, offset]) => (now.get(partition) ?? 0) > offset)) {
              record.resumedAfterMs = Date.now() - record.at;
              return;
            }
          } catch {
            // The broker may be away (that may be the failure); try again.
            await sleep(250);
          }
        }
      })(),
    );
    return record;
  }

  /**
   * Ends the measurements: one that has not seen output resume by now never will (call this
   * once the input stopped and the output went quiet), and it stays `undefined`.
   */
  async measured(): Promise<FailureRecord[]> {
    this.measuring = false;
    await Promise.all(this.measurements);
    return this.failures;
  }

  /** The largest kill→resumed-output time measured, or undefined if none resumed. */
  maxResumeMs(): number | undefined {
    const times = this.failures.map((failure) => failure.resumedAfterMs).filter((ms): ms is number => ms !== undefined);
    return times.length === 0 ? undefined : Math.max(...times);
  }

  /** Waits until every named instance (default: all) is alive and RUNNING; fails fast, with its words, if one exits. */
  async waitRunning(timeoutMs: number, names: readonly string[] = this.names): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const instances = names.map((name) => this.process(name));
      const dead = instances.find((instance) => !instance.alive);
      if (dead !== undefined) {
        throw new Error(`Smoke instance '${dead.name}' exited (${JSON.stringify(dead.exit)}) before RUNNING: ${dead.failure() ?? 'no error reported'}\n${dead.tail()}`);
      }
      if (instances.every((instance) => instance.state === 'RUNNING')) return;
      if (Date.now() > deadline) {
        throw new Error(`Timed out after ${timeoutMs} ms waiting for RUNNING: ${instances.map((instance) => `${instance.name}=${instance.state}`).join(', ')}`);
      }
      await sleep(100);
    }
  }

  /** The end offset (last stable offset, see above) of each partition of `topic`. */
  async endOffsets(topic: string): Promise<Map<number, number>> {
    if (this.admin === undefined) {
      this.admin = this.kafka.admin();
      await this.admin.connect();
    }
    const offsets = await this.admin.fetchTopicOffsets(topic);
    return new Map(offsets.map(({ partition, high }) => [partition, Number(high)]));
  }

  /** Waits until `topic`'s total end offset has not grown for `quietMs` and every instance is RUNNING. */
  /**
   * Whether every live instance reported its progress within `withinMs`. An instance whose event
   * loop stalls (a long synchronous batch, a starved machine) reports nothing and writes nothing
   * meanwhile, however much it still has to do: its quiet topics do not mean it is done.
   */
  reporting(withinMs = 2500): boolean {
    const now = Date.now();
    return [...this.processes.values()].every((instance) => !instance.alive || now - instance.lastReportAt <= withinMs);
  }

  async waitQuiet(topic: string, quietMs: number, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last = -1;
    let since = Date.now();
    for (;;) {
      let total = last;
      try {
        total = [...(await this.endOffsets(topic)).values()].reduce((sum, offset) => sum + offset, 0);
      } catch {
        // Try again on the next round.
      }
      const running = [...this.processes.values()].every((instance) => !instance.alive || instance.state === 'RUNNING') && this.reporting();
      if (total !== last || !running) {
        last = total;
        since = Date.now();
      } else if (Date.now() - since >= quietMs) return;
      if (Date.now() > deadline) throw new Error(`'${topic}' kept growing (or an instance was not RUNNING) for ${timeoutMs} ms.`);
      await sleep(250);
    }
  }

  /** Asks every live instance to close (SIGTERM) and waits up to `timeoutMs`; kills the rest. */
  async closeAll(timeoutMs = 15_000): Promise<void> {
    const live = [...this.processes.values()].filter((instance) => instance.alive);
    for (const instance of live) {
      instance.child.kill('SIGCONT');
      instance.child.kill('SIGTERM');
    }
    await Promise.race([Promise.all(live.map((instance) => instance.exited)), sleep(timeoutMs)]);
    await this.killAll();
  }

  /** kill -9 every instance still alive, and lets go of the admin client. */
  async killAll(): Promise<void> {
    this.measuring = false;
    const live = this.history.filter((instance) => instance.alive);
    for (const instance of live) instance.child.kill('SIGKILL');
    await Promise.all(live.map((instance) => instance.exited));
    if (this.admin !== undefined) {
      const admin = this.admin;
      this.admin = undefined;
      await admin.disconnect().catch(() => undefined);
    }
  }

  /** Every run of every instance, for a failing test's report. */
  report(): string {
    return this.history.map((instance) => `--- ${instance.name} pid ${instance.child.pid} exit ${JSON.stringify(instance.exit)} ---\n${instance.tail()}`).join('\n');
  }
}

/** Children of this process still alive, killed if the test process exits with them running. */
const liveChildren = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of liveChildren) child.kill('SIGKILL');
});

/**
 * A cluster for the current test: its instances get state directories under a temporary root,
 * and are killed (then the root removed) when the test ends; a failing test prints their last
 * lines.
 */
export async function createSmokeCluster(kafka: Kafka, base: Omit<SmokeAppConfig, 'stateDir'>): Promise<SmokeCluster> {
  return createAppCluster<SmokeAppConfig>(kafka, base, { script: 'smoke-app.mjs', progressTopic: base.topics.echo });
}

/** {@link createSmokeCluster} for any app script: instances of `app`, each given `base` and its own state directory. */
export async function createAppCluster<Config extends AppConfig>(kafka: Kafka, base: Omit<Config, 'stateDir'>, app: SmokeApp): Promise<SmokeCluster<Config>> {
  const appPath = await appSnapshot(app);
  const stateRoot = await mkdtemp(join(tmpdir(), 'tributary-smoke-'));
  const cluster = new SmokeCluster<Config>(kafka, base, stateRoot, appPath, app.progressTopic);
  onTestFinished(async () => {
    await cluster.killAll();
    await rm(stateRoot, { recursive: true, force: true });
  });
  onTestFailed(() => {
    console.error(cluster.report());
  });
  return cluster;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
