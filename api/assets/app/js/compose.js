// Compose or edit a post: kind, media (ordered for carousels), caption with Instagram's limits,
// and when (now, at a time in the user's zone, or a draft), with a preview of the post as
// Instagram shows it. The API checks every rule; its messages are shown next to the field they
// concern.

import { get, post, put } from './api.js';
import { clearErrors, field, h, replace, showApiError, showError } from './dom.js';
import { captionCounts, LIMITS } from './caption.js';
import { KINDS, dateTime, localInput, userZone, zonedRfc3339 } from './format.js';
import { connections } from './instagram.js';
import { library, thumb } from './media.js';
import { preview } from './preview.js';

const SINGLE = { image: true, reel: true, story: true };
const FITS = { image: (m) => m.kind === 'image', reel: (m) => m.kind === 'video', story: () => true, carousel: () => true };

function counters(textarea) {
  const box = h('div', { class: 'counters', 'aria-live': 'polite', id: 'caption-counters' });
  const update = () => {
    const c = captionCounts(textarea.value);
    replace(box, ...Object.entries(LIMITS).map(([k, limit]) => h('span', { class: c[k] > limit ? 'over' : '', dataset: { counter: k } },
      `${c[k]} / ${limit} ${k}`)));
  };
  textarea.addEventListener('input', update);
  update();
  return box;
}

