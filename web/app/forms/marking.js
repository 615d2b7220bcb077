// The marking chooser: only the levels the user may mark with (up to their clearance), and a
// releasability of all members, national only, or chosen partners.

import { el } from '../dom.js';
import { t } from '../i18n.js';

let serial = 0;

/** A chooser; `value()` gives {level, releasable_to}. */
export function markingChooser(markings, clearance, initial) {
  serial += 1;
  const name = `rel-${serial}`;
  const levels = markings.markable(clearance);
  const start = initial || { level: levels[Math.min(1, levels.length - 1)], releasable_to: [markings.confederation] };
  const level = el('select', { name: 'level', 'data-testid': 'marking-level' },
    levels.map((code) => el('option', { value: code, selected: code === start.level }, `${code} — ${markings.levelName(code)}`)));
  const partners = markings.members.filter((nation) => nation !== markings.nation);
  const tokens = start.releasable_to || [];
  const mode = tokens.includes(markings.confederation) ? 'all' : tokens.length === 0 ? 'national' : 'some';
  const radio = (value, label) => el('label', { class: 'inline' },
    el('input', { type: 'radio', name, value, checked: mode === value, 'data-testid': `rel-${value}` }), label);
  const boxes = partners.map((nation) => el('label', { class: 'inline' },
    el('input', { type: 'checkbox', value: nation, checked: tokens.includes(nation) }), nation));
  const someBox = el('div', { class: 'indent' }, boxes);
  const root = el('fieldset', { class: 'marking-chooser' },
    el('legend', {}, t('form.marking')),
    el('label', {}, t('form.level'), level),
    el('div', { class: 'rel' },
      radio('all', t('form.rel_all', { confederation: markings.confederation })),
      radio('national', t('form.rel_national', { nation: markings.nation })),
      radio('some', t('form.rel_some')),
      someBox));
  const value = () => {
    const chosen = root.querySelector(`input[name="${name}"]:checked`)?.value || 'all';
    const releasable = chosen === 'all' ? [markings.confederation]
      : chosen === 'national' ? []
        : boxes.map((box) => box.querySelector('input')).filter((input) => input.checked).map((input) => input.value);
    return { level: level.value, releasable_to: releasable };
  };
  return { root, value };
}
