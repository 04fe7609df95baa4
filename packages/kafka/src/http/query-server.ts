/**
 * A ready HTTP layer for interactive queries (`@tributary/kafka/http`), on `node:http`: GET routes
 * for key reads, key ranges, whole stores and windowed fetches of key-value, window and session
 * stores, answered as JSON through the stores' serdes, and forwarded to the instance holding a
 * key (by its `applicationServer`) when that is another one. It binds to 127.0.0.1 unless told
 * otherwise, answers 404 for no such store or key and 503 with `Retry-After` while the
 * application rebalances or restores or the owner cannot be reached, and bounds every multi-entry
 * answer with a `limit`. Its route table takes more routes, such as a dashboard's.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ConfigError } from '@tributary/streams';
import type { KafkaStreams } from '../kafka-streams.js';
import { RouteTable } from './route-table.js';
import { addStoreRoutes, kafkaStreamsTarget, sendJson, type QueryTarget } from './internal/store-routes.js';

/** What a route handler gets. */
export interface RouteContext {
  /** The request, as `node:http` gives it. */
  readonly request: IncomingMessage;
  /** Write to it directly (server-sent events, a page) and return nothing; or return a {@link JsonResponse}. */
  readonly response: ServerResponse;
  /** The pattern's `:name` segments, decoded. */
  readonly params: Readonly<Record<string, string>>;
  /** The query string's parameters. */
  readonly query: URLSearchParams;
}

/** A JSON answer. */
export interface JsonResponse {
  /** The HTTP status. */
  readonly status: number;
  /** Rendered with `JSON.stringify`. */
  readonly body: unknown;
  /** Headers besides `content-type` (JSON) and `cache-control` (`no-store`). */
  readonly headers?: Readonly<Record<string, string>>;
}

/** Handles one route; returns the JSON answer, or nothing when it wrote the response itself. */
export type RouteHandler = (context: RouteContext) => JsonResponse | void | Promise<JsonResponse | void>;

/** How the server renders one store's keys and values. */
export interface StoreHttpOptions {
  /** Turns a key in a URL (a path segment, or `from`/`to`) into the store's key. Default: the text itself. */
  readonly parseKey?: (text: string) => unknown;
  /** Turns a key or value into something `JSON.stringify` renders, for types it cannot (Buffers, BigInts, classes). Default: as is. */
  readonly toJson?: (value: unknown) => unknown;
}

/** Options of {@link createQueryServer}. */
export interface QueryServerOptions {
  /** The interface to listen on. Default `'127.0.0.1'`: nothing outside this machine can connect unless you say so. */
  readonly host?: string;
  /** The port. Default: the port of the application's `applicationServer`, or 0 (any free port) without one. */
  readonly port?: number;
  /** Entries a range or `all` answer holds when the request gives no `limit`. Default 100. */
  readonly defaultLimit?: number;
  /** The largest `limit` a request may ask for. Default 1000. */
  readonly maxLimit?: number;
  /** How long a forwarded request may take before the answer is 503. Default 5000 ms. */
  readonly forwardTimeoutMs?: number;
  /** The `Retry-After` of 503 answers, in seconds. Default 1. */
  readonly retryAfterSeconds?: number;
  /** Per-store key parsing and JSON rendering, by store name. */
  readonly stores?: Readonly<Record<string, StoreHttpOptions>>;
}

/** The options with their defaults (see {@link QueryServerOptions} for each). */
export interface ResolvedQueryServerOptions {
  /** The interface listened on. */
  readonly host: string;
  /** The port asked for (0: any free one). */
  readonly port: number;
  /** Entries a multi-entry answer holds without a `limit`. */
  readonly defaultLimit: number;
  /** The largest `limit` accepted. */
  readonly maxLimit: number;
  /** How long a forwarded request may take. */
  readonly forwardTimeoutMs: number;
  /** The `Retry-After` of 503 answers, in seconds. */
  readonly retryAfterSeconds: number;
  /** Per-store key parsing and JSON rendering. */
  readonly stores: Readonly<Record<string, StoreHttpOptions>>;
}

function positiveInteger(value: unknown, option: string, fallback: number, min = 1): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) throw new ConfigError(`Query server option '${option}' must be an integer of at least ${min}, got ${String(value)}.`);
  return value;
}

