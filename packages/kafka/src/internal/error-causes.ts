/**
 * kafkajs wraps the error that matters (a connection refused, a broker's error code) in one or
 * more of its own (`KafkaJSNumberOfRetriesExceeded`, ...): the checks that classify an error walk
 * its `cause` chain, here, a bounded number of links deep.
 */

/** How many links of a `cause` chain are read: kafkajs nests three at most. */
const MAX_DEPTH = 5;

/** Whether `error` or one of its causes satisfies `test`. */
export function someCause(error: unknown, test: (error: Error) => boolean): boolean {
  return findInCauses(error, (current) => (test(current) ? true : undefined)) === true;
}

/** The first value `read` finds in `error` or one of its causes, or `undefined`. */
export function findInCauses<T>(error: unknown, read: (error: Error) => T | undefined): T | undefined {
  for (let current = error, depth = 0; current instanceof Error && depth < MAX_DEPTH; current = current.cause, depth++) {
    const found = read(current);
    if (found !== undefined) return found;
  }
  return undefined;
}
