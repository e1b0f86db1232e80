// The page an email verification link opens: `/app/verify-email#token=...`. The token arrives
// in the URL fragment (never sent to a server in a request line or Referer) and is taken out of
// the address bar at once; the page confirms the address and says so.

import { post } from './api.js';
import { h } from './dom.js';

/** Takes the token from `#token=...` and removes it from the address and the history entry. */
function takeToken() {
  const fragment = new URLSearchParams(location.hash.slice(1));
  if (!fragment.has('token')) return '';
  history.replaceState(null, '', location.pathname + location.search);
  return fragment.get('token');
}

export async function render(main, { me, loadMe }) {
  const token = takeToken();
  const status = h('p', { role: 'status' }, token ? 'Confirming your email address…' : '');
  const next = h('p');
  main.append(h('section', { class: 'card narrow', 'aria-labelledby': 'verify-title' },
    h('h1', { id: 'verify-title' }, 'Confirm your email address'), status, next));
  if (!token) {
    status.className = 'error';
    status.textContent = 'This link is incomplete. Open the link from the email again.';
  } else {
    try {
      await post('/auth/verify-email/confirm', { token });
      status.className = 'ok-text';
      status.textContent = 'Your email address is confirmed. Thank you!';
    } catch (e) {
      status.className = 'error';
      status.textContent = e.message;
    }
    // Signed in on this browser: the reminder banner follows the account's new state.
    if (me) await loadMe();
  }
  next.append(me
    ? h('a', { href: '/app/' }, 'Go to the overview')
    : h('a', { href: '/app/signin' }, 'Log in'));
}
