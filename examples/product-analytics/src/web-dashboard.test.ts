import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { RouteTable } from '@tributary/kafka/http';
import { afterEach, describe, expect, it } from 'vitest';
import { resolvePort } from './kafka-dashboard.js';
import type { Alert } from './model.js';
import { listenError, serveRoutes, urlOf, WebDashboard, type DashboardSources, type ListeningServer } from './web-dashboard.js';
import { readAnalytics, type AnalyticsReader, type Counters, type DashboardSnapshot, type TrendPoint, type WindowStats } from './web-dashboard-data.js';

const minute = 60_000;
const window0 = 1_767_225_600_000;

function stats(key: string, windowStart: number, views: number, revenue: number, category = 'books'): WindowStats {
  return { key, name: `Item ${key}`, category, windowStart, windowEnd: windowStart + 5 * minute, views, clicks: 0, addToCarts: 0, purchases: 1, revenue, conversionRate: 1 / views, uniqueUsers: views, updatedAt: windowStart + views };
}

/** A reader over fixed entries, recording what it was asked. */
class FakeReader implements AnalyticsReader {
  readonly asked: string[] = [];
  failWith: string | undefined;
  constructor(
    public categories: WindowStats[],
    public products: WindowStats[],
    public trend: TrendPoint[] = [],
  ) {}
  async categoryWindows() {
    this.asked.push('categories');
    if (this.failWith !== undefined) throw new Error(this.failWith);
    return this.categories;
  }
  truncated = false;
  async productWindows(windowStart: number) {
    this.asked.push(`products@${windowStart}`);
    return { entries: this.products.filter((entry) => entry.windowStart === windowStart), truncated: this.truncated };
  }
  async trendWindows(productId: string, from: number, to: number) {
    this.asked.push(`trend ${productId} ${from}-${to}`);
    return this.trend;
  }
}

const counters: Counters = { instances: 2, answering: 2, recordsPerSecond: 10, processed: 100, lag: 3, dropped: 1 };
const alert: Alert = { alertType: 'views_spike', productId: 'p1', name: 'Item p1', category: 'books', windowStart: window0, windowEnd: window0 + 5 * minute, value: 120, threshold: 100, message: 'Item p1: 120 views/min (threshold 100)', detectedAt: window0 + 1 };

function sources(reader: AnalyticsReader): DashboardSources {
  return { mode: 'kafka', reader, counters: async () => counters, feed: () => ({ alerts: [alert], alertCount: 4, deadLetters: 7 }) };
}

describe('readAnalytics', () => {
  it('takes the newest category window, then that window’s products, top ten by views and by revenue', async () => {
    const older = window0 - 5 * minute;
    const products = Array.from({ length: 12 }, (_, index) => stats(`p${index}`, window0, 10 + index, 100 - index));
    const reader = new FakeReader([stats('books', older, 500, 9000), stats('books', window0, 50, 30), stats('toys', window0, 40, 80, 'toys')], [...products, stats('p-old', older, 999, 999)]);
    const view = await readAnalytics(reader);
    expect(view.window).toEqual({ start: window0, end: window0 + 5 * minute });
    expect(view.categories.map((entry) => entry.key)).toEqual(['toys', 'books']); // by revenue, the older window left out
    expect(view.productCount).toBe(12);
    expect(view.productsTruncated).toBe(false);
    expect(view.productsByViews.map((entry) => entry.key)).toEqual(['p11', 'p10', 'p9', 'p8', 'p7', 'p6', 'p5', 'p4', 'p3', 'p2']);
    expect(view.productsByRevenue[0]!.key).toBe('p0');
    expect(view.streamTime).toBe(window0 + 50);
    expect(reader.asked).toEqual(['categories', `products@${window0}`]);
  });

  it('says there is no window yet when the stores are empty', async () => {
    expect(await readAnalytics(new FakeReader([], []))).toEqual({ window: null, streamTime: null, productsByViews: [], productsByRevenue: [], productCount: 0, productsTruncated: false, categories: [] });
  });

  it('says when the window had more products than one read returns', async () => {
    const reader = new FakeReader([stats('books', window0, 50, 30)], [stats('p1', window0, 20, 10)]);
    expect((await readAnalytics(reader)).productsTruncated).toBe(false);
    reader.truncated = true;
    expect((await readAnalytics(reader)).productsTruncated).toBe(true);
  });
});

