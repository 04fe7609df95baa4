/**
 * The store and metadata routes of the query server: parse the request, find the instance holding
 * the key (forwarding to it when it is another), or ask every instance holding the store for a
 * range (fan-out, then merge up to the limit), and render the answer as JSON.
 */
import type { ServerResponse } from 'node:http';
import { QueryableStoreTypes, StreamsError } from '@tributary/streams';
import { applicationServerOf, isGlobalStore, storeKindOf, unhostedPartitionsOf, type KafkaStreams } from '../../kafka-streams.js';
import type { AsyncKeyValueStore, AsyncSessionStore, AsyncWindowStore } from '../../interactive-queries.js';
import type { StoreKind } from '../../internal/query-service.js';
import { hostAddress, type KeyQueryMetadata, type StreamsMetadata } from '../../streams-metadata.js';
import type { JsonResponse, ResolvedQueryServerOptions, RouteContext } from '../query-server.js';
import { forward, FORWARDED_HEADER, type ForwardedAnswer } from './forward.js';
import type { RouteTable } from '../route-table.js';

/** What the routes read of an application; {@link kafkaStreamsTarget} adapts a `KafkaStreams`, tests give fakes. */
export interface QueryTarget {
  /** The application's state; stores are answered only while `RUNNING`. */
  readonly state: string;
  /** This instance's `host:port`, when it has one; without one it answers every read itself. */
  readonly applicationServer: string | undefined;
  /** The store's kind (`undefined`: not queryable); throws `UnknownStoreError` for no such store. */
  kindOf(store: string): StoreKind | undefined;
  /** Whether the store is global (every instance holds all of it). */
  isGlobal(store: string): boolean;
  /** The store's partitions no instance holds active now; `undefined` before the first assignment. */
  unhostedPartitions(store: string): number[] | undefined;
  /** Reads of a key-value store; `stale` reads standby replicas too (`queryAsync`'s `staleStores`). */
  keyValue(store: string, stale: boolean): AsyncKeyValueStore<unknown, unknown>;
  window(store: string, stale: boolean): AsyncWindowStore<unknown, unknown>;
  session(store: string, stale: boolean): AsyncSessionStore<unknown, unknown>;
  keyMetadata(store: string, key: unknown): KeyQueryMetadata;
  storeMetadata(store: string): StreamsMetadata[];
  allMetadata(): StreamsMetadata[];
}

/** The routes' view of a `KafkaStreams`. */
export function kafkaStreamsTarget(app: KafkaStreams): QueryTarget {
  return {
    get state() {
      return app.state;
    },
    applicationServer: applicationServerOf(app),
    kindOf: (store) => storeKindOf(app, store),
    isGlobal: (store) => isGlobalStore(app, store),
    unhostedPartitions: (store) => unhostedPartitionsOf(app, store),
    keyValue: (store, stale) => app.queryAsync(store, QueryableStoreTypes.keyValueStore<unknown, unknown>(), { staleStores: stale }),
    window: (store, stale) => app.queryAsync(store, QueryableStoreTypes.windowStore<unknown, unknown>(), { staleStores: stale }),
    session: (store, stale) => app.queryAsync(store, QueryableStoreTypes.sessionStore<unknown, unknown>(), { staleStores: stale }),
    keyMetadata: (store, key) => app.queryMetadataForKey(store, key),
    storeMetadata: (store) => app.streamsMetadataForStore(store),
    allMetadata: () => app.metadataForAllStreamsClients(),
  };
}

/** A failure with its HTTP answer. */
class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Writes a JSON answer. */
export function sendJson(response: ServerResponse, answer: JsonResponse): void {
  const text = JSON.stringify(answer.body);
  response.writeHead(answer.status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...answer.headers });
  response.end(text);
}

function failure(status: number, code: string, message: string, retryAfterSeconds?: number): JsonResponse {
  return { status, body: { error: { code, message } }, ...(retryAfterSeconds === undefined ? {} : { headers: { 'retry-after': String(retryAfterSeconds) } }) };
}

