// The calendar's empty slots: the free time slots of each account's posting schedule in a
// period, grouped by day in the user's time zone.

import { get, query } from './api.js';
import { localInput } from './format.js';

const DAY = 86400000;
/** The longest period the slots endpoint lists, in days. */
const MAX_DAYS = 62;

/**
 * The free slots from `fromMs` to `toMs` (UTC instants; only those still ahead) of each
 * account in `accounts`, as a map from `YYYY-MM-DD` in `zone` to `[{time, username, at}]`.
 */
export async function freeSlotsByDay(accounts, fromMs, toMs, zone) {
  const from = Math.max(fromMs, Date.now());
  const to = Math.min(toMs, from + MAX_DAYS * DAY);
  const days = new Map();
  if (to <= from) return days;
  const lists = await Promise.all(accounts.map((c) => get(`/instagram/connections/${c.id}/posting-schedule/slots${query({
    from: new Date(from).toISOString(), to: new Date(to).toISOString(),
  })}`).then((slots) => [c, slots.items]).catch(() => [c, []])));
  for (const [account, items] of lists) {
    for (const slot of items) {
      if (slot.post_id !== null) continue;
      const local = localInput(slot.at, zone);
      const date = local.slice(0, 10);
      if (!days.has(date)) days.set(date, []);
      days.get(date).push({ time: local.slice(11, 16), username: account.username, at: slot.at });
    }
  }
  for (const list of days.values()) list.sort((a, b) => a.time.localeCompare(b.time));
  return days;
}
