// End-to-end tests of the web COP in headless Chromium against real `liptako` processes:
// log in; the base map and the features render; a report made in the form reaches the map,
// the API and a second session live; a report above a user's clearance never reaches that
// user's page (DOM, responses, WebSocket frames); the banner follows the view; the language
// switch changes every visible string (and the catalogues are complete); replay shows the
// picture at a past time, keeps live changes out, plays forward and returns to live; no request leaves
// 127.0.0.1; `liptako demo` opens each nation's picture with its partners' objects.
//
// Run by crates/liptako/tests/cli/web.rs (so by ./scripts/test), which passes LIPTAKO_BIN;
// screenshots go to web/test-artifacts/ (git-ignored).

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { launch, recordedPage, logIn } from './browser.mjs';
import { ROOT, startNode, apiClient, start, tempDir, freePort, healthy } from './nodes.mjs';
import { forward as mgrsForward } from '../../node_modules/mgrs/dist/mgrs.esm.js';

const ARTIFACTS = join(ROOT, 'web/test-artifacts');
mkdirSync(ARTIFACTS, { recursive: true });
const ADMIN_PASSWORD = 'admin-password-1';
const USERS = [
  { name: 'awa', clearance: 'DR', role: 'editor', password: 'awa-password-1' },
  { name: 'low', clearance: 'NP', role: 'viewer', password: 'low-password-1' },
];
const RUN = Date.now().toString(36);
const pages = [];

async function openAs(browser, base, user, password) {
  const opened = await recordedPage(browser);
  pages.push(opened);
  await logIn(opened.page, base, user, password);
  return opened;
}

const jumpTo = (page, lon, lat, zoom) => page.evaluate(([x, y, z]) => {
  window.liptako.map.jumpTo({ center: [x, y], zoom: z });
}, [lon, lat, zoom]);

/** Waits until a feature with `id` is drawn on one of `layers`. */
// Generous: the tests share two cores with everything else, and Chromium draws in software.
function waitRendered(page, layers, id, timeout = 45000) {
  return page.waitForFunction(([ids, want]) => {
    const map = window.liptako?.map;
    return map && map.queryRenderedFeatures({ layers: ids }).some((f) => f.properties.id === want);
  }, [layers, id], { timeout });
}

const renderedCount = (page, layers) => page.evaluate((ids) => window.liptako.map.queryRenderedFeatures({ layers: ids.filter((id) => window.liptako.map.getLayer(id)) }).length, layers);

/** The text of every visible text node of the page. */
const visibleTexts = (page) => page.evaluate(() => {
  const out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const text = node.textContent.trim();
    const parent = node.parentElement;
    if (!text || !parent || parent.closest('[hidden]') || parent.closest('script')) continue;
    const style = getComputedStyle(parent);
    if (style.display === 'none' || style.visibility === 'hidden' || parent.getClientRects().length === 0) continue;
    out.push(text);
  }
  for (const input of document.querySelectorAll('input[placeholder], select')) {
    if (input.closest('[hidden]') || input.getClientRects().length === 0) continue;
    if (input.placeholder) out.push(input.placeholder.trim());
    if (input.tagName === 'SELECT' && input.selectedOptions[0]) out.push(input.selectedOptions[0].textContent.trim());
  }
  return out;
});

const screenshot = (page, name) => page.screenshot({ path: join(ARTIFACTS, `${name}.png`) });

