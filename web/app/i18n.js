// Translation: one catalogue per language (web/i18n/fr.json, en.json), French by default,
// the choice remembered in the browser. No UI string lives in code: code names keys, and
// elements carry `data-i18n` (text), `data-i18n-title`, `data-i18n-placeholder` or
// `data-i18n-aria` (attributes), filled by `translate()`.

const STORAGE_KEY = 'liptako.lang';
export const LANGUAGES = ['fr', 'en'];

let lang = 'fr';
let catalogue = {};
const listeners = new Set();

/** The language in use. */
export const currentLang = () => lang;

/** Loads the remembered language (French when none). */
export async function initLanguage() {
  const saved = localStorage.getItem(STORAGE_KEY);
  await loadLanguage(LANGUAGES.includes(saved) ? saved : 'fr');
}

async function loadLanguage(next) {
  const response = await fetch(`/ui/i18n/${next}.json`);
  if (!response.ok) throw new Error(`catalogue ${next}: HTTP ${response.status}`);
  catalogue = await response.json();
  lang = next;
  document.documentElement.lang = next;
  translate(document);
  for (const listener of listeners) listener(lang);
}

/** Switches language, remembers it and re-renders every string. */
export async function setLanguage(next) {
  localStorage.setItem(STORAGE_KEY, next);
  await loadLanguage(next);
}

/** The other language (what the switch offers). */
export const otherLang = () => (lang === 'fr' ? 'en' : 'fr');

/** Calls `listener(lang)` after each change of language. */
export function onLanguageChange(listener) {
  listeners.add(listener);
}

/** The string for `key`, with `{name}` placeholders filled from `vars`. A missing key shows
 * itself in brackets, so that a gap in a catalogue is seen, not hidden. */
export function t(key, vars = {}) {
  const text = catalogue[key];
  if (typeof text !== 'string') return `[${key}]`;
  return text.replace(/\{(\w+)\}/g, (whole, name) => (name in vars ? String(vars[name]) : whole));
}

/** Whether the catalogue has `key`. */
export const has = (key) => typeof catalogue[key] === 'string';

/** Fills every `data-i18n*` element under `root`. */
export function translate(root) {
  for (const node of root.querySelectorAll('[data-i18n]')) node.textContent = t(node.dataset.i18n);
  for (const node of root.querySelectorAll('[data-i18n-title]')) node.title = t(node.dataset.i18nTitle);
  for (const node of root.querySelectorAll('[data-i18n-placeholder]')) {
    node.placeholder = t(node.dataset.i18nPlaceholder);
  }
  for (const node of root.querySelectorAll('[data-i18n-aria]')) {
    node.setAttribute('aria-label', t(node.dataset.i18nAria));
  }
  for (const node of root.querySelectorAll('.lang-switch')) {
    node.textContent = t('lang.switch');
    node.title = t('lang.switch_title');
  }
}
