// Notification settings: per kind, in the dashboard and by email. The deletion receipt is
// always emailed and cannot be changed.

import { get, put } from './api.js';
import { clearErrors, h, showApiError } from './dom.js';

export async function notificationSettings({ flash }) {
  const prefs = await get('/notifications/preferences');
  const rows = prefs.kinds.map((k) => {
    const box = (channel) => h('input', {
      type: 'checkbox', checked: k[channel], disabled: k.essential,
      'aria-label': `${k.label}: ${channel === 'email' ? 'email' : 'in the dashboard'}`,
      dataset: { kind: k.kind, channel },
    });
    return h('tr', {}, h('th', { scope: 'row' }, k.label, k.essential ? h('span', { class: 'muted' }, ' (always emailed)') : null),
      h('td', {}, k.essential ? h('span', { class: 'muted' }, '—') : box('in_app')),
      h('td', {}, box('email')));
  });
  const form = h('form', {},
    h('table', { class: 'prefs' },
      h('caption', { class: 'visually-hidden' }, 'Notification settings'),
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'What happened'), h('th', { scope: 'col' }, 'In the dashboard'), h('th', { scope: 'col' }, 'Email'))),
      h('tbody', {}, rows)),
    h('p', { class: 'error', dataset: { errorFor: 'form' } }),
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Save notification settings')));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearErrors(form);
    const body = {};
    for (const input of form.querySelectorAll('input[type=checkbox]:not(:disabled)')) {
      const { kind, channel } = input.dataset;
      body[kind] = body[kind] || {};
      body[kind][channel] = input.checked;
    }
    try {
      await put('/notifications/preferences', body);
      flash('ok', 'Your notification settings are saved.');
    } catch (e) { showApiError(form, e); }
  });
  return h('section', { class: 'card', id: 'notification-settings', 'aria-labelledby': 'notify-title' },
    h('h2', { id: 'notify-title' }, 'Notifications'),
    h('p', { class: 'muted' }, 'Every notification email has a link to stop emails of its kind.'), form);
}
