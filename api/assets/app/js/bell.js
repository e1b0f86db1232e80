// The unread count in the header, kept live by the server's event stream
// (/api/v1/notifications/stream). The browser reconnects on its own when the stream ends or the
// network drops, and the server sends the current count first, so the badge re-syncs. Pages
// that show notifications listen for `unread-changed` on `document`.

const link = () => document.getElementById('bell');
let source = null;

/** Shows `n` unread notifications in the header. */
export function showUnread(n) {
  const bell = link();
  if (!bell) return;
  const badge = bell.querySelector('.count');
  badge.textContent = String(n);
  badge.hidden = n === 0;
  bell.setAttribute('aria-label', n === 0 ? 'Notifications, none unread' : `Notifications, ${n} unread`);
  document.dispatchEvent(new CustomEvent('unread-changed', { detail: { unread: n } }));
}

/** Starts following the unread count (signed in). */
export function startBell() {
  if (source) return;
  source = new EventSource('/api/v1/notifications/stream');
  source.addEventListener('unread', (event) => {
    try { showUnread(JSON.parse(event.data).unread); } catch { /* a malformed event is skipped */ }
  });
}

/** Stops following it (signed out). */
export function stopBell() {
  if (source) source.close();
  source = null;
  showUnread(0);
}
