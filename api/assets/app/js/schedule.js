// The posting schedule of each Instagram account: its weekly time slots in the account's time
// zone, which "Add to queue" fills, pausing its queue, and the queue itself. Edited here and saved with the version
// it was loaded at: a change made elsewhere meanwhile is announced and the newer schedule shown.

import { get, put } from './api.js';
import { clearErrors, field, h, replace, showError } from './dom.js';
import { connections } from './instagram.js';
import { queueList } from './queue_list.js';
import { pauseControl } from './queue_pause.js';

export const DAYS = [['mon', 'Monday'], ['tue', 'Tuesday'], ['wed', 'Wednesday'], ['thu', 'Thursday'],
  ['fri', 'Friday'], ['sat', 'Saturday'], ['sun', 'Sunday']];
const dayName = (day) => (DAYS.find(([d]) => d === day) || [day, day])[1];
const order = (a, b) => DAYS.findIndex(([d]) => d === a.day) - DAYS.findIndex(([d]) => d === b.day) || a.time.localeCompare(b.time);

/** The editor of one connection's schedule. */
function editor(connection) {
  const path = `/instagram/connections/${connection.id}/posting-schedule`;
  const state = { version: 0, slots: [], paused: false, paused_at: null };
  const status = h('p', { role: 'status', 'aria-live': 'polite', class: 'muted', id: `schedule-status-${connection.id}` });
  const zone = h('input', { type: 'text', name: 'time_zone', list: 'schedule-zones', autocomplete: 'off' });
  const list = h('ul', { class: 'slots', 'aria-label': `Weekly time slots of @${connection.username}` });
  const day = h('select', { name: 'day' }, DAYS.map(([value, label]) => h('option', { value }, label)));
  const time = h('input', { type: 'time', name: 'time', value: '09:00' });
  const add = h('button', { type: 'button', class: 'secondary' }, 'Add slot');
  const save = h('button', { type: 'submit' }, 'Save schedule');
  const queue = queueList(connection, () => state.paused);
  const pause = pauseControl(connection, {
    schedule: () => state,
    // A pause or resume changes the version and the pause, never the slots being edited.
    changed: (schedule) => Object.assign(state, { version: schedule.version, paused: schedule.paused, paused_at: schedule.paused_at }),
    reloadQueue: () => queue.load(),
    reloadSchedule: () => load(),
  });
  pause.draw();

  const drawSlots = () => {
    state.slots.sort(order);
    replace(list, state.slots.length ? state.slots.map((slot, i) => h('li', { dataset: { day: slot.day, time: slot.time } },
      h('span', {}, `${dayName(slot.day)} ${slot.time}`),
      h('button', {
        type: 'button', class: 'link', 'aria-label': `Remove ${dayName(slot.day)} ${slot.time}`,
        'aria-describedby': `slot-${connection.id}-${i}-error`,
        onclick: () => {
          state.slots.splice(i, 1);
          drawSlots();
          status.textContent = `Removed ${dayName(slot.day)} ${slot.time}; save to keep the change.`;
          (list.querySelectorAll('button')[Math.min(i, state.slots.length - 1)] || day).focus();
        },
      }, 'Remove'),
      h('p', { class: 'error', id: `slot-${connection.id}-${i}-error`, dataset: { errorFor: `slots[${i}]` } })))
      : h('li', { class: 'muted' }, 'No time slots yet: "Add to queue" needs at least one.'));
  };
  const show = (schedule) => {
    Object.assign(state, { version: schedule.version, paused: schedule.paused, paused_at: schedule.paused_at });
    state.slots = schedule.slots.map((s) => ({ ...s }));
    zone.value = schedule.time_zone;
    drawSlots();
    pause.draw();
  };
  // Nothing can be edited until the saved schedule is shown, so it never overwrites an edit.
  const load = async () => {
    show(await get(path));
    form.inert = false;
    form.removeAttribute('aria-busy');
  };

  const form = h('form', { novalidate: true, inert: true, 'aria-busy': 'true', 'aria-labelledby': `schedule-title-${connection.id}` },
    field('Time zone', zone, 'time_zone', 'The slots fall at these local times, also when clocks change for daylight saving.'),
    h('fieldset', {}, h('legend', {}, 'Weekly time slots'), list,
      h('p', { class: 'error', dataset: { errorFor: 'slots' } }),
      h('div', { class: 'row add-slot' }, field('Day', day, 'day'), field('Time', time, 'time'), add)),
    h('p', { class: 'error', role: 'alert', dataset: { errorFor: 'form' } }),
    status,
    h('div', { class: 'actions' }, save));
  add.addEventListener('click', () => {
    clearErrors(form);
    if (!/^\d\d:\d\d$/.test(time.value)) return showError(form, 'time', 'Choose a time of day.');
    if (state.slots.some((s) => s.day === day.value && s.time === time.value)) {
      return showError(form, 'time', `${dayName(day.value)} ${time.value} is already a slot.`);
    }
    state.slots.push({ day: day.value, time: time.value });
    drawSlots();
    status.textContent = `Added ${dayName(day.value)} ${time.value}; save to keep the change.`;
  });
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearErrors(form);
    save.disabled = true;
    const slots = state.slots.map((s) => ({ day: s.day, time: s.time }));
    try {
      show(await put(path, { version: state.version, time_zone: zone.value.trim(), slots }));
      status.textContent = `Schedule saved: ${state.slots.length} weekly slot${state.slots.length === 1 ? '' : 's'} in ${zone.value}.`;
    } catch (e) {
      if (e.status === 409) {
        await load().catch(() => null);
        showError(form, 'form', 'This schedule was changed elsewhere (another tab or device). The newer version is shown: make your change again.');
      } else if (e.errors && e.errors.length) {
        // A slot's day or time names the slot: its message goes next to it.
        e.errors.forEach((err, i) => showError(form, (err.field || 'form').replace(/^(slots\[\d+\])\..*$/, '$1'), err.message, { add: true, focus: i === 0 }));
        status.textContent = 'The schedule was not saved: see the messages next to the fields.';
      } else {
        showError(form, e.field || 'form', e.message);
      }
    } finally { save.disabled = false; }
  });
  const section = h('section', { class: 'card schedule', id: `schedule-${connection.id}`, 'aria-labelledby': `schedule-title-${connection.id}` },
    h('h2', { id: `schedule-title-${connection.id}` }, `@${connection.username}`), form, pause.section, queue.section);
  // The queue is drawn once the schedule says whether it is paused.
  return { section, load: () => load().then(() => queue.load()) };
}

/** The schedule page: one editor per connected account. */
export async function render(main) {
  const accounts = (await connections()).filter((c) => c.status !== 'disconnected');
  main.append(h('h1', {}, 'Posting schedule'),
    h('p', {}, 'Each Instagram account publishes queued posts at its weekly time slots. "Add to queue" in the composer puts a post in the next free slot.'),
    h('datalist', { id: 'schedule-zones' }, (Intl.supportedValuesOf ? Intl.supportedValuesOf('timeZone') : []).map((z) => h('option', { value: z }))));
  if (!accounts.length) {
    main.append(h('p', { class: 'card' }, 'No Instagram account is connected. ', h('a', { href: '/app/' }, 'Connect one'), ' to give it a posting schedule.'));
    return;
  }
  const editors = accounts.map((c) => editor(c));
  main.append(...editors.map((e) => e.section));
  await Promise.all(editors.map((e) => e.load()));
}
