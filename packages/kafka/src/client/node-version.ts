/**
 * The Node versions a client library runs on, checked before it is used, so an application on
 * an older Node gets a `ConfigError` that names the version it needs instead of a failure deep
 * inside the library.
 */
import { ConfigError } from '@tributary/streams';

/** A Node release line and the first version of it that will do. */
type Minimum = readonly [major: number, minor: number];

function parse(version: string): Minimum {
  const [major = 0, minor = 0] = version.replace(/^v/, '').split('.').map(Number);
  return [major, minor];
}

/**
 * Whether Node `version` (`process.versions.node`) satisfies one of `minimums`: a minimum covers
 * its own major line from its minor on, and every later major than the highest one listed.
 */
export function nodeSatisfies(version: string, minimums: readonly Minimum[]): boolean {
  const [major, minor] = parse(version);
  const highest = Math.max(...minimums.map(([line]) => line));
  if (major > highest) return true;
  return minimums.some(([line, first]) => major === line && minor >= first);
}

/** Throws a `ConfigError` when Node `version` runs none of `minimums`, naming `library` and the versions it needs. */
export function requireNode(library: string, version: string, minimums: readonly Minimum[]): void {
  if (nodeSatisfies(version, minimums)) return;
  const needed = minimums.map(([major, minor]) => `${major}.${minor}`).join(' or ');
  throw new ConfigError(`${library} needs Node >= ${needed}; this is Node ${version}. Run on a newer Node, or leave the option 'client' out to use the default kafkajs client, which runs on Node 20.`);
}
