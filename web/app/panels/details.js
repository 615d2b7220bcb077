// The side panel's details of what was clicked: every field, the marking, the origin nation,
// the version and its history (GET .../versions: who changed what, when, each version under
// its own marking), and the actions the user may take on it (edit and delete for this node's
// own objects, acknowledge for an alert).

import { api } from '../api.js';
import { el, fill, formatTime } from '../dom.js';
import { t, currentLang } from '../i18n.js';
import { formatDecimal, formatMgrs } from '../coords.js';
import { isAlertKind } from '../state.js';
import { flightLevel } from '../layers/air.js';
import { symbolDataUrl, unitImage, reportImage, airImage } from '../symbols.js';

const COLLECTION = {
  report: 'reports', unit: 'units', zone: 'zones', operation: 'operations', pursuit_notice: 'pursuit-notices',
  asset: 'assets', support_request: 'support-requests',
};

export class Details {
  constructor(ctx) {
    this.ctx = ctx;
    this.root = document.getElementById('side');
    this.current = null; // {kind: 'object', id} | {kind: 'air', uid} | {kind: 'form'}
    this.history = []; // versions shown, for the banner
    ctx.banner.addProvider(() => this.onScreen());
  }

  /** What this panel shows, for the banner. */
  onScreen() {
    if (this.root.hidden || !this.current) return [];
    const items = [];
    if (this.current.kind === 'object') {
      const object = this.ctx.state.objects.get(this.current.id);
      if (object) items.push({ origin: object.origin, marking: object.marking });
      for (const version of this.history) items.push({ origin: version.origin, marking: version.marking });
    } else if (this.current.kind === 'air' && this.ctx.state.airPicture) {
      items.push(this.ctx.state.airPicture);
    } else if (this.current.kind === 'form' && this.current.marking) {
      items.push(this.current.marking());
    }
    return items;
  }

  close() {
    this.current = null;
    this.history = [];
    this.root.hidden = true;
    fill(this.root);
    this.ctx.setSelection(null);
    this.ctx.banner.schedule();
  }

  /** Shows a panel body built by someone else (the forms). */
  showForm(title, body, marking) {
    this.current = { kind: 'form', marking };
    this.history = [];
    this.render(title, body);
  }

  render(title, ...body) {
    fill(this.root,
      el('div', { class: 'side-head' },
        el('h2', {}, title),
        el('button', { type: 'button', class: 'icon', title: t('action.close'), 'aria-label': t('action.close'), onclick: () => this.close() }, '×')),
      el('div', { class: 'side-body' }, ...body));
    this.root.hidden = false;
    this.ctx.banner.schedule();
  }

  /** Refreshes what is shown (after a live change or a language switch). */
  refresh() {
    if (!this.current || this.root.hidden) return;
    if (this.current.kind === 'object') this.showObject(this.current.id, { keepHistory: true });
    else if (this.current.kind === 'air') this.showAir(this.current.uid);
  }

