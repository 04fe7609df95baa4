// The flagship's dashboard page: listens to /dashboard/events (a snapshot a second, server-sent
// events) and draws the current window's top products and categories, the counters, the alert
// feed and, for the product clicked, its trend with uPlot. Plain browser JavaScript: no build step.
(function () {
  'use strict';

  const minute = 60000;
  const trendWindowMs = 5 * minute;
  const integer = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
  const decimal = new Intl.NumberFormat('en-US', { maximumFractionDigits: 1 });
  const money = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD' });
  const byId = (id) => document.getElementById(id);

  let order = 'views';
  let selected = null; // productId whose trend is shown
  let selectedName = '';
  let latest = null; // the last snapshot
  let source = null;
  let chart = null;
  let snapshots = 0;
  /** The selected product's trend windows seen so far, by window start: the store keeps only the last few. */
  let trendPoints = new Map();

  function clock(ms) {
    return new Date(ms).toISOString().slice(11, 16);
  }

  function percent(rate) {
    return (rate * 100).toFixed(1) + '%';
  }

  function cell(row, text, className) {
    const td = document.createElement('td');
    td.textContent = text;
    if (className) td.className = className;
    row.appendChild(td);
    return td;
  }

  function setText(id, text) {
    const element = byId(id);
    if (element.textContent !== text) element.textContent = text;
  }

  function renderProducts() {
    const body = document.querySelector('#products tbody');
    const rows = latest === null ? [] : order === 'views' ? latest.productsByViews : latest.productsByRevenue;
    const fresh = document.createDocumentFragment();
    for (const stats of rows) {
      const row = document.createElement('tr');
      row.dataset.product = stats.key;
      row.dataset.name = stats.name;
      row.tabIndex = 0;
      if (stats.key === selected) row.className = 'selected';
      const name = cell(row, '');
      const id = document.createElement('span');
      id.className = 'id';
      id.textContent = stats.key;
      name.appendChild(id);
      name.appendChild(document.createTextNode(stats.name));
      name.title = stats.name;
      cell(row, stats.category);
      funnelCells(row, stats);
      fresh.appendChild(row);
    }
    body.replaceChildren(fresh);
    setText(
      'product-count',
      latest === null || latest.productCount === 0 ? '' : latest.productsTruncated ? '· the first ' + latest.productCount + ' read of more' : '· ' + latest.productCount + ' in the window',
    );
  }

  /** The funnel's columns, shared by the product and category tables. */
  function funnelCells(row, stats) {
    cell(row, integer.format(stats.views), 'n');
    cell(row, integer.format(stats.purchases), 'n');
    cell(row, money.format(stats.revenue), 'n');
    cell(row, percent(stats.conversionRate), 'n');
    cell(row, integer.format(stats.uniqueUsers), 'n');
  }

  function renderCategories(categories) {
    const body = document.querySelector('#categories tbody');
    const fresh = document.createDocumentFragment();
    for (const stats of categories) {
      const row = document.createElement('tr');
      cell(row, stats.key);
      funnelCells(row, stats);
      fresh.appendChild(row);
    }
    body.replaceChildren(fresh);
  }

  function renderAlerts(alerts) {
    const list = byId('alerts');
    const fresh = document.createDocumentFragment();
    for (let index = alerts.length - 1; index >= 0; index--) {
      const alert = alerts[index];
      const item = document.createElement('li');
      const kind = document.createElement('span');
      kind.className = 'kind ' + alert.alertType;
      kind.textContent = alert.alertType.replace('_', ' ');
      item.appendChild(kind);
      item.appendChild(document.createTextNode(alert.message));
      const when = document.createElement('span');
      when.className = 'when';
      when.textContent = alert.productId + ' · ' + alert.category + ' · window ' + clock(alert.windowStart) + '–' + clock(alert.windowEnd);
      item.appendChild(when);
      fresh.appendChild(item);
    }
    list.replaceChildren(fresh);
    byId('no-alerts').hidden = alerts.length > 0;
  }

  function renderCounters(snapshot) {
    const counters = snapshot.counters;
    setText('c-rate', integer.format(counters.recordsPerSecond));
    setText('c-processed', integer.format(counters.processed));
    setText('c-lag', integer.format(counters.lag));
    setText('c-dropped', integer.format(counters.dropped));
    setText('c-dlq', integer.format(snapshot.deadLetters));
    setText('c-alerts', integer.format(snapshot.alertCount));
    setText('c-instances', counters.answering === counters.instances ? String(counters.instances) : counters.answering + ' of ' + counters.instances);
  }

  /** A trend window shows once it holds this much time: a rate over a few seconds would be noise. */
  const minimumElapsedMs = 30000;

  /** Rate per minute of a trend window; a window still filling is averaged over the time it has run. */
  function perMinute(count, point, streamTime) {
    return count / (Math.min(trendWindowMs, streamTime - point.windowStart) / minute);
  }

  function renderTrend(snapshot) {
    const trend = snapshot.trend;
    if (selected === null || trend === null || trend.productId !== selected) return;
    for (const point of trend.points) trendPoints.set(point.windowStart, point);
    const starts = Array.from(trendPoints.keys()).sort((a, b) => a - b);
    while (starts.length > 60) trendPoints.delete(starts.shift());
    const streamTime = snapshot.streamTime === null ? Date.now() : snapshot.streamTime;
    const shown = starts.filter((start) => streamTime - start >= minimumElapsedMs);
    const data = [
      shown.map((start) => start / 1000),
      shown.map((start) => perMinute(trendPoints.get(start).views, trendPoints.get(start), streamTime)),
      shown.map((start) => perMinute(trendPoints.get(start).purchases, trendPoints.get(start), streamTime)),
    ];
    const container = byId('trend-chart');
    container.dataset.points = String(shown.length);
    if (chart === null) {
      const axis = { stroke: '#7d8a99', grid: { stroke: '#26303b' }, ticks: { stroke: '#26303b' } };
      chart = new uPlot(
        {
          width: Math.max(300, container.clientWidth),
          height: 240,
          // The page shows UTC throughout, as the windows are aligned to it.
          tzDate: (seconds) => uPlot.tzDate(new Date(seconds * 1000), 'Etc/UTC'),
          scales: { x: { time: true }, views: { auto: true }, purchases: { auto: true } },
          series: [
            { label: 'window start (UTC)' },
            { label: 'views/min', scale: 'views', stroke: '#4fb3ff', width: 2, fill: 'rgba(79,179,255,0.08)', value: (u, v) => (v === null ? '–' : decimal.format(v)) },
            { label: 'purchases/min', scale: 'purchases', stroke: '#f5a623', width: 2, value: (u, v) => (v === null ? '–' : decimal.format(v)) },
          ],
          axes: [
            axis,
            Object.assign({ scale: 'views', label: 'views/min' }, axis),
            Object.assign({ scale: 'purchases', side: 1, label: 'purchases/min' }, axis, { grid: { show: false } }),
          ],
        },
        data,
        container,
      );
    } else {
      chart.setData(data);
    }
    const last = starts.length === 0 ? null : trendPoints.get(starts[starts.length - 1]);
    setText(
      'trend-note',
      last === null
        ? 'No trend windows for ' + selected + ' yet.'
        : 'Views and purchases per minute in 5-minute windows starting each minute (product-trend-windows); windows still filling are averaged over the time they have run (shown from 30 s on). Latest: ' +
            integer.format(last.views) + ' views, ' + integer.format(last.purchases) + ' purchases since ' + clock(last.windowStart) + '.',
    );
  }

  function render(snapshot) {
    latest = snapshot;
    snapshots++;
    document.body.dataset.snapshots = String(snapshots);
    setText('mode', snapshot.mode === 'kafka' ? 'on Kafka' : 'embedded');
    setText('window', snapshot.window === null ? 'waiting for the first results…' : 'window ' + clock(snapshot.window.start) + '–' + clock(snapshot.window.end) + ' UTC');
    const status = byId('status');
    status.hidden = snapshot.status === null;
    if (snapshot.status !== null) status.textContent = 'Showing the last analytics read: ' + snapshot.status;
    renderCounters(snapshot);
    renderProducts();
    renderCategories(snapshot.categories);
    renderAlerts(snapshot.alerts);
    renderTrend(snapshot);
    setText('updated', 'Updated ' + new Date(snapshot.at).toISOString().slice(11, 19) + ' UTC.');
  }

  function connect() {
    if (source !== null) source.close();
    source = new EventSource('/dashboard/events' + (selected === null ? '' : '?product=' + encodeURIComponent(selected)));
    const connection = byId('connection');
    source.onopen = () => {
      connection.dataset.state = 'live';
      connection.textContent = 'live';
    };
    source.onmessage = (event) => render(JSON.parse(event.data));
    source.onerror = () => {
      connection.dataset.state = 'lost';
      connection.textContent = 'reconnecting…';
    };
  }

  function select(productId, name) {
    if (productId === selected) return;
    selected = productId;
    selectedName = name;
    trendPoints = new Map();
    if (chart !== null) {
      chart.destroy();
      chart = null;
    }
    byId('trend-chart').dataset.points = '0';
    byId('trend-title').replaceChildren(document.createTextNode('Trend · '), Object.assign(document.createElement('span'), { className: 'dim', textContent: productId + ' ' + selectedName }));
    renderProducts();
    connect();
  }

  function onProductEvent(event) {
    const row = event.target.closest('tr[data-product]');
    if (row !== null) select(row.dataset.product, row.dataset.name);
  }

  document.querySelector('#products tbody').addEventListener('click', onProductEvent);
  document.querySelector('#products tbody').addEventListener('keydown', (event) => {
    if (event.key === 'Enter' || event.key === ' ') onProductEvent(event);
  });
  for (const [id, by] of [['by-views', 'views'], ['by-revenue', 'revenue']]) {
    byId(id).addEventListener('click', () => {
      order = by;
      byId('by-views').setAttribute('aria-pressed', String(by === 'views'));
      byId('by-revenue').setAttribute('aria-pressed', String(by === 'revenue'));
      renderProducts();
    });
  }
  window.addEventListener('resize', () => {
    if (chart !== null) chart.setSize({ width: Math.max(300, byId('trend-chart').clientWidth), height: 240 });
  });
  connect();
})();
