// A post: its state as the workflow advances and the actions its state allows, following its
// state live (live_posts.js). The list of posts shows each as this card.

import { del, get, post } from './api.js';
import { confirmDialog, h } from './dom.js';
import { KINDS, STATES, dateTime, localInput, zonedRfc3339 } from './format.js';
import { livePosts } from './live_posts.js';
import { library, thumb } from './media.js';

const CHANGEABLE = ['draft', 'scheduled', 'needs_reconnect'];

// A published post's link; when Instagram did not say which post it became and that could
// not be determined, why there is none.
function link(p) {
  if (p.permalink) return h('a', { href: p.permalink, rel: 'noopener', class: 'permalink' }, 'View on Instagram');
  if (p.link_note) return h('span', { class: 'link-note' }, p.link_note);
  return 'The link will appear shortly.';
}

function stateDetails(p) {
  switch (p.status) {
    case 'scheduled':
      if (p.held) {
        return h('p', {}, `Waiting in a paused queue: its slot is ${dateTime(p.scheduled_at, p.time_zone)} (${p.time_zone}), and it publishes only once the queue is `,
          h('a', { href: '/app/schedule' }, 'resumed'), ' (if its slot has passed by then, it moves to the next free one).');
      }
      return h('p', {}, p.publish_now ? 'Publishing as soon as possible.' : `Publishes ${dateTime(p.scheduled_at, p.time_zone)} (${p.time_zone}).`);
    case 'publishing':
      // Claimed a little before its time: it is being prepared, and publishes at its time.
      if (p.scheduled_at && new Date(p.scheduled_at) > new Date()) {
        return h('p', {}, `Being prepared for publishing at ${dateTime(p.scheduled_at, p.time_zone)} (${p.time_zone}); it can no longer be changed.`);
      }
      return h('p', {}, 'Publishing to Instagram now', p.step ? ` (step: ${p.step})` : '', '…');
    case 'published':
      return h('p', {}, `Published ${dateTime(p.published_at, p.time_zone)}. `, link(p));
    case 'failed':
      return h('div', {}, h('p', { class: 'error' }, `Not published: ${p.failure_reason || 'Instagram refused the post.'}`),
        h('p', {}, 'Fix what the message says, then ', h('a', { href: '/app/compose' }, 'compose it again'), '.'));
    case 'needs_reconnect':
      return h('p', {}, 'Waiting: Instagram no longer accepts our access to this account. ',
        h('a', { href: '/api/v1/instagram/connect' }, 'Reconnect Instagram'), ' and it publishes (right away if its time has passed).');
    case 'canceled':
      return h('p', { class: 'muted' }, 'Canceled: it will not be published.');
    default:
      return h('p', { class: 'muted' }, 'Draft: not scheduled yet.');
  }
}

function rescheduler(p, failed) {
  const at = h('input', { type: 'datetime-local', value: p.scheduled_at ? localInput(p.scheduled_at, p.time_zone) : '', 'aria-label': `New time (${p.time_zone})` });
  const form = h('form', { class: 'row' }, at, h('span', { class: 'muted' }, p.time_zone), h('button', { type: 'submit' }, 'Save new time'));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    try {
      await post(`/posts/${p.id}/reschedule`, { version: p.version, scheduled_at: zonedRfc3339(at.value, p.time_zone) || '' });
      failed(null);
    } catch (err) { failed(err); }
  });
  return h('details', {}, h('summary', { dataset: { focus: 'reschedule' } }, 'Reschedule'), form);
}

// The Instagram account a post goes to, as its owner knows it.
function account(p, accounts) {
  if (!p.connection_id) return h('span', { class: 'muted' }, 'No Instagram account chosen');
  const c = accounts.get(p.connection_id);
  return h('span', { class: 'account' }, c ? `@${c.username}` : 'a removed Instagram account');
}

/** A post with its state and the actions its state allows; `refresh(true)` reloads after an
 * action. An action refused because the post changed meanwhile (409) shows the post as it is
 * now, with the refusal. */
