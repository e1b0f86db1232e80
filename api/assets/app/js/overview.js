// The overview: the connected Instagram account and the posts at a glance.

import { get } from './api.js';
import { h } from './dom.js';
import { STATES, dateTime } from './format.js';
import { connectionsCard } from './instagram.js';

export async function render(main, { me, flash }) {
  const summary = await get('/posts/summary');
  const c = summary.counts;
  const next = summary.next_scheduled;
  const last = summary.last_published;
  main.append(h('h1', {}, `Hello, ${me.name}`),
    h('div', { class: 'grid2' },
      connectionsCard(flash),
      h('section', { class: 'card', 'aria-labelledby': 'sum-title' },
        h('h2', { id: 'sum-title' }, 'Your posts'),
        h('ul', { class: 'stats' }, ['scheduled', 'publishing', 'published', 'failed', 'needs_reconnect', 'draft'].map((s) => h('li', {},
          h('a', { href: `/app/posts?status=${s}` }, h('strong', {}, String(c[s] || 0)), STATES[s])))),
        h('p', {}, next ? ['Next: ', h('a', { href: `/app/posts/${next.id}` }, dateTime(next.scheduled_at, next.time_zone))] : 'Nothing scheduled.'),
        last ? h('p', {}, 'Last published: ', last.permalink ? h('a', { href: last.permalink, rel: 'noopener' }, dateTime(last.published_at)) : dateTime(last.published_at)) : null,
        h('div', { class: 'actions' }, h('a', { class: 'button', href: '/app/compose' }, 'Compose a post'),
          h('a', { class: 'button secondary', href: '/app/media' }, 'Upload media')))));
}
