// The calendar: a month or a week of posts, each with its picture, and of the free slots of each
// account's posting schedule, days counted in the user's time zone. Scheduled posts can be
// moved (calendar_move.js).

import { get, query } from './api.js';
import { h, replace } from './dom.js';
import { KINDS, STATES, today, userZone } from './format.js';
import { freeSlotsByDay } from './calendar_slots.js';
import { connections } from './instagram.js';
import { mover } from './calendar_move.js';

const DAY = 86400000;
const iso = (ms) => new Date(ms).toISOString().slice(0, 10);
const parse = (d) => Date.parse(`${d}T00:00:00Z`);
const mondayOf = (ms) => ms - ((new Date(ms).getUTCDay() + 6) % 7) * DAY;

function range(mode, anchor) {
  const a = parse(anchor);
  if (mode === 'week') {
    const from = mondayOf(a);
    return { from, to: from + 6 * DAY, month: null };
  }
  const d = new Date(a);
  const first = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
  const last = Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0);
  return { from: mondayOf(first), to: mondayOf(last) + 6 * DAY, month: d.getUTCMonth() };
}

function shift(mode, anchor, step) {
  const d = new Date(parse(anchor));
  if (mode === 'week') return iso(parse(anchor) + step * 7 * DAY);
  return iso(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + step, 1));
}

// A post's picture: its image, or a mark for a video, described for screen readers by the
// item's alternative text (else by the caption).
function picture(p) {
  const t = p.thumbnail;
  if (!t) return null;
  const alt = t.alt_text || (p.caption_preview ? `Media of "${p.caption_preview}"` : 'Media of this post');
  if (t.kind === 'image') return h('img', { class: 'cal-thumb', src: t.content_url, alt, loading: 'lazy', draggable: 'false' });
  return h('span', { class: 'cal-thumb video', role: 'img', 'aria-label': `Video: ${alt}` }, '▶');
}

// A day's posts and free slots, by time; a post waiting in a paused queue says so. A free slot
// is plain text, not a link, drawn apart from the posts, and says what it is to a screen reader.
// `attach` makes a post's entry movable.
function entries(day, slots, named, attach) {
  const items = [
    ...day.posts.map((p) => {
      const li = h('li', { class: p.held ? 'entry held' : 'entry', dataset: { postId: p.id, status: p.status } }, h('a', {
        href: `/app/posts/${p.id}`, class: `st-${p.status}`, title: p.caption_preview, draggable: 'false',
      }, picture(p), h('span', { class: 'what' }, `${p.local_time} ${KINDS[p.kind]} · ${STATES[p.status]}${p.held ? ' · queue paused' : ''}`)));
      attach(li, p, day.date, slots);
      return [p.local_time, li];
    }),
    ...slots.map((s) => [s.time, h('li', { class: 'slot', dataset: { at: s.at } },
      `${s.time} `, h('span', { 'aria-hidden': 'true' }, named ? `free · @${s.username}` : 'free'),
      h('span', { class: 'visually-hidden' }, `empty queue slot of @${s.username}`))]),
  ].sort((a, b) => a[0].localeCompare(b[0]));
  return items.length ? h('ul', {}, items.map(([, li]) => li)) : null;
}

export async function render(main) {
  const zone = userZone();
  const accounts = (await connections()).filter((c) => c.status !== 'disconnected');
  const state = { mode: 'month', anchor: today(zone) };
  const title = h('h2', { id: 'cal-title', 'aria-live': 'polite' });
  const body = h('div');
  const moves = mover(body, zone, () => draw());
  // Each draw supersedes the ones before it; the calendar is busy until the last is drawn.
  let drawing = 0;
  const draw = async () => {
    const ticket = ++drawing;
    body.setAttribute('aria-busy', 'true');
    const { from, to, month } = range(state.mode, state.anchor);
    const [cal, free] = await Promise.all([
      get(`/posts/calendar${query({ from: iso(from), to: iso(to), time_zone: zone })}`),
      // A day of margin either side: the grid's days are counted in the user's zone.
      freeSlotsByDay(accounts, from - DAY, to + 2 * DAY, zone),
    ]);
    if (ticket !== drawing) return;
    const label = new Intl.DateTimeFormat(undefined, state.mode === 'month'
      ? { month: 'long', year: 'numeric', timeZone: 'UTC' } : { dateStyle: 'medium', timeZone: 'UTC' }).format(new Date(state.mode === 'month' ? parse(state.anchor) : from));
    title.textContent = state.mode === 'month' ? label : `Week of ${label}`;
    const now = today(zone);
    const weeks = [];
    for (let i = 0; i < cal.days.length; i += 7) weeks.push(cal.days.slice(i, i + 7));
    const weekday = (d) => new Intl.DateTimeFormat(undefined, { weekday: 'short', timeZone: 'UTC' }).format(new Date(parse(d)));
    replace(body, h('table', { class: 'calendar', 'aria-labelledby': 'cal-title' },
      h('thead', {}, h('tr', {}, cal.days.slice(0, 7).map((d) => h('th', { scope: 'col' }, weekday(d.date))))),
      h('tbody', {}, weeks.map((week) => h('tr', {}, week.map((d) => {
        const other = month !== null && new Date(parse(d.date)).getUTCMonth() !== month;
        return h('td', { class: [other ? 'other' : '', d.date === now ? 'today' : ''].join(' '), dataset: { date: d.date } },
          h('span', { class: 'day' }, h('span', { class: 'visually-hidden' }, `${weekday(d.date)} `), String(Number(d.date.slice(8)))),
          entries(d, free.get(d.date) || [], accounts.length > 1, moves.attach));
      }))))),
    cal.truncated ? h('p', { class: 'muted' }, 'Only the first 2000 posts of this range are shown.') : null);
    body.removeAttribute('aria-busy');
  };
  const button = (label, onclick, attrs = {}) => h('button', { type: 'button', class: 'secondary', onclick, ...attrs }, label);
  const modes = h('div', { class: 'row', role: 'group', 'aria-label': 'View' },
    ['month', 'week'].map((m) => button(m === 'month' ? 'Month' : 'Week', (e) => {
      state.mode = m;
      modes.querySelectorAll('button').forEach((b) => b.setAttribute('aria-pressed', String(b === e.currentTarget)));
      draw();
    }, { 'aria-pressed': String(m === state.mode) })));
  main.append(h('h1', {}, 'Calendar'),
    h('div', { class: 'row' }, modes,
      button('← Previous', () => { state.anchor = shift(state.mode, state.anchor, -1); draw(); }),
      button('Today', () => { state.anchor = today(zone); draw(); }),
      button('Next →', () => { state.anchor = shift(state.mode, state.anchor, 1); draw(); }),
      h('span', { class: 'muted' }, `Times in ${zone}`)),
    h('p', { class: 'muted', id: 'cal-hint' }, 'To reschedule a post, drag it to another day (it keeps its time) or onto a free slot (it takes that time), or use its "Move" button.'),
    h('section', { class: 'card', 'aria-labelledby': 'cal-title' }, title, moves.notice, body));
  await draw();
}
