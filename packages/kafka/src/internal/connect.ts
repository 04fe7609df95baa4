/**
 * Reaching the brokers at start, and saying what to do when they cannot be reached. The first
 * connection is probed with clients that do not retry by themselves, in a loop of our own that
 * stops at a deadline or when the application closes: a connect that kafkajs retries cannot be
 * cancelled, and against a broker that accepts connections but never answers each of its
 * attempts waits a full request timeout, so it would outlive both (and keep the process alive).
 */
import { Kafka, type Admin, type KafkaConfig } from 'kafkajs';
import { StreamsError } from '@tributary/streams';
import { BrokerUnreachableError, brokersUnavailable, IllegalStateError } from '../errors.js';
import { SocketRegistry } from './socket-registry.js';
import { findInCauses, someCause } from './error-causes.js';

export interface ConnectOptions {
  /** How long to keep trying. */
  readonly timeoutMs: number;
  /** The bootstrap servers, for the messages. */
  readonly brokers: readonly string[];
  /** True once the application is closing or failed: stop trying. */
  readonly stopped: () => boolean;
}

const FIRST_BACKOFF_MS = 250;
const MAX_BACKOFF_MS = 4000;
/** How often a wait checks whether the application closed. */
const POLL_MS = 50;

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Resolves after `ms`, or earlier once `stopped()`; `cancel()` ends it at once. */
function wait(ms: number, stopped: () => boolean): { done: Promise<void>; cancel: () => void } {
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

/** Whether a request timed out (the connection was made, the broker did not answer), or one of its causes did. */
function timedOut(error: unknown): boolean {
  return someCause(error, (current) => current.name === 'KafkaJSRequestTimeoutError');
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

/**
 * Connects an admin client of `kafka` once the brokers answer: probes them until `timeoutMs`,
 * then connects the admin (with the application's retry options). Throws a
 * {@link BrokerUnreachableError} naming the brokers and what to check; leaves no connection
 * or timer behind when it gives up.
 */
export async function connectAdmin(kafka: Kafka, config: KafkaConfig, options: ConnectOptions): Promise<Admin> {
  const deadline = Date.now() + options.timeoutMs;
  let lastError: unknown;
  /** Whether the last attempt got a connection that never answered. */
  let silent = false;
  for (let backoffMs = FIRST_BACKOFF_MS; ; backoffMs = Math.min(backoffMs * 2, MAX_BACKOFF_MS)) {
    if (options.stopped()) throw new IllegalStateError('The application stopped while connecting.');
    if (Date.now() >= deadline) throw unreachable(options, lastError, silent);
    // Its sockets are destroyed when the attempt ends, whichever way: nothing of it lingers.
    const sockets = new SocketRegistry(config.socketFactory);
    const probe = new Kafka({ ...config, socketFactory: sockets.factory, retry: { ...config.retry, retries: 0 } }).admin();
    const attempt = probe.connect().then(
      () => 'answered' as const,
      (error: unknown) => {
        lastError = error;
        return 'failed' as const;
      },
    );
    const timer = wait(deadline - Date.now(), options.stopped);
    const outcome = await Promise.race([attempt, timer.done.then(() => 'waited' as const)]);
    timer.cancel();
    silent = outcome === 'waited' ? sockets.size > 0 : outcome === 'failed' && timedOut(lastError);
    sockets.shutdown();
    await probe.disconnect().catch(() => {});
    if (outcome === 'answered') break;
    if (outcome === 'failed') await wait(Math.min(backoffMs, deadline - Date.now()), options.stopped).done;
  }
  const admin = kafka.admin();
  try {
    await admin.connect();
  } catch (error) {
    await admin.disconnect().catch(() => {});
    throw brokerFailure(error, options.brokers, 'while connecting');
  }
  return admin;
}

function unreachable(options: ConnectOptions, lastError: unknown, silent: boolean): BrokerUnreachableError {
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

/** kafkajs' text when a request goes to a broker whose connection is gone. */
const NOT_CONNECTED = 'Broker not connected';

/**
 * `error`, or for a failure to reach the brokers (a lost connection, a request that timed out,
 * retries exhausted) a {@link BrokerUnreachableError} that names them, says `during` what, and
 * what to check. The application's own errors pass unchanged.
 */
export function brokerFailure(error: unknown, brokers: readonly string[], during: string): unknown {
  if (error instanceof StreamsError) return error;
  const unreachable = brokersUnavailable(error) || (error instanceof Error && error.message === NOT_CONNECTED);
  if (!unreachable) return error;
  return new BrokerUnreachableError(`Lost the Kafka brokers [${brokers.join(', ')}] ${during}: ${errorText(error)}. ${hint(error, brokers)}`, { cause: error });
}
