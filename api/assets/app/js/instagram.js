// The Instagram connection: which account posts publish to, its state, connect, reconnect and
// disconnect.

import { del, get } from './api.js';
import { confirmDialog, h, replace } from './dom.js';
import { dateTime } from './format.js';

const CONNECT = '/api/v1/instagram/connect';

const STATE_TEXT = {
  active: 'Active',
  needs_reconnect: 'Needs reconnect',
  disconnected: 'Disconnected',
};

function connectionItem(c, reload, flash) {
  const actions = h('div', { class: 'actions' });
  if (c.status === 'needs_reconnect') {
    actions.append(h('a', { class: 'button', href: CONNECT }, 'Reconnect'));
  }
  if (c.status !== 'disconnected') {
    const button = h('button', { type: 'button', class: 'secondary' }, 'Disconnect');
    button.addEventListener('click', async () => {
      const sure = await confirmDialog({
        title: `Disconnect @${c.username}?`,
        text: ['The stored access token is deleted immediately. Scheduled posts for this account will not publish until you connect it again.'],
        confirm: 'Disconnect',
      });
      if (!sure) return;
      try {
        await del(`/instagram/connections/${c.id}`);
        flash('ok', `@${c.username} is disconnected; its token was deleted.`);
      } catch (e) { flash('bad', e.message); }
      reload();
    });
    actions.append(button);
  }
  return h('li', { class: 'connection' },
    h('p', { class: 'row' }, h('strong', {}, `@${c.username}`),
      h('span', { class: `badge st-${c.status}` }, STATE_TEXT[c.status] || c.status)),
    c.status === 'active' ? h('p', { class: 'muted' }, `Posts publish to this account. Token renewed automatically${c.token_expires_at ? `; valid until ${dateTime(c.token_expires_at)}` : ''}.`) : null,
    c.status === 'needs_reconnect' ? h('p', {}, 'Instagram no longer accepts our access. Reconnect to resume; posts due meanwhile wait for you.') : null,
    c.status === 'disconnected' ? h('p', { class: 'muted' }, 'No token is stored for this account.') : null,
    actions);
}

/** The connections card; reloads itself after changes. */
export function connectionsCard(flash) {
  const section = h('section', { class: 'card', id: 'instagram', 'aria-labelledby': 'ig-title' });
  const reload = async () => {
    let connections;
    try { connections = await get('/instagram/connections'); } catch (e) {
      replace(section, h('h2', { id: 'ig-title' }, 'Instagram'), h('p', { class: 'error' }, e.message));
      return;
    }
    const live = connections.filter((c) => c.status !== 'disconnected');
    replace(section,
      h('h2', { id: 'ig-title' }, 'Instagram account'),
      connections.length ? h('ul', { class: 'posts' }, connections.map((c) => connectionItem(c, reload, flash))) : h('p', {}, 'No Instagram account is connected yet.'),
      live.length === 0 ? h('div', { class: 'actions' }, h('a', { class: 'button', href: CONNECT }, 'Connect Instagram')) : null,
      h('p', { class: 'muted' }, 'We ask Instagram only for permission to read your professional account\'s basic profile and to publish the posts you schedule.'));
  };
  reload();
  return section;
}

/** The user's connections. */
export const connections = () => get('/instagram/connections');
