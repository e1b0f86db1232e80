// Display formats: sizes, durations, dates in the user's zone, post states.

export const userZone = () => Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';

export function bytes(n) {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

export const seconds = (ms) => `${(ms / 1000).toFixed(1)} s`;

/** A date and time in `timeZone` (the browser's when absent), always naming its zone
 * ("Dec 2, 2026, 10:54 PM GMT+1"), so two times on one page never read alike in two zones. */
export function dateTime(iso, timeZone) {
  if (!iso) return '';
  return new Intl.DateTimeFormat(undefined, {
    year: 'numeric', month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit',
    timeZoneName: 'short', timeZone: timeZone || userZone(),
  }).format(new Date(iso));
}

/** What each post state means to the user. */
export const STATES = {
  draft: 'Draft',
  scheduled: 'Scheduled',
  publishing: 'Publishing',
  published: 'Published',
  failed: 'Failed',
  canceled: 'Canceled',
  needs_reconnect: 'Waiting for reconnect',
};

export const KINDS = { image: 'Image', carousel: 'Carousel', reel: 'Reel', story: 'Story' };

/** Offset of `timeZone` from UTC at `utcMillis`, in minutes. */
function offsetMinutes(utcMillis, timeZone) {
  const parts = Object.fromEntries(new Intl.DateTimeFormat('en-US', {
    timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit',
    hour: '2-digit', minute: '2-digit', second: '2-digit',
  }).formatToParts(new Date(utcMillis)).map((p) => [p.type, p.value]));
  const asUtc = Date.UTC(+parts.year, +parts.month - 1, +parts.day, +parts.hour, +parts.minute, +parts.second);
  return Math.round((asUtc - utcMillis) / 60000);
}

/** `YYYY-MM-DDTHH:MM` (a datetime-local value) in `timeZone` as RFC 3339 with that offset. */
export function zonedRfc3339(local, timeZone) {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(local || '');
  if (!m) return null;
  const wall = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5]);
  let offset = offsetMinutes(wall, timeZone);
  offset = offsetMinutes(wall - offset * 60000, timeZone);
  const sign = offset < 0 ? '-' : '+';
  const abs = Math.abs(offset);
  const pad = (n) => String(n).padStart(2, '0');
  return `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:00${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

/** The datetime-local value of `iso` in `timeZone`. */
export function localInput(iso, timeZone) {
  const utc = new Date(iso).getTime();
  const shifted = new Date(utc + offsetMinutes(utc, timeZone) * 60000);
  return shifted.toISOString().slice(0, 16);
}

/** Today's date, `YYYY-MM-DD`, in `timeZone`. */
export function today(timeZone) {
  return localInput(new Date().toISOString(), timeZone).slice(0, 10);
}
