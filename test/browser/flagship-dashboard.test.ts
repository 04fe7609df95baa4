/**
 * The flagship's web dashboard in a real browser: the built CLI runs embedded with
 * `--http 127.0.0.1:0`, Debian's Chromium (driven by playwright-core, no browser download) opens
 * the page, and the test checks that numbers appear and then change, that a click on a product
 * draws its trend chart, that an alert reaches the feed, and that the page logged no console
 * error and no request failed; it saves a screenshot in `.scratch/browser/`.
 *
 * The browser is `TRIBUTARY_CHROMIUM`, else `/usr/bin/chromium`; with neither the test fails
 * and says how to install it (`.ci/run` installs it when it can).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Page } from 'playwright-core';
import { describe, expect, it, onTestFinished } from 'vitest';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const cli = join(root, 'examples', 'product-analytics', 'dist', 'cli.js');
const screenshotPath = join(root, '.scratch', 'browser', 'flagship-dashboard.png');

/** The Chromium to drive; throws, saying how to get one, when there is none. */
function chromiumExecutable(): string {
  const configured = process.env.TRIBUTARY_CHROMIUM;
  if (configured !== undefined && configured !== '') {
    if (!existsSync(configured)) throw new Error(`TRIBUTARY_CHROMIUM names ${configured}, which does not exist. Point it at a Chromium binary, or unset it and run: apt-get install chromium`);
    return configured;
  }
  if (existsSync('/usr/bin/chromium')) return '/usr/bin/chromium';
  throw new Error('No Chromium for the browser tests: /usr/bin/chromium is missing and TRIBUTARY_CHROMIUM is unset. Install it with: apt-get install chromium (Debian; .ci/run does this as root), or set TRIBUTARY_CHROMIUM to a Chromium binary.');
}

/** Starts the built CLI and resolves with the dashboard address it prints. */
function startCli(args: readonly string[]): Promise<{ child: ChildProcess; url: string; output: () => string }> {
  if (!existsSync(cli)) throw new Error(`${cli} is missing: build the example first (pnpm --filter ./examples/product-analytics run build).`);
  const child = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => void (output += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => void (output += chunk));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`The CLI printed no dashboard address within 20 s:\n${output}`)), 20_000);
    const look = () => {
      const match = /^dashboard: (http:\/\/\S+)$/m.exec(output);
      if (match === null) return;
      clearTimeout(timer);
      child.stdout!.off('data', look);
      resolve({ child, url: match[1]!, output: () => output });
    };
    child.stdout!.on('data', look);
    child.on('exit', (code) => reject(new Error(`The CLI exited (${code}) before serving the dashboard:\n${output}`)));
  });
}

async function numberIn(page: Page, selector: string): Promise<number> {
  const text = (await page.textContent(selector)) ?? '';
  return Number(text.replace(/[^0-9.-]/g, ''));
}

describe('the flagship dashboard in Chromium', () => {
  it('shows live numbers, draws a product trend on click, feeds alerts, with no console error or failed request', async () => {
    // In the test, not a hook: without a browser it fails, and is never reported as skipped.
    const executablePath = chromiumExecutable();
    const stateDir = mkdtempSync(join(tmpdir(), 'product-analytics-browser-'));
    onTestFinished(() => rmSync(stateDir, { recursive: true, force: true }));
    const app = await startCli(['run', '--http', '127.0.0.1:0', '--rate', '1000', '--seed', '11', '--duration', '90', '--state-dir', stateDir]);
    onTestFinished(async () => {
      if (app.child.exitCode !== null) return;
      const exited = new Promise((resolve) => app.child.once('exit', resolve));
      app.child.kill('SIGTERM');
      await exited;
    });
    const browser = await chromium.launch({ executablePath });
    onTestFinished(() => browser.close());
    const page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
    const problems: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warning') problems.push(`console ${message.type()}: ${message.text()}`);
    });
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('requestfailed', (request) => {
      // Closing the page aborts the open event stream; anything else failing is a problem.
      if (!request.url().includes('/dashboard/events')) problems.push(`request failed: ${request.url()} ${request.failure()?.errorText ?? ''}`);
    });
    page.on('response', (response) => {
      if (response.status() >= 400) problems.push(`HTTP ${response.status()}: ${response.url()}`);
    });

    await page.goto(app.url).catch((error: unknown) => {
      throw new Error(`${String(error)}\nCLI output:\n${app.output()}`);
    });
    expect(await page.title()).toBe('Tributary · product analytics');

    // Numbers appear: counters, the window, products and categories.
    await page.waitForFunction("Number(document.body.dataset.snapshots ?? 0) >= 1 && document.querySelectorAll('#products tbody tr').length >= 5", undefined, { timeout: 30_000 });
    expect(await page.textContent('#mode')).toBe('embedded');
    expect(await page.textContent('#window')).toMatch(/^window \d\d:\d\d–\d\d:\d\d UTC$/);
    expect(await page.getAttribute('#connection', 'data-state')).toBe('live');
    expect(await page.locator('#categories tbody tr').count()).toBeGreaterThanOrEqual(3);
    const firstProcessed = await numberIn(page, '#c-processed');
    expect(firstProcessed).toBeGreaterThan(0);
    const firstViews = await numberIn(page, '#products tbody tr:first-child td:nth-child(3)');
    expect(firstViews).toBeGreaterThan(0);
    expect(await page.textContent('#products tbody tr:first-child td:nth-child(5)')).toMatch(/^\$[\d,]+\.\d\d$/);
    expect(await page.textContent('#products tbody tr:first-child td:nth-child(6)')).toMatch(/^\d+\.\d%$/);

    // ...and then change, pushed by the server (no reload).
    // (Browser-side expressions are strings: this file is type-checked without the DOM's types.)
    const number = (selector: string) => `Number(document.querySelector('${selector}').textContent.replace(/[^0-9]/g, ''))`;
    await page.waitForFunction(`${number('#c-processed')} > ${firstProcessed} && ${number('#products tbody tr:first-child td:nth-child(3)')} > ${firstViews}`, undefined, { timeout: 20_000 });
    expect(await numberIn(page, '#c-rate')).toBeGreaterThan(0);

    // A click on a product draws its trend.
    const row = page.locator('#products tbody tr').nth(1);
    const productId = await row.getAttribute('data-product');
    expect(productId).toMatch(/^p\d{4}$/);
    await row.click();
    await page.waitForFunction("Number(document.getElementById('trend-chart').dataset.points) > 0", undefined, { timeout: 20_000 });
    expect(await page.textContent('#trend-title')).toContain(productId!);
    expect(await page.locator('#trend-chart canvas').count()).toBe(1);
    expect(await page.locator('#products tbody tr.selected').getAttribute('data-product')).toBe(productId);
    expect(await page.textContent('#trend-note')).toMatch(/Latest: [\d,]+ views/);

    // The generator's "broken checkout" product raises a conversion alert within seconds.
    await page.waitForFunction("document.querySelectorAll('#alerts li').length > 0", undefined, { timeout: 45_000 });
    expect(await numberIn(page, '#c-alerts')).toBeGreaterThan(0);
    expect(await page.textContent('#alerts li:first-child')).toMatch(/views spike|conversion drop|purchase surge/);

    mkdirSync(dirname(screenshotPath), { recursive: true });
    await page.screenshot({ path: screenshotPath, fullPage: true });
    await page.close();
    expect(problems).toEqual([]);
    expect(app.output()).not.toMatch(/^error:/m); // the CLI's logger prints engine errors so
  }, 120_000);
});
