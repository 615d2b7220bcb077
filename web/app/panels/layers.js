// The layers panel: a switch per layer (with how many features it holds), and the filters:
// kinds, nations, markings, a time window and a text search over reports.

import { el, fill } from '../dom.js';
import { t } from '../i18n.js';
import { LAYERS, REPORT_KINDS, ZONE_KINDS } from '../state.js';
import { symbolDataUrl, reportImage } from '../symbols.js';

const WINDOWS = [0, 1, 6, 24, 168];

export class LayersPanel {
  constructor(ctx) {
    this.ctx = ctx;
    this.root = document.getElementById('layers-panel');
    this.counts = new Map();
  }

  /** Updates the counts beside each layer. */
  updateCounts() {
    const { state } = this.ctx;
    const counts = {
      zones: state.shown('zone').length,
      reports: state.shown('report').length,
      units: state.shown('unit').length,
      air: state.air.size,
      alerts: state.shown('report', { alerts: true }).length,
      operations: state.shown('operation').length + state.shown('pursuit_notice').length,
      assets: state.shown('asset').length,
    };
    for (const [layer, node] of this.counts) node.textContent = String(counts[layer] ?? '');
  }

  render() {
    const { state, markings } = this.ctx;
    const f = state.filters;
    const changed = (kind) => state.emit(kind);
    const checkbox = (checked, onchange, testid) => el('input', { type: 'checkbox', checked, 'data-testid': testid, onchange });
    this.counts.clear();
    const layerRows = LAYERS.map((layer) => {
      const count = el('span', { class: 'count' });
      this.counts.set(layer, count);
      return el('label', { class: 'switch' },
        checkbox(state.layers[layer], (e) => { state.layers[layer] = e.target.checked; changed('layers'); }, `layer-${layer}`),
        el('span', {}, t(`layer.${layer}`)), count);
    });
    const setMember = (set, value, on) => { if (on) set.add(value); else set.delete(value); };
    const kindRows = REPORT_KINDS.map((kind) => el('label', { class: 'inline' },
      checkbox(f.reportKinds.has(kind), (e) => { setMember(f.reportKinds, kind, e.target.checked); changed('filters'); }, `kind-${kind}`),
      el('img', { src: symbolDataUrl(reportImage(kind)), alt: '', class: 'legend-icon' }),
      t(`report_kind.${kind}`)));
    const zoneRows = ZONE_KINDS.map((kind) => el('label', { class: 'inline' },
      checkbox(f.zoneKinds.has(kind), (e) => { setMember(f.zoneKinds, kind, e.target.checked); changed('filters'); }, `zone-kind-${kind}`),
      el('span', { class: `swatch zone-${kind}` }), t(`zone_kind.${kind}`)));
    const nations = markings.members.map((nation) => el('label', { class: 'inline' },
      checkbox(!f.nations || f.nations.has(nation), (e) => {
        f.nations = f.nations || new Set(markings.members);
        setMember(f.nations, nation, e.target.checked);
        if (f.nations.size === markings.members.length) f.nations = null;
        changed('filters');
      }, `nation-${nation}`), nation));
    const levels = markings.levels.map((level) => el('label', { class: 'inline' },
      checkbox(!f.levels || f.levels.has(level), (e) => {
        f.levels = f.levels || new Set(markings.levels);
        setMember(f.levels, level, e.target.checked);
        if (f.levels.size === markings.levels.length) f.levels = null;
        changed('filters');
      }, `level-${level}`), el('span', { class: `marking-chip ${markings.levelClass(level)}` }, level)));
    const windowSelect = el('select', { 'data-testid': 'time-window', onchange: (e) => { f.windowHours = Number(e.target.value); changed('filters'); } },
      WINDOWS.map((hours) => el('option', { value: hours, selected: f.windowHours === hours }, t(`window.${hours}`))));
    const search = el('input', {
      type: 'search', id: 'search', value: f.text, placeholder: t('filter.search_placeholder'), 'data-testid': 'search',
      oninput: (e) => { f.text = e.target.value; changed('filters'); },
    });
    fill(this.root,
      el('h3', {}, t('panel.layers')), el('div', { class: 'stack' }, layerRows),
      el('h3', {}, t('filter.search')), search,
      el('h3', {}, t('filter.window')), windowSelect,
      el('h3', {}, t('filter.report_kinds')), el('div', { class: 'stack' }, kindRows),
      el('h3', {}, t('filter.zone_kinds')), el('div', { class: 'stack' }, zoneRows),
      el('h3', {}, t('filter.nations')), el('div', { class: 'wrap' }, nations),
      el('h3', {}, t('filter.levels')), el('div', { class: 'wrap' }, levels),
      el('p', { class: 'muted small attribution' }, t('map.attribution')));
    this.updateCounts();
  }
}
