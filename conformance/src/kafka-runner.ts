/**
 * The Kafka Streams side of the conformance suite, from Node: builds the Java runner's jar with
 * Maven when it is missing or older than its sources, then keeps one JVM running and hands it
 * scenarios as JSON lines on stdin, reading one result line per scenario on stdout. One JVM
 * serves a whole batch and every candidate input of a shrink, so its start-up is paid once.
 */
import { execFileSync, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve as resolvePath } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { Scenario, ScenarioResult } from './scenario.js';

/** The Maven module of the Java runner. */
const javaModule = resolvePath(dirname(fileURLToPath(import.meta.url)), '..', 'java');
/** The runnable jar `mvn package` makes. */
const jarPath = join(javaModule, 'target', 'conformance-reference.jar');

function newestSource(path: string): number {
  const stats = statSync(path);
  if (!stats.isDirectory()) return stats.mtimeMs;
  let newest = stats.mtimeMs;
  for (const name of readdirSync(path)) newest = Math.max(newest, newestSource(join(path, name)));
  return newest;
}

/**
 * Builds the jar unless it is newer than `pom.xml` and everything under `src/`. Returns whether
 * it built. Needs `mvn` and a JDK 17 on the PATH; Maven fetches Kafka from Maven Central once.
 */
export function ensureJar(log: (line: string) => void = () => {}): boolean {
  const sources = Math.max(newestSource(join(javaModule, 'pom.xml')), newestSource(join(javaModule, 'src')));
  if (existsSync(jarPath) && statSync(jarPath).mtimeMs > sources) return false;
  log(`conformance: building ${jarPath} with Maven`);
  try {
    execFileSync('mvn', ['-q', '-B', '-f', join(javaModule, 'pom.xml'), 'package', '-DskipTests'], { stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (error) {
    const output = error as { stdout?: Buffer; stderr?: Buffer };
    throw new Error(
      `Building the Kafka Streams conformance runner failed (mvn -f ${join(javaModule, 'pom.xml')} package). Install JDK 17 and Maven 3.8+, and allow Maven Central.\n${output.stdout?.toString() ?? ''}${output.stderr?.toString() ?? ''}`,
      { cause: error },
    );
  }
  return true;
}

/** One JVM running Kafka's TopologyTestDriver over scenarios sent to it. Close it when done. */
export class KafkaRunner {
  private readonly process: ChildProcessWithoutNullStreams;
  private readonly waiting: ((line: string) => void)[] = [];
  private readonly lines: string[] = [];
  private stderr = '';
  private exited: string | undefined;

  constructor() {
    this.process = spawn('java', ['-XX:+UseSerialGC', '-jar', jarPath], { stdio: ['pipe', 'pipe', 'pipe'] });
    const reader = createInterface({ input: this.process.stdout });
    reader.on('line', (line) => {
      const next = this.waiting.shift();
      if (next === undefined) this.lines.push(line);
      else next(line);
    });
    this.process.stderr.on('data', (chunk: Buffer) => {
      // Keep the end of stderr for the error message, should the JVM die.
      this.stderr = (this.stderr + chunk.toString()).slice(-4000);
    });
    this.process.on('error', (error) => {
      // No `java` on the PATH, most likely: fail every waiting scenario with the reason.
      this.exited = `the Kafka runner JVM could not start (${error.message}); install JDK 17`;
      for (const next of this.waiting.splice(0)) next('');
    });
    this.process.on('exit', (code, signal) => {
      this.exited = `the Kafka runner JVM exited (code ${code}, signal ${signal}): ${this.stderr}`;
      for (const next of this.waiting.splice(0)) next('');
    });
  }

  /** Runs the scenarios, in order, and returns their results in the same order. */
  async run(scenarios: readonly Scenario[]): Promise<ScenarioResult[]> {
    const pending = scenarios.map(() => this.nextLine());
    this.process.stdin.write(scenarios.map((scenario) => JSON.stringify(scenario)).join('\n') + '\n');
    const results: ScenarioResult[] = [];
    for (const [index, line] of (await Promise.all(pending)).entries()) {
      if (line === '') throw new Error(this.exited ?? 'the Kafka runner JVM gave an empty line');
      const result = JSON.parse(line) as ScenarioResult;
      if (result.id !== scenarios[index]!.id) throw new Error(`the Kafka runner answered '${result.id}' for scenario '${scenarios[index]!.id}'`);
      results.push(result);
    }
    return results;
  }

  private nextLine(): Promise<string> {
    const ready = this.lines.shift();
    if (ready !== undefined) return Promise.resolve(ready);
    if (this.exited !== undefined) return Promise.resolve('');
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  /** Ends the JVM (its stdin closes; it exits after the last scenario). */
  async close(): Promise<void> {
    if (this.exited !== undefined) return;
    const exit = new Promise<void>((resolve) => this.process.once('exit', () => resolve()));
    this.process.stdin.end();
    await exit;
  }
}
