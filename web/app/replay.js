// Replay: the picture as it was at a past time T, and playback from there. The timeline bar
// (hidden until the "Replay" button opens it) has a slider over a window (the last 24 hours
// by default), a time field (UTC), play/pause, a speed and "Live". While replaying, the live
// feed stays connected but none of its messages touch the page's state (App.onLive drops them):
// what the map and the panels show is only `GET /api/v1/replay/picture?at=T` of the world being
// viewed, then, while playing, the `GET /api/v1/replay/changes` pages from the last time applied
// to the new T, in order. A jump backwards or a long way forwards reads the picture at T again.
// "Live" reads the lists again, as after the feed's hello.

import { api } from './api.js';
import { $, el, fill } from './dom.js';
import { t } from './i18n.js';

const WINDOWS_H = [1, 6, 24, 72, 168];
const SPEEDS = [1, 10, 60, 600];
const TICK_MS = 500;
/** A step forward longer than this (in replayed time) reads the picture again instead of the changes. */
const BIG_JUMP_MS = 6 * 3600 * 1000;
/** Most pages of changes read for one step before reading the picture instead. */
const MAX_PAGES = 5;
const CHANGES_LIMIT = 1000;
/** How often (wall clock) playback reads the picture again for the air tracks. */
const AIR_REFRESH_MS = 3000;

/** `ms` as the value of a datetime-local field, in UTC, to the second. */
export function fieldValue(ms) {
  return new Date(ms).toISOString().slice(0, 19);
}

/** A datetime-local field's value read as UTC (null when it is not a time). */
export function parseField(value) {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(value)) return null;
  const ms = Date.parse(`${value}Z`);
  return Number.isFinite(ms) ? ms : null;
}

const rfc3339 = (ms) => new Date(ms).toISOString();
const shown = (ms) => `${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')} UTC`;

export class Replay {
  constructor(app) {
    this.app = app;
    this.active = false;
    this.at = null; // ms: the time shown
    this.applied = null; // ms: the time the state holds the picture of
    this.windowH = 24;
    this.windowEnd = Date.now();
    this.speed = 60;
    this.playing = false;
    this.timer = null;
    this.serial = 0;
    this.busy = false;
    this.lastAir = 0;
    this.bar = $('#timeline');
    this.banner = $('#replay-banner');
    // A property, not a listener: the button outlives each login's App.
    $('#replay-toggle').onclick = () => (this.active ? this.goLive() : this.open());
    this.build();
  }

  build() {
    this.slider = el('input', { type: 'range', min: 0, max: 1000, step: 1, value: 1000, 'data-testid': 'replay-slider',
      'aria-label': t('replay.slider'), oninput: () => this.onSlider() });
    this.field = el('input', { type: 'datetime-local', step: 1, 'data-testid': 'replay-time',
      onchange: () => this.onField() });
    this.field.addEventListener('keydown', (event) => {
      if (event.key === 'Enter') {
        event.preventDefault();
        this.onField();
      }
    });
    this.playButton = el('button', { type: 'button', 'data-testid': 'replay-play', onclick: () => this.togglePlay() });
    this.speedSelect = el('select', { 'data-testid': 'replay-speed', onchange: () => { this.speed = Number(this.speedSelect.value); } });
    this.windowSelect = el('select', { 'data-testid': 'replay-window', onchange: () => this.onWindow() });
    this.liveButton = el('button', { type: 'button', class: 'primary', 'data-testid': 'replay-live', onclick: () => this.goLive() });
    this.render();
  }

  /** Writes every string of the bar (again, after a language change). */
  render() {
    $('#replay-toggle').textContent = t('replay.toggle');
    $('#replay-toggle').setAttribute('aria-pressed', String(this.active));
    this.slider.setAttribute('aria-label', t('replay.slider'));
    this.playButton.textContent = this.playing ? t('replay.pause') : t('replay.play');
    fill(this.speedSelect, SPEEDS.map((s) => el('option', { value: s, selected: s === this.speed }, t('replay.speed', { n: s }))));
    this.speedSelect.value = String(this.speed);
    fill(this.windowSelect, WINDOWS_H.map((h) => el('option', { value: h, selected: h === this.windowH },
      h >= 48 ? t('replay.window_days', { n: h / 24 }) : t('replay.window_hours', { n: h }))));
    this.windowSelect.value = String(this.windowH);
    this.liveButton.textContent = t('replay.live');
    fill(this.bar,
      el('span', { class: 'timeline-title' }, t('replay.title')),
      el('label', { class: 'timeline-field' }, t('replay.window'), this.windowSelect),
      this.slider,
      el('label', { class: 'timeline-field' }, t('replay.time'), this.field),
      this.playButton,
      el('label', { class: 'timeline-field' }, t('replay.speed_label'), this.speedSelect),
      this.liveButton);
    this.showBanner();
  }

  windowStart() {
    return this.windowEnd - this.windowH * 3600 * 1000;
  }

  /** Opens the bar and shows the picture at the end of the window (now). */
  open() {
    this.windowEnd = Date.now();
    this.active = true;
    this.bar.hidden = false;
    document.body.classList.add('replay');
    this.app.enterReplay();
    this.seek(this.windowEnd);
    this.render();
  }

  /** Back to the live picture. */
  goLive() {
    if (!this.active) return;
    this.close();
    this.app.leaveReplay();
  }

  /** Closes the bar and stops playback (at logout too). */
  close() {
    this.pause();
    this.serial += 1;
    this.active = false;
    this.at = null;
    this.applied = null;
    this.bar.hidden = true;
    document.body.classList.remove('replay');
    this.render();
  }