  showObject(id, { keepHistory = false } = {}) {
    const { state, markings } = this.ctx;
    const object = state.objects.get(id);
    if (!object) {
      if (this.current?.kind === 'object' && this.current.id === id) {
        this.render(t('details.gone_title'), el('p', { class: 'muted' }, t('details.gone')));
        this.current = null;
      }
      return;
    }
    if (!keepHistory || this.current?.id !== id) this.history = [];
    this.current = { kind: 'object', id };
    this.ctx.setSelection(object);
    const lang = currentLang();
    const rows = [];
    const row = (key, value) => {
      if (value === undefined || value === null || value === '') return;
      rows.push(el('dt', {}, t(key)), el('dd', {}, value));
    };
    const icon = object.type === 'unit' ? unitImage(object.symbol) : object.type === 'report' ? reportImage(object.kind) : null;
    let title = '';
    if (object.type === 'report') {
      title = object.title;
      row('field.kind', t(`report_kind.${object.kind}`));
      row('field.text', object.body);
    } else if (object.type === 'unit') {
      title = object.callsign;
      row('field.symbol', object.symbol);
      if (typeof object.course_deg === 'number') row('field.course', `${Math.round(object.course_deg)}°`);
      if (typeof object.speed_mps === 'number') row('field.speed', t('unit.kmh', { value: Math.round(object.speed_mps * 3.6) }));
    } else if (object.type === 'zone') {
      title = object.name;
      row('field.kind', t(`zone_kind.${object.kind}`));
      if (object.category) row('field.category', t(`site_category.${object.category}`));
      row('field.description', object.description);
    } else if (object.type === 'operation') {
      title = object.name;
      row('field.status', t(`operation_status.${object.status}`));
      row('field.lead_nation', object.lead_nation);
      row('field.participants', (object.participating_nations || []).join(', '));
      row('field.window', `${formatTime(object.start, lang)} – ${object.end ? formatTime(object.end, lang) : '…'}`);
      row('field.units', String((object.units || []).length));
      row('field.intent', object.intent);
    } else if (object.type === 'pursuit_notice') {
      title = t('pursuit.title', { nation: object.nation_entered });
      row('field.depth', t('pursuit.depth', { depth: Number(object.depth_km).toFixed(1), max: object.max_depth_km }));
      row('field.crossing_time', formatTime(object.crossing_time, lang));
      row('field.position', formatDecimal(object.crossing_point));
      if ((object.limits_exceeded || []).length) {
        row('field.limits', object.limits_exceeded.map((limit) => t(`pursuit_limit.${limit}`)).join(', '));
      }
      if (object.ended) row('field.ended', formatTime(object.ended, lang));
    } else if (object.type === 'asset') {
      title = object.name;
      row('field.category', t(`asset_category.${object.category}`));
      row('field.status', t(`asset_status.${object.status}`));
      const caps = object.capabilities || {};
      row('field.capabilities', [
        ...(caps.tags || []),
        caps.range_km != null ? t('asset.range', { value: caps.range_km }) : null,
        caps.endurance_h != null ? t('asset.endurance', { value: caps.endurance_h }) : null,
        caps.payload_kg != null ? t('asset.payload', { value: caps.payload_kg }) : null,
        caps.casualties != null ? t('asset.casualties', { value: caps.casualties }) : null,
      ].filter(Boolean).join(', '));
      row('field.home_base', formatDecimal(object.home_base));
      if (object.notice_to_move_min != null) row('field.notice_to_move', t('asset.minutes', { value: object.notice_to_move_min }));
      row('field.availability', (object.availability || []).map((w) => `${formatTime(w.start, lang)} – ${formatTime(w.end, lang)}`).join('; '));
    } else if (object.type === 'support_request') {
      title = t('support.title', { purpose: t(`support_purpose.${object.purpose}`), from: object.origin });
      row('field.category', t(`asset_category.${object.category}`));
      row('field.priority', t(`support_priority.${object.priority}`));
      row('field.addressed_to', (object.addressed_to || []).join(', '));
      row('field.window', `${formatTime(object.start, lang)} – ${formatTime(object.end, lang)}`);
      row('field.description', object.description);
      if (object.cancelled) row('field.cancelled', `${formatTime(object.cancelled, lang)} ${object.cancel_reason || ''}`);
    }
    const point = object.location || object.position;
    if (point) {
      row('field.position', formatDecimal(point));
      row('field.mgrs', formatMgrs(point));
    }
    row('field.marking', el('span', { class: `marking-chip ${markings.levelClass(object.marking.level)}` }, markings.short(object.origin, object.marking)));
    row('field.origin', object.origin);
    row('field.version', String(object.version));
    row('field.created', formatTime(object.created, lang));
    row('field.updated', formatTime(object.updated, lang));
    if (object.valid_until) row('field.valid_until', formatTime(object.valid_until, lang));
    const ack = state.acks.get(object.id);
    if (ack) row('field.acknowledged', t('alerts.acked_by', { who: ack.by, when: formatTime(ack.at, lang), version: ack.version }));

    const actions = el('div', { class: 'actions' });
    const mine = object.origin === markings.nation;
    const editor = this.ctx.principal.role !== 'viewer';
    const markable = markings.rank(object.marking.level) <= markings.rank(this.ctx.principal.clearance);
    if (object.type === 'report' && isAlertKind(object.kind) && !(ack && ack.version >= object.version)) {
      actions.append(el('button', { type: 'button', class: 'primary', 'data-testid': 'ack', onclick: () => this.ctx.acknowledge(object) }, t('action.acknowledge')));
    }
    if (object.type === 'pursuit_notice') {
      const acked = el('dd', { 'data-testid': 'pursuit-ack' }, t('details.loading'));
      rows.push(el('dt', {}, t('field.acknowledged')), acked);
      this.loadAcknowledgement(object, acked);
      if (this.ctx.principal.nation === object.nation_entered && editor) {
        actions.append(el('button', {
          type: 'button', class: 'primary', 'data-testid': 'ack-pursuit',
          onclick: () => this.acknowledgePursuit(object, acked),
        }, t('action.acknowledge')));
      }
    }
    if (mine && editor && markable && (object.type === 'report' || object.type === 'zone')) {
      actions.append(el('button', { type: 'button', 'data-testid': 'edit', onclick: () => this.ctx.edit(object) }, t('action.edit')));
      actions.append(el('button', { type: 'button', class: 'danger', 'data-testid': 'delete', onclick: () => this.ctx.remove(object) }, t('action.delete')));
    } else if (!mine) {
      actions.append(el('p', { class: 'muted small' }, t('details.not_ours', { origin: object.origin })));
    }
    if (object.type === 'support_request') {
      const stateNode = el('dd', { 'data-testid': 'support-state' }, t('details.loading'));
      rows.push(el('dt', {}, t('field.state')), stateNode);
      this.loadSupportState(object, stateNode);
      const home = markings.nation;
      if (editor && this.ctx.principal.nation === home && (object.addressed_to || []).includes(home)) {
        actions.append(this.supportAnswerForm(object, stateNode));
      }
      if (editor && mine && this.ctx.principal.nation === home && !object.cancelled) {
        actions.append(el('button', {
          type: 'button', class: 'danger', 'data-testid': 'support-cancel',
          onclick: () => this.supportAct(object, 'cancel', { reason: window.prompt(t('support.cancel_reason')) || '' }, stateNode),
        }, t('action.cancel_request')));
      }
    }
    // A replayed version is read only: nothing is acted on from the past.
    if (this.ctx.replay?.active) actions.replaceChildren(el('p', { class: 'muted small', 'data-testid': 'replay-read-only' }, t('replay.read_only')));
    const historyBox = el('div', { class: 'history' });
    this.render(
      el('span', { class: 'title-with-icon' }, icon ? el('img', { src: symbolDataUrl(icon), alt: '', class: 'symbol' }) : null, title),
      el('dl', { class: 'fields' }, rows),
      actions,
      el('h3', {}, t('details.history')),
      historyBox,
    );
    if (this.history.length) this.renderHistory(historyBox, object);
    else this.loadHistory(historyBox, object);
  }

