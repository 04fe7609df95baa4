/**
 * A child process as the runner sees it: started with its own environment, its JSON lines
 * parsed as they come (state, metrics, errors), and its CPU time and peak memory read from
 * `/proc/<pid>` (all threads of the process, worker threads and the JVM's included). With
 * {@link appLogEnvironmentVariable} set to a directory, every child's whole stderr is kept there
 * as `<label>.log` (the Tributary app then writes its debug log and its slow transaction calls to
 * it, see `app.ts`).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { ChildLine } from './protocol.js';

type MetricsLine = Extract<ChildLine, { event: 'metrics' }>;
type ResultLine = Extract<ChildLine, { event: 'result' }>;

const clockTicksPerSecond = 100; // USER_HZ on Linux

/** Names a directory for the children's whole stderr (diagnosis: where a commit's time went). */
export const appLogEnvironmentVariable = 'TRIBUTARY_BENCH_APP_LOG';

/** User + system CPU time of process `pid` so far, in ms; undefined once it is gone. */
function processCpuMs(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which is in parentheses and may hold spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / clockTicksPerSecond;
  } catch {
    return undefined;
  }
}

/** Peak resident memory (VmHWM) of process `pid`, in bytes; undefined once it is gone. */
function peakRssBytes(pid: number): number | undefined {
  try {
    const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match === null ? undefined : Number(match[1]) * 1024;
  } catch {
    return undefined;
  }
}

export class Child {
  readonly process: ChildProcess;
  state: string | undefined;
  /** When the child first said RUNNING (runner clock). */
  runningAt: number | undefined;
  lastMetrics: MetricsLine | undefined;
  /** The first metrics line with something processed. */
  firstProcessing: MetricsLine | undefined;
  readonly metrics: MetricsLine[] = [];
  result: ResultLine | undefined;
  /** Whether the app said its options were accepted (an app started with `checkOnly`). */
  accepted = false;
  error: string | undefined;
  exitCode: number | null | undefined;
  private readonly stderrTail: string[] = [];
  private readonly exited: Promise<void>;

  constructor(
    readonly label: string,
    command: string,
    args: readonly string[],
    environment: Record<string, string> = {},
  ) {
    this.process = spawn(command, args, { env: { ...process.env, ...environment }, stdio: ['ignore', 'pipe', 'pipe'] });
    this.exited = new Promise((resolve) => {
      this.process.on('exit', (code, signal) => {
        this.exitCode = code ?? (signal === null ? null : -1);
        resolve();
      });
      this.process.on('error', (error) => {
        this.error ??= error.message;
        this.exitCode = -1;
        resolve();
      });
    });
    createInterface({ input: this.process.stdout! }).on('line', (text) => this.onLine(text));
    const logDirectory = process.env[appLogEnvironmentVariable];
    const logFile = logDirectory === undefined || logDirectory === '' ? undefined : join(logDirectory, `${label}.log`);
    createInterface({ input: this.process.stderr! }).on('line', (text) => {
      if (logFile !== undefined) appendFileSync(logFile, `${text}\n`);
      this.stderrTail.push(text);
      if (this.stderrTail.length > 20) this.stderrTail.shift();
    });
  }

  get pid(): number {
    return this.process.pid ?? -1;
  }

  get alive(): boolean {
    return this.exitCode === undefined;
  }

  /** Why the child cannot go on, or undefined while it is fine. */
  failure(): string | undefined {
    if (this.error !== undefined) return `${this.label}: ${this.error}`;
    if (this.state === 'ERROR') return `${this.label} went to state ERROR: ${this.stderrSummary()}`;
    if (!this.alive && this.result === undefined) return `${this.label} exited with code ${this.exitCode}: ${this.stderrSummary()}`;
    return undefined;
  }

  /** The last error line the child wrote, or its last lines. */
  private stderrSummary(): string {
    const errorLine = [...this.stderrTail].reverse().find((line) => /error/i.test(line));
    return errorLine?.trim() ?? (this.stderrTail.slice(-3).join(' | ') || 'no output');
  }

  cpuMs(): number | undefined {
    return processCpuMs(this.pid);
  }

  peakRss(): number | undefined {
    return peakRssBytes(this.pid);
  }

  /** Asks the child to stop (SIGTERM), then kills it if it has not gone within `graceMs`. */
  async stop(graceMs = 25_000): Promise<void> {
    if (!this.alive) return;
    this.process.kill('SIGTERM');
    const timer = setTimeout(() => this.process.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }

  /** `kill -9`. */
  async kill(): Promise<void> {
    if (!this.alive) return;
    this.process.kill('SIGKILL');
    await this.exited;
  }

  async waitForExit(timeoutMs: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    const result = await Promise.race([this.exited.then(() => true), timedOut]);
    clearTimeout(timer);
    return result;
  }

  private onLine(text: string): void {
    if (!text.startsWith('{')) return;
    let line: ChildLine;
    try {
      line = JSON.parse(text) as ChildLine;
    } catch {
      return;
    }
    if (line.event === 'state') {
      this.state = line.state;
      if (line.state === 'RUNNING') this.runningAt ??= Date.now();
    } else if (line.event === 'metrics') {
      this.lastMetrics = line;
      this.metrics.push(line);
      if (this.firstProcessing === undefined && line.processed > 0) this.firstProcessing = line;
    } else if (line.event === 'error') this.error = line.message;
    else if (line.event === 'accepted') this.accepted = true;
    else if (line.event === 'result') this.result = line;
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
