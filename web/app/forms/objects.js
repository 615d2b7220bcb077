// Forms to create and change objects: a report (kind, title, text, position by map click or
// typed in decimal degrees or MGRS, marking), a zone (drawn on the map as a polygon, then
// named and marked), edit and delete of this node's own objects. The node's error messages are
// shown in the form; a version conflict (409) is explained, with the way out.

import { api, ApiError } from '../api.js';
import { el, fill } from '../dom.js';
import { t } from '../i18n.js';
import { parsePosition, formatDecimal } from '../coords.js';
import { REPORT_KINDS, ZONE_KINDS, isAlertKind } from '../state.js';
import { markingChooser } from './marking.js';

const SITE_CATEGORIES = ['school', 'health_centre', 'market', 'displaced_persons_camp', 'place_of_worship', 'water_point', 'other'];

/** The message of a failed write, for people. */
export function errorText(err) {
  if (!(err instanceof ApiError)) return t('error.unexpected', { message: err.message });
  switch (err.status) {
    case 0: return t('error.network');
    case 409: return t('error.conflict', { version: err.currentVersion ?? '?' });
    case 403: return t('error.forbidden', { message: err.message });
    case 404: return t('error.not_found');
    case 410: return t('error.gone');
    case 428: return t('error.precondition');
    default: return t('error.api', { status: err.status, message: err.message });
  }
}

function errorBox() {
  return el('div', { class: 'form-error', role: 'alert', hidden: true, 'data-testid': 'form-error' });
}

function showError(box, err, onReload) {
  fill(box, el('p', {}, errorText(err)));
  if (err instanceof ApiError && err.status === 409 && onReload) {
    box.append(el('p', { class: 'small' }, t('error.conflict_help')),
      el('button', { type: 'button', onclick: onReload }, t('action.reload_current')));
  }
  box.hidden = false;
}

const worldParams = (ctx) => (ctx.state.world ? { exercise: ctx.state.world } : {});

/** The report form: `object` to edit one, else a new report (at `at`, {lat, lon}, if given). */
export function reportForm(ctx, object = null, at = null) {
  const { markings, principal } = ctx;
  const kinds = REPORT_KINDS.filter((kind) => !isAlertKind(kind) || object?.kind === kind);
  const kind = el('select', { name: 'kind', required: true, 'data-testid': 'report-kind' },
    kinds.map((k) => el('option', { value: k, selected: object?.kind === k }, t(`report_kind.${k}`))));
  const title = el('input', { name: 'title', required: true, maxlength: 200, value: object?.title || '', 'data-testid': 'report-title' });
  const text = el('textarea', { name: 'text', rows: 4, maxlength: 32768, 'data-testid': 'report-text' });
  text.value = object?.body || '';
  const start = object?.location || at;
  const position = el('input', { name: 'position', value: start ? formatDecimal(start) : '', 'data-i18n-placeholder': 'form.position_placeholder', placeholder: t('form.position_placeholder'), 'data-testid': 'report-position' });
  const pick = el('button', { type: 'button', 'data-testid': 'pick-position', onclick: () => {
    ctx.pickPoint((point) => {
      position.value = formatDecimal(point);
      position.dispatchEvent(new Event('input'));
    });
  } }, t('form.pick_on_map'));
  const chooser = markingChooser(markings, principal.clearance, object?.marking);
  const error = errorBox();
  const submit = el('button', { type: 'submit', class: 'primary', 'data-testid': 'report-submit' }, object ? t('action.save') : t('action.create'));
  const form = el('form', { class: 'object-form', novalidate: true },
    el('label', {}, t('field.kind'), kind),
    el('label', {}, t('field.title'), title),
    el('label', {}, t('field.text'), text),
    el('label', {}, t('field.position'), el('div', { class: 'row' }, position, pick)),
    el('p', { class: 'muted small' }, t('form.position_help')),
    chooser.root,
    error,
    el('div', { class: 'actions' }, submit,
      el('button', { type: 'button', onclick: () => ctx.details.close() }, t('action.cancel'))));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    error.hidden = true;
    let location = null;
    if (position.value.trim()) {
      try {
        location = parsePosition(position.value);
      } catch (err) {
        fill(error, el('p', {}, t(err.message)));
        error.hidden = false;
        return;
      }
    }
    if (!title.value.trim()) {
      fill(error, el('p', {}, t('form.title_required')));
      error.hidden = false;
      return;
    }
    const body = { kind: kind.value, title: title.value.trim(), body: text.value, location, marking: chooser.value() };
    submit.disabled = true;
    try {
      let saved;
      if (object) {
        saved = await api('PUT', `/api/v1/reports/${object.id}`, { ...body, version: object.version, ...worldParams(ctx) });
      } else {
        saved = await api('POST', '/api/v1/reports', { ...body, ...worldParams(ctx) });
      }
      ctx.state.upsert(saved);
      ctx.toast(object ? t('toast.saved') : t('toast.created'));
      ctx.details.showObject(saved.id);
    } catch (err) {
      showError(error, err, object ? () => ctx.reloadObject(object) : null);
    } finally {
      submit.disabled = false;
    }
  });
  ctx.details.showForm(object ? t('form.edit_report') : t('form.new_report'), form, () => ({ origin: markings.nation, marking: chooser.value() }));
  title.focus();
}