  /** The acknowledgement of a pursuit notice, as this node derives it from what it holds. */
  async loadAcknowledgement(notice, node) {
    try {
      const query = this.ctx.state.world ? `?exercise=${encodeURIComponent(this.ctx.state.world)}` : '';
      const current = await api('GET', `/api/v1/pursuit-notices/${notice.id}${query}`);
      const ack = current.workflow?.acknowledged;
      node.textContent = ack
        ? t('pursuit.acknowledged', { nation: ack.nation, who: ack.by || ack.nation, when: formatTime(ack.at, currentLang()) })
        : t('pursuit.not_acknowledged');
    } catch (err) {
      node.textContent = err.message;
    }
  }

  async acknowledgePursuit(notice, node) {
    try {
      const query = this.ctx.state.world ? `?exercise=${encodeURIComponent(this.ctx.state.world)}` : '';
      await api('POST', `/api/v1/pursuit-notices/${notice.id}/acknowledge${query}`, {});
      await this.loadAcknowledgement(notice, node);
    } catch (err) {
      this.ctx.toast(err.message, true);
    }
  }

  /** A support request's state and answers, as this node derives them from what it holds. */
  async loadSupportState(request, node) {
    try {
      const query = this.ctx.state.world ? `?exercise=${encodeURIComponent(this.ctx.state.world)}` : '';
      const current = await api('GET', `/api/v1/support-requests/${request.id}${query}`);
      const lang = currentLang();
      const answers = (current.workflow?.answers || []).map((answer) => el('div', { class: 'small' },
        t('support.answer', {
          nation: answer.nation, decision: t(`support_state.${answer.decision}`), who: answer.by, when: formatTime(answer.at, lang),
        }),
        answer.eta ? ` · ${t('support.eta', { when: formatTime(answer.eta, lang) })}` : '',
        answer.text ? ` · ${answer.text}` : ''));
      fill(node, el('strong', { class: `support-state state-${current.state}` }, t(`support_state.${current.state}`)), ...answers);
    } catch (err) {
      node.textContent = err.message;
    }
  }