/** GETs a path; resolves with the status and body. */
function get(url: string): Promise<{ status: number; type: string; body: string }> {
  return new Promise((resolve, reject) => {
    request(url, (response) => {
      let body = '';
      response.setEncoding('utf8').on('data', (chunk: string) => void (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode!, type: String(response.headers['content-type']), body }));
    })
      .on('error', reject)
      .end();
  });
}

/** Reads server-sent events until `count` data events arrived. */
function events(url: string, count: number): Promise<DashboardSnapshot[]> {
  return new Promise((resolve, reject) => {
    const received: DashboardSnapshot[] = [];
    const outgoing = request(url, (response) => {
      expect(response.headers['content-type']).toBe('text/event-stream; charset=utf-8');
      let buffer = '';
      response.setEncoding('utf8').on('data', (chunk: string) => {
        buffer += chunk;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const event = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          if (event.startsWith('data: ')) received.push(JSON.parse(event.slice(6)) as DashboardSnapshot);
          if (received.length === count) {
            outgoing.destroy();
            resolve(received);
            return;
          }
        }
      });
    });
    outgoing.on('error', (error) => {
      if (received.length < count) reject(error);
    });
    outgoing.end();
  });
}

describe('WebDashboard', () => {
  let server: ListeningServer | undefined;
  let dashboard: WebDashboard | undefined;
  afterEach(async () => {
    dashboard?.close();
    await server?.close();
    server = undefined;
  });

  async function serve(reader: AnalyticsReader): Promise<string> {
    dashboard = new WebDashboard(sources(reader), 50);
    const routes = new RouteTable();
    dashboard.addRoutes(routes);
    server = await serveRoutes(routes, { host: '127.0.0.1', port: 0 });
    return server.url;
  }

  it('serves the page, its script and uPlot from the installed package, and 404 for anything else', async () => {
    const url = await serve(new FakeReader([], []));
    const page = await get(`${url}/`);
    expect(page.status).toBe(200);
    expect(page.type).toBe('text/html; charset=utf-8');
    expect(page.body).toContain('<script src="/assets/uPlot.iife.min.js"></script>');
    const uplot = await get(`${url}/assets/uPlot.iife.min.js`);
    expect(uplot.status).toBe(200);
    expect(uplot.body).toMatch(/uPlot/);
    expect((await get(`${url}/assets/dashboard.js`)).body).toContain("new EventSource('/dashboard/events'");
    const missing = await get(`${url}/assets/secrets.txt`);
    expect(missing.status).toBe(404);
    expect(JSON.parse(missing.body).error.code).toBe('ASSET_UNKNOWN');
    expect((await get(`${url}/nothing/here`)).status).toBe(404);
  });

  it('pushes a snapshot at once and then every tick, with the selected product’s trend', async () => {
    const trend: TrendPoint[] = [{ windowStart: window0, windowEnd: window0 + 5 * minute, views: 30, purchases: 2, updatedAt: window0 + 9 }];
    const reader = new FakeReader([stats('books', window0, 50, 30)], [stats('p1', window0, 20, 10)], trend);
    const url = await serve(reader);
    const [first, second, third] = await events(`${url}/dashboard/events?product=p1`, 3);
    expect(first).toMatchObject({
      mode: 'kafka',
      window: { start: window0, end: window0 + 5 * minute },
      productCount: 1,
      alerts: [alert],
      alertCount: 4,
      deadLetters: 7,
      counters,
      status: null,
      trend: { productId: 'p1', points: trend },
    });
    expect(first!.productsByViews.map((entry) => entry.key)).toEqual(['p1']);
    expect(second!.at).toBeGreaterThanOrEqual(first!.at);
    expect(third!.trend?.productId).toBe('p1');
    // A page that goes away stops being written to.
    for (let wait = 0; dashboard!.connectedPages > 0 && wait < 100; wait++) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(dashboard!.connectedPages).toBe(0);
    // The trend reaches an hour back from the window's latest event.
    expect(reader.asked).toContain(`trend p1 ${window0 + 50 - 60 * minute}-${window0 + 50}`);
  });

  it('keeps the last analytics read and says why when a read fails (a rebalance)', async () => {
    const reader = new FakeReader([stats('books', window0, 50, 30)], [stats('p1', window0, 20, 10)]);
    const url = await serve(reader);
    expect(JSON.parse((await get(`${url}/dashboard/snapshot`)).body).status).toBeNull();
    reader.failWith = 'The application is REBALANCING: its stores are answered once it is RUNNING again.';
    const stale = JSON.parse((await get(`${url}/dashboard/snapshot`)).body) as DashboardSnapshot;
    expect(stale.status).toBe(reader.failWith);
    expect(stale.productsByViews.map((entry) => entry.key)).toEqual(['p1']);
    expect(stale.trend).toBeNull();
  });

  it('refuses a product parameter that is not a product id', async () => {
    const url = await serve(new FakeReader([], []));
    for (const path of ['/dashboard/events?product=..%2Fx', '/dashboard/snapshot?product=a%20b']) {
      const answer = await get(`${url}${path}`);
      expect(answer.status).toBe(400);
      expect(JSON.parse(answer.body).error.message).toMatch(/^Parameter 'product' must be a product id such as p0001/);
    }
  });
});

