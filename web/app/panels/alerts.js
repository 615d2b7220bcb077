// The alerts panel: airspace alerts and every later alert kind, newest first; sound off by
// default; a click flies to the alert; acknowledge keeps who and when (on the node).

import { el, fill, formatTime } from '../dom.js';
import { t, currentLang } from '../i18n.js';
import { symbolDataUrl, reportImage } from '../symbols.js';

export class AlertsPanel {
  constructor(ctx) {
    this.ctx = ctx;
    this.root = document.getElementById('alerts-panel');
    this.count = document.getElementById('alert-count');
    this.sound = false;
    this.known = null; // alert versions already seen, to sound only for new ones
    this.audio = null;
    ctx.banner.addProvider(() => (this.root.hidden ? [] : this.shownItems.map((a) => ({ origin: a.origin, marking: a.marking }))));
    this.shownItems = [];
  }

  unacked(alert) {
    const ack = this.ctx.state.acks.get(alert.id);
    return !(ack && ack.version >= alert.version);
  }

  /** Beeps (Web Audio: nothing is fetched) when the sound is on. */
  beep() {
    if (!this.sound || this.ctx.replay?.active) return;
    this.audio = this.audio || new AudioContext();
    const osc = this.audio.createOscillator();
    const gain = this.audio.createGain();
    osc.frequency.value = 880;
    gain.gain.value = 0.15;
    osc.connect(gain).connect(this.audio.destination);
    osc.start();
    osc.stop(this.audio.currentTime + 0.25);
  }

  render() {
    const { state, markings } = this.ctx;
    const alerts = state.alerts();
    const fresh = alerts.filter((a) => this.known && !this.known.has(`${a.id}:${a.version}`) && this.unacked(a));
    if (fresh.length) this.beep();
    this.known = new Set(alerts.map((a) => `${a.id}:${a.version}`));
    const open = alerts.filter((a) => this.unacked(a)).length;
    this.count.textContent = open ? String(open) : '';
    this.count.classList.toggle('hot', open > 0);
    this.shownItems = alerts.slice(0, 200);
    const lang = currentLang();
    const soundToggle = el('label', { class: 'switch' },
      el('input', { type: 'checkbox', checked: this.sound, 'data-testid': 'alert-sound', onchange: (e) => { this.sound = e.target.checked; } }),
      el('span', {}, t('alerts.sound')));
    const items = this.shownItems.map((alert) => {
      const ack = state.acks.get(alert.id);
      const acked = ack && ack.version >= alert.version;
      return el('li', { class: `alert-item${acked ? ' acked' : ''}`, 'data-id': alert.id },
        el('button', { type: 'button', class: 'alert-main', onclick: () => this.ctx.flyToObject(alert) },
          el('img', { src: symbolDataUrl(reportImage(alert.kind)), alt: '', class: 'legend-icon' }),
          el('span', { class: 'alert-title' }, alert.title),
          el('span', { class: 'muted small' }, `${formatTime(alert.updated, lang)} · ${alert.origin} · `,
            el('span', { class: `marking-chip ${markings.levelClass(alert.marking.level)}` }, markings.short(alert.origin, alert.marking)))),
        acked
          ? el('span', { class: 'small muted' }, t('alerts.acked_by', { who: ack.by, when: formatTime(ack.at, lang), version: ack.version }))
          : el('button', { type: 'button', class: 'primary small', 'data-testid': 'ack', onclick: () => this.ctx.acknowledge(alert) }, t('action.acknowledge')));
    });
    fill(this.root,
      el('h3', {}, t('panel.alerts')),
      soundToggle,
      items.length ? el('ol', { class: 'alerts' }, items) : el('p', { class: 'muted' }, t('alerts.none')));
  }
}
