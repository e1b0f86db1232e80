// The dashboard's entry point: who is signed in, which page the path names, outcome messages
// from the sign-in and Instagram redirects, and navigation without reloading.

import { get, post } from './api.js';
import { h, replace } from './dom.js';
import { showVerifyBanner } from './verify_banner.js';
import { startBell, stopBell } from './bell.js';

const PAGES = [
  [/^\/app\/?$/, () => import('./overview.js')],
  [/^\/app\/signin$/, () => import('./auth.js'), { public: true, mode: 'signin' }],
  [/^\/app\/signup$/, () => import('./auth.js'), { public: true, mode: 'signup' }],
  [/^\/app\/forgot-password$/, () => import('./password_reset.js'), { public: true, mode: 'forgot' }],
  // A reset link works whoever is signed in on this browser.
  [/^\/app\/reset-password$/, () => import('./password_reset.js'), { public: true, anyone: true, mode: 'reset' }],
  // A verification link works signed in or out.
  [/^\/app\/verify-email$/, () => import('./verify_email.js'), { public: true, anyone: true }],
  [/^\/app\/settings$/, () => import('./account.js')],
  [/^\/app\/media$/, () => import('./media.js')],
  [/^\/app\/compose$/, () => import('./compose.js')],
  [/^\/app\/posts\/([0-9a-f]+)\/edit$/, () => import('./compose.js')],
  [/^\/app\/posts$/, () => import('./post_list.js')],
  [/^\/app\/posts\/([0-9a-f]+)$/, () => import('./posts.js')],
  [/^\/app\/calendar$/, () => import('./calendar.js')],
  [/^\/app\/schedule$/, () => import('./schedule.js')],
  [/^\/app\/notifications$/, () => import('./notifications.js')],
  [/^\/app\/webhooks$/, () => import('./webhooks.js')],
];

const OUTCOMES = {
  signin: { ok: ['ok', 'You are signed in with Google.'] },
  signin_error: {
    access_denied: 'Google sign-in was canceled; you are not signed in.',
    invalid_state: 'That sign-in link expired or was already used. Please try again.',
    exchange_failed: 'Google did not confirm the sign-in. Please try again.',
    invalid_id_token: "Google's answer could not be verified, so you were not signed in. Please try again.",
    email_not_verified: 'Your Google email address is not verified, so it was not linked to your existing account. Sign in with your password, or verify the address with Google first.',
    account_not_verified: 'An AIStudio account uses this email address but has not confirmed it yet, so Google was not linked to it. Log in with your password and open the confirmation link we emailed (or reset your password), then sign in with Google.',
    account_unavailable: 'This account cannot sign in (it may be being deleted).',
  },
  instagram: {
    connected: ['ok', 'Your Instagram account is connected.'],
    reconnected: ['ok', 'Your Instagram account is reconnected; posts waiting for it will publish again.'],
  },
  instagram_error: {
    access_denied: 'You declined the Instagram permissions, so nothing was connected.',
    invalid_state: 'That connection link expired or belongs to another session. Please start again.',
    exchange_failed: 'Instagram did not confirm the connection. Please try again.',
    connected_elsewhere: 'This Instagram account is already connected to another AIStudio account. Disconnect it there first.',
  },
};

const flashBox = document.getElementById('flash');
const main = document.getElementById('main');
const nav = document.getElementById('nav');
let me = null;
let cleanup = null;

/** Shows a message above the page (kind `ok` or `bad`). */
export function flash(kind, text) {
  replace(flashBox, text ? h('p', { class: `flash ${kind}` }, text) : null);
}

function takeOutcome() {
  const url = new URL(location.href);
  let shown = false;
  for (const [key, table] of Object.entries(OUTCOMES)) {
    const value = url.searchParams.get(key);
    if (value === null) continue;
    const known = table[value];
    if (Array.isArray(known)) flash(known[0], known[1]);
    else flash('bad', known || `Something went wrong (${value}). Please try again.`);
    url.searchParams.delete(key);
    shown = true;
  }
  if (shown) history.replaceState(null, '', url.pathname + url.search);
}

/** Reloads the signed-in account (null when signed out). */
export async function loadMe() {
  try {
    me = await get('/me');
  } catch (e) {
    if (e.status !== 401) throw e;
    me = null;
  }
  nav.hidden = !me;
  replace(document.getElementById('whoami'), me ? me.email : '');
  showVerifyBanner(me);
  if (me) startBell(); else stopBell();
  return me;
}

/** Shows the page for `path`. */
export async function navigate(path, { push = true } = {}) {
  if (push && path !== location.pathname + location.search) history.pushState(null, '', path);
  if (cleanup) { cleanup(); cleanup = null; }
  const pathname = new URL(path, location.origin).pathname;
  const match = PAGES.map(([re, load, opts]) => [re.exec(pathname), load, opts || {}]).find(([m]) => m);
  if (!match) {
    replace(main, h('h1', {}, 'Page not found'), h('p', {}, h('a', { href: '/app/' }, 'Go to the overview')));
    return;
  }
  const [m, load, opts] = match;
  if (!me && !opts.public) {
    sessionStorage.setItem('after-signin', pathname);
    return navigate('/app/signin');
  }
  if (me && opts.public && !opts.anyone) return navigate('/app/');
  for (const a of nav.querySelectorAll('a')) {
    const here = a.getAttribute('href') === pathname || (a.getAttribute('href') !== '/app/' && pathname.startsWith(a.getAttribute('href')));
    if (here) a.setAttribute('aria-current', 'page'); else a.removeAttribute('aria-current');
  }
  const view = await load();
  replace(main);
  const ctx = { me, params: m.slice(1), opts, navigate, flash, loadMe, main };
  try {
    cleanup = (await view.render(main, ctx)) || null;
  } catch (e) {
    replace(main, h('h1', {}, 'Something went wrong'), h('p', { class: 'error' }, e.message));
  }
  const heading = main.querySelector('h1');
  document.title = heading ? `${heading.textContent} - AIStudio` : 'AIStudio';
  if (push) main.focus({ preventScroll: true });
}

document.addEventListener('click', (event) => {
  const a = event.target.closest('a[href]');
  if (!a || event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || a.target) return;
  const url = new URL(a.href, location.href);
  if (url.origin !== location.origin || !url.pathname.startsWith('/app/') || url.pathname.startsWith('/app/assets/')) return;
  event.preventDefault();
  flash('ok', '');
  navigate(url.pathname + url.search);
});
window.addEventListener('popstate', () => navigate(location.pathname + location.search, { push: false }));

document.getElementById('logout').addEventListener('click', async () => {
  await post('/auth/logout').catch(() => null);
  me = null;
  stopBell();
  nav.hidden = true;
  showVerifyBanner(null);
  flash('ok', 'You are logged out.');
  navigate('/app/signin');
});

takeOutcome();
loadMe()
  .then(() => navigate(location.pathname + location.search, { push: false }))
  .catch((e) => replace(main, h('h1', {}, 'AIStudio is unavailable'), h('p', { class: 'error' }, e.message)));