  /** The addressed nation's decision: an asset of its own, an ETA, a remark or reason. */
  supportAnswerForm(request, stateNode) {
    const own = [...this.ctx.state.objects.values()]
      .filter((object) => object.type === 'asset' && object.origin === this.ctx.markings.nation);
    const asset = el('select', { 'data-testid': 'support-asset' },
      el('option', { value: '' }, t('support.no_asset')),
      own.map((a) => el('option', { value: a.id, selected: a.id === request.asset }, `${a.name} (${t(`asset_category.${a.category}`)})`)));
    const eta = el('input', { type: 'datetime-local', 'data-testid': 'support-eta', title: t('support.eta_label') });
    const text = el('input', { type: 'text', 'data-testid': 'support-text', placeholder: t('support.text_placeholder') });
    const answer = () => ({
      assets: asset.value ? [asset.value] : [],
      ...(eta.value ? { eta: new Date(eta.value).toISOString() } : {}),
      text: text.value,
    });
    const button = (act, label, cls, body) => el('button', {
      type: 'button', class: cls, 'data-testid': `support-${act}`, onclick: () => this.supportAct(request, act, body(), stateNode),
    }, t(label));
    return el('div', { class: 'support-answer stack' },
      el('label', {}, t('field.assets'), asset),
      el('label', {}, t('support.eta_label'), eta),
      text,
      el('div', { class: 'wrap' },
        button('approve', 'action.approve', 'primary', answer),
        el('button', {
          type: 'button', class: 'danger', 'data-testid': 'support-decline',
          onclick: () => this.supportAct(request, 'decline', { reason: text.value }, stateNode),
        }, t('action.decline')),
        button('task', 'action.task', '', answer),
        button('complete', 'action.complete', '', () => ({ text: text.value }))));
  }

  async supportAct(request, act, body, stateNode) {
    try {
      const query = this.ctx.state.world ? `?exercise=${encodeURIComponent(this.ctx.state.world)}` : '';
      await api('POST', `/api/v1/support-requests/${request.id}/${act}${query}`, body);
      await this.loadSupportState(request, stateNode);
      // The list shows the new state at once, not at its next refresh.
      if (this.ctx.supportPanel?.timer) this.ctx.supportPanel.start();
    } catch (err) {
      this.ctx.toast(err.message, true);
    }
  }

