/**
 * The flagship's live web dashboard (`product-analytics run --http`): a page (plain HTML, CSS and
 * JavaScript, with uPlot for the trend chart, served from its installed files) and a server-sent
 * event stream that pushes a {@link DashboardSnapshot} about once a second. Its routes go on a
 * query server's route table (on Kafka, beside the store routes it reads through) or, embedded,
 * on a small server of their own.
 */
import { readFileSync } from 'node:fs';
import { createServer, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { RouteTable, RouteContext } from '@tributary/kafka/http';
import { StreamsError } from '@tributary/streams';
import type { HttpAddress } from './cli-options.js';
import { readAnalytics, trendLookbackMs, type AnalyticsReader, type AnalyticsView, type Counters, type DashboardSnapshot, type EventFeed } from './web-dashboard-data.js';

/** Where the dashboard's data comes from. */
export interface DashboardSources {
  readonly mode: DashboardSnapshot['mode'];
  /** The analytics stores. */
  readonly reader: AnalyticsReader;
  /** Every instance's counters, summed. */
  counters(): Promise<Counters>;
  /** Alerts and dead letters. */
  feed(): EventFeed;
}

/** The page's files: the package's `public/` folder and uPlot's build, read once. */
interface Asset {
  readonly type: string;
  readonly body: Buffer;
}

function loadAssets(): Map<string, Asset> {
  // `public/` sits beside `src/` and `dist/`, one level above this module in either.
  const folder = fileURLToPath(new URL('../public/', import.meta.url));
  const uplot = createRequire(import.meta.url);
  const files: Array<[string, string, string]> = [
    ['index.html', `${folder}index.html`, 'text/html; charset=utf-8'],
    ['dashboard.js', `${folder}dashboard.js`, 'text/javascript; charset=utf-8'],
    ['dashboard.css', `${folder}dashboard.css`, 'text/css; charset=utf-8'],
    ['uPlot.iife.min.js', uplot.resolve('uplot/dist/uPlot.iife.min.js'), 'text/javascript; charset=utf-8'],
    ['uPlot.min.css', uplot.resolve('uplot/dist/uPlot.min.css'), 'text/css; charset=utf-8'],
  ];
  return new Map(files.map(([name, path, type]) => [name, { type, body: readFileSync(path) }]));
}

function sendAsset(response: ServerResponse, asset: Asset): void {
  response.writeHead(200, { 'content-type': asset.type, 'cache-control': 'no-cache', 'content-length': asset.body.length });
  response.end(asset.body);
}

const productIdPattern = /^[A-Za-z0-9._-]{1,64}$/;

interface StreamClient {
  readonly response: ServerResponse;
  readonly productId: string | undefined;
}

/**
 * The dashboard's routes and its event stream: `/` (the page), `/assets/:file`,
 * `/dashboard/events[?product=id]` (server-sent events, a snapshot a second) and
 * `/dashboard/snapshot[?product=id]` (one snapshot as JSON). Reads happen only while a page
 * is connected, once per tick whatever the number of pages, plus one trend read per product shown.
 */
export class WebDashboard {
  private readonly assets = loadAssets();
  private readonly clients = new Set<StreamClient>();
  private readonly timer: NodeJS.Timeout;
  private lastView: AnalyticsView = { window: null, streamTime: null, productsByViews: [], productsByRevenue: [], productCount: 0, productsTruncated: false, categories: [] };
  private ticking = false;

  constructor(
    private readonly sources: DashboardSources,
    readonly intervalMs = 1_000,
  ) {
    this.timer = setInterval(() => void this.tick(), intervalMs);
    this.timer.unref();
  }

  /** Adds the dashboard's routes to `routes`. */
  addRoutes(routes: RouteTable): void {
    routes.get('/', ({ response }) => sendAsset(response, this.assets.get('index.html')!));
    routes.get('/assets/:file', ({ response, params }) => {
      const asset = this.assets.get(params.file!);
      if (asset === undefined) return { status: 404, body: { error: { code: 'ASSET_UNKNOWN', message: `No asset ${JSON.stringify(params.file)}; the page's are ${[...this.assets.keys()].join(', ')}.` } } };
      sendAsset(response, asset);
    });
    routes.get('/dashboard/snapshot', async (context) => {
      const productId = this.productOf(context);
      if (typeof productId === 'object') return productId;
      return { status: 200, body: await this.snapshot(await this.view(), productId) };
    });
    routes.get('/dashboard/events', async (context) => {
      const productId = this.productOf(context);
      if (typeof productId === 'object') return productId;
      const { response } = context;
      response.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive' });
      response.write('retry: 2000\n\n');
      const client: StreamClient = { response, productId };
      this.clients.add(client);
      // The response closes when the page goes away (or the server ends it).
      response.on('close', () => this.clients.delete(client));
      // The first snapshot at once, so a page has numbers before the next tick.
      this.send(client, await this.snapshot(await this.view(), productId));
    });
  }

  /** Pages connected to the event stream now. */
  get connectedPages(): number {
    return this.clients.size;
  }

  /** Stops the ticks and ends every open event stream. */
  close(): void {
    clearInterval(this.timer);
    for (const client of this.clients) client.response.end();
    this.clients.clear();
  }

  private productOf(context: RouteContext): string | undefined | { status: number; body: unknown } {
    const productId = context.query.get('product');
    if (productId === null || productId === '') return undefined;
    if (!productIdPattern.test(productId)) return { status: 400, body: { error: { code: 'BAD_REQUEST', message: `Parameter 'product' must be a product id such as p0001, got ${JSON.stringify(productId)}.` } } };
    return productId;
  }

  private async tick(): Promise<void> {
    if (this.clients.size === 0 || this.ticking) return;
    this.ticking = true;
    try {
      const view = await this.view();
      const byProduct = new Map<string | undefined, DashboardSnapshot>();
      for (const client of this.clients) {
        let snapshot = byProduct.get(client.productId);
        if (snapshot === undefined) {
          snapshot = await this.snapshot(view, client.productId);
          byProduct.set(client.productId, snapshot);
        }
        this.send(client, snapshot);
      }
    } finally {
      this.ticking = false;
    }
  }

  /** The analytics, or the last ones read with the reason they could not be read now. */
  private async view(): Promise<AnalyticsView & { status: string | null }> {
    try {
      this.lastView = await readAnalytics(this.sources.reader);
      return { ...this.lastView, status: null };
    } catch (error) {
      return { ...this.lastView, status: error instanceof Error ? error.message : String(error) };
    }
  }

  private async snapshot(view: AnalyticsView & { status: string | null }, productId: string | undefined): Promise<DashboardSnapshot> {
    const feed = this.sources.feed();
    let status = view.status;
    let trend: DashboardSnapshot['trend'] = null;
    if (productId !== undefined) {
      const until = view.streamTime ?? Date.now();
      try {
        trend = { productId, points: await this.sources.reader.trendWindows(productId, Math.max(0, until - trendLookbackMs), until) };
      } catch (error) {
        status ??= error instanceof Error ? error.message : String(error);
      }
    }
    return {
      mode: this.sources.mode,
      at: Date.now(),
      window: view.window,
      streamTime: view.streamTime,
      productsByViews: view.productsByViews,
      productsByRevenue: view.productsByRevenue,
      productCount: view.productCount,
      productsTruncated: view.productsTruncated,
      categories: view.categories,
      alerts: feed.alerts,
      alertCount: feed.alertCount,
      deadLetters: feed.deadLetters,
      counters: await this.sources.counters(),
      status,
      trend,
    };
  }

  private send(client: StreamClient, snapshot: DashboardSnapshot): void {
    if (!client.response.writableEnded) client.response.write(`data: ${JSON.stringify(snapshot)}\n\n`);
  }
}

/** Counts processed records once a second, for a records-per-second figure. */
export class RateSampler {
  private readonly timer: NodeJS.Timeout;
  private last: { count: number; at: number };
  private rate = 0;

  constructor(private readonly count: () => number) {
    this.last = { count: count(), at: performance.now() };
    this.timer = setInterval(() => this.sample(), 1_000);
    this.timer.unref();
  }

  /** Records per second over the last sample. */
  get perSecond(): number {
    return this.rate;
  }

  /** Stops sampling. */
  close(): void {
    clearInterval(this.timer);
  }

  private sample(): void {
    const now = performance.now();
    const count = this.count();
    this.rate = now > this.last.at ? ((count - this.last.count) * 1000) / (now - this.last.at) : 0;
    this.last = { count, at: now };
  }
}

/** A listening dashboard server. */
export interface ListeningServer {
  /** The page's address, with the port bound. */
  readonly url: string;
  close(): Promise<void>;
}

/** `http://host:port` for a bound address; a wildcard host is reached through loopback. */
export function urlOf(address: AddressInfo): string {
  const host = address.address === '0.0.0.0' ? '127.0.0.1' : address.address === '::' ? '::1' : address.address;
  return `http://${host.includes(':') ? `[${host}]` : host}:${address.port}`;
}

/** The dashboard could not listen on its `--http` address (code `DASHBOARD_LISTEN_FAILED`); the message names the address and the fix. */
export class DashboardListenError extends StreamsError {
  constructor(message: string, cause: unknown) {
    super('DASHBOARD_LISTEN_FAILED', message, { cause });
  }
}

/** Says why a server could not listen, naming the address and the fix. */
export function listenError(address: HttpAddress, error: unknown): DashboardListenError {
  const code = (error as NodeJS.ErrnoException).code;
  const where = `${address.host.includes(':') ? `[${address.host}]` : address.host}:${address.port}`;
  const why =
    code === 'EADDRINUSE' ? 'the port is in use; pick another, or 0 for any free one'
    : code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND' || code === 'EAI_AGAIN' ? `${address.host} is not an address of this machine; use 127.0.0.1, or an interface's address`
    : code === 'EACCES' ? 'listening on that port needs privileges; use a port above 1023'
    : error instanceof Error ? error.message : String(error);
  return new DashboardListenError(`Cannot serve the dashboard on ${where} (--http): ${why}.`, error);
}

/**
 * The embedded run's server: the dashboard's routes on `node:http`, answering a route the table
 * lacks with 404 and a handler's JSON answer as the query server does.
 */
export async function serveRoutes(routes: RouteTable, address: HttpAddress): Promise<ListeningServer> {
  const server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    let match: ReturnType<RouteTable['match']>;
    try {
      match = routes.match(request.method ?? 'GET', path);
    } catch {
      match = undefined;
    }
    const json = (status: number, body: unknown) => {
      response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
      response.end(JSON.stringify(body));
    };
    if (match === undefined) return json(404, { error: { code: 'ROUTE_UNKNOWN', message: `No route for ${path}; the dashboard is at /.` } });
    if (match === 'method') return json(405, { error: { code: 'METHOD_NOT_ALLOWED', message: `${request.method} is not allowed on ${path}; use GET.` } });
    const query = new URL(request.url ?? '/', 'http://localhost').searchParams;
    Promise.resolve(match.handler({ request, response, params: match.params, query })).then(
      (answer) => {
        if (answer !== undefined) json(answer.status, answer.body);
      },
      (error: unknown) => {
        if (!response.headersSent) json(500, { error: { code: 'INTERNAL', message: error instanceof Error ? error.message : String(error) } });
        else response.end();
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error) => reject(listenError(address, error)));
    server.listen(address.port, address.host, () => resolve());
  });
  return {
    url: urlOf(server.address() as AddressInfo),
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
