// Account settings: name, password, notification settings, and deleting the account with all its data.

import { patch, post } from './api.js';
import { clearErrors, confirmDialog, field, h, replace, showApiError } from './dom.js';
import { dateTime } from './format.js';
import { notificationSettings } from './notification_settings.js';

function nameForm(me, { flash, loadMe }) {
  const name = h('input', { type: 'text', value: me.name, required: true, maxlength: 100, autocomplete: 'name' });
  const form = h('form', {}, field('Name', name, 'name'),
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Save name')));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearErrors(form);
    try {
      await patch('/me', { name: name.value });
      await loadMe();
      flash('ok', 'Your name is saved.');
    } catch (e) { showApiError(form, e, 'name'); }
  });
  return h('section', { class: 'card', 'aria-labelledby': 'name-title' }, h('h2', { id: 'name-title' }, 'Profile'),
    h('p', { class: 'muted' }, `Email: ${me.email}`, me.google_linked ? ' (Google account linked)' : ''), form);
}

function passwordForm(me, { flash }) {
  const current = h('input', { type: 'password', autocomplete: 'current-password' });
  const next = h('input', { type: 'password', autocomplete: 'new-password', minlength: 10, required: true });
  const form = h('form', {},
    me.has_password ? field('Current password', current, 'current_password') : null,
    field('New password', next, 'new_password', 'At least 10 characters. Your other sessions are signed out.'),
    h('p', { class: 'error', dataset: { errorFor: 'form' } }),
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, me.has_password ? 'Change password' : 'Set a password')));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearErrors(form);
    const body = { new_password: next.value };
    if (me.has_password) body.current_password = current.value;
    try {
      await post('/me/password', body);
      form.reset();
      flash('ok', 'Your password is changed; other sessions were signed out.');
    } catch (e) { showApiError(form, e); }
  });
  return h('section', { class: 'card', 'aria-labelledby': 'password-title' }, h('h2', { id: 'password-title' }, 'Password'), form);
}

/** The outcome of a deletion request: its code and where to follow it. */
function deletionOutcome(main, receipt) {
  document.getElementById('nav').hidden = true;
  replace(main, h('section', { class: 'card narrow', 'aria-labelledby': 'deleted-title' },
    h('h1', { id: 'deleted-title' }, 'Your account is being deleted'),
    h('p', {}, 'You are signed out and the account can no longer be used. Nothing more will be published. ',
      'Your posts, media files, Instagram connection and tokens are being deleted now.'),
    h('p', {}, 'Confirmation code: ', h('code', { id: 'confirmation-code' }, receipt.confirmation_code)),
    h('p', {}, `Requested ${dateTime(receipt.requested_at)}. `,
      h('a', { href: `/deletion-status/${receipt.confirmation_code}` }, 'Follow the deletion status'),
      ' (also available as JSON at ', h('a', { href: receipt.status_url }, 'the API'), ').'),
    h('p', {}, 'Keep the code if you want to check later. ', h('a', { href: '/app/signup' }, 'Create a new account'))));
}

function deletion(main) {
  const button = h('button', { type: 'button', class: 'danger' }, 'Delete my account and all my data');
  const error = h('p', { class: 'error', role: 'alert' });
  button.addEventListener('click', async () => {
    const sure = await confirmDialog({
      title: 'Delete your account and all your data?',
      text: ['This deletes your account, every post (scheduled ones will not publish), every media file, and your Instagram connection with its token. It cannot be undone.',
        'Posts already published stay on Instagram; remove them in the Instagram app if you wish.'],
      confirm: 'Delete everything',
    });
    if (!sure) return;
    try {
      deletionOutcome(main, await post('/me/deletion', { confirm: true }));
    } catch (e) { error.textContent = e.message; }
  });
  return h('section', { class: 'card', 'aria-labelledby': 'delete-title' }, h('h2', { id: 'delete-title' }, 'Delete account'),
    h('p', {}, 'Deletes your account and all its data. You get a confirmation code to follow the deletion. ',
      h('a', { href: '/data-deletion' }, 'What gets deleted')),
    button, error);
}

export async function render(main, ctx) {
  main.append(h('h1', {}, 'Settings'),
    h('div', { class: 'grid2' }, nameForm(ctx.me, ctx), passwordForm(ctx.me, ctx)),
    await notificationSettings(ctx),
    deletion(main));
}
