/**
 * Saying what to do when the brokers cannot be reached: the messages of a failed connect (the
 * client adapters' `StreamsAdmin.connect`) and of brokers lost while running.
 */
import { StreamsError } from '@tributary/streams';
import { BrokerUnreachableError } from '../errors.js';
import { clientErrorIn } from '../client/client-error.js';
import { findInCauses } from './error-causes.js';

export interface ConnectOptions {
  /** How long to keep trying. */
  readonly timeoutMs: number;
  /** The bootstrap servers, for the messages. */
  readonly brokers: readonly string[];
  /** True once the application is closing or failed: stop trying. */
  readonly stopped: () => boolean;
}

/** How often a wait checks whether the application closed. */
const POLL_MS = 50;

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Resolves after `ms`, or earlier once `stopped()`; `cancel()` ends it at once. */
export function waitUnlessStopped(ms: number, stopped: () => boolean): { done: Promise<void>; cancel: () => void } {
  let timer: NodeJS.Timeout | undefined;
  let finish: () => void = () => {};
  const done = new Promise<void>((resolve) => {
    const until = Date.now() + ms;
    finish = () => {
      clearTimeout(timer);
      resolve();
    };
    const check = (): void => {
      if (stopped() || Date.now() >= until) finish();
      else timer = setTimeout(check, Math.min(POLL_MS, until - Date.now()));
    };
    check();
  });
  return { done, cancel: () => finish() };
}

function codeOf(error: unknown): string | undefined {
  return findInCauses(error, (current) => {
    const code = (current as { code?: unknown }).code;
    return typeof code === 'string' && code.startsWith('E') ? code : undefined;
  });
}

/** What to check, given how connecting failed. */
function hint(error: unknown, brokers: readonly string[]): string {
  const list = brokers.join(', ');
  switch (codeOf(error)) {
    case 'ECONNREFUSED':
      return `Nothing listens at ${list}: check that the brokers run, and that 'bootstrapServers' names their listener's host and port.`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `The host of ${list} could not be resolved: check the host names in 'bootstrapServers'.`;
    case 'ETIMEDOUT':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return `${list} cannot be reached from here: check 'bootstrapServers', the network and firewalls.`;
    default:
      return `Check that the brokers run, that 'bootstrapServers' names their listeners, and the 'kafka.ssl' / 'kafka.sasl' options.`;
  }
}

/** The error for brokers not reached within `options.timeoutMs`; `silent` when a connection was accepted but never answered. */
export function unreachable(options: Omit<ConnectOptions, 'stopped'>, lastError: unknown, silent: boolean): BrokerUnreachableError {
  const list = options.brokers.join(', ');
  const within = `within ${options.timeoutMs / 1000} s`;
  if (silent) {
    return new BrokerUnreachableError(
      `Could not reach the Kafka brokers [${list}] ${within}: a connection to ${list} was accepted but nothing answered as a Kafka broker. Check that 'bootstrapServers' names the brokers' listeners (not another service's port), and 'kafka.ssl': a TLS listener never answers a client without it.`,
      lastError === undefined ? undefined : { cause: lastError },
    );
  }
  return new BrokerUnreachableError(`Could not reach the Kafka brokers [${list}] ${within}: ${errorText(lastError)}. ${hint(lastError, options.brokers)}`, lastError === undefined ? undefined : { cause: lastError });
}


/**
 * `error`, or for a failure to reach the brokers (a lost connection, a request that timed out,
 * retries exhausted) a {@link BrokerUnreachableError} that names them, says `during` what, and
 * what to check. The application's own errors pass unchanged.
 */
export function brokerFailure(error: unknown, brokers: readonly string[], during: string): unknown {
  if (error instanceof StreamsError) return error;
  const clientError = clientErrorIn(error);
  if (clientError === undefined || (clientError.kind !== 'unavailable' && !clientError.retriable)) return error;
  return new BrokerUnreachableError(`Lost the Kafka brokers [${brokers.join(', ')}] ${during}: ${errorText(error)}. ${hint(error, brokers)}`, { cause: error });
}
