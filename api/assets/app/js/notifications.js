// The notification center: newest first, each linking to what it is about, mark one or all
// read. The list reloads when the live unread count changes.

import { get, post, query } from './api.js';
import { h, replace } from './dom.js';
import { dateTime } from './format.js';
import { showUnread } from './bell.js';

function item(n, reload) {
  const unread = !n.read_at;
  const markRead = unread
    ? h('button', { type: 'button', class: 'secondary', 'aria-label': `Mark read: ${n.title}` }, 'Mark read')
    : null;
  if (markRead) {
    markRead.addEventListener('click', async () => {
      markRead.disabled = true;
      await post(`/notifications/${encodeURIComponent(n.id)}/read`);
      showUnread((await get('/notifications/unread-count')).unread);
      await reload();
    });
  }
  return h('li', { class: unread ? 'note unread' : 'note', dataset: { kind: n.kind } },
    h('h2', {}, h('a', { href: n.link }, n.title), unread ? h('span', { class: 'badge' }, 'New') : null),
    h('p', {}, n.body),
    h('div', { class: 'row' }, h('span', { class: 'muted' }, dateTime(n.created_at)), markRead));
}

export async function render(main) {
  const list = h('ul', { class: 'notes', 'aria-live': 'polite' });
  const more = h('button', { type: 'button', class: 'secondary', hidden: true }, 'Show older');
  const all = h('button', { type: 'button', class: 'secondary' }, 'Mark all read');
  let cursor = null;

  async function page(append) {
    const data = await get(`/notifications${query({ cursor: append ? cursor : null })}`);
    const items = data.items.map((n) => item(n, () => page(false)));
    if (append) list.append(...items);
    else replace(list, items.length ? items : h('li', { class: 'muted' }, 'No notifications yet.'));
    cursor = data.next_cursor || null;
    more.hidden = !cursor;
  }

  more.addEventListener('click', () => page(true));
  all.addEventListener('click', async () => {
    await post('/notifications/read-all');
    showUnread(0);
    await page(false);
  });
  main.append(h('h1', {}, 'Notifications'),
    h('p', { class: 'muted' }, 'Failed posts, posts waiting for Instagram to be reconnected, and Instagram access that ends soon. ',
      h('a', { href: '/app/settings#notification-settings' }, 'Choose what you are told and how')),
    h('div', { class: 'actions' }, all), list, more);
  await page(false);
  const onChange = () => page(false).catch(() => null);
  document.addEventListener('unread-changed', onChange);
  return () => document.removeEventListener('unread-changed', onChange);
}
