// The Liptako web COP: log in, then the live map of the node's picture. This module wires the
// pieces together: the session, the map and its layers, the live feed, the panels, the forms,
// the banner, the exercise worlds, replay (replay.js) and the keyboard.

import * as maplibregl from '/ui/vendor/maplibre-gl/maplibre-gl.mjs';
import { api, login, logout, restoreSession, onSessionEnd, listAll } from './api.js';
import { $, $$, el, fill, perFrame } from './dom.js';
import { initLanguage, setLanguage, otherLang, onLanguageChange, t, translate, currentLang } from './i18n.js';
import { Markings } from './marking.js';
import { State, LAYERS } from './state.js';
import { Live } from './live.js';
import { loadBaseData, baseStyle, setBaseLanguage } from './basemap.js';
import { installImages } from './symbols.js';
import { Banner, loginBanner } from './banner.js';
import * as zones from './layers/zones.js';
import * as units from './layers/units.js';
import * as reports from './layers/reports.js';
import * as air from './layers/air.js';
import * as operations from './layers/operations.js';
import * as assets from './layers/assets.js';
import { Details } from './panels/details.js';
import { LayersPanel } from './panels/layers.js';
import { AlertsPanel } from './panels/alerts.js';
import { RulesPanel } from './panels/rules.js';
import { LinksPanel } from './panels/links.js';
import { SupportPanel } from './panels/support.js';
import { Replay } from './replay.js';
import { reportForm, zoneForm, confirmDelete, errorText } from './forms/objects.js';
import { formatDecimal, formatMgrs } from './coords.js';
import { EMPTY, collection, objectPoint } from './geo.js';

const CLICKABLE = ['air-symbol', 'air-dot', 'units-symbol', 'alerts-symbol', 'reports-symbol', 'pursuits-circle', 'zones-fill', 'operations-fill', 'assets-symbol'];
const ACK_POLL_MS = 10000;
const AIR_TICK_MS = 1000;
const EXERCISES_KEY = 'liptako.exercises';
const SHORTCUTS = [
  ['n', 'shortcut.new_report'], ['z', 'shortcut.draw_zone'], ['l', 'shortcut.layers'],
  ['a', 'shortcut.alerts'], ['k', 'shortcut.links'], ['/', 'shortcut.search'], ['h', 'shortcut.home'],
  ['1-6', 'shortcut.toggle_layer'], ['Esc', 'shortcut.escape'], ['?', 'shortcut.help'],
];

let baseData = null;
let app = null;

async function boot() {
  await initLanguage();
  for (const button of $$('.lang-switch')) {
    button.addEventListener('click', () => setLanguage(otherLang()));
  }
  onLanguageChange(() => (app ? app.languageChanged() : loginBanner()));
  onSessionEnd(() => {
    app?.stop();
    app = null;
    showLogin('login.expired');
  });
  $('#login-form').addEventListener('submit', submitLogin);
  document.body.classList.remove('booting');
  if (!restoreSession()) {
    showLogin();
    return;
  }
  try {
    await startApp();
  } catch {
    // A kept session the node no longer accepts (or a node that does not answer): log in again.
    app?.stop();
    app = null;
    logout();
    showLogin('login.expired');
  }
}

function showLogin(messageKey = null) {
  $('#app-view').hidden = true;
  $('#login-view').hidden = false;
  $('#exercise-strip').hidden = true;
  document.body.classList.remove('exercise');
  loginBanner();
  const error = $('#login-form .form-error');
  if (messageKey) {
    error.dataset.i18n = messageKey;
    error.textContent = t(messageKey);
    error.hidden = false;
  } else {
    error.hidden = true;
  }
  $('#login-form [name=password]').value = '';
  $('#login-form [name=username]').focus();
}

async function submitLogin(event) {
  event.preventDefault();
  const form = event.target;
  const error = $('.form-error', form);
  error.hidden = true;
  const button = $('button[type=submit]', form);
  button.disabled = true;
  try {
    await login(form.username.value.trim(), form.password.value);
    form.password.value = '';
    await startApp();
  } catch (err) {
    const key = err.status === 401 ? 'login.wrong' : err.status === 429 ? 'login.throttled' : 'login.failed';
    error.dataset.i18n = key;
    error.textContent = t(key);
    error.hidden = false;
  } finally {
    button.disabled = false;
  }
}