export function card(p, media, refresh, accounts) {
  const error = h('p', { class: 'error', role: 'alert' });
  const failed = async (e) => {
    if (e && e.status !== 409) { error.textContent = e.message; return; }
    await refresh(true);
    const now = document.getElementById(`post-${p.id}`)?.querySelector('.error[role=alert]');
    if (e && now) now.textContent = e.message;
  };
  const actions = h('div', { class: 'actions' });
  if (CHANGEABLE.includes(p.status)) actions.append(h('a', { class: 'button secondary', href: `/app/posts/${p.id}/edit`, dataset: { focus: 'edit' } }, 'Edit'));
  if (p.status === 'scheduled' || p.status === 'needs_reconnect') {
    const cancel = h('button', { type: 'button', class: 'secondary', dataset: { focus: 'cancel' } }, 'Cancel post');
    cancel.addEventListener('click', async () => {
      if (!await confirmDialog({ title: 'Cancel this post?', text: 'It will not be published. You can still delete it afterwards.', confirm: 'Cancel post' })) return;
      try { await post(`/posts/${p.id}/cancel`, { version: p.version }); failed(null); } catch (e) { failed(e); }
    });
    actions.append(cancel);
  }
  const duplicate = h('button', { type: 'button', class: 'secondary', dataset: { focus: 'duplicate' } }, 'Duplicate');
  duplicate.addEventListener('click', async () => {
    try {
      const copy = await post(`/posts/${p.id}/duplicate`, {});
      history.pushState({}, '', `/app/posts/${copy.id}/edit`);
      dispatchEvent(new PopStateEvent('popstate'));
    } catch (e) { error.textContent = e.message; }
  });
  actions.append(duplicate);
  if (p.status !== 'publishing') {
    const remove = h('button', { type: 'button', class: 'link', dataset: { focus: 'delete' } }, 'Delete');
    remove.addEventListener('click', async () => {
      const text = p.status === 'published'
        ? 'This removes it from AIStudio only: Instagram does not let apps delete published posts, so remove it in the Instagram app.'
        : 'It will not be published and is removed from AIStudio.';
      if (!await confirmDialog({ title: 'Delete this post?', text, confirm: 'Delete' })) return;
      try { await del(`/posts/${p.id}?version=${p.version}`); failed(null); } catch (e) { failed(e); }
    });
    actions.append(remove);
  }
  const byId = new Map(media.map((m) => [m.id, m]));
  return h('li', { class: 'post', id: `post-${p.id}`, dataset: { postId: p.id, status: p.status } },
    h('header', {}, h('strong', {}, h('a', { href: `/app/posts/${p.id}` }, KINDS[p.kind] || p.kind)),
      h('span', { class: `badge st-${p.status}` }, STATES[p.status] || p.status),
      account(p, accounts),
      p.scheduled_at ? h('span', { class: 'muted' }, dateTime(p.scheduled_at, p.time_zone)) : null),
    h('div', { class: 'thumbs' }, p.items.map((i) => (byId.has(i.media_id) ? thumb(byId.get(i.media_id)) : h('div', { class: 'thumb' }, 'removed')))),
    p.caption ? h('p', { class: 'caption' }, p.caption) : null,
    h('div', { class: 'state', tabindex: '-1', dataset: { focus: 'state' } }, stateDetails(p)),
    CHANGEABLE.includes(p.status) && p.status !== 'draft' ? rescheduler(p, failed) : null,
    actions, error);
}

export async function render(main, { params }) {
  const id = params[0];
  const list = h('ul', { class: 'posts', 'aria-live': 'polite', 'aria-label': 'Post' });
  const media = await library();
  const accounts = new Map((await get('/instagram/connections')).map((c) => [c.id, c]));
  const live = livePosts(list, {
    load: async () => [await get(`/posts/${id}`)],
    draw: (posts) => posts.map((p) => card(p, media, (force) => live.refresh(force), accounts)),
    failed: (e) => h('li', { class: 'error' }, e.status === 404 ? 'This post no longer exists.' : e.message),
  });
  main.append(h('h1', {}, 'Post'), h('p', {}, h('a', { href: '/app/posts' }, '← All posts')), list);
  await live.refresh(true);
  return () => live.stop();
}
