// The classification banner, top and bottom: the highest marking among everything on screen
// (the objects drawn in the map's view, the air picture when a track is in view, and what the
// open panels show), with its releasability, in the usual colours. In an exercise's world it
// says EXERCISE first.

import { $$ } from './dom.js';
import { t } from './i18n.js';

const OBJECT_LAYERS = ['zones-fill', 'zones-line', 'units-symbol', 'reports-symbol', 'alerts-symbol', 'alerts-halo',
  'operations-fill', 'operations-line', 'pursuits-circle', 'pursuits-track'];
const INTERVAL_MS = 200;

export class Banner {
  constructor(map, state, markings) {
    this.map = map;
    this.state = state;
    this.markings = markings;
    this.providers = new Set();
    this.timer = null;
    this.last = '';
  }

  /** `provider()` returns the {origin, marking} of what a panel shows now. */
  addProvider(provider) {
    this.providers.add(provider);
  }

  /** Asks for a refresh soon (at most every INTERVAL_MS). */
  schedule() {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.update();
    }, INTERVAL_MS);
  }

  /** What is on screen now, as {origin, marking} items. */
  onScreen() {
    const items = [];
    const layers = OBJECT_LAYERS.filter((id) => this.map.getLayer(id));
    const seen = new Set();
    for (const feature of this.map.queryRenderedFeatures({ layers })) {
      const { id, origin, level, rel } = feature.properties;
      if (seen.has(id)) continue;
      seen.add(id);
      items.push({ origin, marking: { level, releasable_to: rel ? rel.split(',') : [] } });
    }
    if (this.state.layers.air && this.state.airPicture && this.airInView()) items.push(this.state.airPicture);
    for (const provider of this.providers) items.push(...provider());
    return items;
  }

  airInView() {
    const bounds = this.map.getBounds();
    for (const { track } of this.state.air.values()) {
      if (bounds.contains([track.position.lon, track.position.lat])) return true;
    }
    return false;
  }

  update() {
    // Sources updated every second are seldom all "loaded": the layers being there is enough
    // to ask what is drawn.
    if (!this.map.getLayer('zones-fill')) {
      this.schedule();
      return;
    }
    const combined = this.markings.combine(this.onScreen());
    let text = this.markings.bannerText(combined);
    if (this.state.world) text = `${t('world.exercise_banner', { name: this.state.world })} — ${text}`;
    const cls = `banner ${this.markings.levelClass(combined.level)}${this.state.world ? ' exercise' : ''}`;
    const key = `${text}|${cls}`;
    if (key === this.last) return;
    this.last = key;
    for (const banner of $$('[data-testid="classification-banner"]')) {
      banner.textContent = text;
      banner.className = `${cls} ${banner.classList.contains('bottom') ? 'bottom' : 'top'}`;
      banner.dataset.level = combined.level;
      banner.dataset.releasability = this.markings.caveat(combined.holders);
    }
  }
}

/** The banner of the login page: nothing classified is shown there. */
export function loginBanner() {
  for (const banner of $$('[data-testid="classification-banner"]')) {
    banner.textContent = t('banner.login');
    banner.className = `banner lvl-NP ${banner.classList.contains('bottom') ? 'bottom' : 'top'}`;
    banner.dataset.level = '';
  }
}