async function startApp() {
  const [node, principal] = await Promise.all([api('GET', '/api/v1/node'), api('GET', '/api/v1/auth/me')]);
  baseData = baseData || await loadBaseData();
  $('#login-view').hidden = true;
  $('#app-view').hidden = false;
  app = new App(node, principal);
  await app.start();
}

/** The running application after login. */
class App {
  constructor(node, principal) {
    this.node = node;
    this.principal = principal;
    this.markings = new Markings(node);
    this.state = new State();
    this.live = new Live();
    this.mode = null; // null | {kind: 'pick', done} | {kind: 'draw', ring: []}
    this.timers = [];
    this.loadSerial = 0;
    // Object messages of the feed that arrive while the lists are being read: the lists may
    // have been read before them, so they are applied again over the lists.
    this.heldDuringLoad = null;
    window.liptako = this; // for the benchmark and the end-to-end tests
  }

  async start() {
    const bounds = baseData.bounds.get(this.node.nation) || [-6, 10, 16, 25];
    const map = new maplibregl.Map({
      container: 'map',
      style: baseStyle(baseData, this.markings.members, currentLang()),
      bounds: [[bounds[0], bounds[1]], [bounds[2], bounds[3]]],
      fitBoundsOptions: { padding: 30 },
      attributionControl: false,
      maxZoom: 16,
      minZoom: 1.5,
      dragRotate: false,
      pitchWithRotate: false,
    });
    this.map = map;
    this.homeBounds = bounds;
    map.addControl(new maplibregl.ScaleControl({ unit: 'metric' }), 'bottom-right');
    installImages(map);
    this.banner = new Banner(map, this.state, this.markings);
    this.details = new Details(this);
    this.layersPanel = new LayersPanel(this);
    this.alertsPanel = new AlertsPanel(this);
    this.rulesPanel = new RulesPanel(this);
    this.linksPanel = new LinksPanel(this);
    this.supportPanel = new SupportPanel(this);
    this.replay = new Replay(this);
    await new Promise((resolve) => (map.loaded() ? resolve() : map.once('load', resolve)));
    for (const layer of [operations, zones, assets, reports, units, air]) layer.install(map);
    this.installOverlays();
    this.wire();
    this.renderHeader();
    this.layersPanel.render();
    this.alertsPanel.render();
    this.selectTab('layers');
    this.ready = true;
    this.live.start(this.state.world);
    this.timers.push(setInterval(() => this.loadAcks(), ACK_POLL_MS));
    this.timers.push(setInterval(() => this.renderAir(), AIR_TICK_MS));
  }

  stop() {
    this.replay?.close();
    this.live.stop();
    this.linksPanel.stop();
    this.supportPanel?.stop();
    for (const timer of this.timers) clearInterval(timer);
    this.timers = [];
    this.map?.remove();
    document.removeEventListener('keydown', this.onKey);
    fill($('#side'));
    $('#side').hidden = true;
    if (window.liptako === this) window.liptako = null;
  }

  // --- wiring ---------------------------------------------------------------------------

