// Small DOM helpers: build elements without innerHTML (no injection from API data), labelled
// form fields, and an accessible confirmation dialog.

/** Creates an element: h('a', {href: '/x', class: 'y', onclick: fn}, 'text', child, ...). */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value);
    else if (key === 'class') el.className = value;
    else if (key === 'dataset') Object.assign(el.dataset, value);
    else if (value === true) el.setAttribute(key, '');
    else el.setAttribute(key, String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replaces the content of `el`. */
export function replace(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

let ids = 0;
/** A unique element id. */
export const uid = (prefix = 'f') => `${prefix}-${++ids}`;

/** A labelled input with an error slot for `name` (the API's `field`). */
export function field(label, input, name, hint) {
  const id = input.id || uid(name);
  input.id = id;
  const errorId = `${id}-error`;
  const hintId = hint ? `${id}-hint` : null;
  input.setAttribute('aria-describedby', [hintId, errorId].filter(Boolean).join(' '));
  return h('div', { class: 'field' },
    h('label', { for: id }, label),
    input,
    hint ? h('p', { id: hintId, class: 'muted' }, hint) : null,
    h('p', { id: errorId, class: 'error', dataset: { errorFor: name } }));
}

/** Shows `message` in the form's slot for `fieldName` (or its form-level slot); with `add`,
 * after what the slot already says; with `focus`, moves focus to the field. */
export function showError(form, fieldName, message, { add = false, focus = true } = {}) {
  const base = (fieldName || '').replace(/\[\d+\].*$/, '').replace(/\..*$/, '');
  const slot = form.querySelector(`[data-error-for="${CSS.escape(fieldName || '')}"]`)
    || (base && form.querySelector(`[data-error-for="${CSS.escape(base)}"]`))
    || form.querySelector('[data-error-for="form"]');
  if (!slot) return;
  slot.textContent = add && slot.textContent ? `${slot.textContent} ${message}` : message;
  const input = slot.id && document.querySelector(`[aria-describedby~="${slot.id}"]`);
  if (input) input.setAttribute('aria-invalid', 'true');
  if (focus) (input || slot).focus?.();
}

/** Shows an API refusal: each of its `errors` next to the field it names (or in the slot of
 * `fallback`), focusing the first. */
export function showApiError(form, error, fallback = 'form') {
  const errors = error.errors && error.errors.length
    ? error.errors
    : [{ field: error.field, message: error.message }];
  errors.forEach((e, i) => showError(form, e.field || fallback, e.message, { add: true, focus: i === 0 }));
}

/** Empties every error slot of `form`. */
export function clearErrors(form) {
  form.querySelectorAll('[data-error-for]').forEach((slot) => { slot.textContent = ''; });
  form.querySelectorAll('[aria-invalid]').forEach((el) => el.removeAttribute('aria-invalid'));
}

/** Asks for confirmation in a modal dialog; resolves to true when confirmed. */
export function confirmDialog({ title, text, confirm, danger = true }) {
  return new Promise((resolve) => {
    const dialog = h('dialog', { 'aria-labelledby': 'confirm-title' },
      h('h2', { id: 'confirm-title' }, title),
      ...[].concat(text).map((t) => h('p', {}, t)),
      h('form', { method: 'dialog', class: 'actions' },
        h('button', { value: 'yes', class: danger ? 'danger' : '' }, confirm),
        h('button', { value: 'no', class: 'secondary', autofocus: true }, 'Keep it')));
    dialog.addEventListener('close', () => {
      dialog.remove();
      resolve(dialog.returnValue === 'yes');
    });
    document.body.append(dialog);
    dialog.showModal();
  });
}
