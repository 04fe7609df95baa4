/**
 * The named exception list (`conformance/exceptions.json`): differences that are impossible or
 * wrong to match, each with the reason and the Kafka Streams source that shows Kafka's side. It
 * is empty unless such a difference is found; a difference that is merely not fixed yet does not
 * belong in it. A scenario an entry covers is still run and its difference still reported, as
 * excepted rather than failing.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Scenario } from './scenario.js';

/** One accepted difference. */
export interface ConformanceException {
  /** The catalogue topology it covers. */
  readonly topology: string;
  /** Only with record caches on (`true`) or off (`false`); both when absent. */
  readonly cache?: boolean;
  /** Why Tributary cannot or must not match Kafka here. */
  readonly reason: string;
  /** The Kafka Streams source that explains Kafka's side: a file and line, or a link to it. */
  readonly kafkaSource: string;
}

/** Where the list lives. */
const exceptionsPath = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'exceptions.json');

/** Reads and checks the list; throws naming the bad entry. */
export function loadExceptions(path: string = exceptionsPath): ConformanceException[] {
  const parsed: unknown = JSON.parse(readFileSync(path, 'utf8'));
  if (!Array.isArray(parsed)) throw new Error(`${path} must hold a JSON array of exceptions.`);
  return parsed.map((entry: unknown, index) => {
    const candidate = entry as Partial<ConformanceException>;
    for (const field of ['topology', 'reason', 'kafkaSource'] as const) {
      if (typeof candidate[field] !== 'string' || candidate[field].trim() === '') {
        throw new Error(`${path}, entry ${index}: '${field}' must be a non-empty string (every exception names its topology, its reason and the Kafka source that explains it).`);
      }
    }
    if (candidate.cache !== undefined && typeof candidate.cache !== 'boolean') throw new Error(`${path}, entry ${index}: 'cache' must be true, false or absent.`);
    return candidate as ConformanceException;
  });
}

/** The exception that covers a scenario, if any. */
export function exceptionFor(scenario: Scenario, exceptions: readonly ConformanceException[]): ConformanceException | undefined {
  return exceptions.find((exception) => exception.topology === scenario.topology && (exception.cache === undefined || exception.cache === scenario.cache));
}