  wire() {
    const { map, state } = this;
    const renderObjects = perFrame(() => this.renderObjects());
    this.renderAirSoon = perFrame(() => this.renderAir());
    state.addEventListener('change', ({ detail }) => {
      if (detail.kind === 'air') {
        this.renderAirSoon();
        return;
      }
      renderObjects();
      if (detail.kind === 'objects' && detail.id && this.details.current?.id === detail.id) this.details.refresh();
      if (detail.kind === 'acks' && this.details.current?.kind === 'object') this.details.refresh();
    });
    this.live.addEventListener('message', ({ detail }) => this.onLive(detail));
    this.live.addEventListener('state', ({ detail }) => this.feedState(detail));
    map.on('moveend', () => this.banner.schedule());
    map.on('zoomend', () => this.renderAirSoon());
    map.on('idle', () => this.banner.schedule());
    map.on('click', (event) => this.onMapClick(event));
    map.on('dblclick', (event) => {
      if (this.mode?.kind === 'draw') {
        event.preventDefault();
        this.finishDraw();
      }
    });
    map.on('mousemove', (event) => {
      const point = { lat: event.lngLat.lat, lon: event.lngLat.lng };
      $('#coords').textContent = `${formatDecimal(point)}  ·  ${formatMgrs(point)}`;
    });
    for (const id of CLICKABLE) {
      map.on('mouseenter', id, () => { if (!this.mode) map.getCanvas().style.cursor = 'pointer'; });
      map.on('mouseleave', id, () => { if (!this.mode) map.getCanvas().style.cursor = ''; });
    }
    for (const tab of $$('[data-tab]')) tab.addEventListener('click', () => this.selectTab(tab.dataset.tab));
    $('#zoom-in').addEventListener('click', () => this.map.zoomIn());
    $('#zoom-out').addEventListener('click', () => this.map.zoomOut());
    $('#zoom-home').addEventListener('click', () => this.home());
    $('#new-report').addEventListener('click', () => this.newReport());
    $('#draw-zone').addEventListener('click', () => this.startDraw());
    $('#logout').addEventListener('click', () => {
      this.stop();
      app = null;
      logout();
      showLogin();
    });
    $('#help-close').addEventListener('click', () => { $('#help').hidden = true; });
    $('#world-select').addEventListener('change', (event) => this.onWorldSelect(event.target));
    this.onKey = (event) => this.keydown(event);
    document.addEventListener('keydown', this.onKey);
  }

  renderHeader() {
    $('#node-name').textContent = `${this.node.name} · ${this.node.confederation}`;
    const p = this.principal;
    $('#user-name').textContent = t('header.user', { name: p.name, nation: p.nation, clearance: p.clearance, role: t(`role.${p.role}`) });
    const editor = p.role !== 'viewer' && !this.replay?.active;
    $('#new-report').hidden = !editor;
    $('#draw-zone').hidden = !editor;
    $('#links-tab').hidden = p.role !== 'admin';
    this.renderWorldSelect();
    fill($('#help-list'), SHORTCUTS.map(([key, label]) => [el('dt', {}, el('kbd', {}, key)), el('dd', {}, t(label))]));
  }

  languageChanged() {
    translate(document);
    setBaseLanguage(this.map, currentLang());
    this.renderHeader();
    this.layersPanel.render();
    this.alertsPanel.render();
    this.rulesPanel.render();
    if (this.linksPanel.timer) this.linksPanel.render();
    if (this.supportPanel.timer) this.supportPanel.render();
    this.details.refresh();
    this.banner.last = '';
    this.banner.schedule();
    this.feedState(this.feed || 'connecting');
    this.showExercise();
    this.replay.render();
  }

  feedState(name) {
    this.feed = name;
    const node = $('#feed-state');
    node.textContent = t(`feed.${name}`);
    node.className = `feed-state ${name}`;
  }

  selectTab(name) {
    for (const tab of $$('[data-tab]')) tab.setAttribute('aria-selected', String(tab.dataset.tab === name));
    for (const panel of $$('[data-panel]')) panel.hidden = panel.dataset.panel !== name;
    if (name === 'rules') this.rulesPanel.load();
    if (name === 'links') this.linksPanel.start();
    else this.linksPanel.stop();
    if (name === 'support') this.supportPanel.start();
    else this.supportPanel.stop();
    this.banner.schedule();
  }

  // --- data -----------------------------------------------------------------------------

  /**
   * Reads the lists (after the feed's hello: subscribed first, so nothing is missed). A change
   * the feed brings while the lists are read may be newer than what they hold: it is kept and
   * applied again once they are in (versions decide which wins).
   */
  /** The exercises this node holds (not ended) join the world switch. */
  async loadExercises() {
    try {
      const exercises = await listAll('/api/v1/exercises', { limit: 1000 });
      this.heldExercises = exercises.filter((e) => e.status !== 'ended').map((e) => e.name).sort();
      this.renderWorldSelect();
    } catch {
      // The switch keeps the names typed before.
    }
  }

