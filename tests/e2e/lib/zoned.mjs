// Days and times in the browser's time zone (the one `launch` gives it), computed apart from the
// dashboard's own code so the specs check it.

/** The browser's time zone. */
export const ZONE = process.env.E2E_TIME_ZONE || 'Europe/Paris';

/** `YYYY-MM-DD` of the instant `ms` in `ZONE`. */
export const dayOf = (ms) => new Intl.DateTimeFormat('en-CA', { timeZone: ZONE }).format(ms);

/** `date` (`YYYY-MM-DD`) moved by `n` days. */
export const addDays = (date, n) => new Date(Date.parse(`${date}T00:00:00Z`) + n * 86400000).toISOString().slice(0, 10);

/** RFC 3339 of `date` at the wall-clock time `hm` (`HH:MM`, outside a daylight-saving change) in `ZONE`. */
export function zonedAt(date, hm) {
  const noon = Date.parse(`${date}T12:00:00Z`);
  const name = new Intl.DateTimeFormat('en', { timeZone: ZONE, timeZoneName: 'longOffset' })
    .formatToParts(noon).find((p) => p.type === 'timeZoneName').value;
  return `${date}T${hm}:00${name === 'GMT' ? '+00:00' : name.slice(3)}`;
}

/** Whether two RFC 3339 times are the same instant. */
export const sameInstant = (a, b) => Date.parse(a) === Date.parse(b);
