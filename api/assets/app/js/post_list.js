// The list of posts, filtered by state, each shown as its card (posts.js) with a checkbox that
// selects it for a bulk action (post_bulk.js). It refreshes every few seconds while a post is
// scheduled or publishing, keeping the selection.

import { get, query } from './api.js';
import { h, replace } from './dom.js';
import { STATES } from './format.js';
import { library } from './media.js';
import { LIVE, POLL_MS, card } from './posts.js';
import { bulkActions } from './post_bulk.js';

export async function render(main) {
  const url = new URL(location.href);
  const filter = h('select', { id: 'status-filter' }, h('option', { value: '' }, 'All states'),
    Object.entries(STATES).map(([v, label]) => h('option', { value: v, selected: url.searchParams.get('status') === v }, label)));
  const list = h('ul', { class: 'posts', 'aria-live': 'polite', 'aria-label': 'Posts' });
  const media = await library();
  const accounts = new Map((await get('/instagram/connections')).map((c) => [c.id, c]));
  const bulk = bulkActions(accounts, () => refresh(true));
  // A post's card with the checkbox that selects it for a bulk action.
  const selectable = (p) => {
    const item = card(p, media, refresh, accounts);
    item.querySelector('header').prepend(bulk.checkbox(p));
    return item;
  };
  let signature = '';
  let timer = null;
  let stopped = false;
  let latest = 0;
  const refresh = async (force = false) => {
    clearTimeout(timer);
    const ticket = ++latest;
    let posts;
    try { posts = (await get(`/posts${query({ status: filter.value, limit: 100 })}`)).items; } catch (e) {
      if (ticket !== latest) return;
      replace(list, h('li', { class: 'error' }, e.message));
      return;
    }
    if (ticket !== latest || stopped) return; // a newer request (filter change) answers instead
    const busy = list.querySelector('details[open]') || list.contains(document.activeElement);
    const next = posts.map((p) => `${p.id}:${p.status}:${p.version}:${p.permalink || ''}:${p.media_unresolved || ''}`).join(',');
    if (force || (next !== signature && !busy)) {
      signature = next;
      replace(list, posts.length ? posts.map((p) => selectable(p)) : h('li', { class: 'muted' }, 'No posts here. ', h('a', { href: '/app/compose' }, 'Compose one')));
      bulk.show(posts);
    }
    if (!stopped && posts.some((p) => LIVE.includes(p.status))) timer = setTimeout(refresh, POLL_MS);
  };
  filter.addEventListener('change', () => {
    history.replaceState(null, '', filter.value ? `/app/posts?status=${filter.value}` : '/app/posts');
    refresh(true);
  });
  main.append(h('h1', {}, 'Posts'),
    h('div', { class: 'row' }, h('label', { for: 'status-filter' }, 'Show'), filter, h('a', { class: 'button', href: '/app/compose' }, 'Compose')),
    bulk.section, list);
  await refresh(true);
  return () => { stopped = true; clearTimeout(timer); };
}