  async loadAll() {
    const serial = ++this.loadSerial;
    this.loadExercises();
    this.heldDuringLoad = [];
    const params = { limit: 1000, ...(this.state.world ? { exercise: this.state.world } : {}) };
    try {
      const lists = await Promise.all(['reports', 'units', 'zones', 'operations', 'pursuit-notices', 'assets', 'support-requests'].map((c) => listAll(`/api/v1/${c}`, params, { geojson: true })));
      if (serial !== this.loadSerial || this.replay?.active) return;
      this.state.resetObjects(lists.flat());
      const held = this.heldDuringLoad;
      this.heldDuringLoad = null;
      for (const message of held) this.applyObjectMessage(message);
      if (!this.state.world) {
        const picture = await api('GET', '/api/v1/air/tracks');
        if (serial !== this.loadSerial) return;
        this.state.airPicture = picture.marking ? { origin: picture.origin, marking: picture.marking } : null;
        this.state.applyAir({ full: true, time: picture.time, tracks: picture.tracks });
      } else {
        this.state.airPicture = null;
        this.state.clearAir();
      }
      await this.loadAcks();
    } catch (err) {
      if (serial === this.loadSerial) this.heldDuringLoad = null;
      this.toast(errorText(err), true);
    }
  }

  async loadAcks() {
    if (this.replay?.active) return;
    try {
      this.state.setAcks(await api('GET', '/api/v1/acks'));
    } catch {
      // The next poll tries again; the feed state shows a node that is down.
    }
  }

  applyObjectMessage(message) {
    if (message.op === 'upsert') this.state.upsert(message.object);
    else this.state.remove(message.id);
  }

  onLive(message) {
    const { state } = this;
    // Replaying: nothing live touches the past picture (leaving replay reads the lists again).
    if (this.replay?.active) return;
    switch (message.op) {
      case 'hello':
        this.loadAll();
        break;
      case 'upsert':
      case 'delete':
      case 'remove':
        this.heldDuringLoad?.push(message);
        this.applyObjectMessage(message);
        break;
      case 'resync':
        this.loadAll();
        break;
      case 'alert':
        this.rulesPanel.onAlert(message.alert);
        break;
      case 'air':
        if (!state.airPicture && message.full) {
          // The picture became visible: learn its marking before drawing it.
          api('GET', '/api/v1/air/tracks').then((picture) => {
            state.airPicture = picture.marking ? { origin: picture.origin, marking: picture.marking } : null;
            state.applyAir({ full: true, time: picture.time, tracks: picture.tracks });
          }).catch(() => {});
        } else if (state.airPicture) {
          state.applyAir(message);
        }
        break;
      default:
        break;
    }
  }

  renderObjects() {
    operations.render(this.map, this.state);
    zones.render(this.map, this.state);
    assets.render(this.map, this.state);
    units.render(this.map, this.state);
    reports.render(this.map, this.state);
    this.layersPanel.updateCounts();
    this.alertsPanel.render();
    this.banner.schedule();
  }

  renderAir() {
    if (!this.map) return;
    air.render(this.map, this.state, this.state.now());
    this.lastAirRender = performance.now();
    this.banner.schedule();
  }

  // --- map interaction ------------------------------------------------------------------

  installOverlays() {
    const { map } = this;
    map.addSource('selection', { type: 'geojson', data: EMPTY });
    map.addLayer({ id: 'selection-ring', type: 'circle', source: 'selection', filter: ['==', ['geometry-type'], 'Point'],
      paint: { 'circle-radius': 20, 'circle-color': 'rgba(0,0,0,0)', 'circle-stroke-color': '#00e5ff', 'circle-stroke-width': 2.5 } });
    map.addLayer({ id: 'selection-line', type: 'line', source: 'selection', filter: ['==', ['geometry-type'], 'Polygon'],
      paint: { 'line-color': '#00e5ff', 'line-width': 3 } });
    map.addSource('draft', { type: 'geojson', data: EMPTY });
    map.addLayer({ id: 'draft-fill', type: 'fill', source: 'draft', filter: ['==', ['geometry-type'], 'Polygon'],
      paint: { 'fill-color': '#00e5ff', 'fill-opacity': 0.15 } });
    map.addLayer({ id: 'draft-line', type: 'line', source: 'draft', filter: ['==', ['geometry-type'], 'LineString'],
      paint: { 'line-color': '#00e5ff', 'line-width': 2, 'line-dasharray': [2, 1] } });
    map.addLayer({ id: 'draft-points', type: 'circle', source: 'draft', filter: ['==', ['geometry-type'], 'Point'],
      paint: { 'circle-radius': 4, 'circle-color': '#00e5ff' } });
  }

