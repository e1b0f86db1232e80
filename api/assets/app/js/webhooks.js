// Webhooks: endpoints that receive signed events, the secret shown once, test events, and each
// endpoint's delivery log with status and response time.

import { del, get, patch, post } from './api.js';
import { clearErrors, confirmDialog, field, h, replace, showApiError } from './dom.js';
import { dateTime } from './format.js';

const EVENTS = [
  ['post.published', 'A post was published'],
  ['post.failed', 'A post failed'],
  ['connection.needs_reconnect', 'Instagram needs reconnecting'],
  ['connection.disconnected', 'Instagram was disconnected'],
];

function lastAttempt(d) {
  const a = d.attempts_log[d.attempts_log.length - 1];
  if (!a) return '—';
  const answer = a.status_code ? `HTTP ${a.status_code}` : (a.error || 'no answer');
  return `${answer} in ${a.response_ms} ms`;
}

function deliveryRow(endpoint, d, reload, flash) {
  const again = h('button', { type: 'button', class: 'secondary' }, 'Redeliver');
  again.addEventListener('click', async () => {
    try {
      await post(`/webhooks/${endpoint.id}/deliveries/${encodeURIComponent(d.id)}/redeliver`);
      flash('ok', 'The event is queued again.');
    } catch (e) { flash('bad', e.message); }
    reload();
  });
  return h('tr', { class: 'delivery', dataset: { status: d.status } },
    h('td', {}, dateTime(d.created_at)),
    h('td', {}, d.event_type),
    h('td', {}, h('span', { class: `badge st-${d.status}` }, d.status)),
    h('td', {}, String(d.attempts)),
    h('td', {}, lastAttempt(d)),
    h('td', {}, d.failure || ''),
    h('td', {}, endpoint.enabled ? again : null));
}

async function deliveryLog(endpoint, reload, flash) {
  const list = await get(`/webhooks/${endpoint.id}/deliveries`);
  if (!list.length) return h('p', { class: 'muted' }, 'No deliveries yet.');
  return h('table', { class: 'deliveries' },
    h('thead', {}, h('tr', {}, ['When', 'Event', 'Status', 'Attempts', 'Last attempt', 'Failure', ''].map((t) => h('th', {}, t)))),
    h('tbody', {}, list.map((d) => deliveryRow(endpoint, d, reload, flash))));
}

async function endpointCard(endpoint, reload, flash) {
  const test = h('button', { type: 'button' }, 'Send test event');
  test.addEventListener('click', async () => {
    try {
      await post(`/webhooks/${endpoint.id}/test`);
      flash('ok', 'A test event is on its way; its attempts show below.');
    } catch (e) { flash('bad', e.message); }
    setTimeout(reload, 1500);
  });
  const toggle = h('button', { type: 'button', class: 'secondary' }, endpoint.enabled ? 'Disable' : 'Enable');
  toggle.addEventListener('click', async () => {
    try { await patch(`/webhooks/${endpoint.id}`, { enabled: !endpoint.enabled }); } catch (e) { flash('bad', e.message); }
    reload();
  });
  const remove = h('button', { type: 'button', class: 'secondary' }, 'Delete');
  remove.addEventListener('click', async () => {
    const sure = await confirmDialog({ title: 'Delete this endpoint?', text: [`Nothing more is sent to ${endpoint.url}, and its delivery log is deleted.`], confirm: 'Delete' });
    if (!sure) return;
    try { await del(`/webhooks/${endpoint.id}`); flash('ok', 'The endpoint is deleted.'); } catch (e) { flash('bad', e.message); }
    reload();
  });
  return h('li', { class: 'card webhook', dataset: { id: endpoint.id } },
    h('p', { class: 'row' }, h('strong', {}, endpoint.url),
      h('span', { class: `badge st-${endpoint.enabled ? 'active' : 'disconnected'}` }, endpoint.enabled ? 'Enabled' : 'Disabled')),
    h('p', { class: 'muted' }, `Events: ${endpoint.events.join(', ')}`),
    endpoint.disabled_reason ? h('p', { class: 'error' }, `Turned off: ${endpoint.disabled_reason}`) : null,
    h('div', { class: 'actions' }, endpoint.enabled ? test : null, toggle, remove),
    h('h3', {}, 'Deliveries'),
    await deliveryLog(endpoint, reload, flash));
}

function secretBox(secret) {
  return h('section', { class: 'card secret', role: 'alert' },
    h('h2', {}, 'Signing secret'),
    h('p', {}, 'Copy it now: it is shown only this once. Your receiver verifies each request\'s webhook-signature with it.'),
    h('pre', { class: 'secret-value' }, secret));
}

function createForm(onCreated) {
  const url = h('input', { type: 'url', required: true, placeholder: 'Your receiver\'s HTTPS address' });
  const boxes = EVENTS.map(([name, label]) => h('label', { class: 'check' },
    h('input', { type: 'checkbox', value: name, checked: true }), ` ${label} (${name})`));
  const form = h('form', {},
    field('Endpoint URL', url, 'url', 'An https URL on a public address.'),
    h('fieldset', {}, h('legend', {}, 'Events'), ...boxes,
      h('p', { class: 'error', dataset: { errorFor: 'events' } })),
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Add endpoint')));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearErrors(form);
    const events = boxes.map((b) => b.querySelector('input')).filter((i) => i.checked).map((i) => i.value);
    try {
      const created = await post('/webhooks', { url: url.value, events });
      form.reset();
      onCreated(created);
    } catch (e) { showApiError(form, e, 'url'); }
  });
  return h('section', { class: 'card', 'aria-labelledby': 'wh-new' }, h('h2', { id: 'wh-new' }, 'Add an endpoint'), form);
}

/** The webhooks page. */
export async function render(main, { flash }) {
  const secretSlot = h('div');
  const list = h('ul', { class: 'webhooks' });
  const reload = async () => {
    let endpoints;
    try { endpoints = await get('/webhooks'); } catch (e) { replace(list, h('li', { class: 'error' }, e.message)); return; }
    const cards = [];
    for (const endpoint of endpoints) cards.push(await endpointCard(endpoint, reload, flash));
    replace(list, ...(cards.length ? cards : [h('li', { class: 'muted' }, 'No endpoints yet.')]));
  };
  replace(main,
    h('h1', {}, 'Webhooks'),
    h('p', {}, 'Your own systems receive a signed request (Standard Webhooks) when a post is published or fails and when Instagram needs reconnecting or was disconnected.'),
    secretSlot,
    createForm((created) => { replace(secretSlot, secretBox(created.secret)); reload(); }),
    list);
  await reload();
}