/** The zone form, for a drawn `ring` ([lon, lat] points, closed) or an existing `object`. */
export function zoneForm(ctx, ring, object = null) {
  const { markings, principal } = ctx;
  const kind = el('select', { name: 'kind', 'data-testid': 'zone-kind' },
    ZONE_KINDS.map((k) => el('option', { value: k, selected: object?.kind === k }, t(`zone_kind.${k}`))));
  const name = el('input', { name: 'name', required: true, maxlength: 120, value: object?.name || '', 'data-testid': 'zone-name' });
  const description = el('textarea', { name: 'description', rows: 3 });
  description.value = object?.description || '';
  const category = el('select', { name: 'category' },
    el('option', { value: '' }, t('form.no_category')),
    SITE_CATEGORIES.map((c) => el('option', { value: c, selected: object?.category === c }, t(`site_category.${c}`))));
  const categoryRow = el('label', {}, t('field.category'), category);
  const syncCategory = () => { categoryRow.hidden = kind.value !== 'protected_site'; };
  kind.addEventListener('change', syncCategory);
  syncCategory();
  const chooser = markingChooser(markings, principal.clearance, object?.marking);
  const error = errorBox();
  const submit = el('button', { type: 'submit', class: 'primary', 'data-testid': 'zone-submit' }, object ? t('action.save') : t('action.create'));
  const form = el('form', { class: 'object-form', novalidate: true },
    el('label', {}, t('field.kind'), kind),
    el('label', {}, t('field.name'), name),
    el('label', {}, t('field.description'), description),
    categoryRow,
    chooser.root,
    error,
    el('div', { class: 'actions' }, submit,
      el('button', { type: 'button', onclick: () => { ctx.clearDraft(); ctx.details.close(); } }, t('action.cancel'))));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    error.hidden = true;
    if (!name.value.trim()) {
      fill(error, el('p', {}, t('form.name_required')));
      error.hidden = false;
      return;
    }
    const body = {
      kind: kind.value,
      name: name.value.trim(),
      description: description.value,
      area: object ? object.area : { type: 'Polygon', coordinates: [ring] },
      marking: chooser.value(),
    };
    if (kind.value === 'protected_site' && category.value) body.category = category.value;
    submit.disabled = true;
    try {
      const saved = object
        ? await api('PUT', `/api/v1/zones/${object.id}`, { ...body, version: object.version, ...worldParams(ctx) })
        : await api('POST', '/api/v1/zones', { ...body, ...worldParams(ctx) });
      ctx.clearDraft();
      ctx.state.upsert(saved);
      ctx.toast(object ? t('toast.saved') : t('toast.created'));
      ctx.details.showObject(saved.id);
    } catch (err) {
      showError(error, err, object ? () => ctx.reloadObject(object) : null);
    } finally {
      submit.disabled = false;
    }
  });
  ctx.details.showForm(object ? t('form.edit_zone') : t('form.new_zone'), form, () => ({ origin: markings.nation, marking: chooser.value() }));
  name.focus();
}

/** Asks, in the panel, to delete `object`; deletes it against the version shown. */
export function confirmDelete(ctx, object) {
  const collection = { report: 'reports', zone: 'zones', unit: 'units' }[object.type];
  const error = errorBox();
  const yes = el('button', { type: 'button', class: 'danger', 'data-testid': 'confirm-delete', onclick: async () => {
    yes.disabled = true;
    try {
      const query = new URLSearchParams({ version: object.version, ...worldParams(ctx) });
      await api('DELETE', `/api/v1/${collection}/${object.id}?${query}`);
      ctx.state.remove(object.id);
      ctx.toast(t('toast.deleted'));
      ctx.details.close();
    } catch (err) {
      showError(error, err, () => ctx.reloadObject(object));
      yes.disabled = false;
    }
  } }, t('action.confirm_delete'));
  ctx.details.showForm(t('form.delete_title'), el('div', {},
    el('p', {}, t('form.delete_question', { name: object.title || object.name || object.callsign || object.id })),
    error,
    el('div', { class: 'actions' }, yes,
      el('button', { type: 'button', onclick: () => ctx.details.showObject(object.id) }, t('action.cancel')))),
  () => ({ origin: object.origin, marking: object.marking }));
}
