// The reminder above every signed-in page while the account's email address is not confirmed,
// with a button that emails a new link (limited per hour; the API's answer is shown).

import { post } from './api.js';
import { h, replace } from './dom.js';

const box = document.getElementById('verify-banner');

/** Shows the reminder for `me` (or hides it: signed out, or the address is confirmed). */
export function showVerifyBanner(me) {
  if (!me || me.email_verified_at) {
    box.hidden = true;
    replace(box);
    return;
  }
  const answer = h('p', { role: 'status', class: 'muted' });
  const resend = h('button', { type: 'button', class: 'secondary' }, 'Resend the link');
  resend.addEventListener('click', async () => {
    resend.disabled = true;
    answer.className = 'muted';
    try {
      answer.textContent = (await post('/me/verify-email')).message;
    } catch (e) {
      answer.className = 'error';
      answer.textContent = e.message;
    } finally {
      resend.disabled = false;
    }
  });
  replace(box,
    h('p', {}, 'Please confirm your email address: open the link we sent to ',
      h('strong', {}, me.email), '. Everything works in the meantime.'),
    h('div', { class: 'row' }, resend),
    answer);
  box.hidden = false;
}