/** Query-string integers: `name`'s value, `fallback` when absent; 400 when not an integer in range. */
function integerParam(query: URLSearchParams, name: string, fallback: number, min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER): number {
  const text = query.get(name);
  if (text === null || text === '') return fallback;
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < min || value > max) throw new HttpError(400, 'BAD_REQUEST', `Parameter '${name}' must be an integer from ${min} to ${max}, got ${JSON.stringify(text)}.`);
  return value;
}

/** Adds the store and metadata routes to `routes`. */
export function addStoreRoutes(routes: RouteTable, target: QueryTarget, options: ResolvedQueryServerOptions): void {
  const unavailable = (message: string): JsonResponse => failure(503, 'STORE_UNAVAILABLE', message, options.retryAfterSeconds);

  /** Runs a route body, turning errors into answers: Tributary's by code, {@link HttpError}s as they are. */
  const guarded =
    (body: (context: RouteContext) => Promise<JsonResponse>) =>
    async (context: RouteContext): Promise<JsonResponse> => {
      try {
        return await body(context);
      } catch (error) {
        if (error instanceof HttpError) return failure(error.status, error.code, error.message);
        if (StreamsError.isInstance(error)) {
          if (error.code === 'STORE_UNKNOWN') return failure(404, error.code, error.message);
          if (error.code === 'STORE_UNAVAILABLE') return unavailable(error.message);
          if (error.code === 'ILLEGAL_STATE') return failure(400, 'BAD_REQUEST', error.message);
        }
        throw error;
      }
    };

  const storeOptions = (store: string) => options.stores[store] ?? {};
  const parseKey = (store: string, text: string): unknown => {
    const parse = storeOptions(store).parseKey;
    if (parse === undefined) return text;
    try {
      return parse(text);
    } catch (error) {
      throw new HttpError(400, 'BAD_REQUEST', `Key ${JSON.stringify(text)} is not a key of store '${store}': ${error instanceof Error ? error.message : String(error)}`);
    }
  };
  /** A key or value as JSON can carry it, or a 500 that names the store and the fix. */
  const json = (store: string, value: unknown): unknown => {
    const converted = storeOptions(store).toJson?.(value) ?? value;
    let problem: string | undefined;
    if (converted instanceof Uint8Array) problem = 'it is binary (a Buffer)';
    else {
      try {
        if (JSON.stringify(converted) === undefined && converted !== undefined) problem = `JSON has no form for a ${typeof converted}`;
      } catch (error) {
        problem = error instanceof Error ? error.message : String(error);
      }
    }
    if (problem !== undefined) {
      throw new HttpError(500, 'VALUE_NOT_JSON', `A key or value of store '${store}' cannot be rendered as JSON (${problem}); give the query server a 'toJson' for it: createQueryServer(app, { stores: { '${store}': { toJson } } }).`);
    }
    return converted;
  };

  /** The store's kind, checked: 404 for no such store, 400 for a kind the route does not read. */
  const kindOf = (store: string, allowed: readonly StoreKind[]): StoreKind => {
    const kind = target.kindOf(store);
    if (kind === undefined || !allowed.includes(kind)) {
      throw new HttpError(400, 'BAD_REQUEST', `Store '${store}' is ${kind === undefined ? 'of a kind queries cannot read' : `a ${kind} store`}; this route reads ${allowed.join(' and ')} stores.`);
    }
    return kind;
  };
  /** Whether the request asks for stale reads (`?stale=true`): standby replicas answer too, also while rebalancing. */
  const staleOf = (query: URLSearchParams): boolean => {
    const text = query.get('stale');
    if (text === null || text === 'false') return false;
    if (text === 'true' || text === '') return true;
    throw new HttpError(400, 'BAD_REQUEST', `Parameter 'stale' must be 'true' or 'false', got ${JSON.stringify(text)}.`);
  };
  const checkRunning = (stale = false): JsonResponse | undefined =>
    target.state === 'RUNNING' || (stale && target.state === 'REBALANCING')
      ? undefined
      : unavailable(`The application is ${target.state}: its stores are answered once it is RUNNING again${stale ? '' : ' (or, with ?stale=true, while it rebalances)'}.`);
  const isForwarded = (context: RouteContext): boolean => context.request.headers[FORWARDED_HEADER] !== undefined;
  const pathAndQuery = (context: RouteContext): string => context.request.url ?? '/';
  const fromOtherInstance = (answer: ForwardedAnswer): JsonResponse => ({
    status: answer.status,
    body: answer.body,
    ...(answer.retryAfter === undefined ? {} : { headers: { 'retry-after': answer.retryAfter } }),
  });
  const limitOf = (query: URLSearchParams): number => integerParam(query, 'limit', options.defaultLimit, 1, options.maxLimit);

  /**
   * Answers a key read here, or forwards it to the instance holding the key. An instance without
   * an `applicationServer` answers everything itself.
   */
  const byKey = (kinds: readonly StoreKind[], answerHere: (store: string, key: unknown, context: RouteContext, kind: StoreKind) => Promise<JsonResponse>) =>
    guarded(async (context) => {
      const { store } = context.params as { store: string; key: string };
      const kind = kindOf(store, kinds);
      const key = parseKey(store, context.params.key!);
      const stale = staleOf(context.query);
      const notRunning = checkRunning(stale);
      if (notRunning !== undefined) return notRunning;
      if (isForwarded(context) || target.applicationServer === undefined) return answerHere(store, key, context, kind);
      const metadata = target.keyMetadata(store, key);
      if (stale && metadata.partition !== -1) return staleByKey(store, key, context, kind, metadata, answerHere);
      if (metadata.activeHost === undefined) return unavailable(`No instance holds the partition of this key of store '${store}' now (a rebalance is under way).`);
      if (hostAddress(metadata.activeHost) === target.applicationServer || metadata.partition === -1) return answerHere(store, key, context, kind);
      try {
        return fromOtherInstance(await forward(metadata.activeHost, pathAndQuery(context), options.forwardTimeoutMs));
      } catch (error) {
        return unavailable(`The instance holding this key of store '${store}', ${hostAddress(metadata.activeHost)}, could not be reached: ${error instanceof Error ? error.message : String(error)}.`);
      }
    });

  /**
   * A stale key read: the key's active host first, then its standby hosts, in turn until one
   * answers (this instance answering from its own active task or standby when it is one of them).
   * An instance that cannot be reached, or answers 503, passes the read to the next.
   */
  const staleByKey = async (
    store: string,
    key: unknown,
    context: RouteContext,
    kind: StoreKind,
    metadata: KeyQueryMetadata,
    answerHere: (store: string, key: unknown, context: RouteContext, kind: StoreKind) => Promise<JsonResponse>,
  ): Promise<JsonResponse> => {
    const hosts = metadata.activeHost === undefined ? metadata.standbyHosts : [metadata.activeHost, ...metadata.standbyHosts];
    const problems: string[] = [];
    for (const host of hosts) {
      const address = hostAddress(host);
      if (address === target.applicationServer) {
        const answer = await guarded(() => answerHere(store, key, context, kind))(context);
        if (answer.status !== 503) return answer;
        problems.push(`${address} (this instance): ${(answer.body as { error?: { message?: string } }).error?.message ?? 'unavailable'}`);
        continue;
      }
      try {
        const answer = await forward(host, pathAndQuery(context), options.forwardTimeoutMs);
        if (answer.status !== 503) return fromOtherInstance(answer);
        problems.push(`${address}: answered 503`);
      } catch (error) {
        problems.push(`${address}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    return unavailable(
      hosts.length === 0
        ? `No instance holds the partition of this key of store '${store}' now, active or standby (a rebalance is under way).`
        : `No instance holding this key of store '${store}', active or standby, could answer: ${problems.join('; ')}.`,
    );
  };

  /**
   * Answers a multi-entry read: this instance's entries (asking for one more than the limit, to
   * know whether it cut), joined with those of every other instance holding the store active.
   * Any instance unable to answer makes the whole answer 503: a partial list would be wrong.
   */
  const fanOut = (kinds: readonly StoreKind[], local: (store: string, limit: number, context: RouteContext, kind: StoreKind) => Promise<unknown[]>) =>
    guarded(async (context) => {
      const { store } = context.params as { store: string };
      const kind = kindOf(store, kinds);
      const limit = limitOf(context.query);
      const stale = staleOf(context.query);
      const notRunning = checkRunning(stale);
      if (notRunning !== undefined) return notRunning;
      const hereFirst = async (): Promise<{ entries: unknown[]; truncated: boolean }> => {
        const entries = await local(store, limit + 1, context, kind);
        return { entries: entries.slice(0, limit), truncated: entries.length > limit };
      };
      // A stale list is this instance's own, active and standby: joined with others' it would
      // repeat every partition that one instance holds active and another as a standby.
      if (stale || isForwarded(context) || target.applicationServer === undefined || target.isGlobal(store)) {
        const { entries, truncated } = await hereFirst();
        return { status: 200, body: { store, entries, truncated } };
      }
      // Every partition must have an instance to ask: a list missing some would be wrong, not short.
      const unhosted = target.unhostedPartitions(store);
      if (unhosted === undefined || unhosted.length > 0) {
        return unavailable(`Partitions ${unhosted === undefined ? 'of' : `[${unhosted.join(', ')}] of`} store '${store}' have no instance to answer for them now (a rebalance is under way).`);
      }
      const hosts = target.storeMetadata(store).filter((metadata) => metadata.stateStoreNames.includes(store));
      const parts = await Promise.all(
        hosts.map(async (metadata): Promise<{ entries: unknown[]; truncated: boolean } | JsonResponse> => {
          const address = hostAddress(metadata.hostInfo);
          if (address === target.applicationServer) return hereFirst();
          try {
            const answer = await forward(metadata.hostInfo, pathAndQuery(context), options.forwardTimeoutMs);
            if (answer.status !== 200) return fromOtherInstance(answer);
            const body = answer.body as { entries?: unknown; truncated?: unknown };
            return { entries: Array.isArray(body.entries) ? body.entries : [], truncated: body.truncated === true };
          } catch (error) {
            return unavailable(`Instance ${address}, which holds part of store '${store}', could not be reached: ${error instanceof Error ? error.message : String(error)}.`);
          }
        }),
      );
      const entries: unknown[] = [];
      let truncated = false;
      for (const part of parts) {
        if ('status' in part) return part;
        for (const entry of part.entries) {
          if (entries.length < limit) entries.push(entry);
          else truncated = true;
        }
        truncated ||= part.truncated;
      }
      return { status: 200, body: { store, entries, truncated } };
    });

  const windowBounds = (query: URLSearchParams): { from: number; to: number } => {
    const from = integerParam(query, 'from', 0, 0);
    const to = integerParam(query, 'to', Number.MAX_SAFE_INTEGER, 0);
    if (from > to) throw new HttpError(400, 'BAD_REQUEST', `Parameter 'from' (${from}) must not be after 'to' (${to}).`);
    return { from, to };
  };
  const windowedEntry = (store: string, entry: { key: { key: unknown; window: { start: number; end: number } }; value: unknown }) => ({
    key: json(store, entry.key.key),
    window: { start: entry.key.window.start, end: entry.key.window.end },
    value: json(store, entry.value),
  });
  const notFound = (store: string, what: string): JsonResponse => failure(404, 'KEY_NOT_FOUND', `Store '${store}' has no ${what}.`);

  routes.get(
    '/stores/:store/keys/:key',
    byKey(['key-value', 'window', 'session'], async (store, key, context, kind) => {
      if (kind === 'key-value') {
        const value = await target.keyValue(store, staleOf(context.query)).get(key);
        return value === undefined ? notFound(store, `key ${JSON.stringify(context.params.key)}`) : { status: 200, body: { store, key: json(store, key), value: json(store, value) } };
      }
      const { from, to } = windowBounds(context.query);
      const limit = limitOf(context.query);
      if (kind === 'window') {
        const found = await target.window(store, staleOf(context.query)).fetchRange(key, from, to, { limit: limit + 1 });
        if (found.length === 0) return notFound(store, `windows of key ${JSON.stringify(context.params.key)} starting from ${from} to ${to}`);
        const windows = found.slice(0, limit).map((entry) => ({ start: entry.key, value: json(store, entry.value) }));
        return { status: 200, body: { store, key: json(store, key), windows, truncated: found.length > limit } };
      }
      const found = await target.session(store, staleOf(context.query)).findSessions(key, from, to, { limit: limit + 1 });
      if (found.length === 0) return notFound(store, `sessions of key ${JSON.stringify(context.params.key)} ending from ${from} and starting up to ${to}`);
      const sessions = found.slice(0, limit).map((entry) => ({ start: entry.key.window.start, end: entry.key.window.end, value: json(store, entry.value) }));
      return { status: 200, body: { store, key: json(store, key), sessions, truncated: found.length > limit } };
    }),
  );

  routes.get(
    '/stores/:store/keys/:key/windows/:start',
    byKey(['window'], async (store, key, context) => {
      const start = integerParam(new URLSearchParams({ start: context.params.start! }), 'start', 0, 0);
      const value = await target.window(store, staleOf(context.query)).fetch(key, start);
      return value === undefined ? notFound(store, `window starting at ${start} for key ${JSON.stringify(context.params.key)}`) : { status: 200, body: { store, key: json(store, key), start, value: json(store, value) } };
    }),
  );

  routes.get(
    '/stores/:store/range',
    fanOut(['key-value'], async (store, limit, context) => {
      const bound = (name: string): unknown => {
        const text = context.query.get(name);
        return text === null ? undefined : parseKey(store, text);
      };
      const entries = await target.keyValue(store, staleOf(context.query)).range(bound('from'), bound('to'), { limit });
      return entries.map((entry) => ({ key: json(store, entry.key), value: json(store, entry.value) }));
    }),
  );

  routes.get(
    '/stores/:store/all',
    fanOut(['key-value', 'window'], async (store, limit, context, kind) => {
      if (kind === 'key-value') {
        const entries = await target.keyValue(store, staleOf(context.query)).all({ limit });
        return entries.map((entry) => ({ key: json(store, entry.key), value: json(store, entry.value) }));
      }
      const timed = context.query.has('from') || context.query.has('to');
      const { from, to } = windowBounds(context.query);
      const entries = timed ? await target.window(store, staleOf(context.query)).fetchAll(from, to, { limit }) : await target.window(store, staleOf(context.query)).all({ limit });
      return entries.map((entry) => windowedEntry(store, entry));
    }),
  );

  routes.get('/metadata', guarded(async () => ({ status: 200, body: { instances: target.allMetadata() } })));
  routes.get(
    '/metadata/stores/:store',
    guarded(async (context) => ({ status: 200, body: { store: context.params.store, instances: target.storeMetadata(context.params.store!) } })),
  );
  routes.get(
    '/metadata/stores/:store/keys/:key',
    guarded(async (context) => {
      const store = context.params.store!;
      target.kindOf(store);
      return { status: 200, body: { store, key: context.params.key, ...target.keyMetadata(store, parseKey(store, context.params.key!)) } };
    }),
  );
}