describe('listening', () => {
  it('names the address and the fix when the port is taken or the host is not this machine’s', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = (taken.address() as AddressInfo).port;
    try {
      await expect(serveRoutes(new RouteTable(), { host: '127.0.0.1', port })).rejects.toThrow(`Cannot serve the dashboard on 127.0.0.1:${port} (--http): the port is in use; pick another, or 0 for any free one.`);
    } finally {
      taken.close();
    }
    const notHere = listenError({ host: '10.254.254.254', port: 80 }, Object.assign(new Error('listen EADDRNOTAVAIL'), { code: 'EADDRNOTAVAIL' }));
    expect(notHere.code).toBe('DASHBOARD_LISTEN_FAILED');
    expect(notHere.message).toBe(
      'Cannot serve the dashboard on 10.254.254.254:80 (--http): 10.254.254.254 is not an address of this machine; use 127.0.0.1, or an interface\'s address.',
    );
  });

  it('resolves port 0 to a free port before the Kafka app is built (its applicationServer needs the port)', async () => {
    expect(await resolvePort({ host: '127.0.0.1', port: 8080 })).toBe(8080);
    const port = await resolvePort({ host: '127.0.0.1', port: 0 });
    expect(port).toBeGreaterThan(0);
    const server = await serveRoutes(new RouteTable(), { host: '127.0.0.1', port }); // free: it listens
    expect(server.url).toBe(`http://127.0.0.1:${port}`);
    await server.close();
  });

  it('gives the page’s address, through loopback for a wildcard host', () => {
    expect(urlOf({ address: '127.0.0.1', port: 8080, family: 'IPv4' })).toBe('http://127.0.0.1:8080');
    expect(urlOf({ address: '0.0.0.0', port: 8080, family: 'IPv4' })).toBe('http://127.0.0.1:8080');
    expect(urlOf({ address: '::', port: 81, family: 'IPv6' })).toBe('http://[::1]:81');
    expect(urlOf({ address: '::1', port: 81, family: 'IPv6' })).toBe('http://[::1]:81');
  });
});
