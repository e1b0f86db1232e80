// What a bulk action does to each selected post: the request it sends (each with the version
// the list showed, so a post changed meanwhile is refused rather than overwritten), or why the
// post's state rules it out, decided before anything is sent.

import { STATES, localInput, zonedRfc3339 } from './format.js';

const DAY = 86400000;
const HOUR = 3600000;
const MOVABLE = ['scheduled', 'needs_reconnect'];

/** The actions, by name: how they are named and which states they apply to. */
export const ACTIONS = {
  reschedule: { verb: 'Reschedule', done: 'rescheduled', states: MOVABLE },
  cancel: { verb: 'Cancel', done: 'canceled', states: MOVABLE },
  delete: { verb: 'Delete', done: 'deleted', states: Object.keys(STATES).filter((s) => s !== 'publishing') },
};

const addDays = (date, n) => new Date(Date.parse(`${date}T00:00:00Z`) + n * DAY).toISOString().slice(0, 10);

/**
 * The new time of `p` for a reschedule `how`: `{shift, unit: 'hours'|'days'}` moves it by that
 * much (days keep its wall-clock time in its own zone), `{date}` puts it on that day at its
 * time of day in its own zone. RFC 3339, or null when `how` is incomplete.
 */
export function newTime(p, how) {
  const local = localInput(p.scheduled_at, p.time_zone);
  if (how.date) return zonedRfc3339(`${how.date}T${local.slice(11, 16)}`, p.time_zone);
  if (!Number.isInteger(how.shift) || how.shift === 0) return null;
  if (how.unit === 'hours') return new Date(Date.parse(p.scheduled_at) + how.shift * HOUR).toISOString();
  return zonedRfc3339(`${addDays(local.slice(0, 10), how.shift)}${local.slice(10)}`, p.time_zone);
}

/**
 * For each of `posts`, `{post, at?, refused?, request?}`: `refused` says why the action does
 * not apply to it; otherwise `request` is `[method, path, body]` (and `at` the new time of a
 * reschedule).
 */
export function plan(action, posts, how = {}) {
  const { states } = ACTIONS[action];
  return posts.map((p) => {
    if (!states.includes(p.status)) {
      return { post: p, refused: `a ${STATES[p.status].toLowerCase()} post cannot be ${ACTIONS[action].done}` };
    }
    if (action === 'cancel') return { post: p, request: ['POST', `/posts/${p.id}/cancel`, { version: p.version }] };
    if (action === 'delete') return { post: p, request: ['DELETE', `/posts/${p.id}?version=${p.version}`] };
    const at = newTime(p, how);
    if (!at) return { post: p, refused: 'no new time was chosen' };
    return { post: p, at, request: ['POST', `/posts/${p.id}/reschedule`, { version: p.version, scheduled_at: at }] };
  });
}
