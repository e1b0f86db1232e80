// An account's queue: its posts waiting in posting-schedule slots, soonest first, each movable
// one place earlier or later (it swaps slots with its neighbour) with keyboard-reachable
// buttons. Refusals (changed elsewhere, due too soon) are announced and the queue reloaded.
// While the queue is paused it says so, and marks each post waiting for the resume.

import { get, post, query } from './api.js';
import { h, replace } from './dom.js';
import { dateTime } from './format.js';

const preview = (p) => (p.caption || '(no caption)').slice(0, 60);

/** The queue section of `connection`; `paused()` says whether its queue is paused. */
export function queueList(connection, paused) {
  const list = h('ol', { class: 'queue', 'aria-label': `Queue of @${connection.username}` });
  const banner = h('p', { class: 'paused-banner', hidden: true });
  const status = h('p', { role: 'status', 'aria-live': 'polite', class: 'muted' });
  const error = h('p', { class: 'error', role: 'alert' });
  const load = async (focus) => {
    let posts;
    try {
      posts = (await get(`/posts${query({ status: 'scheduled', connection_id: connection.id, order: 'schedule', limit: 100 })}`)).items
        .filter((p) => p.queued);
    } catch (e) { error.textContent = e.message; return; }
    banner.hidden = !paused();
    replace(banner, paused() ? 'Queue paused: these posts wait until you resume it.' : '');
    const move = async (p, direction) => {
      error.textContent = '';
      try {
        const moved = await post(`/posts/${p.id}/queue-move`, { direction, version: p.version });
        status.textContent = `Moved ${direction}: "${preview(p)}" now publishes ${dateTime(moved.moved.scheduled_at, moved.moved.time_zone)}.`;
        await load({ id: p.id, direction });
      } catch (e) {
        error.textContent = `Not moved: ${e.message}`;
        await load({ id: p.id, direction });
      }
    };
    replace(list, posts.length ? posts.map((p, i) => h('li', { dataset: { postId: p.id } },
      h('span', { class: 'when' }, dateTime(p.scheduled_at, p.time_zone)),
      h('a', { href: `/app/posts/${p.id}` }, preview(p)),
      p.held ? h('span', { class: 'badge held' }, 'Paused') : null,
      h('span', { class: 'moves' },
        h('button', { type: 'button', class: 'secondary', dataset: { direction: 'earlier' }, disabled: i === 0, 'aria-label': `Move "${preview(p)}" earlier`, onclick: () => move(p, 'earlier') }, '↑ Earlier'),
        h('button', { type: 'button', class: 'secondary', dataset: { direction: 'later' }, disabled: i === posts.length - 1, 'aria-label': `Move "${preview(p)}" later`, onclick: () => move(p, 'later') }, '↓ Later'))))
      : h('li', { class: 'muted' }, 'No post is waiting in this queue. Use "Add to queue" in the composer.'));
    if (focus) {
      // Focus follows the moved post, on the same button while it can still be pressed.
      const item = list.querySelector(`li[data-post-id="${CSS.escape(focus.id)}"]`);
      const buttons = item ? [...item.querySelectorAll('button')] : [];
      (buttons.find((b) => b.dataset.direction === focus.direction && !b.disabled) || buttons.find((b) => !b.disabled))?.focus();
    }
  };
  const section = h('section', { class: 'queue-list', 'aria-labelledby': `queue-title-${connection.id}` },
    h('h3', { id: `queue-title-${connection.id}` }, 'Queue'),
    h('p', { class: 'muted' }, 'Posts added to the queue, soonest first. Moving one swaps its time slot with its neighbour\'s.'),
    banner, list, status, error);
  return { section, load: () => load(null) };
}
