// Pausing and resuming an account's queue, with what it means said next to the button: while
// paused no queued post publishes, posts scheduled at their own time still do, posts already
// being prepared cannot be stopped (they are named), and on resume the posts whose slot passed
// move to the next free slots (they are named too).

import { post } from './api.js';
import { h, replace } from './dom.js';
import { dateTime } from './format.js';

const preview = (p) => `"${(p.caption || '(no caption)').slice(0, 60)}"`;
const postLink = (p, text) => h('li', {}, h('a', { href: `/app/posts/${p.id}` }, preview(p)), ` ${text}`);

/**
 * The pause control of `connection`'s queue. `schedule()` gives the schedule as last loaded,
 * `changed(schedule)` is told of the one a pause or resume wrote, `reloadQueue()` shows the
 * queue again, `reloadSchedule()` the stored schedule (after a refusal).
 */
export function pauseControl(connection, { schedule, changed, reloadQueue, reloadSchedule }) {
  const state = h('p', { class: 'pause-state', id: `pause-state-${connection.id}` });
  const button = h('button', { type: 'button', class: 'secondary', 'aria-describedby': `pause-state-${connection.id} pause-hint-${connection.id}` });
  const hint = h('p', { class: 'muted', id: `pause-hint-${connection.id}` },
    'Pausing stops every queued post of this account from publishing, even when its time slot comes. ',
    'Posts scheduled at a time of their own are not in the queue and still publish. ',
    'A queued post already being prepared for publishing (shortly before its time) cannot be stopped. ',
    'On resume, posts whose slot passed while paused move to the next free slots.');
  const outcome = h('div', { role: 'status', 'aria-live': 'polite', class: 'pause-outcome' });
  const error = h('p', { class: 'error', role: 'alert' });

  const draw = () => {
    const s = schedule();
    const paused = Boolean(s.paused);
    replace(state, paused
      ? h('strong', {}, `Queue paused since ${dateTime(s.paused_at)}: no queued post publishes until you resume it.`)
      : 'The queue is running: queued posts publish at their slots.');
    state.classList.toggle('paused', paused);
    button.textContent = paused ? 'Resume queue' : 'Pause queue';
    button.disabled = s.version === 0;
  };

  button.addEventListener('click', async () => {
    const s = schedule();
    const pausing = !s.paused;
    error.textContent = '';
    button.disabled = true;
    try {
      const answer = await post(`/instagram/connections/${connection.id}/posting-schedule/${pausing ? 'pause' : 'resume'}`, { version: s.version });
      changed(answer.schedule);
      if (pausing) {
        replace(outcome, h('p', {}, `Queue paused: ${answer.held} queued post${answer.held === 1 ? '' : 's'} will wait.`),
          answer.publishing_anyway.length ? [
            h('p', {}, 'Already being prepared for publishing, so these still publish:'),
            h('ul', {}, answer.publishing_anyway.map((p) => postLink(p, `at ${dateTime(p.scheduled_at, p.time_zone)}`))),
          ] : null);
      } else {
        replace(outcome, h('p', {}, `Queue resumed: ${answer.released} post${answer.released === 1 ? '' : 's'} will publish again.`),
          answer.moved.length ? [
            h('p', {}, 'Their slot passed while paused, so they moved to the next free slots:'),
            h('ul', {}, answer.moved.map((m) => postLink(m.post, `from ${dateTime(m.from, m.post.time_zone)} to ${dateTime(m.post.scheduled_at, m.post.time_zone)}`))),
          ] : null);
      }
    } catch (e) {
      replace(outcome);
      error.textContent = e.status === 409
        ? `Not ${pausing ? 'paused' : 'resumed'}: ${e.message}. The current state is shown.`
        : e.message;
      await reloadSchedule().catch(() => null);
    } finally {
      await reloadQueue().catch(() => null);
      draw();
      button.focus();
    }
  });

  const section = h('div', { class: 'queue-pause' }, state, h('div', { class: 'actions' }, button), hint, outcome, error);
  return { section, draw };
}
