// Sign up and log in with email and password, or with Google.

import { post } from './api.js';
import { clearErrors, field, h, showApiError } from './dom.js';

export async function render(main, { opts, navigate, loadMe, flash }) {
  const signup = opts.mode === 'signup';
  const inputs = {
    name: h('input', { type: 'text', name: 'name', autocomplete: 'name', required: true, maxlength: 100 }),
    email: h('input', { type: 'email', name: 'email', autocomplete: 'email', required: true }),
    password: h('input', {
      type: 'password', name: 'password', required: true,
      autocomplete: signup ? 'new-password' : 'current-password', minlength: signup ? 10 : null,
    }),
  };
  const submit = h('button', { type: 'submit' }, signup ? 'Create account' : 'Log in');
  const form = h('form', { novalidate: true },
    signup ? field('Name', inputs.name, 'name') : null,
    field('Email', inputs.email, 'email'),
    field('Password', inputs.password, 'password', signup ? 'At least 10 characters.' : null),
    h('p', { class: 'error', role: 'alert', dataset: { errorFor: 'form' } }),
    h('div', { class: 'actions' }, submit));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearErrors(form);
    submit.disabled = true;
    const body = { email: inputs.email.value, password: inputs.password.value };
    if (signup) body.name = inputs.name.value;
    try {
      await post(signup ? '/auth/signup' : '/auth/login', body);
      await loadMe();
      flash('ok', signup ? 'Welcome to AIStudio! Connect your Instagram account to start.' : '');
      const next = sessionStorage.getItem('after-signin') || '/app/';
      sessionStorage.removeItem('after-signin');
      navigate(next);
    } catch (e) {
      showApiError(form, e);
    } finally {
      submit.disabled = false;
    }
  });
  main.append(h('section', { class: 'card narrow', 'aria-labelledby': 'auth-title' },
    h('h1', { id: 'auth-title' }, signup ? 'Create your account' : 'Log in'),
    form,
    h('p', { class: 'row' }, h('a', { class: 'button secondary', href: '/api/v1/auth/google' }, 'Sign in with Google')),
    signup ? null : h('p', {}, h('a', { href: '/app/forgot-password' }, 'Forgot your password?')),
    h('p', {}, signup
      ? ['Already have an account? ', h('a', { href: '/app/signin' }, 'Log in')]
      : ['New to AIStudio? ', h('a', { href: '/app/signup' }, 'Create an account')]),
    h('p', { class: 'muted' }, 'Read the ', h('a', { href: '/privacy' }, 'privacy policy'), ' to see what we store.')));
}
