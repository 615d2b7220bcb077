// The support requests panel: every support request the user may see, newest first, with its
// state as this node derives it (requested, approved, declined, tasked, completed, cancelled),
// who asked whom, the priority and the window. Refreshed while open; a click opens the
// request's details, where the addressed nation decides and the requester cancels.

import { api } from '../api.js';
import { el, fill, formatTime } from '../dom.js';
import { t, currentLang } from '../i18n.js';

const REFRESH_MS = 5000;

export class SupportPanel {
  constructor(ctx) {
    this.ctx = ctx;
    this.root = document.getElementById('support-panel');
    this.timer = null;
    this.requests = null;
    this.error = null;
  }

  start() {
    this.stop();
    const tick = async () => {
      try {
        const query = this.ctx.state.world ? `&exercise=${encodeURIComponent(this.ctx.state.world)}` : '';
        const page = await api('GET', `/api/v1/support-requests?limit=200${query}`);
        this.requests = page.items;
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
    const { markings } = this.ctx;
    if (this.error) {
      fill(this.root, el('h3', {}, t('panel.support')), el('p', { class: 'form-error' }, this.error));
      return;
    }
    if (!this.requests) {
      fill(this.root, el('h3', {}, t('panel.support')), el('p', { class: 'muted' }, t('details.loading')));
      return;
    }
    const rows = this.requests.map((request) => el('li', {
      class: `support-row state-${request.state}`,
      'data-testid': 'support-row',
      onclick: () => {
        this.ctx.state.upsert(request);
        this.ctx.details.showObject(request.id);
      },
    },
    el('div', {},
      el('strong', {}, t(`support_purpose.${request.purpose}`)), ' · ',
      el('span', { class: `support-state state-${request.state}` }, t(`support_state.${request.state}`))),
    el('div', { class: 'small' },
      t('support.from_to', { from: request.origin, to: (request.addressed_to || []).join(', ') }), ' · ',
      t(`support_priority.${request.priority}`), ' · ',
      el('span', { class: `marking-chip ${markings.levelClass(request.marking.level)}` }, markings.short(request.origin, request.marking))),
    el('div', { class: 'small muted' }, `${formatTime(request.start, lang)} – ${formatTime(request.end, lang)}`)));
    fill(this.root,
      el('h3', {}, t('panel.support')),
      rows.length ? el('ul', { class: 'support-list' }, rows) : el('p', { class: 'muted' }, t('support.none')));
  }
}
