import { afterEach, describe, expect, it } from 'vitest';
import type { KeyValue, Windowed } from '@tributary/streams';
import { StoreUnavailableError, UnknownStoreError } from '../errors.js';
import type { AsyncKeyValueStore, AsyncSessionStore, AsyncWindowStore } from '../interactive-queries.js';
import type { StoreKind } from '../internal/query-service.js';
import { parseHostInfo, type KeyQueryMetadata, type StreamsMetadata } from '../streams-metadata.js';
import { QueryServer, type QueryServerOptions } from './query-server.js';
import type { QueryTarget } from './internal/store-routes.js';

/** A fake instance: Map-backed stores, and a map of which instance holds each key. */
class FakeInstance implements QueryTarget {
  state = 'RUNNING';
  applicationServer: string | undefined;
  readonly counts = new Map<string, unknown>();
  readonly windows = new Map<string, KeyValue<number, unknown>[]>();
  readonly sessions = new Map<string, KeyValue<Windowed<string>, unknown>[]>();
  /** Key → `host:port` of the instance holding it; absent: no instance (mid-rebalance). */
  readonly owners = new Map<string, string>();
  /** Instances holding `counts` active. */
  hosts: string[] = [];
  /** Key reads this instance answered itself. */
  readonly answered: string[] = [];
  /** What this instance's standby replicas hold: read by stale reads only. */
  readonly standbyCounts = new Map<string, unknown>();
  /** Key → `host:port`s of the instances holding a standby of its partition. */
  readonly standbyOwners = new Map<string, string[]>();
  unavailable = false;

  constructor(applicationServer: string | undefined) {
    this.applicationServer = applicationServer;
  }

  kindOf(store: string): StoreKind | undefined {
    const kinds: Record<string, StoreKind | undefined> = { counts: 'key-value', windows: 'window', sessions: 'session', suppressed: undefined };
    if (!(store in kinds)) throw new UnknownStoreError(store);
    return kinds[store];
  }

  isGlobal(): boolean {
    return false;
  }

  /** Partitions of the store no instance holds now. */
  unhosted: number[] | undefined = [];

  unhostedPartitions(): number[] | undefined {
    return this.unhosted;
  }

  keyValue(_store: string, stale = false): AsyncKeyValueStore<unknown, unknown> {
    const held = (): [string, unknown][] => (stale ? [...this.counts, ...this.standbyCounts] : [...this.counts]);
    const entries = () => held().sort(([a], [b]) => (a < b ? -1 : 1)).map(([key, value]) => ({ key, value }));
    return {
      get: async (key) => {
        if (stale && this.standbyCounts.has(key as string)) {
          this.answered.push(`${String(key)} (standby)`);
          return this.standbyCounts.get(key as string);
        }
        if (this.unavailable) throw new StoreUnavailableError('Partition 0 of store counts is restoring on this instance; retry in a moment.');
        this.answered.push(String(key));
        return this.counts.get(key as string);
      },
      range: async (from, to, options) => entries().filter(({ key }) => (from === undefined || key >= (from as string)) && (to === undefined || key <= (to as string))).slice(0, options?.limit),
      all: async (options) => entries().slice(0, options?.limit),
      approximateNumEntries: async () => this.counts.size,
    };
  }

  window(): AsyncWindowStore<unknown, unknown> {
    return {
      fetch: async (key, windowStart) => this.windows.get(key as string)?.find((entry) => entry.key === windowStart)?.value,
      fetchRange: async (key, from, to, options) => (this.windows.get(key as string) ?? []).filter((entry) => entry.key >= from && entry.key <= to).slice(0, options?.limit),
      fetchAll: async () => [],
      all: async (options) =>
        [...this.windows].flatMap(([key, entries]) => entries.map((entry) => ({ key: { key, window: { start: entry.key, end: entry.key + 10 } }, value: entry.value }))).slice(0, options?.limit),
    };
  }

  session(): AsyncSessionStore<unknown, unknown> {
    return {
      findSessions: async (key, from, to, options) => (this.sessions.get(key as string) ?? []).filter((entry) => entry.key.window.end >= from && entry.key.window.start <= to).slice(0, options?.limit),
      fetch: async (key) => this.sessions.get(key as string) ?? [],
      fetchSession: async () => undefined,
    };
  }