export async function render(main, { params, navigate, flash }) {
  const editing = params[0];
  const [media, conns, existing] = await Promise.all([library(), connections(), editing ? get(`/posts/${editing}`) : null]);
  const active = conns.filter((c) => c.status === 'active' || (existing && c.id === existing.connection_id));
  const zone = existing ? existing.time_zone : userZone();
  const state = { kind: existing ? existing.kind : 'image', selected: existing ? existing.items.map((i) => i.media_id) : [] };

  const kindSet = h('fieldset', {}, h('legend', {}, 'Kind of post'),
    Object.entries(KINDS).map(([k, label]) => h('label', {},
      h('input', { type: 'radio', name: 'kind', value: k, checked: k === state.kind }), label)),
    h('p', { class: 'error', dataset: { errorFor: 'kind' } }));
  const connection = h('select', { name: 'connection_id' },
    active.map((c) => h('option', { value: c.id, selected: existing && existing.connection_id === c.id }, `@${c.username}${c.status === 'active' ? '' : ` (${c.status})`}`)));
  const picker = h('ul', { class: 'picker' });
  const order = h('ol', { class: 'order', 'aria-label': 'Carousel order' });
  const cover = h('select', { name: 'cover_media_id' }, h('option', { value: '' }, 'No cover (Instagram picks a frame)'),
    media.filter((m) => m.kind === 'image').map((m) => h('option', { value: m.id, selected: existing && existing.cover_media_id === m.id }, m.file_name)));
  const coverField = field('Reel cover image (optional)', cover, 'cover_media_id');
  const caption = h('textarea', { name: 'caption', rows: 6 }, existing ? existing.caption : '');
  const whenSet = h('fieldset', {}, h('legend', {}, 'When'),
    [['now', 'Publish now'], ['at', 'Schedule'], ['queue', 'Add to queue'], ['draft', 'Save as draft']]
      // A post already written is rescheduled, never queued again.
      .filter(([v]) => !(existing && v === 'queue'))
      .map(([v, label]) => h('label', {},
        h('input', { type: 'radio', name: 'when', value: v, checked: v === (existing ? (existing.scheduled_at && !existing.publish_now ? 'at' : existing.publish_now ? 'now' : 'draft') : 'at') }), label)),
    h('p', { class: 'muted', id: 'queue-hint' }, '"Add to queue" takes the next free time slot of the account\'s ', h('a', { href: '/app/schedule' }, 'posting schedule'), '.'),
    h('p', { class: 'error', role: 'alert', dataset: { errorFor: 'queue' } }),
    h('p', { class: 'error', dataset: { errorFor: 'publish_now' } }));
  const at = h('input', { type: 'datetime-local', name: 'scheduled_at', value: existing && existing.scheduled_at ? localInput(existing.scheduled_at, zone) : '' });
  const tz = h('input', { type: 'text', name: 'time_zone', value: zone, list: 'zones', autocomplete: 'off' });
  const zones = h('datalist', { id: 'zones' }, (Intl.supportedValuesOf ? Intl.supportedValuesOf('timeZone') : [zone]).map((z) => h('option', { value: z })));
  const submit = h('button', { type: 'submit' }, 'Schedule');

  const drawMedia = () => {
    const fits = media.filter(FITS[state.kind]);
    state.selected = state.selected.filter((id) => fits.some((m) => m.id === id));
    if (SINGLE[state.kind]) state.selected = state.selected.slice(-1);
    replace(picker, fits.length ? fits.map((m) => {
      const box = h('input', { type: SINGLE[state.kind] ? 'radio' : 'checkbox', name: 'media', value: m.id, checked: state.selected.includes(m.id) });
      box.addEventListener('change', () => {
        if (SINGLE[state.kind]) state.selected = [m.id];
        else if (box.checked) state.selected.push(m.id);
        else state.selected = state.selected.filter((id) => id !== m.id);
        drawOrder();
      });
      return h('li', {}, h('label', {}, thumb(m), box, m.file_name));
    }) : h('li', {}, 'No suitable media yet. ', h('a', { href: '/app/media' }, 'Upload some')));
    coverField.hidden = state.kind !== 'reel';
    drawOrder();
  };
  const drawOrder = () => {
    order.hidden = state.kind !== 'carousel';
    const name = (id) => (media.find((m) => m.id === id) || { file_name: id }).file_name;
    const move = (i, d) => {
      const s = state.selected;
      [s[i], s[i + d]] = [s[i + d], s[i]];
      drawOrder();
      order.querySelectorAll('li')[i + d]?.querySelector('button')?.focus();
    };
    replace(order, state.selected.map((id, i) => h('li', {}, name(id),
      h('button', { type: 'button', class: 'secondary', disabled: i === 0, 'aria-label': `Move ${name(id)} earlier`, onclick: () => move(i, -1) }, '↑'),
      h('button', { type: 'button', class: 'secondary', disabled: i === state.selected.length - 1, 'aria-label': `Move ${name(id)} later`, onclick: () => move(i, 1) }, '↓'))));
    drawPreview();
  };
  const shown = preview();
  const drawPreview = () => {
    const byId = (id) => media.find((m) => m.id === id);
    const account = active.find((c) => c.id === connection.value);
    shown.draw({
      kind: state.kind,
      items: state.selected.map(byId).filter(Boolean),
      cover: state.kind === 'reel' && cover.value ? byId(cover.value) : null,
      caption: caption.value,
      username: account && account.username,
    });
  };
  [cover, connection].forEach((el) => el.addEventListener('change', drawPreview));
  caption.addEventListener('input', drawPreview);
  const drawWhen = () => {
    const when = whenSet.querySelector('input:checked').value;
    at.disabled = tz.disabled = when !== 'at';
    submit.textContent = { now: 'Publish now', at: 'Schedule', queue: 'Add to queue', draft: 'Save draft' }[when];
  };
  kindSet.addEventListener('change', () => { state.kind = kindSet.querySelector('input:checked').value; drawMedia(); });
  whenSet.addEventListener('change', drawWhen);

  const form = h('form', { novalidate: true, 'aria-labelledby': 'compose-title' },
    kindSet,
    active.length ? field('Instagram account', connection, 'connection_id', 'The account this post is published to.')
      : h('p', { class: 'error' }, 'No active Instagram account: ', h('a', { href: '/app/' }, 'connect one'), ' to schedule posts (drafts can be saved).'),
    h('fieldset', {}, h('legend', {}, 'Media'), picker, order,
      h('p', { class: 'error', dataset: { errorFor: 'items' } })),
    coverField,
    field('Caption', caption, 'caption'),
    counters(caption),
    whenSet,
    h('div', { class: 'grid2' }, field('Date and time', at, 'scheduled_at'), field('Time zone', tz, 'time_zone')), zones,
    h('p', { class: 'error', role: 'alert', dataset: { errorFor: 'form' } }),
    h('div', { class: 'actions' }, submit));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearErrors(form);
    const when = whenSet.querySelector('input:checked').value;
    const body = {
      kind: state.kind,
      caption: caption.value,
      items: state.selected.map((id) => ({ media_id: id })),
    };
    if (active.length) body.connection_id = connection.value;
    if (state.kind === 'reel' && cover.value) body.cover_media_id = cover.value;
    if (when === 'now') body.publish_now = true;
    if (when === 'queue') body.queue = true;
    if (when === 'at') {
      const zoneName = tz.value.trim() || 'UTC';
      body.time_zone = zoneName;
      let rfc;
      try { rfc = zonedRfc3339(at.value, zoneName); } catch { return showError(form, 'time_zone', 'is not a known time zone'); }
      if (!rfc) return showError(form, 'scheduled_at', 'Choose a date and time.');
      body.scheduled_at = rfc;
    }
    if (existing) body.version = existing.version;
    submit.disabled = true;
    try {
      const saved = existing ? await put(`/posts/${existing.id}`, body) : await post('/posts', body);
      flash('ok', saved.status === 'draft' ? 'Draft saved.' : saved.publish_now ? 'Publishing now.'
        : when === 'queue' && saved.held ? `Added to the paused queue: it takes the slot ${dateTime(saved.scheduled_at, saved.time_zone)} (${saved.time_zone}) and publishes only once the queue is resumed.`
          : when === 'queue' ? `Added to the queue: it publishes ${dateTime(saved.scheduled_at, saved.time_zone)} (${saved.time_zone}).` : 'Post scheduled.');
      navigate(`/app/posts/${saved.id}`);
    } catch (e) {
      showApiError(form, e);
    } finally { submit.disabled = false; }
  });
  main.append(h('h1', { id: 'compose-title' }, existing ? 'Edit post' : 'Compose a post'), h('div', { class: 'compose' }, h('section', { class: 'card' }, form), shown.section));
  drawMedia();
  drawWhen();
}