describe('web COP on one node', () => {
  let node;
  let admin;
  let browser;
  let adminPage;

  before(async () => {
    node = await startNode({ adminPassword: ADMIN_PASSWORD, users: USERS });
    admin = await apiClient(node.base, 'admin', ADMIN_PASSWORD);
    browser = await launch();
  });

  after(async () => {
    await browser?.close();
    node?.server.stop();
  });

  test('the catalogues are complete: same keys in both languages, every key the code names', () => {
    const fr = JSON.parse(readFileSync(join(ROOT, 'web/i18n/fr.json'), 'utf8'));
    const en = JSON.parse(readFileSync(join(ROOT, 'web/i18n/en.json'), 'utf8'));
    assert.deepEqual(Object.keys(fr).sort(), Object.keys(en).sort(), 'fr.json and en.json have different keys');
    for (const [key, value] of [...Object.entries(fr), ...Object.entries(en)]) {
      assert.ok(typeof value === 'string' && value.trim(), `empty string for ${key}`);
    }
    const namespaces = [...new Set(Object.keys(fr).map((key) => key.split('.')[0]))];
    const pattern = new RegExp(`['"\`](${namespaces.join('|')})\\.([a-z0-9_]+)['"\`]`, 'g');
    const files = [join(ROOT, 'web/index.html')];
    const walk = (dir) => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) walk(path);
        else if (entry.name.endsWith('.js')) files.push(path);
      }
    };
    walk(join(ROOT, 'web/app'));
    const named = new Set();
    for (const file of files) {
      for (const match of readFileSync(file, 'utf8').matchAll(pattern)) named.add(`${match[1]}.${match[2]}`);
    }
    // Keys built from data: every value the node can send has its entry.
    const families = {
      report_kind: ['incident', 'threat_warning', 'intelligence_summary', 'spot_report', 'civilian_harm', 'airspace_alert', 'pursuit_alert',
        'deconfliction_alert', 'protection_warning', 'support_alert'],
      zone_kind: ['restricted', 'protected_site', 'area_of_operations'],
      site_category: ['school', 'health_centre', 'market', 'displaced_persons_camp', 'place_of_worship', 'water_point', 'other'],
      identity: ['pending', 'unknown', 'assumed_friend', 'neutral', 'suspect'],
      role: ['viewer', 'editor', 'admin'],
      feed: ['connecting', 'open', 'reconnecting', 'closed'],
      layer: ['zones', 'reports', 'units', 'air', 'alerts', 'operations', 'assets'],
      operation_status: ['planned', 'active', 'ended'],
      pursuit_limit: ['depth', 'duration'],
      asset_category: ['fixed_wing', 'helicopter', 'isr_drone', 'medevac', 'transport', 'engineering', 'air_surveillance_radar', 'logistics', 'other'],
      asset_status: ['available', 'tasked', 'maintenance', 'unavailable'],
      support_state: ['requested', 'approved', 'declined', 'tasked', 'completed', 'cancelled'],
      support_priority: ['routine', 'priority', 'urgent'],
      support_purpose: ['isr', 'medevac', 'transport', 'engineering', 'logistics', 'air_surveillance'],
      level: ['NP', 'DR', 'C', 'S'],
      window: ['0', '1', '6', '24', '168'],
      'rules.type': ['report', 'unit', 'zone', 'operation', 'pursuit_notice', 'acknowledgement'],
    };
    for (const [family, values] of Object.entries(families)) values.forEach((value) => named.add(`${family}.${value}`));
    assert.ok(named.size > 150, `only ${named.size} keys found in the code: the scan is broken`);
    const missing = [...named].filter((key) => !(key in fr) || !(key in en));
    assert.deepEqual(missing, [], 'keys named by the code but missing from a catalogue');
  });

  test('log in with Enter; the session survives a reload; logout ends it', async () => {
    const { page } = await openAs(browser, node.base, 'admin', ADMIN_PASSWORD);
    adminPage = page;
    assert.equal(await page.getAttribute('html', 'lang'), 'fr');
    await page.reload();
    await page.waitForFunction(() => window.liptako?.ready && window.liptako.feed === 'open');
    assert.equal(await page.isVisible('#login-view'), false, 'a reload asked to log in again');
    const { page: other } = await openAs(browser, node.base, 'low', 'low-password-1');
    await other.click('#logout');
    await other.waitForSelector('#login-view:not([hidden])');
    await other.fill('input[name="username"]', 'low');
    await other.fill('input[name="password"]', 'wrong-password');
    await other.press('input[name="password"]', 'Enter');
    await other.waitForSelector('#login-form .form-error:not([hidden])');
    await screenshot(other, 'login-error');
    await other.close();
  });

  test('the base map and the features render', async () => {
    const zone = await admin.call('POST', '/api/v1/zones', {
      kind: 'restricted', name: `Zone ${RUN}`, description: '', marking: { level: 'DR', releasable_to: ['AES'] },
      area: { type: 'Polygon', coordinates: [[[-2.3, 14.3], [-1.7, 14.3], [-1.7, 14.7], [-2.3, 14.7], [-2.3, 14.3]]] },
    });
    const unit = await admin.call('POST', '/api/v1/units', {
      callsign: `ALPHA ${RUN}`, symbol: 'SFGPUCI----K---', position: { lat: 14.55, lon: -1.9 }, course_deg: 45, speed_mps: 10,
      marking: { level: 'NP', releasable_to: ['AES'] },
    });
    const report = await admin.call('POST', '/api/v1/reports', {
      kind: 'spot_report', title: `Spot ${RUN}`, body: '', location: { lat: 14.42, lon: -2.1 },
      marking: { level: 'NP', releasable_to: ['AES'] },
    });
    const operation = await admin.call('POST', '/api/v1/operations', {
      name: `OPERATION ${RUN}`, lead_nation: 'MLI', participating_nations: ['MLI', 'BFA'],
      area: { type: 'Polygon', coordinates: [[[-2.6, 14.2], [-1.4, 14.2], [-1.4, 14.8], [-2.6, 14.8], [-2.6, 14.2]]] },
      start: '2026-01-01T00:00:00Z', end: '2030-01-01T00:00:00Z', status: 'active', units: [unit.id],
      intent: 'Secure the road', marking: { level: 'NP', releasable_to: ['AES'] },
    });
    await jumpTo(adminPage, -2, 14.5, 8.5);
    await waitRendered(adminPage, ['zones-fill'], zone.id);
    await waitRendered(adminPage, ['operations-fill', 'operations-line'], operation.id);
    await waitRendered(adminPage, ['units-symbol'], unit.id);
    await waitRendered(adminPage, ['reports-symbol'], report.id);
    assert.ok(await renderedCount(adminPage, ['land']) > 0, 'no land drawn');
    assert.ok(await renderedCount(adminPage, ['borders']) > 0, 'no border drawn');
    assert.ok(await renderedCount(adminPage, ['places-major', 'places-towns', 'places-villages']) > 0, 'no place named');
    await jumpTo(adminPage, 0.5, 15, 4.5);
    await adminPage.waitForFunction(() => window.liptako.map.queryRenderedFeatures({ layers: ['country-names'] }).length >= 3);
    await screenshot(adminPage, 'base-map-and-features');
  });

  test('a report made in the form shows on the map, in the API and live in a second session', async () => {
    const { page } = await openAs(browser, node.base, 'awa', 'awa-password-1');
    const target = { lat: 14.3123, lon: -1.5432 };
    const mgrs = mgrsForward([target.lon, target.lat], 5);
    const title = `Convoi ${RUN}`;
    await page.click('#new-report');
    await page.selectOption('[data-testid=report-kind]', 'incident');
    await page.fill('[data-testid=report-title]', title);
    await page.fill('[data-testid=report-text]', 'Deux véhicules');
    await page.fill('[data-testid=report-position]', mgrs);
    // Only the levels awa may mark with (cleared DR) are offered.
    const levels = await page.$$eval('[data-testid=marking-level] option', (options) => options.map((o) => o.value));
    assert.deepEqual(levels, ['NP', 'DR']);
    await page.selectOption('[data-testid=marking-level]', 'DR');
    await page.check('[data-testid=rel-all]');
    await page.click('[data-testid=report-submit]');
    await page.waitForSelector('[data-testid=history] li');

    const { items } = await admin.call('GET', `/api/v1/reports?q=${encodeURIComponent(title)}`);
    assert.equal(items.length, 1, 'the API does not hold the report once');
    const [made] = items;
    assert.equal(made.kind, 'incident');
    assert.deepEqual(made.marking, { level: 'DR', releasable_to: ['AES'] });
    assert.ok(Math.abs(made.location.lat - target.lat) < 1e-4 && Math.abs(made.location.lon - target.lon) < 1e-4,
      `position ${JSON.stringify(made.location)} is not the MGRS ${mgrs}`);
    await jumpTo(page, target.lon, target.lat, 9);
    await waitRendered(page, ['reports-symbol'], made.id);
    // The admin's page was open all along: the feed brought it there.
    await jumpTo(adminPage, target.lon, target.lat, 9);
    await waitRendered(adminPage, ['reports-symbol'], made.id);
    await screenshot(page, 'report-form-made');

    // A position can also be picked on the map.
    await page.keyboard.press('Escape');
    await page.click('#new-report');
    await page.click('[data-testid=pick-position]');
    const box = await page.locator('#map').boundingBox();
    await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
    const picked = await page.inputValue('[data-testid=report-position]');
    const [lat, lon] = picked.split(',').map(Number);
    assert.ok(Math.abs(lat - target.lat) < 0.01 && Math.abs(lon - target.lon) < 0.01, `picked ${picked}`);
    await page.keyboard.press('Escape');

    // A stale edit is refused with the 409 explained.
    await page.evaluate(async (id) => window.liptako.details.showObject(id), made.id);
    await admin.call('PUT', `/api/v1/reports/${made.id}`, { ...made, title: `${title} (admin)`, version: made.version });
    await page.evaluate((id) => {
      const held = window.liptako.state.objects.get(id);
      window.liptako.edit({ ...held, version: 1 });
    }, made.id);
    await page.fill('[data-testid=report-title]', `${title} (awa)`);
    await page.click('[data-testid=report-submit]');
    const error = await page.waitForSelector('[data-testid=form-error]:not([hidden])');
    assert.match(await error.textContent(), /version actuelle : 2/);
    await screenshot(page, 'report-conflict');
    await page.close();
  });

  test('a report above the clearance never reaches the page: not in the DOM, responses or frames', async () => {
    const low = await openAs(browser, node.base, 'low', 'low-password-1');
    const secret = `ZULUSECRET${RUN}`;
    const restricted = `DRWORD${RUN}`;
    const oldSecret = `OLDSECRET${RUN}`;
    await admin.call('POST', '/api/v1/reports', {
      kind: 'intelligence_summary', title: `Source ${secret}`, body: `Texte ${secret}`, location: { lat: 14.9, lon: -1.2 },
      marking: { level: 'S', releasable_to: ['AES'] },
    });
    await admin.call('POST', '/api/v1/reports', {
      kind: 'incident', title: `Incident ${restricted}`, body: restricted, location: { lat: 14.95, lon: -1.25 },
      marking: { level: 'DR', releasable_to: ['AES'] },
    });
    // A report first marked S, then downgraded: its NP version is shown, never the S one.
    const first = await admin.call('POST', '/api/v1/reports', {
      kind: 'threat_warning', title: `Menace ${oldSecret}`, body: oldSecret, location: { lat: 14.85, lon: -1.15 },
      marking: { level: 'S', releasable_to: ['AES'] },
    });
    await admin.call('PUT', `/api/v1/reports/${first.id}`, {
      kind: 'threat_warning', title: `Menace publique ${RUN}`, body: 'déclassifiée', location: { lat: 14.85, lon: -1.15 },
      marking: { level: 'NP', releasable_to: ['AES'] }, version: 1,
    });
    const control = await admin.call('POST', '/api/v1/reports', {
      kind: 'spot_report', title: `Controle ${RUN}`, body: '', location: { lat: 14.8, lon: -1.1 },
      marking: { level: 'NP', releasable_to: ['AES'] },
    });
    await jumpTo(low.page, -1.15, 14.85, 9);
    await waitRendered(low.page, ['reports-symbol'], control.id);
    await waitRendered(low.page, ['reports-symbol'], first.id);
    // Open the downgraded report's details by clicking it: its history shows the NP version only.
    const point = await low.page.evaluate(() => window.liptako.map.project([-1.15, 14.85]));
    const box = await low.page.locator('#map').boundingBox();
    await low.page.mouse.click(box.x + point.x, box.y + point.y);
    await low.page.waitForSelector('[data-testid=history] li');
    assert.equal(await low.page.locator('[data-testid=history] li').count(), 1, 'the S version is listed');
    await low.page.waitForTimeout(1500);
    await screenshot(low.page, 'low-clearance');
    const html = await low.page.content();
    for (const word of [secret, restricted, oldSecret]) {
      assert.ok(!html.includes(word), `${word} is in the DOM`);
      for (const body of low.record.bodies) assert.ok(!body.text.includes(word), `${word} came in ${body.url}`);
      for (const frame of low.record.frames) assert.ok(!frame.includes(word), `${word} came in a WebSocket frame`);
    }
    assert.ok(low.record.frames.some((frame) => frame.includes(`Controle ${RUN}`)), 'the feed brought nothing: the check proves nothing');
    assert.ok(low.record.bodies.length > 10, 'no responses recorded');
    // What the low user may see is in the banner: nothing above NP.
    assert.equal(await low.page.getAttribute('.banner.top', 'data-level'), 'NP');
    await low.page.close();
  });

  test('the banner shows the highest marking on screen as the view changes', async () => {
    const np = await admin.call('POST', '/api/v1/reports', {
      kind: 'spot_report', title: `Banner NP ${RUN}`, body: '', location: { lat: 11.2, lon: -7.5 },
      marking: { level: 'NP', releasable_to: ['AES'] },
    });
    const c = await admin.call('POST', '/api/v1/reports', {
      kind: 'incident', title: `Banner C ${RUN}`, body: '', location: { lat: 19.5, lon: 3.5 },
      marking: { level: 'C', releasable_to: [] },
    });
    const dr = await admin.call('POST', '/api/v1/reports', {
      kind: 'incident', title: `Banner DR ${RUN}`, body: '', location: { lat: 19.52, lon: 3.52 },
      marking: { level: 'DR', releasable_to: ['BFA'] },
    });
    const banner = async (level, releasability) => {
      await adminPage.waitForFunction(([l, r]) => {
        const node = document.querySelector('.banner.top');
        return node.dataset.level === l && node.dataset.releasability === r;
      }, [level, releasability], { timeout: 20000 });
      const bottom = adminPage.locator('.banner.bottom');
      assert.equal(await bottom.getAttribute('data-level'), level);
    };
    await adminPage.keyboard.press('Escape');
    await jumpTo(adminPage, -7.5, 11.2, 11);
    await waitRendered(adminPage, ['reports-symbol'], np.id);
    await banner('NP', 'REL AES');
    await jumpTo(adminPage, 3.5, 19.5, 11);
    await waitRendered(adminPage, ['reports-symbol'], c.id);
    await waitRendered(adminPage, ['reports-symbol'], dr.id);
    // C national and DR released to BFA: C, and only MLI (the origin) may hold both.
    await banner('C', 'MLI SEULEMENT');
    assert.match(await adminPage.textContent('.banner.top'), /CONFIDENTIEL/);
    await screenshot(adminPage, 'banner-c');
    await jumpTo(adminPage, -25, 5, 8);
    await banner('NP', 'REL AES');
    // What a panel shows counts too.
    await adminPage.evaluate((id) => window.liptako.details.showObject(id), c.id);
    await banner('C', 'MLI SEULEMENT');
    await adminPage.keyboard.press('Escape');
    await banner('NP', 'REL AES');
  });

  test('the language switch changes every visible string, and is remembered', async () => {
    const fr = JSON.parse(readFileSync(join(ROOT, 'web/i18n/fr.json'), 'utf8'));
    const en = JSON.parse(readFileSync(join(ROOT, 'web/i18n/en.json'), 'utf8'));
    const enValues = new Set(Object.values(en));
    const frOnly = new Set(Object.values(fr).filter((value) => !enValues.has(value)));
    const page = adminPage;
    await jumpTo(page, -1.5, 14.3, 8);
    const [anyReport] = (await admin.call('GET', '/api/v1/reports?limit=1')).items;
    await page.evaluate((id) => window.liptako.details.showObject(id), anyReport.id);
    await page.waitForSelector('[data-testid=history] li');
    const before = await visibleTexts(page);
    const frShown = before.filter((text) => frOnly.has(text));
    assert.ok(frShown.length >= 25, `only ${frShown.length} French strings visible: the check proves little`);
    await page.click('header .lang-switch');
    await page.waitForFunction(() => document.documentElement.lang === 'en');
    await page.waitForSelector('[data-testid=history] li');
    const afterTexts = await visibleTexts(page);
    const left = afterTexts.filter((text) => frOnly.has(text));
    assert.deepEqual(left, [], 'French strings still visible after switching to English');
    assert.ok(!afterTexts.some((text) => /\[[a-z_]+\.[a-z0-9_.]+\]/.test(text)), 'a catalogue key is missing');
    for (const [key, value] of Object.entries(en)) {
      if (!value.includes('{') && afterTexts.includes(fr[key]) && fr[key] !== value) assert.fail(`${key} not switched`);
    }
    assert.match(await page.textContent('.banner.top'), /UNCLASSIFIED|RESTRICTED|CONFIDENTIAL|SECRET/);
    await screenshot(page, 'english');
    await page.reload();
    await page.waitForFunction(() => window.liptako?.ready);
    assert.equal(await page.getAttribute('html', 'lang'), 'en', 'the choice was not remembered');
    await page.click('header .lang-switch');
    await page.waitForFunction(() => document.documentElement.lang === 'fr');
  });

  test('operator actions: alerts newest first, acknowledge, fly; draw a zone; delete; an exercise world', async () => {
    const page = adminPage;
    await page.keyboard.press('Escape');
    const older = await admin.call('POST', '/api/v1/reports', {
      kind: 'airspace_alert', title: `Alerte ancienne ${RUN}`, body: '', location: { lat: 13.1, lon: -3.1 },
      marking: { level: 'NP', releasable_to: ['AES'] },
    });
    const newer = await admin.call('POST', '/api/v1/reports', {
      kind: 'airspace_alert', title: `Alerte récente ${RUN}`, body: '', location: { lat: 16.6, lon: 2.7 },
      marking: { level: 'DR', releasable_to: ['AES'] },
    });
    await page.keyboard.press('a');
    await page.waitForSelector(`.alert-item[data-id="${newer.id}"]`);
    const order = await page.$$eval('.alert-item', (items) => items.map((item) => item.dataset.id));
    assert.ok(order.indexOf(newer.id) < order.indexOf(older.id), 'alerts are not newest first');
    assert.equal(await page.isChecked('[data-testid=alert-sound]'), false, 'sound is on by default');
    await page.click(`.alert-item[data-id="${newer.id}"] [data-testid=ack]`);
    await page.waitForSelector(`.alert-item.acked[data-id="${newer.id}"]`);
    const acks = await admin.call('GET', '/api/v1/acks');
    assert.ok(acks.some((ack) => ack.id === newer.id && ack.by === 'admin' && ack.version === 1), JSON.stringify(acks));
    await page.click(`.alert-item[data-id="${older.id}"] .alert-main`);
    await page.waitForFunction(([lon, lat]) => {
      const c = window.liptako.map.getCenter();
      return !window.liptako.map.isMoving() && Math.abs(c.lng - lon) < 0.01 && Math.abs(c.lat - lat) < 0.01;
    }, [-3.1, 13.1], { timeout: 30000 });

    // Draw a zone with the keyboard and the mouse.
    await page.keyboard.press('l');
    await jumpTo(page, -3, 13, 9);
    await page.keyboard.press('z');
    const box = await page.locator('#map').boundingBox();
    for (const [dx, dy] of [[-80, -60], [80, -60], [60, 70], [-70, 50]]) {
      await page.mouse.click(box.x + box.width / 2 + dx, box.y + box.height / 2 + dy);
    }
    await page.keyboard.press('Enter');
    await page.fill('[data-testid=zone-name]', `Zone tracée ${RUN}`);
    await page.selectOption('[data-testid=zone-kind]', 'area_of_operations');
    await page.click('[data-testid=zone-submit]');
    await page.waitForSelector('[data-testid=history] li');
    const { items: zones } = await admin.call('GET', `/api/v1/zones?q=${encodeURIComponent(`Zone tracée ${RUN}`)}`);
    assert.equal(zones.length, 1);
    assert.equal(zones[0].kind, 'area_of_operations');
    assert.equal(zones[0].area.coordinates[0].length, 5, 'four corners and the closing point');
    await waitRendered(page, ['zones-fill'], zones[0].id);

    // Delete one of this node's objects from its details.
    await page.evaluate((id) => window.liptako.details.showObject(id), older.id);
    await page.click('[data-testid=delete]');
    await page.click('[data-testid=confirm-delete]');
    await page.waitForFunction((id) => !window.liptako.state.objects.has(id), older.id);
    await assert.rejects(admin.call('GET', `/api/v1/reports/${older.id}`), /HTTP 410/);

    // An exercise's world: marked as such, its own objects only, and back (objects are made
    // only in an exercise the node holds).
    await admin.call('POST', '/api/v1/exercises', {
      name: `EX-${RUN}`, participating_nations: ['MLI'], start: '2026-12-07T08:00:00Z',
      end: '2026-12-07T18:00:00Z', status: 'running', control: ['admin'],
      marking: { level: 'NP', releasable_to: [] },
    });
    await page.selectOption('[data-testid=world-select]', '__new__');
    await page.fill('[data-testid=exercise-name]', `EX-${RUN}`);
    await page.press('[data-testid=exercise-name]', 'Enter');
    await page.waitForSelector('#exercise-strip:not([hidden])');
    assert.match(await page.textContent('#exercise-strip'), new RegExp(`EXERCICE — EX-${RUN}`));
    await page.waitForFunction(() => window.liptako.feed === 'open');
    await page.waitForFunction(() => document.querySelector('.banner.top').textContent.startsWith('EXERCICE'));
    assert.equal(await page.evaluate(() => window.liptako.state.objects.size), 0, 'real-world objects shown in the exercise');
    await page.keyboard.press('n');
    await page.fill('[data-testid=report-title]', `Exercice ${RUN}`);
    await page.fill('[data-testid=report-position]', '13.0, -3.0');
    await page.click('[data-testid=report-submit]');
    await page.waitForSelector('[data-testid=history] li');
    const { items: inExercise } = await admin.call('GET', `/api/v1/reports?exercise=EX-${RUN}`);
    assert.equal(inExercise.length, 1);
    const { items: real } = await admin.call('GET', `/api/v1/reports?q=${encodeURIComponent(`Exercice ${RUN}`)}`);
    assert.equal(real.length, 0, 'the exercise report is in the real world');
    await screenshot(page, 'exercise');
    await page.selectOption('[data-testid=world-select]', '');
    await page.waitForSelector('#exercise-strip', { state: 'hidden' });
    await page.waitForFunction((id) => window.liptako.state.objects.has(id), newer.id);
  });

  test('alert rules: one made over the current view raises an alert for its owner, acknowledged; deleted; one over a drawn area', async () => {
    const page = adminPage;
    await page.keyboard.press('Escape');
    await jumpTo(page, 1.0, 15.0, 8);
    await page.click('[data-testid=rules-tab]');
    await page.waitForSelector('[data-testid=rule-form]');
    await page.fill('[data-testid=rule-form] input[name=name]', `Règle ${RUN}`);
    await page.selectOption('[data-testid=rule-form] select[name=type]', 'report');
    await page.click('[data-testid=rule-create]');
    await page.waitForSelector('.rule-item');
    const rules = await admin.call('GET', '/api/v1/alert-rules');
    const rule = rules.find((r) => r.name === `Règle ${RUN}`);
    assert.ok(rule && rule.area.type === 'Polygon' && rule.types[0] === 'report', JSON.stringify(rules));
    const report = await admin.call('POST', '/api/v1/reports', {
      kind: 'incident', title: `Dans la règle ${RUN}`, body: '', location: { lat: 15.0, lon: 1.0 },
      marking: { level: 'NP', releasable_to: ['AES'] },
    });
    // The live feed's alert refreshes the panel.
    await page.waitForSelector('[data-testid=rule-alerts] [data-testid=rule-alert-ack]', { timeout: 30000 });
    const alerts = await admin.call('GET', '/api/v1/alerts');
    assert.ok(alerts.some((a) => a.object === report.id && a.rule === rule.id), JSON.stringify(alerts));
    await page.click('[data-testid=rule-alerts] [data-testid=rule-alert-ack]');
    await page.waitForSelector('[data-testid=rule-alerts] .alert-item.acked');
    await page.click(`.rule-item[data-id="${rule.id}"] [data-testid=rule-delete]`);
    await page.waitForFunction((id) => !document.querySelector(`.rule-item[data-id="${id}"]`), rule.id);
    assert.equal((await admin.call('GET', '/api/v1/alert-rules')).length, 0);

    // A rule over an area drawn on the map.
    await page.click('[data-testid=rule-draw]');
    const box = await page.locator('#map').boundingBox();
    for (const [dx, dy] of [[-60, -40], [60, -40], [50, 50]]) {
      await page.mouse.click(box.x + box.width / 2 + dx, box.y + box.height / 2 + dy);
    }
    await page.keyboard.press('Enter');
    await page.waitForSelector('[data-testid=rule-drawn]');
    await page.fill('[data-testid=rule-form] input[name=name]', `Tracée ${RUN}`);
    await page.click('[data-testid=rule-create]');
    await page.waitForSelector('.rule-item');
    const [drawn] = await admin.call('GET', '/api/v1/alert-rules');
    assert.equal(drawn.area.coordinates[0].length, 4, 'three corners and the closing point');
    await page.click(`.rule-item[data-id="${drawn.id}"] [data-testid=rule-delete]`);
    await page.waitForFunction(() => !document.querySelector('.rule-item'));
    await page.click('[data-tab=layers]');
  });

  test('pooled means: an asset on the map, a support request in its tab, cancelled from its details', async () => {
    const page = adminPage;
    await page.keyboard.press('Escape');
    const asset = await admin.call('POST', '/api/v1/assets', {
      name: `PUMA ${RUN}`, category: 'helicopter', status: 'available', home_base: { lat: 13.4, lon: -3.4 },
      capabilities: { tags: ['night'], casualties: 6 }, marking: { level: 'NP', releasable_to: ['AES'] },
    });
    await jumpTo(page, -3.4, 13.4, 8);
    await waitRendered(page, ['assets-symbol'], asset.id);
    await page.evaluate((id) => window.liptako.details.showObject(id), asset.id);
    await page.waitForSelector('#side:not([hidden])');
    assert.match(await page.textContent('#side'), /Hélicoptère/);
    const request = await admin.call('POST', '/api/v1/support-requests', {
      category: 'helicopter', purpose: 'medevac', priority: 'urgent', addressed_to: ['BFA'],
      location: { lat: 13.5, lon: -3.5 }, start: '2026-12-06T12:00:00Z', end: '2026-12-06T18:00:00Z',
      description: `Évacuation ${RUN}`, marking: { level: 'NP', releasable_to: ['BFA'] },
    });
    await page.click('[data-testid=support-tab]');
    await page.waitForSelector('[data-testid=support-row]');
    assert.match(await page.textContent('#support-panel'), /Demandée/);
    // The availability matrix: the asset, free every day (no window listed, nothing booked).
    await page.waitForSelector(`[data-testid=availability-row][data-id="${asset.id}"]`);
    const states = await page.$$eval(`[data-testid=availability-row][data-id="${asset.id}"] td`, (cells) => cells.map((cell) => cell.dataset.state));
    assert.deepEqual(states, Array(7).fill('free'));
    assert.match(await page.textContent('#support-panel'), /Disponibilité/);
    await page.click('[data-testid=support-row]');
    await page.waitForFunction(() => document.querySelector('[data-testid=support-state]')?.textContent.includes('Demandée'));
    // MLI asked BFA: no decision form here, the cancel button for the requester.
    assert.equal(await page.$('[data-testid=support-approve]'), null);
    await page.click('[data-testid=support-cancel]');
    await page.waitForFunction(() => document.querySelector('[data-testid=support-state]')?.textContent.includes('Annulée'));
    const read = await admin.call('GET', `/api/v1/support-requests/${request.id}`);
    assert.equal(read.state, 'cancelled');
    await screenshot(page, 'support');
    await page.keyboard.press('Escape');
    await page.click('[data-tab=layers]');
  });

  test('replay: the picture at a past time from the timeline bar, live kept out of it, played forward, back to live', async () => {
    const page = adminPage;
    await page.keyboard.press('Escape');
    const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
    const [before, after, last] = [`Avant ${RUN}`, `Après ${RUN}`, `Encore ${RUN}`];
    const made = await admin.call('POST', '/api/v1/reports', {
      kind: 'incident', title: before, body: '', location: { lat: 14.9, lon: 0.9 }, marking: { level: 'NP', releasable_to: ['AES'] },
    });
    const hasTitle = (id, title) => page.waitForFunction(([i, want]) => window.liptako.state.objects.get(i)?.title === want, [id, title]);
    await hasTitle(made.id, before);
    await sleep(1500);
    const t1 = Math.floor(Date.now() / 1000) * 1000;
    await sleep(1500);
    const held = await admin.call('GET', `/api/v1/reports/${made.id}`);
    await admin.call('PUT', `/api/v1/reports/${made.id}`, { ...held, title: after, version: held.version });
    const later = await admin.call('POST', '/api/v1/reports', {
      kind: 'incident', title: `Plus tard ${RUN}`, body: '', location: { lat: 14.95, lon: 0.95 }, marking: { level: 'NP', releasable_to: ['AES'] },
    });
    await hasTitle(made.id, after);
    await page.waitForFunction((id) => window.liptako.state.objects.has(id), later.id);
    assert.ok(await page.isHidden('[data-testid=replay-banner]'), 'the REPLAY banner shows in live mode');
    assert.ok(await page.isHidden('[data-testid=timeline]'), 'the timeline bar shows before it is asked for');
    await jumpTo(page, 0.9, 14.9, 9);
    await page.evaluate((id) => window.liptako.details.showObject(id), made.id);

    // The picture at T1: the old title, not the report made since; nothing can be edited.
    await page.click('[data-testid=replay-toggle]');
    await page.waitForSelector('[data-testid=timeline]:not([hidden])');
    await page.waitForSelector('[data-testid=replay-banner]:not([hidden])');
    const field = new Date(t1).toISOString().slice(0, 19);
    await page.fill('[data-testid=replay-time]', field);
    await page.press('[data-testid=replay-time]', 'Enter');
    await page.waitForFunction(([at, id, gone, want]) => {
      const { state } = window.liptako;
      return state.replayAt === at && state.objects.get(id)?.title === want && !state.objects.has(gone);
    }, [t1, made.id, later.id, before], { timeout: 30000 });
    await waitRendered(page, ['reports-symbol'], made.id);
    await page.waitForFunction((want) => document.querySelector('#side')?.textContent.includes(want), before);
    assert.ok(!(await page.textContent('#side')).includes(after), 'the details show the current title in replay');
    await page.waitForSelector('[data-testid=replay-read-only]');
    assert.equal(await page.locator('#side [data-testid=edit]').count(), 0, 'an edit button in replay');
    const banner = await page.textContent('[data-testid=replay-banner]');
    assert.ok(banner.includes(`REJEU — ${field.replace('T', ' ')} UTC`), banner);
    assert.ok(await page.isHidden('#new-report'), 'new report offered in replay');
    await screenshot(page, 'replay');

    // Live changes do not reach the replayed picture.
    await admin.call('PUT', `/api/v1/reports/${made.id}`, { ...held, title: last, version: held.version + 1 });
    await sleep(2000);
    assert.equal(await page.evaluate((id) => window.liptako.state.objects.get(id)?.title, made.id), before, 'a live change reached the replay');

    // Played forward fast, the changes since T1 come in order, up to now.
    await page.selectOption('[data-testid=replay-speed]', '600');
    await page.click('[data-testid=replay-play]');
    await hasTitle(made.id, last);
    await page.waitForFunction((id) => window.liptako.state.objects.has(id), later.id);
    assert.ok(await page.isVisible('[data-testid=replay-banner]'), 'the banner left while playing');

    // Back to live: the current picture, no banner, no bar.
    await page.click('[data-testid=replay-live]');
    await page.waitForSelector('[data-testid=replay-banner]', { state: 'hidden' });
    await page.waitForSelector('[data-testid=timeline]', { state: 'hidden' });
    await hasTitle(made.id, last);
    await page.waitForFunction((id) => window.liptako.state.objects.has(id), later.id);
    assert.equal(await page.evaluate(() => window.liptako.state.replayAt), null);
    assert.ok(await page.isVisible('#new-report'), 'new report not offered back in live');
    await page.waitForFunction((want) => document.querySelector('#side')?.textContent.includes(want), last);
    await page.keyboard.press('Escape');

    // In an exercise's world (the world switch), the replay reads that world and says so.
    await page.selectOption('[data-testid=world-select]', `EX-${RUN}`);
    await page.waitForSelector('#exercise-strip:not([hidden])');
    await page.click('[data-testid=replay-toggle]');
    await page.waitForFunction((name) => document.querySelector('[data-testid=replay-banner]').textContent.includes(`EXERCICE ${name}`), `EX-${RUN}`);
    await page.waitForFunction((want) => [...window.liptako.state.objects.values()].some((o) => o.title === want), `Exercice ${RUN}`);
    assert.equal(await page.evaluate((id) => window.liptako.state.objects.has(id), made.id), false, 'a real-world report in the exercise replay');
    await page.click('[data-testid=replay-live]');
    await page.waitForSelector('[data-testid=replay-banner]', { state: 'hidden' });
    await page.selectOption('[data-testid=world-select]', '');
    await page.waitForSelector('#exercise-strip', { state: 'hidden' });
    await page.waitForFunction((id) => window.liptako.state.objects.has(id), made.id);
  });

  test('no request of any page left 127.0.0.1', () => {
    let seen = 0;
    for (const { record } of pages) {
      for (const url of record.requests) {
        seen += 1;
        const parsed = new URL(url);
        if (parsed.protocol === 'data:' || parsed.protocol === 'blob:') continue;
        assert.equal(parsed.hostname, '127.0.0.1', `request to ${url}`);
      }
      assert.deepEqual(record.errors, [], 'page errors');
      const csp = record.console.filter((line) => line.includes('Content Security Policy'));
      assert.deepEqual(csp, [], 'CSP violations');
    }
    assert.ok(seen > 50, `only ${seen} requests recorded`);
  });
});