  keyMetadata(_store: string, key: unknown): KeyQueryMetadata {
    const owner = this.owners.get(key as string);
    const standbys = (this.standbyOwners.get(key as string) ?? []).map((host) => parseHostInfo(host));
    return { activeHost: owner === undefined ? undefined : parseHostInfo(owner), standbyHosts: standbys, partition: 0 };
  }

  storeMetadata(): StreamsMetadata[] {
    return this.hosts.map((host) => ({ hostInfo: parseHostInfo(host), stateStoreNames: ['counts', 'windows'], topicPartitions: [], standbyStateStoreNames: [], standbyTopicPartitions: [] }));
  }

  allMetadata(): StreamsMetadata[] {
    return this.storeMetadata();
  }
}

const servers: QueryServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function start(instance: FakeInstance, options: QueryServerOptions = {}): Promise<string> {
  const server = new QueryServer(instance, { port: 0, ...options });
  servers.push(server);
  const { port } = await server.listen();
  return `127.0.0.1:${port}`;
}

async function get(address: string, path: string): Promise<{ status: number; body: any; retryAfter: string | null }> {
  const response = await fetch(`http://${address}${path}`);
  return { status: response.status, body: await response.json(), retryAfter: response.headers.get('retry-after') };
}

/** Two fake instances whose query servers know each other's addresses. */
async function pair(options: QueryServerOptions = {}): Promise<{ a: FakeInstance; b: FakeInstance; addressA: string; addressB: string }> {
  const a = new FakeInstance(undefined);
  const b = new FakeInstance(undefined);
  const addressA = await start(a, options);
  const addressB = await start(b, options);
  a.applicationServer = addressA;
  b.applicationServer = addressB;
  for (const instance of [a, b]) {
    instance.owners.set('alice', addressA);
    instance.owners.set('bob', addressB);
    instance.hosts = [addressA, addressB];
  }
  a.counts.set('alice', 3);
  b.counts.set('bob', 5);
  return { a, b, addressA, addressB };
}

describe('QueryServer stale reads (?stale=true)', () => {
  it('answers a key from a standby replica when its active instance cannot, and only when asked for stale reads', async () => {
    const { a, b, addressA, addressB } = await pair();
    // alice is active on a, which is restoring it; b holds a standby of it, a little behind.
    a.unavailable = true;
    b.standbyCounts.set('alice', 2);
    for (const instance of [a, b]) instance.standbyOwners.set('alice', [addressB]);
    for (const address of [addressA, addressB]) {
      expect(await get(address, '/stores/counts/keys/alice')).toMatchObject({ status: 503, body: { error: { code: 'STORE_UNAVAILABLE' } } });
      expect(await get(address, '/stores/counts/keys/alice?stale=true')).toMatchObject({ status: 200, body: { key: 'alice', value: 2 } });
    }
    expect(b.answered.filter((key) => key === 'alice (standby)')).toHaveLength(2);
    // The active instance, when it can answer, goes first: its copy is not stale.
    a.unavailable = false;
    expect(await get(addressB, '/stores/counts/keys/alice?stale=true')).toMatchObject({ status: 200, body: { value: 3 } });
    // No active and no standby reachable: 503, naming what was tried.
    for (const instance of [a, b]) instance.standbyOwners.set('alice', []);
    a.unavailable = true;
    const none = await get(addressB, '/stores/counts/keys/alice?stale=true');
    expect(none).toMatchObject({ status: 503, body: { error: { code: 'STORE_UNAVAILABLE' } } });
    expect(none.body.error.message).toContain(addressA);
  });

  it('answers while rebalancing, lists only the asked instance (active and standby), and rejects a bad value', async () => {
    const { a, b, addressA } = await pair();
    a.standbyCounts.set('bob', 4);
    a.state = 'REBALANCING';
    b.state = 'REBALANCING';
    expect(await get(addressA, '/stores/counts/all')).toMatchObject({ status: 503 });
    // Not joined with b's list, which would repeat bob (b active, a standby).
    expect(await get(addressA, '/stores/counts/all?stale=true')).toMatchObject({
      status: 200,
      body: { entries: [{ key: 'alice', value: 3 }, { key: 'bob', value: 4 }], truncated: false },
    });
    expect(await get(addressA, '/stores/counts/keys/alice?stale=true')).toMatchObject({ status: 200, body: { value: 3 } });
    expect(await get(addressA, '/stores/counts/keys/alice?stale=maybe')).toMatchObject({ status: 400, body: { error: { code: 'BAD_REQUEST' } } });
  });
});

