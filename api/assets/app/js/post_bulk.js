// Bulk actions on the list of posts: select posts (one by one or all on the page), then
// reschedule (shift by hours or days, or move to a date), cancel or delete them. A dialog lists
// the selected posts before anything changes; each post is then changed on its own, with the
// version the list showed, and the outcome says which changed and which were refused and why.

import { api } from './api.js';
import { h, replace, uid } from './dom.js';
import { KINDS } from './format.js';
import { ACTIONS, plan } from './post_bulk_plan.js';
import { accountName, confirmBulk, preview } from './post_bulk_dialog.js';

/**
 * The selection and its actions for the list of posts. `accounts` maps connection ids to
 * connections; `changed()` reloads the list. Returns `{ section, checkbox(p), show(posts) }`:
 * the toolbar, a post's checkbox, and what to call with the posts the list shows.
 */
export function bulkActions(accounts, changed) {
  const selected = new Set();
  let shown = [];
  const count = h('span', { class: 'count', 'aria-live': 'polite' });
  const all = h('input', { type: 'checkbox', id: uid('select-all') });
  const outcome = h('p', { role: 'status', class: 'bulk-outcome' });
  const refusals = h('div', { role: 'alert', class: 'bulk-refusals' });
  const chosen = () => shown.filter((p) => selected.has(p.id));

  const shift = h('input', { type: 'number', id: uid('shift'), value: '1', step: '1', class: 'amount' });
  const unit = h('select', { 'aria-label': 'Unit' }, h('option', { value: 'days' }, 'days'), h('option', { value: 'hours' }, 'hours'));
  const date = h('input', { type: 'date', id: uid('to-date') });
  const byShift = h('input', { type: 'radio', name: 'bulk-how', value: 'shift', checked: true, id: uid('by-shift') });
  const byDate = h('input', { type: 'radio', name: 'bulk-how', value: 'date', id: uid('by-date') });
  date.addEventListener('input', () => { byDate.checked = true; });
  shift.addEventListener('input', () => { byShift.checked = true; });
  const howError = h('p', { class: 'error', id: uid('how-error'), role: 'alert' });
  shift.setAttribute('aria-describedby', howError.id);
  date.setAttribute('aria-describedby', howError.id);
  const how = () => (byDate.checked ? { date: date.value } : { shift: Number(shift.value), unit: unit.value });
  // Whether the new time is complete; if not, says so at its field.
  const howIsComplete = () => {
    const [input, fault] = byDate.checked
      ? [date, date.value ? '' : 'Choose the date to move the posts to.']
      : [shift, shift.value !== '' && Number.isInteger(Number(shift.value)) && Number(shift.value) !== 0 ? '' : 'Enter a whole number of hours or days other than 0.'];
    howError.textContent = fault;
    [shift, date].forEach((el) => el.removeAttribute('aria-invalid'));
    if (fault) { input.setAttribute('aria-invalid', 'true'); input.focus(); }
    return !fault;
  };
  const buttons = Object.entries(ACTIONS).map(([action, { verb }]) => h('button', {
    type: 'button', class: action === 'reschedule' ? '' : 'secondary', dataset: { action }, onclick: () => run(action),
  }, `${verb}…`));

  const update = () => {
    const n = chosen().length;
    count.textContent = `${n} selected`;
    all.checked = n > 0 && n === shown.length;
    all.indeterminate = n > 0 && n < shown.length;
    buttons.forEach((b) => { b.disabled = n === 0; });
  };
  all.addEventListener('change', () => {
    shown.forEach((p) => (all.checked ? selected.add(p.id) : selected.delete(p.id)));
    document.querySelectorAll('input.select-post').forEach((box) => { box.checked = all.checked; });
    update();
  });

  async function run(action) {
    const { verb, done } = ACTIONS[action];
    if (action === 'reschedule' && !howIsComplete()) return;
    const steps = plan(action, chosen(), how());
    if (!await confirmBulk(verb, steps, accounts)) return;
    const changedPosts = [];
    const refused = steps.filter((s) => s.refused).map((s) => [s.post, s.refused]);
    for (const step of steps.filter((s) => s.request)) {
      try {
        await api(...step.request);
        changedPosts.push(step.post);
      } catch (e) {
        refused.push([step.post, e.message]);
      }
    }
    const name = (p) => `"${preview(p)}" (${accountName(p, accounts)})`;
    const s = (n) => (n === 1 ? '' : 's');
    replace(outcome, `${changedPosts.length} post${s(changedPosts.length)} ${done}${changedPosts.length ? ': ' : '.'}`,
      changedPosts.map(name).join(', '), changedPosts.length ? '.' : '');
    replace(refusals, refused.length ? [h('p', {}, `${refused.length} post${s(refused.length)} not ${done}:`),
      h('ul', {}, refused.map(([p, why]) => h('li', { dataset: { postId: p.id } }, `${name(p)}: ${why}`)))] : null);
    selected.clear();
    await changed();
  }

  const section = h('section', { class: 'card bulk', 'aria-label': 'Bulk actions' },
    h('div', { class: 'row' },
      h('span', { class: 'check' }, all, h('label', { for: all.id }, 'Select all on this page')), count),
    h('div', { class: 'row' },
      h('fieldset', { class: 'bulk-how' }, h('legend', {}, 'New time for "Reschedule"'),
        h('span', { class: 'check' }, byShift, h('label', { for: byShift.id }, 'Shift by')),
        h('label', { for: shift.id, class: 'visually-hidden' }, 'Amount'), shift, unit,
        h('span', { class: 'check' }, byDate, h('label', { for: byDate.id }, 'Move to date')),
        h('label', { for: date.id, class: 'visually-hidden' }, 'Date'), date,
        h('p', { class: 'muted' }, 'A negative amount moves posts earlier. Each post keeps its time of day in its own time zone when moved by days or to a date.'),
        howError),
      h('div', { class: 'actions' }, buttons)),
    outcome, refusals);

  return {
    section,
    /** The checkbox selecting `p`. */
    checkbox(p) {
      const box = h('input', {
        type: 'checkbox', class: 'select-post', checked: selected.has(p.id), dataset: { focus: 'select' },
        'aria-label': `Select ${KINDS[p.kind] || p.kind} post "${preview(p)}"`,
      });
      box.addEventListener('change', () => {
        if (box.checked) selected.add(p.id); else selected.delete(p.id);
        update();
      });
      return box;
    },
    /** The list now shows `posts`: the selection keeps only those. */
    show(posts) {
      shown = posts;
      const ids = new Set(posts.map((p) => p.id));
      [...selected].forEach((id) => { if (!ids.has(id)) selected.delete(id); });
      update();
    },
  };
}
