// Shown posts follow their state: reloaded every few seconds while one may change without the
// user, redrawn as soon as one did, so a page never offers an action its post's new state
// refuses. Keyboard focus survives a redraw: it goes back to the same control of the same post,
// or to the post's state when that control is gone.

import { replace } from './dom.js';

/** States in which a post changes without the user: shown, it is reloaded every few seconds. */
export const LIVE = ['scheduled', 'publishing'];
/** How often shown posts in a live state are reloaded. */
export const POLL_MS = 3000;

const signature = (p) => `${p.status}:${p.version}:${p.permalink || ''}:${p.media_unresolved || ''}`;

// Which control of which post has the focus.
function focusedControl(list) {
  const e = document.activeElement;
  const item = e && list.contains(e) ? e.closest('[data-post-id]') : null;
  return item ? { post: item.dataset.postId, control: e.closest('[data-focus]')?.dataset.focus } : null;
}

function refocus(list, was) {
  if (!was) return;
  const item = [...list.querySelectorAll('[data-post-id]')].find((li) => li.dataset.postId === was.post);
  if (!item) return list.focus();
  const same = was.control ? item.querySelector(`[data-focus="${was.control}"]`) : null;
  (same || item.querySelector('[data-focus="state"]'))?.focus();
}

/**
 * Keeps `list` showing what `draw(posts)` makes of the posts `load()` returns; `failed(error)`
 * is shown when loading fails (tried again after a network or server failure), `shown(posts)`
 * called after each redraw. A half-typed form in
 * the list (an open "Reschedule") is kept while its posts only change version; a change of
 * state redraws anyway. Returns `{ refresh(force), stop() }`.
 */
export function livePosts(list, { load, draw, failed, shown = () => {} }) {
  list.tabIndex = -1;
  let drawn = new Map();
  let timer = null;
  let stopped = false;
  let latest = 0;
  const refresh = async (force = false) => {
    clearTimeout(timer);
    const ticket = ++latest;
    let posts;
    try { posts = await load(); } catch (e) {
      if (ticket !== latest || stopped) return;
      replace(list, failed(e));
      drawn = new Map();
      // A network or server failure is tried again; an answer such as 404 stands.
      if (!e.status || e.status >= 500) timer = setTimeout(refresh, POLL_MS);
      return;
    }
    if (ticket !== latest || stopped) return; // a newer request answers instead
    const next = new Map(posts.map((p) => [p.id, signature(p)]));
    const same = next.size === drawn.size && posts.every((p) => drawn.get(p.id) === next.get(p.id));
    const stateChanged = next.size !== drawn.size || posts.some((p) => drawn.get(p.id)?.split(':')[0] !== p.status);
    const typing = list.querySelector('details[open]');
    if (force || (!same && (stateChanged || !typing))) {
      const was = focusedControl(list);
      drawn = next;
      replace(list, draw(posts));
      refocus(list, was);
      shown(posts);
    }
    if (!stopped && posts.some((p) => LIVE.includes(p.status))) timer = setTimeout(refresh, POLL_MS);
  };
  return { refresh, stop() { stopped = true; clearTimeout(timer); } };
}