describe('liptako demo in the browser', () => {
  test('each printed URL opens on its nation, with its partners\' released objects and an air picture', async () => {
    const password = 'demo-web-password';
    let base = 0;
    for (let tries = 0; tries < 50 && !base; tries += 1) {
      const candidate = await freePort();
      if (candidate > 1024 && candidate < 64000) base = candidate;
    }
    const demo = await start(['demo', '--base-port', String(base), '--password', password, '--tick-s', '1', '--data', tempDir('liptako-demo-web-')],
      (out) => (out.match(/http:\/\/127\.0\.0\.1:\d+\//g) || []).length >= 3, 90000);
    const urls = [...demo.output().matchAll(/^\s+(MLI|BFA|NER)\s+(http:\/\/127\.0\.0\.1:\d+\/)/gm)].map((m) => ({ nation: m[1], url: m[2] }));
    assert.deepEqual(urls.map((u) => u.nation), ['MLI', 'BFA', 'NER']);
    const browser = await launch();
    try {
      for (const { nation, url } of urls) {
        const deadline = Date.now() + 30000;
        while (!(await healthy(url)) && Date.now() < deadline) await new Promise((done) => setTimeout(done, 200));
        const opened = await openAs(browser, url, 'admin', password);
        const { page } = opened;
        // The first view is the nation's own territory.
        const centre = await page.evaluate(() => window.liptako.map.getCenter().toArray());
        const bounds = await page.evaluate(() => window.liptako.homeBounds);
        assert.ok(centre[0] > bounds[0] && centre[0] < bounds[2] && centre[1] > bounds[1] && centre[1] < bounds[3],
          `${nation} opens at ${centre}, not on its territory ${bounds}`);
        await page.evaluate(() => window.liptako.map.jumpTo({ center: [0.7, 14.8], zoom: 6.3 }));
        await page.waitForFunction((own) => {
          const map = window.liptako.map;
          const layers = ['zones-fill', 'units-symbol', 'reports-symbol', 'alerts-symbol'];
          const origins = new Set(map.queryRenderedFeatures({ layers }).map((f) => f.properties.origin));
          return [...origins].filter((o) => o !== own).length >= 2 && map.queryRenderedFeatures({ layers: ['air-symbol', 'air-dot'] }).length > 0;
        }, nation, { timeout: 60000 });
        const objects = await page.evaluate(() => [...window.liptako.state.objects.values()].map((o) => ({ origin: o.origin, marking: o.marking })));
        for (const { origin, marking } of objects) {
          if (origin === nation) continue;
          assert.ok(marking.releasable_to.includes('AES') || marking.releasable_to.includes(nation), `${nation} shows ${origin}'s ${JSON.stringify(marking)}`);
          assert.notEqual(marking.level, 'S');
        }
        // The banner covers what is on screen: partners' DR reports at least, never the login's.
        await page.waitForFunction(() => ['DR', 'C', 'S'].includes(document.querySelector('.banner.top').dataset.level));
        await page.waitForTimeout(1000);
        await screenshot(page, `demo-${nation}`);
      }
    } finally {
      await browser.close();
      demo.stop();
    }
  });
});
