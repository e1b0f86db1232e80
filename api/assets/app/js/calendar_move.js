// Rescheduling from the calendar: drag a post to another day (it keeps its time of day) or onto
// a free queue slot (it takes the slot's time), or use its "Move" button from the keyboard.
// Each move is a compare-and-set on the version the calendar showed; a refusal is announced and
// the calendar redrawn with the newer state. After a move, "Undo" puts the post back for a few
// seconds (longer while it has focus or the pointer).

import { post } from './api.js';
import { h, replace } from './dom.js';
import { dateTime, zonedRfc3339 } from './format.js';

/** Posts in these states can still be rescheduled. */
const MOVABLE = ['scheduled', 'needs_reconnect'];
/** How long "Undo" stays after a move. */
const UNDO_MS = 8000;
const DAY = 86400000;

const preview = (p) => (p.caption_preview || '(no caption)').slice(0, 40);
const nextDate = (date, step) => new Date(Date.parse(`${date}T00:00:00Z`) + step * DAY).toISOString().slice(0, 10);

/**
 * Moving posts on the calendar drawn in `body`, days counted in `zone`. `redraw()` draws the
 * calendar again (resolving once drawn). Returns `{ notice, attach(li, p, date, slots) }`:
 * the status area to show above the calendar, and what makes a drawn post movable.
 */
