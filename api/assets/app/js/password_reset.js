// "Forgot password": ask for a link by email, then choose a new password with it. The link's
// token arrives in the URL fragment (never sent to a server in a request line or Referer) and
// is taken out of the address bar at once.

import { post } from './api.js';
import { clearErrors, field, h, showError } from './dom.js';

let token = '';

/** Takes the token from `#token=...` and removes it from the address and the history entry. */
function takeToken() {
  const fragment = new URLSearchParams(location.hash.slice(1));
  if (fragment.has('token')) {
    token = fragment.get('token');
    history.replaceState(null, '', location.pathname + location.search);
  }
  return token;
}

function forgot(main) {
  const email = h('input', { type: 'email', name: 'email', autocomplete: 'email', required: true });
  const submit = h('button', { type: 'submit' }, 'Email me a link');
  const status = h('p', { role: 'status', class: 'muted' });
  const form = h('form', { novalidate: true },
    field('Email', email, 'email'),
    h('p', { class: 'error', role: 'alert', dataset: { errorFor: 'form' } }),
    h('div', { class: 'actions' }, submit));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearErrors(form);
    status.textContent = '';
    submit.disabled = true;
    try {
      const answer = await post('/auth/password-reset', { email: email.value });
      status.textContent = answer.message;
    } catch (e) {
      showError(form, e.field || 'form', e.message);
    } finally {
      submit.disabled = false;
    }
  });
  main.append(h('section', { class: 'card narrow', 'aria-labelledby': 'reset-title' },
    h('h1', { id: 'reset-title' }, 'Forgot your password?'),
    h('p', {}, 'Enter the email address of your account and we will send you a link to choose a new password.'),
    form, status,
    h('p', {}, h('a', { href: '/app/signin' }, 'Back to log in'))));
}

function reset(main, { navigate, flash, loadMe }) {
  if (!takeToken()) {
    main.append(h('section', { class: 'card narrow', 'aria-labelledby': 'reset-title' },
      h('h1', { id: 'reset-title' }, 'Choose a new password'),
      h('p', { class: 'error' }, 'This link is incomplete. Open the link from the email again, or ask for a new one.'),
      h('p', {}, h('a', { href: '/app/forgot-password' }, 'Ask for a new link'))));
    return;
  }
  const password = h('input', { type: 'password', name: 'password', autocomplete: 'new-password', required: true, minlength: 10 });
  const again = h('input', { type: 'password', name: 'again', autocomplete: 'new-password', required: true });
  const submit = h('button', { type: 'submit' }, 'Set the new password');
  const form = h('form', { novalidate: true },
    field('New password', password, 'password', 'At least 10 characters.'),
    field('New password, again', again, 'again'),
    h('p', { class: 'error', role: 'alert', dataset: { errorFor: 'form' } }),
    h('div', { class: 'actions' }, submit));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearErrors(form);
    if (password.value !== again.value) {
      showError(form, 'again', 'The two passwords are not the same.');
      return;
    }
    submit.disabled = true;
    try {
      await post('/auth/password-reset/confirm', { token, password: password.value });
      token = '';
      await loadMe();
      flash('ok', 'Your password is changed and every session was signed out; the link also confirmed your email address. Log in with the new password.');
      navigate('/app/signin');
    } catch (e) {
      // A used or expired link: say so next to the form, with the way to a new one.
      const expired = e.field === 'token';
      showError(form, expired ? 'form' : (e.field || 'form'), e.message);
      if (expired && !form.querySelector('.new-link')) {
        form.append(h('p', { class: 'new-link' }, h('a', { href: '/app/forgot-password' }, 'Ask for a new link')));
      }
    } finally {
      submit.disabled = false;
    }
  });
  main.append(h('section', { class: 'card narrow', 'aria-labelledby': 'reset-title' },
    h('h1', { id: 'reset-title' }, 'Choose a new password'),
    form));
}

export async function render(main, ctx) {
  if (ctx.opts.mode === 'reset') reset(main, ctx);
  else forgot(main);
}