  onSlider() {
    const span = this.windowEnd - this.windowStart();
    this.at = Math.round(this.windowStart() + (span * Number(this.slider.value)) / 1000);
    this.showTime();
    // Dragging: the picture is read once the slider rests.
    clearTimeout(this.slideTimer);
    this.slideTimer = setTimeout(() => this.seek(this.at), 250);
  }

  onField() {
    const ms = parseField(this.field.value);
    if (ms === null) return;
    if (ms > Date.now()) {
      this.seek(Date.now());
      return;
    }
    // A time outside the window moves the window.
    if (ms < this.windowStart()) this.windowEnd = ms + (this.windowH * 3600 * 1000) / 2;
    if (ms > this.windowEnd) this.windowEnd = Math.min(Date.now(), ms);
    this.seek(ms);
  }

  onWindow() {
    this.windowH = Number(this.windowSelect.value) || 24;
    this.windowEnd = Math.max(this.at ?? Date.now(), Math.min(Date.now(), this.windowEnd));
    this.showTime();
  }

  togglePlay() {
    if (this.playing) this.pause();
    else this.play();
  }

  play() {
    if (!this.active || this.playing) return;
    this.playing = true;
    this.lastTick = performance.now();
    this.timer = setInterval(() => this.tick(), TICK_MS);
    this.render();
  }

  pause() {
    this.playing = false;
    clearInterval(this.timer);
    this.timer = null;
    if (this.active) this.render();
  }

  /** Shows the picture at `ms`: read whole. */
  seek(ms) {
    this.at = Math.round(ms);
    this.showTime();
    this.loadPicture(this.at);
  }

  showTime() {
    if (this.at === null) return;
    if (this.at > this.windowEnd) this.windowEnd = this.at;
    const span = this.windowEnd - this.windowStart();
    this.slider.value = String(Math.round(((this.at - this.windowStart()) / span) * 1000));
    if (document.activeElement !== this.field) this.field.value = fieldValue(this.at);
    this.showBanner();
  }

  showBanner() {
    const world = this.app.state.world;
    this.banner.hidden = !this.active;
    if (!this.active || this.at === null) {
      this.banner.textContent = '';
      return;
    }
    const parts = [t('replay.banner', { time: shown(this.at) })];
    if (world) parts.push(t('world.exercise_banner', { name: world }));
    this.banner.textContent = parts.join(' — ');
  }

  worldParam() {
    const world = this.app.state.world;
    return world ? { exercise: world } : {};
  }

  async loadPicture(ms) {
    const serial = ++this.serial;
    this.busy = true;
    try {
      const query = new URLSearchParams({ at: rfc3339(ms), ...this.worldParam() });
      const [picture, acks] = await Promise.all([
        api('GET', `/api/v1/replay/picture?${query}`),
        api('GET', `/api/v1/acks?${new URLSearchParams({ limit: 1000, ...this.worldParam() })}`).catch(() => []),
      ]);
      if (serial !== this.serial || !this.active) return;
      this.app.showReplayPicture(picture, acks.filter((ack) => Date.parse(ack.at) <= ms), ms);
      this.applied = ms;
      this.lastAir = performance.now();
      if (picture.truncated) this.app.toast(t('replay.truncated'), true);
    } catch (err) {
      if (serial === this.serial) this.app.toast(t('replay.failed', { message: err.message }), true);
    } finally {
      if (serial === this.serial) this.busy = false;
    }
  }

  /** Playback: T moves on by the speed; the changes up to it are applied in order. */
  async tick() {
    const now = performance.now();
    const elapsed = now - this.lastTick;
    this.lastTick = now;
    if (!this.active || this.at === null) return;
    const limit = Date.now();
    this.at = Math.min(limit, this.at + elapsed * this.speed);
    this.showTime();
    if (this.at >= limit) this.pause();
    if (this.busy || this.applied === null) return;
    if (this.at - this.applied > BIG_JUMP_MS || this.at < this.applied) {
      this.loadPicture(this.at);
      return;
    }
    const airDue = !this.app.state.world && now - this.lastAir > AIR_REFRESH_MS;
    await this.step(this.at, airDue);
  }

  /** Applies the changes from the time applied to `to`; too many pages: the picture at `to`. */
  async step(to, airDue) {
    const serial = this.serial;
    const from = this.applied;
    this.busy = true;
    try {
      const changes = [];
      let cursor = null;
      for (let page = 0; ; page += 1) {
        if (page >= MAX_PAGES) {
          this.busy = false;
          if (serial === this.serial) this.loadPicture(to);
          return;
        }
        const query = new URLSearchParams({ from: rfc3339(from), to: rfc3339(to), limit: CHANGES_LIMIT, ...this.worldParam() });
        if (cursor) query.set('cursor', cursor);
        const body = await api('GET', `/api/v1/replay/changes?${query}`);
        if (serial !== this.serial || !this.active) return;
        changes.push(...body.changes);
        cursor = body.next_cursor;
        if (!cursor) break;
      }
      this.app.applyReplayChanges(changes, to);
      this.applied = to;
      if (airDue) {
        this.lastAir = performance.now();
        const query = new URLSearchParams({ at: rfc3339(to) });
        const picture = await api('GET', `/api/v1/replay/picture?${query}`);
        if (serial === this.serial && this.active) this.app.showReplayAir(picture.air_tracks, to);
      }
    } catch (err) {
      if (serial === this.serial) {
        this.pause();
        this.app.toast(t('replay.failed', { message: err.message }), true);
      }
    } finally {
      if (serial === this.serial) this.busy = false;
    }
  }

  /** The world changed while replaying: the same time, in the other world. */
  worldChanged() {
    if (!this.active || this.at === null) return;
    this.seek(this.at);
  }
}