describe('QueryServer key reads', () => {
  it('answers a key it holds, and 404 for a key or store it has not', async () => {
    const instance = new FakeInstance(undefined);
    instance.counts.set('alice', 3);
    const address = await start(instance);
    expect(await get(address, '/stores/counts/keys/alice')).toMatchObject({ status: 200, body: { store: 'counts', key: 'alice', value: 3 } });
    expect(await get(address, '/stores/counts/keys/nobody')).toMatchObject({ status: 404, body: { error: { code: 'KEY_NOT_FOUND' } } });
    expect(await get(address, '/stores/nope/keys/alice')).toMatchObject({ status: 404, body: { error: { code: 'STORE_UNKNOWN' } } });
    expect(await get(address, '/nothing/here')).toMatchObject({ status: 404, body: { error: { code: 'ROUTE_UNKNOWN' } } });
    expect((await fetch(`http://${address}/stores/counts/keys/alice`, { method: 'DELETE' })).status).toBe(405);
  });

  it('binds to 127.0.0.1 unless told otherwise', async () => {
    const server = new QueryServer(new FakeInstance(undefined), { port: 0 });
    servers.push(server);
    expect((await server.listen()).address).toBe('127.0.0.1');
  });

  it('answers 503 with Retry-After while rebalancing or restoring', async () => {
    const instance = new FakeInstance(undefined);
    instance.counts.set('alice', 3);
    const address = await start(instance, { retryAfterSeconds: 2 });
    instance.state = 'REBALANCING';
    expect(await get(address, '/stores/counts/keys/alice')).toMatchObject({ status: 503, retryAfter: '2', body: { error: { code: 'STORE_UNAVAILABLE' } } });
    instance.state = 'RUNNING';
    instance.unavailable = true;
    expect(await get(address, '/stores/counts/keys/alice')).toMatchObject({ status: 503, retryAfter: '2', body: { error: { message: expect.stringMatching(/restoring/) } } });
  });

  it('forwards a key held by another instance, which answers it itself', async () => {
    const { a, b, addressA: probeA, addressB: probeB } = await pair();
    // B's metadata is stale about bob: a forwarded request is answered where it lands, never sent on.
    b.owners.set('bob', probeA);
    expect(await get(probeA, '/stores/counts/keys/bob')).toMatchObject({ status: 200, body: { key: 'bob', value: 5 } });
    expect(b.answered).toEqual(['bob']);
    expect(a.answered).toEqual([]);
    expect(await get(probeA, '/stores/counts/keys/alice')).toMatchObject({ status: 200, body: { value: 3 } });
    // The owner's own 404 and 503 come back as they are.
    expect(await get(probeA, '/stores/counts/keys/carol')).toMatchObject({ status: 503 });
    a.owners.set('carol', probeB);
    expect(await get(probeA, '/stores/counts/keys/carol')).toMatchObject({ status: 404, body: { error: { code: 'KEY_NOT_FOUND' } } });
    b.unavailable = true;
    expect(await get(probeA, '/stores/counts/keys/bob')).toMatchObject({ status: 503, retryAfter: '1' });
  });

  it('answers 503 when the owner cannot be reached', async () => {
    const closed = await start(new FakeInstance(undefined));
    await servers.pop()!.close();
    const instance = new FakeInstance('127.0.0.1:1');
    instance.owners.set('bob', closed);
    const address = await start(instance);
    const answer = await get(address, '/stores/counts/keys/bob');
    expect(answer).toMatchObject({ status: 503, retryAfter: '1', body: { error: { code: 'STORE_UNAVAILABLE', message: expect.stringContaining(closed) } } });
  });

  it('reads windows and sessions of a key', async () => {
    const instance = new FakeInstance(undefined);
    instance.windows.set('alice', [
      { key: 0, value: 1 },
      { key: 10, value: 2 },
      { key: 20, value: 3 },
    ]);
    instance.sessions.set('alice', [{ key: { key: 'alice', window: { start: 5, end: 9 } }, value: 7 }]);
    const address = await start(instance);
    expect(await get(address, '/stores/windows/keys/alice?from=5&to=20')).toMatchObject({
      status: 200,
      body: { key: 'alice', windows: [{ start: 10, value: 2 }, { start: 20, value: 3 }], truncated: false },
    });
    expect((await get(address, '/stores/windows/keys/alice?limit=2')).body).toMatchObject({ windows: [{ start: 0 }, { start: 10 }], truncated: true });
    expect(await get(address, '/stores/windows/keys/alice/windows/10')).toMatchObject({ status: 200, body: { start: 10, value: 2 } });
    expect(await get(address, '/stores/windows/keys/alice/windows/11')).toMatchObject({ status: 404 });
    expect(await get(address, '/stores/windows/keys/alice?from=30&to=20')).toMatchObject({ status: 400 });
    expect(await get(address, '/stores/sessions/keys/alice')).toMatchObject({ status: 200, body: { sessions: [{ start: 5, end: 9, value: 7 }] } });
    expect(await get(address, '/stores/sessions/keys/bob')).toMatchObject({ status: 404 });
    expect(await get(address, '/stores/suppressed/keys/bob')).toMatchObject({ status: 400 });
  });

  it('says clearly when a value cannot be rendered as JSON, and takes a toJson', async () => {
    const instance = new FakeInstance(undefined);
    instance.counts.set('alice', Buffer.from([1, 2]));
    instance.counts.set('big', 10n);
    const address = await start(instance);
    expect(await get(address, '/stores/counts/keys/alice')).toMatchObject({ status: 500, body: { error: { code: 'VALUE_NOT_JSON', message: expect.stringMatching(/binary.*toJson/) } } });
    expect(await get(address, '/stores/counts/keys/big')).toMatchObject({ status: 500, body: { error: { code: 'VALUE_NOT_JSON' } } });
    const fixed = await start(instance, { stores: { counts: { toJson: (value) => (Buffer.isBuffer(value) ? value.toString('hex') : typeof value === 'bigint' ? String(value) : value) } } });
    expect(await get(fixed, '/stores/counts/keys/alice')).toMatchObject({ status: 200, body: { value: '0102' } });
    expect(await get(fixed, '/stores/counts/keys/big')).toMatchObject({ status: 200, body: { value: '10' } });
  });

  it('parses keys with the store option, and answers 400 for a key it rejects', async () => {
    const instance = new FakeInstance(undefined);
    instance.counts.set('7' as string, 'seven');
    const parseKey = (text: string): string => {
      if (!/^\d+$/.test(text)) throw new Error('not a number');
      return String(Number(text));
    };
    const address = await start(instance, { stores: { counts: { parseKey } } });
    expect(await get(address, '/stores/counts/keys/007')).toMatchObject({ status: 200, body: { value: 'seven' } });
    expect(await get(address, '/stores/counts/keys/x')).toMatchObject({ status: 400, body: { error: { message: expect.stringContaining('not a number') } } });
  });
});

