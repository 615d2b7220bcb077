// Headless Chromium for the end-to-end tests and the benchmark: Debian's chromium, driven by
// playwright-core (pinned in the root package.json), with everything that could reach the
// network switched off. Every request, response and WebSocket frame a page sees is recorded,
// so that a test can assert what reached the page and that nothing left 127.0.0.1.

import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';

const require = createRequire(import.meta.url);
const { chromium } = require('playwright-core');

export const CHROMIUM = process.env.LIPTAKO_CHROMIUM || '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--headless=new', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage',
  '--disable-background-networking', '--disable-component-update', '--disable-default-apps',
  '--disable-sync', '--disable-extensions', '--disable-domain-reliability',
  '--disable-client-side-phishing-detection', '--disable-breakpad', '--no-first-run',
  '--no-default-browser-check', '--metrics-recording-only', '--no-pings',
  '--disable-features=Translate,OptimizationHints,MediaRouter,InterestFeedContentSuggestions,CalculateNativeWinOcclusion,AutofillServerCommunication,CertificateTransparencyComponentUpdater',
  '--use-gl=angle', '--use-angle=swiftshader', '--enable-unsafe-swiftshader', '--ignore-gpu-blocklist',
];

export async function launch() {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`no Chromium at ${CHROMIUM}: run ./scripts/test (it installs Debian's chromium), or set LIPTAKO_CHROMIUM`);
  }
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
}

/** A page of a fresh browser context, recording what it sends and receives. */
export async function recordedPage(browser, { viewport = { width: 1366, height: 768 }, locale = 'fr-FR' } = {}) {
  const context = await browser.newContext({ viewport, locale, serviceWorkers: 'block' });
  const page = await context.newPage();
  const record = { requests: [], bodies: [], frames: [], console: [], errors: [] };
  page.on('request', (request) => record.requests.push(request.url()));
  page.on('response', async (response) => {
    try {
      const body = await response.body();
      record.bodies.push({ url: response.url(), status: response.status(), text: body.toString('utf8') });
    } catch {
      // Redirects and aborted responses have no body.
    }
  });
  page.on('websocket', (socket) => {
    record.requests.push(socket.url());
    socket.on('framereceived', ({ payload }) => record.frames.push(String(payload)));
    socket.on('framesent', ({ payload }) => record.frames.push(String(payload)));
  });
  page.on('console', (message) => record.console.push(`${message.type()}: ${message.text()}`));
  page.on('pageerror', (error) => record.errors.push(String(error)));
  return { context, page, record };
}

/** Logs in through the form (Enter submits) and waits for the map and the live feed. */
export async function logIn(page, baseUrl, username, password) {
  await page.goto(baseUrl);
  await page.waitForSelector('input[name="username"]', { state: 'visible' });
  await page.fill('input[name="username"]', username);
  await page.fill('input[name="password"]', password);
  await page.press('input[name="password"]', 'Enter');
  await page.waitForSelector('#app-view:not([hidden])');
  await page.waitForFunction(() => window.liptako?.ready && window.liptako.feed === 'open', null, { timeout: 60000 });
}
