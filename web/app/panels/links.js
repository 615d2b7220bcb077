// The links panel (administrators): each partner link, both directions: up or down, since
// when, replication lag, last error, versions and bytes, backlog. Refreshed while open.

import { api } from '../api.js';
import { el, fill, formatTime } from '../dom.js';
import { t, currentLang } from '../i18n.js';

const REFRESH_MS = 3000;

export class LinksPanel {
  constructor(ctx) {
    this.ctx = ctx;
    this.root = document.getElementById('links-panel');
    this.timer = null;
    this.links = null;
    this.error = null;
  }

  start() {
    this.stop();
    const tick = async () => {
      try {
        this.links = await api('GET', '/api/v1/links');
        this.error = null;
      } catch (err) {
        this.error = err.message;
      }
      this.render();
      this.timer = setTimeout(tick, REFRESH_MS);
    };
    tick();
  }

  stop() {
    clearTimeout(this.timer);
    this.timer = null;
  }

  render() {
    const lang = currentLang();
    const body = [];
    if (this.error) body.push(el('p', { class: 'form-error' }, t('links.error', { message: this.error })));
    if (this.links && this.links.length === 0) body.push(el('p', { class: 'muted' }, t('links.none')));
    for (const link of this.links || []) {
      const r = link.receiving;
      const s = link.sending;
      body.push(el('div', { class: `link-card ${r.up ? 'up' : 'down'}`, 'data-testid': `link-${link.nation}` },
        el('div', { class: 'link-head' },
          el('strong', {}, link.nation),
          el('span', { class: `state ${r.up ? 'up' : 'down'}` }, r.up ? t('links.up') : t('links.down')),
          el('span', { class: 'muted small' }, t('links.ceiling', { level: link.ceiling }))),
        el('div', { class: 'small muted' }, link.url),
        el('dl', { class: 'fields compact' },
          el('dt', {}, t('links.since')), el('dd', {}, r.since ? formatTime(r.since, lang) : '—'),
          el('dt', {}, t('links.lag')), el('dd', {}, t('links.lag_ms', { ms: r.lag_ms })),
          el('dt', {}, t('links.received')), el('dd', {}, t('links.counts', { versions: r.versions, recalls: r.recalls, bytes: r.bytes })),
          el('dt', {}, t('links.sent')), el('dd', {}, t('links.counts', { versions: s.versions, recalls: s.recalls, bytes: s.bytes })),
          el('dt', {}, t('links.backlog')), el('dd', {}, String(s.backlog)),
          el('dt', {}, t('links.last_error')), el('dd', { class: r.last_error ? 'form-error' : '' }, r.last_error || '—'))));
    }
    fill(this.root, el('h3', {}, t('panel.links')), body);
  }
}