  async loadHistory(box, object) {
    fill(box, el('p', { class: 'muted' }, t('details.loading')));
    try {
      const query = this.ctx.state.world ? `?exercise=${encodeURIComponent(this.ctx.state.world)}` : '';
      const history = await api('GET', `/api/v1/${COLLECTION[object.type]}/${object.id}/versions${query}`);
      if (this.current?.id !== object.id) return;
      this.history = history.versions.map((version) => ({ ...version, origin: history.origin }));
      this.renderHistory(box, object);
      this.ctx.banner.schedule();
    } catch (err) {
      fill(box, el('p', { class: 'form-error' }, t('details.history_error', { message: err.message })));
    }
  }

  renderHistory(box, object) {
    const lang = currentLang();
    const { markings } = this.ctx;
    // Replaying: the versions up to the one shown, none from its future.
    const versions = this.ctx.replay?.active ? this.history.filter((version) => version.version <= object.version) : this.history;
    fill(box, el('ol', { class: 'versions', 'data-testid': 'history' }, versions.map((version) => {
      const content = version.object;
      const what = version.deleted ? t('history.deleted')
        : !content ? t('history.dropped')
          : content.title || content.name || content.callsign || '';
      return el('li', {},
        el('span', { class: 'version-no' }, `v${version.version}`), ' ',
        el('span', { class: 'muted' }, formatTime(version.updated, lang)), ' ',
        version.actor ? el('span', {}, t('history.by', { who: version.actor })) : null, ' ',
        el('span', { class: `marking-chip ${markings.levelClass(version.marking.level)}` }, markings.short(object.origin, version.marking)),
        el('div', { class: 'small' }, what));
    })));
  }

  showAir(uid) {
    const held = this.ctx.state.air.get(uid);
    if (!held) {
      if (this.current?.kind === 'air' && this.current.uid === uid) {
        this.render(t('details.gone_title'), el('p', { class: 'muted' }, t('details.track_gone')));
        this.current = null;
      }
      return;
    }
    this.current = { kind: 'air', uid };
    this.history = [];
    const { track } = held;
    const lang = currentLang();
    const rows = [];
    const row = (key, value) => {
      if (value === undefined || value === null || value === '') return;
      rows.push(el('dt', {}, t(key)), el('dd', {}, value));
    };
    row('air.callsign', track.callsign);
    row('air.mode3a', track.mode3a);
    row('air.mode_s', track.mode_s);
    row('air.flight_level', flightLevel(track.position.alt_m));
    row('air.identity', t(`identity.${track.identity}`));
    if (track.emergency) row('air.emergency', t('air.emergency_code', { code: track.emergency }));
    if (track.no_transponder) row('air.transponder', t('air.no_transponder'));
    row('field.course', `${Math.round(track.course_deg)}°`);
    row('field.speed', t('unit.kt', { value: Math.round(track.speed_mps * 1.943844) }));
    row('field.position', formatDecimal(track.position));
    row('field.mgrs', formatMgrs(track.position));
    row('air.over', track.nation);
    row('air.track_number', String(track.track_number));
    row('air.sensors', (track.sensors || []).join(', '));
    row('field.updated', formatTime(track.updated, lang));
    const picture = this.ctx.state.airPicture;
    if (picture) {
      row('field.marking', el('span', { class: `marking-chip ${this.ctx.markings.levelClass(picture.marking.level)}` }, this.ctx.markings.short(picture.origin, picture.marking)));
      row('field.origin', picture.origin);
    }
    this.ctx.setSelection(null);
    this.render(
      el('span', { class: 'title-with-icon' }, el('img', { src: symbolDataUrl(airImage(track.identity, Boolean(track.emergency || track.no_transponder))), alt: '', class: 'symbol' }), track.callsign || track.uid),
      el('dl', { class: 'fields' }, rows),
    );
  }
}