describe('QueryServer ranges', () => {
  it('joins every instance holding the store, bounded by the limit', async () => {
    const { a, b, addressA: probeA, addressB: probeB } = await pair({ defaultLimit: 4, maxLimit: 10 });
    a.counts.clear();
    b.counts.clear();
    for (const key of ['a1', 'a2', 'a3']) a.counts.set(key, 1);
    for (const key of ['b1', 'b2']) b.counts.set(key, 2);
    const serverB = servers[1]!;
    const all = await get(probeB, '/stores/counts/all?limit=10');
    expect(all).toMatchObject({ status: 200, body: { truncated: false } });
    expect(all.body.entries.map((entry: { key: string }) => entry.key).sort()).toEqual(['a1', 'a2', 'a3', 'b1', 'b2']);
    const bounded = await get(probeA, '/stores/counts/all');
    expect(bounded.body.entries).toHaveLength(4);
    expect(bounded.body.truncated).toBe(true);
    const range = await get(probeA, '/stores/counts/range?from=a2&to=b1');
    expect(range.body.entries.map((entry: { key: string }) => entry.key).sort()).toEqual(['a2', 'a3', 'b1']);
    expect(await get(probeA, '/stores/counts/all?limit=11')).toMatchObject({ status: 400, body: { error: { message: expect.stringContaining("'limit'") } } });
    expect(await get(probeA, '/stores/counts/all?limit=0')).toMatchObject({ status: 400 });
    expect(await get(probeA, '/stores/windows/range')).toMatchObject({ status: 400 });
    // A partition no instance holds (mid-rebalance), or no assignment yet: no partial list, a 503.
    a.unhosted = [3];
    expect(await get(probeA, '/stores/counts/all')).toMatchObject({ status: 503, body: { error: { message: expect.stringContaining('[3]') } } });
    a.unhosted = undefined;
    expect(await get(probeA, '/stores/counts/range')).toMatchObject({ status: 503 });
    a.unhosted = [];
    // One instance out of reach: no partial list, a 503.
    await serverB.close();
    expect(await get(probeA, '/stores/counts/all')).toMatchObject({ status: 503, retryAfter: '1' });
  });

  it('lists windows of every key', async () => {
    const instance = new FakeInstance(undefined);
    instance.windows.set('alice', [{ key: 0, value: 1 }]);
    const address = await start(instance);
    expect(await get(address, '/stores/windows/all')).toMatchObject({ status: 200, body: { entries: [{ key: 'alice', window: { start: 0, end: 10 }, value: 1 }] } });
  });
});

