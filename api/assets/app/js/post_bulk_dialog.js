// The confirmation of a bulk action: a modal dialog listing exactly the selected posts (caption,
// account, time, and the new time or why the action does not apply to it) before anything
// changes.

import { h, uid } from './dom.js';
import { dateTime } from './format.js';

/** The first words of `p`'s caption, as the bulk action lists it. */
export const preview = (p) => {
  const caption = (p.caption || '').trim();
  if (!caption) return '(no caption)';
  return caption.length > 60 ? `${caption.slice(0, 60)}…` : caption;
};

/** `p`'s account, as `@username`. */
export const accountName = (p, accounts) => {
  if (!p.connection_id) return 'no Instagram account';
  const c = accounts.get(p.connection_id);
  return c ? `@${c.username}` : 'a removed Instagram account';
};

function line(step, accounts) {
  const p = step.post;
  const when = p.scheduled_at ? dateTime(p.scheduled_at, p.time_zone) : 'no time';
  return h('li', { dataset: { postId: p.id } },
    h('strong', {}, `"${preview(p)}"`), ` ${accountName(p, accounts)} · ${when}`,
    step.at ? h('span', { class: 'to' }, ` → ${dateTime(step.at, p.time_zone)}`) : null,
    step.refused ? h('span', { class: 'skip' }, ` (not changed: ${step.refused})`) : null);
}

/**
 * Asks to confirm `steps` (see post_bulk_plan.js) of the action `verb` ("Reschedule", ...);
 * resolves to true when confirmed. Nothing applies: it can only be closed.
 */
export function confirmBulk(verb, steps, accounts) {
  const sent = steps.filter((s) => s.request).length;
  const title = uid('bulk-title');
  const posts = (n) => `${n} post${n === 1 ? '' : 's'}`;
  return new Promise((resolve) => {
    const dialog = h('dialog', { class: 'bulk-dialog', 'aria-labelledby': title },
      h('h2', { id: title }, `${verb} ${posts(steps.length)}?`),
      h('p', {}, sent === steps.length ? `These ${posts(sent)} will change:` : `${sent} of these ${posts(steps.length)} will change:`),
      h('ul', { class: 'bulk-posts' }, steps.map((s) => line(s, accounts))),
      h('form', { method: 'dialog', class: 'actions' },
        h('button', { value: 'yes', class: verb === 'Reschedule' ? '' : 'danger', disabled: sent === 0 }, `${verb} ${posts(sent)}`),
        h('button', { value: 'no', class: 'secondary', autofocus: true }, 'Keep them')));
    dialog.addEventListener('close', () => {
      dialog.remove();
      resolve(dialog.returnValue === 'yes');
    });
    document.body.append(dialog);
    dialog.showModal();
  });
}
