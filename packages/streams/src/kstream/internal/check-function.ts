/**
 * The DSL's check of a function argument, at the call that builds the topology: a value that is
 * not a function fails there, naming the operator, rather than on the first record.
 */
import { TopologyError } from '../../errors/streams-error.js';

/** `candidate`, when it is a function; else a `TopologyError` naming the `KStream` operator. */
export function checkFunction<F>(candidate: F, operator: string): F {
  if (typeof candidate !== 'function') throw new TopologyError(`${operator}() takes a function, got ${candidate === null ? 'null' : typeof candidate}.`);
  return candidate;
}

/** `candidate`, when it is a function; else a `TopologyError` naming the `KTable` operator. */
export function checkTableFunction<F>(candidate: F, operator: string): F {
  if (typeof candidate !== 'function') throw new TopologyError(`KTable.${operator}() takes a function, got ${candidate === null ? 'null' : typeof candidate}.`);
  return candidate;
}
