// The alert rules panel: the user's own rules (node-local, never federated), a new rule over
// an area drawn on the map or the current view, and the alerts the rules raised for this user, newest first,
// with acknowledge. The live feed's `{"op":"alert"}` messages (this user's only) refresh it.

import { el, fill, formatTime } from '../dom.js';
import { t, currentLang } from '../i18n.js';
import { api } from '../api.js';

const TYPES = ['report', 'unit', 'zone', 'operation'];

export class RulesPanel {
  constructor(ctx) {
    this.ctx = ctx;
    this.root = document.getElementById('rules-panel');
    this.rules = [];
    this.alerts = [];
    this.drawnArea = null; // a polygon drawn for the next rule
  }

  /** The map's draw mode finished a ring for a rule. */
  drawn(ring) {
    this.drawnArea = { type: 'Polygon', coordinates: [ring] };
    this.ctx.selectTab('rules');
    this.render();
  }

  async load() {
    try {
      [this.rules, this.alerts] = await Promise.all([
        api('GET', '/api/v1/alert-rules'),
        api('GET', '/api/v1/alerts'),
      ]);
    } catch (err) {
      this.ctx.toast(err.message, true);
    }
    this.render();
  }

  /** A rule's area: the map's current view, as a GeoJSON polygon. */
  viewArea() {
    const b = this.ctx.map.getBounds();
    const [w, s, e, n] = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()]
      .map((v, i) => Math.max(i % 2 ? -90 : -180, Math.min(i % 2 ? 90 : 180, v)));
    return { type: 'Polygon', coordinates: [[[w, s], [e, s], [e, n], [w, n], [w, s]]] };
  }

  async create(form) {
    const data = new FormData(form);
    const body = {
      name: String(data.get('name') || '').trim(),
      area: this.drawnArea || this.viewArea(),
      types: data.get('type') ? [data.get('type')] : [],
      kinds: String(data.get('kinds') || '').split(',').map((k) => k.trim()).filter(Boolean),
    };
    if (data.get('min_level')) body.min_level = data.get('min_level');
    try {
      await api('POST', '/api/v1/alert-rules', body);
      this.drawnArea = null;
      await this.load();
    } catch (err) {
      this.ctx.toast(err.message, true);
    }
  }

  async remove(rule) {
    try {
      await api('DELETE', `/api/v1/alert-rules/${rule.id}`);
      await this.load();
    } catch (err) {
      this.ctx.toast(err.message, true);
    }
  }

  async acknowledge(alert) {
    try {
      await api('POST', `/api/v1/alerts/${alert.id}/acknowledge`);
      await this.load();
    } catch (err) {
      this.ctx.toast(err.message, true);
    }
  }

  /** A live `alert` message: this user's rule matched. */
  onAlert(alert) {
    this.ctx.toast(t('rules.matched', { rule: alert.rule_name, type: t(`rules.type.${alert.object_type}`) }));
    this.load();
  }

  render() {
    if (!this.root) return;
    const lang = currentLang();
    const levels = this.ctx.markings?.levels || [];
    const form = el('form', { class: 'rule-form', 'data-testid': 'rule-form', onsubmit: (e) => { e.preventDefault(); this.create(e.target); } },
      el('label', {}, t('rules.name'), el('input', { name: 'name', required: true, maxlength: 100 })),
      el('label', {}, t('rules.type'), el('select', { name: 'type' },
        el('option', { value: '' }, t('rules.any')),
        TYPES.map((type) => el('option', { value: type }, t(`rules.type.${type}`))))),
      el('label', {}, t('rules.kinds'), el('input', { name: 'kinds', placeholder: 'incident, civilian_harm' })),
      el('label', {}, t('rules.min_level'), el('select', { name: 'min_level' },
        el('option', { value: '' }, t('rules.any')),
        levels.map((level) => el('option', { value: level }, level)))),
      el('button', { type: 'button', class: 'small', 'data-testid': 'rule-draw', onclick: () => this.ctx.startDraw('rule') }, t('rules.draw')),
      this.drawnArea ? el('p', { class: 'small muted', 'data-testid': 'rule-drawn' }, t('rules.drawn')) : null,
      el('button', { type: 'submit', class: 'primary small', 'data-testid': 'rule-create' },
        t(this.drawnArea ? 'rules.create_from_drawn' : 'rules.create_from_view')));
    const rules = this.rules.map((rule) => el('li', { class: 'rule-item', 'data-id': rule.id },
      el('span', {}, rule.name),
      el('span', { class: 'muted small' }, ` ${rule.types.join(', ') || t('rules.any')}`),
      el('button', { type: 'button', class: 'small', 'data-testid': 'rule-delete', onclick: () => this.remove(rule) }, t('action.delete'))));
    const alerts = this.alerts.slice(0, 100).map((alert) => el('li', { class: `alert-item${alert.acknowledged ? ' acked' : ''}`, 'data-id': alert.id },
      el('button', { type: 'button', class: 'alert-main', onclick: () => { const object = this.ctx.state.objects.get(alert.object); if (object) this.ctx.flyToObject(object); } },
        el('span', { class: 'alert-title' }, `${alert.rule_name}: ${t(`rules.type.${alert.object_type}`)}${alert.kind ? ` (${alert.kind})` : ''}`),
        el('span', { class: 'muted small' }, ` ${formatTime(alert.at, lang)} · ${alert.origin}`)),
      alert.acknowledged
        ? el('span', { class: 'small muted' }, t('rules.acked', { when: formatTime(alert.acknowledged, lang) }))
        : el('button', { type: 'button', class: 'primary small', 'data-testid': 'rule-alert-ack', onclick: () => this.acknowledge(alert) }, t('action.acknowledge'))));
    fill(this.root,
      el('h3', {}, t('panel.rules')),
      el('p', { class: 'muted small' }, t('rules.local')),
      rules.length ? el('ul', { class: 'rules' }, rules) : el('p', { class: 'muted' }, t('rules.none')),
      form,
      el('h3', {}, t('panel.rule_alerts')),
      alerts.length ? el('ol', { class: 'alerts', 'data-testid': 'rule-alerts' }, alerts) : el('p', { class: 'muted' }, t('alerts.none')));
  }
}