  setSelection(object) {
    if (!this.map?.getSource('selection')) return;
    let feature = null;
    if (object) {
      const point = objectPoint(object);
      if (point) feature = { type: 'Feature', properties: {}, geometry: { type: 'Point', coordinates: point } };
      else if (object.area) feature = { type: 'Feature', properties: {}, geometry: object.area };
    }
    this.map.getSource('selection').setData(collection(feature ? [feature] : []));
  }

  onMapClick(event) {
    const point = { lat: event.lngLat.lat, lon: event.lngLat.lng };
    if (this.mode?.kind === 'pick') {
      const { done } = this.mode;
      this.endMode();
      done(point);
      return;
    }
    if (this.mode?.kind === 'draw') {
      this.mode.ring.push([point.lon, point.lat]);
      this.renderDraft();
      return;
    }
    const layers = CLICKABLE.filter((id) => this.map.getLayer(id));
    const [feature] = this.map.queryRenderedFeatures(event.point, { layers });
    if (!feature) return;
    if (feature.properties.type === 'air') this.details.showAir(feature.properties.uid);
    else this.details.showObject(feature.properties.id);
  }

  hint(key) {
    const node = $('#map-hint');
    if (!key) {
      node.hidden = true;
      return;
    }
    node.textContent = t(key);
    node.hidden = false;
  }

  /** The next map click gives a position to `done`. */
  pickPoint(done) {
    this.mode = { kind: 'pick', done };
    this.map.getCanvas().style.cursor = 'crosshair';
    this.hint('hint.pick');
  }

  endMode() {
    this.mode = null;
    this.map.getCanvas().style.cursor = '';
    this.map.doubleClickZoom.enable();
    this.hint(null);
  }

  /** Draws a polygon: a zone's (editors), or an alert rule's area (`purpose` 'rule'). */
  startDraw(purpose = 'zone') {
    if (purpose === 'zone' && this.principal.role === 'viewer') return;
    this.details.close();
    this.mode = { kind: 'draw', ring: [], purpose };
    this.map.doubleClickZoom.disable();
    this.map.getCanvas().style.cursor = 'crosshair';
    this.hint('hint.draw');
    this.renderDraft();
  }

  renderDraft() {
    const ring = this.mode?.kind === 'draw' ? this.mode.ring : this.draftRing || [];
    const features = ring.map((p) => ({ type: 'Feature', properties: {}, geometry: { type: 'Point', coordinates: p } }));
    if (ring.length >= 2) features.push({ type: 'Feature', properties: {}, geometry: { type: 'LineString', coordinates: [...ring, ring[0]] } });
    if (ring.length >= 3) features.push({ type: 'Feature', properties: {}, geometry: { type: 'Polygon', coordinates: [[...ring, ring[0]]] } });
    this.map.getSource('draft').setData(collection(features));
  }

  finishDraw() {
    if (this.mode?.kind !== 'draw') return;
    // A double click also added its position twice: drop repeats.
    const ring = this.mode.ring.filter((p, i, all) => i === 0 || p[0] !== all[i - 1][0] || p[1] !== all[i - 1][1]);
    if (ring.length < 3) {
      this.toast(t('hint.draw_more'), true);
      return;
    }
    const { purpose } = this.mode;
    this.endMode();
    if (purpose === 'rule') {
      this.clearDraft();
      this.rulesPanel.drawn([...ring, ring[0]]);
      return;
    }
    this.draftRing = ring;
    this.renderDraft();
    zoneForm(this, [...ring, ring[0]]);
  }

  clearDraft() {
    this.draftRing = null;
    if (this.mode?.kind === 'draw') this.endMode();
    this.map.getSource('draft')?.setData(EMPTY);
  }

