// The list of posts, filtered by state, each shown as its card (posts.js) with a checkbox that
// selects it for a bulk action (post_bulk.js). It follows the posts' states live
// (live_posts.js), keeping the selection and the focus.

import { get, query } from './api.js';
import { h } from './dom.js';
import { STATES } from './format.js';
import { livePosts } from './live_posts.js';
import { library } from './media.js';
import { card } from './posts.js';
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
  const live = livePosts(list, {
    load: async () => (await get(`/posts${query({ status: filter.value, limit: 100 })}`)).items,
    draw: (posts) => (posts.length ? posts.map(selectable) : h('li', { class: 'muted' }, 'No posts here. ', h('a', { href: '/app/compose' }, 'Compose one'))),
    failed: (e) => h('li', { class: 'error' }, e.message),
    shown: (posts) => bulk.show(posts),
  });
  const refresh = (force) => live.refresh(force);
  filter.addEventListener('change', () => {
    history.replaceState(null, '', filter.value ? `/app/posts?status=${filter.value}` : '/app/posts');
    refresh(true);
  });
  main.append(h('h1', {}, 'Posts'),
    h('div', { class: 'row' }, h('label', { for: 'status-filter' }, 'Show'), filter, h('a', { class: 'button', href: '/app/compose' }, 'Compose')),
    bulk.section, list);
  await refresh(true);
  return () => live.stop();
}
