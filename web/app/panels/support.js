// The support requests panel: every support request the user may see, newest first, with its
// state as this node derives it (requested, approved, declined, tasked, completed, cancelled),
// who asked whom, the priority and the window. Refreshed while open; a click opens the
// request's details, where the addressed nation decides and the requester cancels.
// Below, the availability of the assets the user may see (`/api/v1/assets/availability`) as a
// matrix, assets by day over the coming week: free, booked (a click on a booking the user may
// see opens its request), or not available.

import { api } from '../api.js';
import { el, fill, formatTime } from '../dom.js';
import { t, currentLang } from '../i18n.js';

const REFRESH_MS = 5000;
const DAYS = 7;
const DAY_MS = 86400000;

/** Today's midnight (UTC), the matrix's first column. */
function startOfDay(now) {
  const day = new Date(now);
  day.setUTCHours(0, 0, 0, 0);
  return day;
}

/** What an asset's day is: `booked` (any booking overlaps), `free`, or `none`. */
export function dayCell(row, dayStart, dayEnd) {
  const overlaps = (span) => new Date(span.start) < dayEnd && new Date(span.end) > dayStart;
  const booking = (row.booked || []).find(overlaps);
  if (booking) return { state: 'booked', booking };
  if ((row.free || []).some(overlaps)) return { state: 'free' };
  return { state: 'none' };
}

export class SupportPanel {
  constructor(ctx) {
    this.ctx = ctx;
    this.root = document.getElementById('support-panel');
    this.timer = null;
    this.requests = null;
    this.availability = null;
    this.error = null;
  }

  start() {
    this.stop();
    const tick = async () => {
      try {
        const query = this.ctx.state.world ? `&exercise=${encodeURIComponent(this.ctx.state.world)}` : '';
        const from = startOfDay(Date.now());
        const to = new Date(from.getTime() + DAYS * DAY_MS);
        const [page, availability] = await Promise.all([
          api('GET', `/api/v1/support-requests?limit=200${query}`),
          api('GET', `/api/v1/assets/availability?from=${from.toISOString()}&to=${to.toISOString()}${query}`),
        ]);
        this.requests = page.items;
        this.availability = availability;
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
      rows.length ? el('ul', { class: 'support-list' }, rows) : el('p', { class: 'muted' }, t('support.none')),
      this.matrix(lang));
  }

  /** The availability matrix: one row per asset, one column per day. */
  matrix(lang) {
    const view = this.availability;
    const title = el('h4', {}, t('support.availability'));
    if (!view || !view.assets.length) return el('div', {}, title, el('p', { class: 'muted' }, t('support.availability_none')));
    const from = new Date(view.from);
    const days = [];
    for (let day = 0; day < DAYS; day += 1) {
      const start = new Date(from.getTime() + day * DAY_MS);
      if (start >= new Date(view.to)) break;
      days.push(start);
    }
    const dayLabel = (day) => day.toLocaleDateString(lang === 'en' ? 'en-GB' : 'fr-FR', { weekday: 'narrow', day: '2-digit', timeZone: 'UTC' });
    const head = el('tr', {}, el('th', {}, t('support.asset')), ...days.map((day) => el('th', {}, dayLabel(day))));
    const body = view.assets.map((row) => el('tr', { 'data-testid': 'availability-row', 'data-id': row.id },
      el('th', { title: `${row.origin} · ${t(`asset_category.${row.category}`)}` }, `${row.name} (${row.origin})`),
      ...days.map((day) => {
        const cell = dayCell(row, day, new Date(day.getTime() + DAY_MS));
        const booking = cell.booking;
        const tip = booking
          ? `${t('support.avail_booked')} ${formatTime(booking.start, lang)} – ${formatTime(booking.end, lang)}${booking.request ? ` · ${booking.requester}` : ''}`
          : t(`support.avail_${cell.state}`);
        return el('td', {
          class: `avail avail-${cell.state}${booking?.request ? ' avail-link' : ''}`,
          'data-state': cell.state,
          title: tip,
          onclick: booking?.request ? () => this.ctx.details.showObject(booking.request) : null,
        }, cell.state === 'booked' ? '■' : cell.state === 'free' ? '·' : '');
      })));
    return el('div', { class: 'availability' }, title,
      el('table', { class: 'avail-matrix', 'data-testid': 'availability-matrix' }, el('thead', {}, head), el('tbody', {}, ...body)),
      view.truncated ? el('p', { class: 'small muted' }, t('support.availability_truncated')) : null);
  }
}