describe('QueryServer routes and metadata', () => {
  it('serves routes a caller adds, and the metadata', async () => {
    const instance = new FakeInstance('127.0.0.1:9');
    instance.hosts = ['127.0.0.1:9'];
    instance.owners.set('alice', '127.0.0.1:9');
    const server = new QueryServer(instance, { port: 0 });
    servers.push(server);
    server.routes.get('/hello/:name', ({ params }) => ({ status: 200, body: { hello: params.name } }));
    server.routes.get('/text', ({ response }) => {
      response.writeHead(200, { 'content-type': 'text/plain' });
      response.end('plain');
    });
    const { port } = await server.listen();
    const address = `127.0.0.1:${port}`;
    expect(await get(address, '/hello/w%C3%B6rld')).toMatchObject({ status: 200, body: { hello: 'wörld' } });
    expect(await (await fetch(`http://${address}/text`)).text()).toBe('plain');
    expect(await get(address, '/metadata')).toMatchObject({ status: 200, body: { instances: [{ hostInfo: { host: '127.0.0.1', port: 9 } }] } });
    expect(await get(address, '/metadata/stores/counts/keys/alice')).toMatchObject({ status: 200, body: { activeHost: { host: '127.0.0.1', port: 9 }, partition: 0 } });
    expect(await get(address, '/metadata/stores/nope/keys/alice')).toMatchObject({ status: 404 });
    expect(await get(address, '/stores/counts/keys/%E0%A4%A')).toMatchObject({ status: 400 });
  });

  it('answers 503 when no instance holds the key now', async () => {
    const instance = new FakeInstance('127.0.0.1:9');
    const address = await start(instance);
    expect(await get(address, '/stores/counts/keys/alice')).toMatchObject({ status: 503, body: { error: { message: expect.stringContaining('rebalance') } } });
  });

  it('checks its options', () => {
    expect(() => new QueryServer(new FakeInstance(undefined), { defaultLimit: 20, maxLimit: 10 })).toThrow(/defaultLimit/);
    expect(() => new QueryServer(new FakeInstance(undefined), { port: 70000 })).toThrow(/port/);
    expect(new QueryServer(new FakeInstance('10.0.0.1:8123')).options).toMatchObject({ host: '127.0.0.1', port: 8123 });
  });
});