export function mover(body, zone, redraw) {
  const message = h('span');
  const undoSlot = h('span');
  const error = h('p', { class: 'error', role: 'alert' });
  const notice = h('div', { class: 'cal-notice' },
    h('p', { role: 'status', 'aria-live': 'polite' }, message, ' ', undoSlot), error);
  const posts = new WeakMap();
  let dragged = null;
  let undoTimer = null;

  // Announces `text`, with the "Undo" that `undo()` makes, if any.
  const say = (text, undo) => {
    clearTimeout(undoTimer);
    error.textContent = '';
    message.textContent = text;
    replace(undoSlot, undo ? undo() : null);
  };
  const refuse = (text) => {
    clearTimeout(undoTimer);
    replace(undoSlot);
    message.textContent = '';
    error.textContent = text;
  };
  // Focus follows a post moved from the keyboard to where it is now.
  const refocus = (id) => {
    const li = body.querySelector(`li[data-post-id="${CSS.escape(id)}"]`);
    (li?.querySelector('button.move') || li?.querySelector('a'))?.focus();
  };

  // An "Undo" putting `moved` (the post as the move left it) back at `previous`.
  const undoButton = (moved, previous, focusAfter) => {
    const button = h('button', { type: 'button', class: 'secondary undo' }, 'Undo');
    let left = UNDO_MS;
    let started = Date.now();
    const expire = () => button.remove();
    const pause = () => { clearTimeout(undoTimer); left -= Date.now() - started; };
    const resume = () => {
      if (button.matches(':focus, :hover')) return;
      started = Date.now();
      undoTimer = setTimeout(expire, Math.max(left, 1000));
    };
    button.addEventListener('focus', pause);
    button.addEventListener('pointerenter', pause);
    button.addEventListener('blur', resume);
    button.addEventListener('pointerleave', resume);
    button.addEventListener('click', async () => {
      clearTimeout(undoTimer);
      try {
        const back = await post(`/posts/${moved.id}/reschedule`, { version: moved.version, scheduled_at: previous });
        say(`Moved back: "${preview(moved)}" publishes ${dateTime(back.scheduled_at, zone)} again.`);
      } catch (e) {
        refuse(`Not moved back: ${e.message}`);
      }
      await redraw();
      if (focusAfter) refocus(moved.id);
    });
    undoTimer = setTimeout(expire, left);
    return button;
  };

  /** Moves `p` to `at` (RFC 3339), announcing the outcome. */
  const move = async (p, at, { keyboard = false } = {}) => {
    if (Date.parse(at) === Date.parse(p.scheduled_at)) return;
    try {
      const moved = await post(`/posts/${p.id}/reschedule`, { version: p.version, scheduled_at: at });
      say(`Moved "${preview(p)}" to ${dateTime(moved.scheduled_at, zone)}.`,
        () => undoButton({ ...p, version: moved.version }, p.scheduled_at, keyboard));
    } catch (e) {
      refuse(e.status === 409
        ? `Not moved: ${e.message}. The calendar now shows the post as it is.`
        : `Not moved: ${e.message}`);
    }
    await redraw();
    if (keyboard) refocus(p.id);
  };

  // Drop targets: a day (the post keeps its time of day) and a free slot (it takes its time).
  const target = (el) => el.closest('li.slot[data-at]') || el.closest('td[data-date]');
  const timeAt = (el, p) => (el.dataset.at || zonedRfc3339(`${el.dataset.date}T${p.local_time}`, zone));
  const clearTargets = () => body.querySelectorAll('.drop-target').forEach((el) => el.classList.remove('drop-target'));
  body.addEventListener('dragstart', (e) => {
    const li = e.target.closest?.('li[data-post-id]');
    dragged = li && posts.get(li);
    if (!dragged) return;
    e.dataTransfer.effectAllowed = 'move';
    e.dataTransfer.setData('text/plain', dragged.caption_preview || dragged.id);
    li.classList.add('dragging');
  });
  body.addEventListener('dragover', (e) => {
    const el = dragged && target(e.target);
    if (!el) return;
    e.preventDefault();
    e.dataTransfer.dropEffect = 'move';
    if (!el.classList.contains('drop-target')) { clearTargets(); el.classList.add('drop-target'); }
  });
  body.addEventListener('dragleave', (e) => {
    if (!body.contains(e.relatedTarget)) clearTargets();
  });
  body.addEventListener('drop', (e) => {
    const el = dragged && target(e.target);
    if (!el) return;
    e.preventDefault();
    const p = dragged;
    dragged = null;
    clearTargets();
    move(p, timeAt(el, p));
  });
  body.addEventListener('dragend', () => {
    dragged = null;
    clearTargets();
    body.querySelectorAll('.dragging').forEach((el) => el.classList.remove('dragging'));
  });

  // The keyboard's way: "Move" opens the choices (the day before or after, at the same time,
  // and the free slots of the post's day); Escape closes them.
  const choices = (p, date, slots) => [
    ['← Day earlier', zonedRfc3339(`${nextDate(date, -1)}T${p.local_time}`, zone)],
    ['Day later →', zonedRfc3339(`${nextDate(date, 1)}T${p.local_time}`, zone)],
    ...slots.map((s) => [`To the free slot at ${s.time} (@${s.username})`, s.at]),
  ];
  const menu = (p, date, slots) => {
    const label = `Move ${p.local_time} "${preview(p)}"`;
    const id = `move-${p.id}`;
    const toggle = h('button', { type: 'button', class: 'move', 'aria-expanded': 'false', 'aria-controls': id, 'aria-label': label }, 'Move');
    const group = h('div', { class: 'move-choices', id, role: 'group', 'aria-label': label, hidden: true },
      choices(p, date, slots).map(([text, at]) => h('button', {
        type: 'button', class: 'secondary', onclick: () => move(p, at, { keyboard: true }),
      }, text)));
    const show = (open) => {
      group.hidden = !open;
      toggle.setAttribute('aria-expanded', String(open));
    };
    toggle.addEventListener('click', () => {
      show(group.hidden);
      if (!group.hidden) group.querySelector('button').focus();
    });
    group.addEventListener('keydown', (e) => {
      if (e.key !== 'Escape') return;
      show(false);
      toggle.focus();
    });
    return [toggle, group];
  };

  return {
    notice,
    /** Makes `li`, the entry of post `p` on `date` (with that day's free `slots`), movable. */
    attach(li, p, date, slots) {
      if (!MOVABLE.includes(p.status)) return;
      posts.set(li, p);
      li.draggable = true;
      li.classList.add('movable');
      li.append(...menu(p, date, slots));
    },
  };
}