  flyToObject(object) {
    // The panel first: it narrows the map, which must know its size before it centres.
    this.details.showObject(object.id);
    this.map.resize();
    const point = objectPoint(object);
    if (point) this.map.flyTo({ center: point, zoom: Math.max(this.map.getZoom(), 9), speed: 2 });
    else if (object.area) {
      const ring = object.area.coordinates[0];
      const lons = ring.map((p) => p[0]);
      const lats = ring.map((p) => p[1]);
      this.map.fitBounds([[Math.min(...lons), Math.min(...lats)], [Math.max(...lons), Math.max(...lats)]], { padding: 80, maxZoom: 12 });
    }
  }

  home() {
    const b = this.homeBounds;
    this.map.fitBounds([[b[0], b[1]], [b[2], b[3]]], { padding: 30 });
  }

  // --- actions --------------------------------------------------------------------------

  newReport(at = null) {
    if (this.principal.role === 'viewer') return;
    reportForm(this, null, at);
  }

  edit(object) {
    if (object.type === 'report') reportForm(this, object);
    else if (object.type === 'zone') zoneForm(this, null, object);
  }

  remove(object) {
    confirmDelete(this, object);
  }

  async reloadObject(object) {
    const collectionName = {
      report: 'reports', unit: 'units', zone: 'zones', operation: 'operations', pursuit_notice: 'pursuit-notices',
      asset: 'assets', support_request: 'support-requests',
    }[object.type];
    const query = this.state.world ? `?exercise=${encodeURIComponent(this.state.world)}` : '';
    try {
      const current = await api('GET', `/api/v1/${collectionName}/${object.id}${query}`);
      this.state.upsert(current);
      this.details.showObject(object.id);
    } catch (err) {
      if (err.status === 404 || err.status === 410) this.state.remove(object.id);
      this.toast(errorText(err), true);
    }
  }

  async acknowledge(alert) {
    try {
      const ack = await api('POST', `/api/v1/reports/${alert.id}/ack`, {
        version: alert.version,
        ...(this.state.world ? { exercise: this.state.world } : {}),
      });
      this.state.addAck(ack);
      this.toast(t('toast.acknowledged'));
    } catch (err) {
      this.toast(errorText(err), true);
      if (err.status === 409) this.reloadObject(alert);
    }
  }

  toast(text, error = false) {
    const node = $('#toast');
    node.textContent = text;
    node.className = `toast${error ? ' error' : ''}`;
    node.hidden = false;
    clearTimeout(this.toastTimer);
    this.toastTimer = setTimeout(() => { node.hidden = true; }, error ? 8000 : 3000);
  }

  // --- exercise worlds ------------------------------------------------------------------

  knownExercises() {
    try {
      const list = JSON.parse(localStorage.getItem(EXERCISES_KEY) || '[]');
      return Array.isArray(list) ? list.filter((name) => typeof name === 'string') : [];
    } catch {
      return [];
    }
  }

  renderWorldSelect() {
    const select = $('#world-select');
    const current = this.state.world;
    const names = [...new Set([...(this.heldExercises || []), ...this.knownExercises(), ...(current ? [current] : [])])];
    fill(select,
      el('option', { value: '' }, t('world.real')),
      names.map((name) => el('option', { value: name, selected: name === current }, t('world.exercise_option', { name }))),
      el('option', { value: '__new__' }, t('world.other')));
    select.value = current || '';
  }