/** Checks the options once, at construction; throws `ConfigError` naming a bad one. */
export function resolveQueryServerOptions(options: QueryServerOptions, applicationServer: string | undefined): ResolvedQueryServerOptions {
  const host = options.host ?? '127.0.0.1';
  if (typeof host !== 'string' || host.trim() === '') throw new ConfigError(`Query server option 'host' must be an interface address such as '127.0.0.1', got ${JSON.stringify(options.host)}.`);
  const defaultPort = applicationServer === undefined ? 0 : Number(applicationServer.slice(applicationServer.lastIndexOf(':') + 1));
  const port = positiveInteger(options.port, 'port', defaultPort, 0);
  if (port > 65535) throw new ConfigError(`Query server option 'port' must be at most 65535, got ${port}.`);
  const maxLimit = positiveInteger(options.maxLimit, 'maxLimit', 1000);
  const defaultLimit = positiveInteger(options.defaultLimit, 'defaultLimit', Math.min(100, maxLimit));
  if (defaultLimit > maxLimit) throw new ConfigError(`Query server option 'defaultLimit' (${defaultLimit}) must not exceed 'maxLimit' (${maxLimit}).`);
  return {
    host,
    port,
    defaultLimit,
    maxLimit,
    forwardTimeoutMs: positiveInteger(options.forwardTimeoutMs, 'forwardTimeoutMs', 5000),
    retryAfterSeconds: positiveInteger(options.retryAfterSeconds, 'retryAfterSeconds', 1),
    stores: options.stores ?? {},
  };
}

/**
 * An HTTP server answering interactive queries. Routes (all GET, JSON):
 *
 * | path | answer |
 * | --- | --- |
 * | `/stores/:store/keys/:key` | key-value: `{ key, value }`; window: the key's windows (`from`, `to`, `limit`); session: its sessions (`from`, `to`, `limit`) |
 * | `/stores/:store/keys/:key/windows/:start` | window store: `{ key, start, value }` of one window |
 * | `/stores/:store/range?from=&to=&limit=` | key-value: entries with `from <= key <= to` |
 * | `/stores/:store/all?limit=` (window stores also `from`, `to`) | every entry, of every instance |
 * | `/metadata`, `/metadata/stores/:store`, `/metadata/stores/:store/keys/:key` | `StreamsMetadata`, `KeyQueryMetadata` |
 *
 * Errors are `{ error: { code, message } }`: 400 for bad parameters, 404 `STORE_UNKNOWN`,
 * `KEY_NOT_FOUND` or `ROUTE_UNKNOWN`, 405, 500 `VALUE_NOT_JSON`, 503 `STORE_UNAVAILABLE` (with
 * `Retry-After`). Range and `all` answers say `truncated: true` when the limit cut them.
 */
export class QueryServer {
  /** The routes; add your own with `routes.get(pattern, handler)`. */
  readonly routes = new RouteTable();
  private readonly server: Server;
  /** The options, checked, with their defaults. */
  readonly options: ResolvedQueryServerOptions;

  /** Internal: use {@link createQueryServer}. */
  constructor(target: QueryTarget, options: QueryServerOptions = {}) {
    this.options = resolveQueryServerOptions(options, target.applicationServer);
    addStoreRoutes(this.routes, target, this.options);
    this.server = createServer((request, response) => void this.handle(request, response));
  }

  /** Starts listening; resolves with the bound address (its port, when 0 was asked for). */
  listen(): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.port, this.options.host, () => {
        this.server.off('error', reject);
        resolve(this.server.address() as AddressInfo);
      });
    });
  }

  /** Stops listening and ends open connections. */
  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    try {
      const url = new URL(request.url ?? '/', 'http://localhost');
      let match;
      try {
        match = this.routes.match(request.method ?? 'GET', url.pathname);
      } catch {
        sendJson(response, { status: 400, body: { error: { code: 'BAD_REQUEST', message: `The path ${JSON.stringify(url.pathname)} has a malformed percent-encoding.` } } });
        return;
      }
      if (match === undefined) {
        sendJson(response, { status: 404, body: { error: { code: 'ROUTE_UNKNOWN', message: `No route for ${url.pathname}; see /metadata and /stores/<store>/keys/<key>.` } } });
        return;
      }
      if (match === 'method') {
        sendJson(response, { status: 405, body: { error: { code: 'METHOD_NOT_ALLOWED', message: `${request.method} is not allowed on ${url.pathname}; use GET.` } }, headers: { allow: 'GET' } });
        return;
      }
      const answer = await match.handler({ request, response, params: match.params, query: url.searchParams });
      if (answer !== undefined) sendJson(response, answer);
    } catch (error) {
      if (!response.headersSent) sendJson(response, { status: 500, body: { error: { code: 'INTERNAL', message: error instanceof Error ? error.message : String(error) } } });
      else response.end();
    }
  }
}

/** Creates (does not start) the query server of `app`; call `listen()`. */
export function createQueryServer(app: KafkaStreams, options: QueryServerOptions = {}): QueryServer {
  return new QueryServer(kafkaStreamsTarget(app), options);
}