  onWorldSelect(select) {
    if (select.value !== '__new__') {
      this.setWorld(select.value || null);
      return;
    }
    const input = el('input', { 'data-testid': 'exercise-name', placeholder: t('world.name_placeholder'), maxlength: 64 });
    const error = el('p', { class: 'form-error', hidden: true });
    const form = el('form', { class: 'object-form' },
      el('label', {}, t('world.name_label'), input),
      el('p', { class: 'muted small' }, t('world.name_help')),
      error,
      el('div', { class: 'actions' }, el('button', { type: 'submit', class: 'primary' }, t('world.enter'))));
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      const name = input.value.trim();
      if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/.test(name)) {
        error.textContent = t('world.name_invalid');
        error.hidden = false;
        return;
      }
      localStorage.setItem(EXERCISES_KEY, JSON.stringify([...new Set([...this.knownExercises(), name])].slice(-20)));
      this.details.close();
      this.setWorld(name);
    });
    this.details.showForm(t('world.other'), form);
    this.renderWorldSelect();
    input.focus();
  }

  setWorld(world) {
    if (world === this.state.world) return;
    this.state.world = world;
    this.state.resetObjects([]);
    this.state.acks.clear();
    this.state.airPicture = null;
    this.state.clearAir();
    this.details.close();
    this.renderWorldSelect();
    this.showExercise();
    this.live.start(world);
    this.banner.last = '';
    this.banner.schedule();
    this.replay.worldChanged();
  }

  showExercise() {
    const world = this.state.world;
    document.body.classList.toggle('exercise', Boolean(world));
    const strip = $('#exercise-strip');
    strip.hidden = !world;
    strip.textContent = world ? t('world.exercise_strip', { name: world }) : '';
    strip.dataset.testid = 'exercise-strip';
  }

  // --- replay -------------------------------------------------------------------------

  /** Replay begins: live loads in flight are dropped, nothing is edited from the past. */
  enterReplay() {
    this.loadSerial += 1;
    this.heldDuringLoad = null;
    if (this.mode) {
      this.endMode();
      this.clearDraft();
    }
    this.renderHeader();
  }

  /** Back to live: the lists are read again, as after the feed's hello. */
  leaveReplay() {
    this.state.replayAt = null;
    this.state.clearAir();
    this.renderHeader();
    this.banner.last = '';
    this.loadAll().then(() => {
      // Read the history again: versions may have come while replaying.
      const current = this.details.current;
      if (current?.kind === 'object' && !this.details.root.hidden) this.details.showObject(current.id);
    });
  }

  /** Shows the replayed picture at `ms` (the objects, the acknowledgements by then, the air). */
  showReplayPicture(picture, acks, ms) {
    const { state } = this;
    state.replayAt = ms;
    state.resetObjects([...picture.reports, ...picture.units, ...picture.zones, ...picture.operations, ...picture.pursuit_notices]);
    state.setAcks(acks);
    // A jump in time: no trail joins the tracks' positions before it.
    state.air.clear();
    this.showReplayAir(picture.air_tracks, ms);
    this.details.refresh();
  }

  showReplayAir(tracks, ms) {
    this.state.replayAt = ms;
    this.state.applyAir({ full: true, time: new Date(ms).toISOString(), tracks: tracks || [] });
  }

  /** Applies replayed changes, in order, up to `ms`. */
  applyReplayChanges(changes, ms) {
    this.state.replayAt = ms;
    for (const change of changes) {
      if (change.op === 'upsert' && change.object) this.state.upsert(change.object);
      else this.state.remove(change.id);
    }
    this.state.emit('objects');
  }

  // --- keyboard -------------------------------------------------------------------------

  keydown(event) {
    const target = event.target;
    const typing = target instanceof HTMLElement && (target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName));
    if (event.key === 'Escape') {
      if (!$('#help').hidden) $('#help').hidden = true;
      else if (this.mode) { this.endMode(); this.clearDraft(); } else this.details.close();
      return;
    }
    if (typing || event.ctrlKey || event.metaKey || event.altKey) return;
    if (this.mode?.kind === 'draw') {
      if (event.key === 'Enter') { event.preventDefault(); this.finishDraw(); }
      if (event.key === 'Backspace') { event.preventDefault(); this.mode.ring.pop(); this.renderDraft(); }
      return;
    }
    const layerIndex = Number(event.key) - 1;
    if (layerIndex >= 0 && layerIndex < LAYERS.length) {
      const layer = LAYERS[layerIndex];
      this.state.layers[layer] = !this.state.layers[layer];
      this.state.emit('layers');
      this.layersPanel.render();
      return;
    }
    switch (event.key) {
      case 'n': this.newReport(); break;
      case 'z': this.startDraw(); break;
      case 'l': this.selectTab('layers'); break;
      case 'a': this.selectTab('alerts'); break;
      case 'k': if (this.principal.role === 'admin') this.selectTab('links'); break;
      case '/': case 'f':
        event.preventDefault();
        this.selectTab('layers');
        $('#search')?.focus();
        break;
      case 'h': this.home(); break;
      case '?': $('#help').hidden = false; break;
      default: return;
    }
  }
}

boot().catch((err) => {
  document.body.classList.remove('booting');
  document.body.append(el('p', { class: 'fatal' }, String(err?.message || err)));
});

