// The posting queue as the customer uses it: the schedule editor (time zone, adding and removing
// weekly slots by keyboard, errors announced at their field, a change made elsewhere), "Add to
// queue" in the composer taking the next free slot, the calendar's empty slots, reordering
// the queue, and pausing and resuming it. Checked at 390 px wide too.

import { after, before, test } from 'node:test';
import { launch, shot } from './lib/browser.mjs';
import { expect } from './lib/expect.mjs';
import { API, IMAGE, apiFromPage, connectInstagram, signUp, unique } from './lib/flow.mjs';

const id = unique();
const igUser = `queue_shop_${id}`;
let browser;
let page;
let connectionId;
const posts = [];

before(async () => {
  browser = await launch();
  page = browser.page;
  await signUp(page, { name: 'Katherine Johnson', email: `katherine-${id}@example.com`, password: 'correct horse battery' });
  await connectInstagram(page, igUser);
  connectionId = (await apiFromPage(page, '/instagram/connections')).body[0].id;
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Media' }).click();
  await page.setInputFiles('#media-file', IMAGE);
  await page.locator('.media-grid li', { hasText: IMAGE.name }).waitFor();
});
after(async () => {
  await browser?.close();
});

/** Sends `body` with `method` to the API from the page, with its session. */
function send(method, path, body) {
  return page.evaluate(async ([m, p, b]) => {
    const r = await fetch(`/api/v1${p}`, { method: m, credentials: 'same-origin', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(b) });
    return { status: r.status, body: await r.json().catch(() => null) };
  }, [method, path, body]);
}

const schedulePath = () => `/instagram/connections/${connectionId}/posting-schedule`;
const editorOf = () => page.locator(`#schedule-${connectionId}`);

/** Adds a weekly slot with the keyboard only. */
async function addSlot(day, time) {
  const editor = editorOf();
  await editor.getByLabel('Day', { exact: true }).focus();
  await editor.getByLabel('Day', { exact: true }).selectOption(day);
  await editor.getByLabel('Time', { exact: true }).fill(time);
  await editor.getByRole('button', { name: 'Add slot' }).focus();
  await page.keyboard.press('Enter');
}

test('the schedule editor announces a bad time zone at its field and saves nothing', async () => {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Schedule' }).click();
  await page.getByRole('heading', { name: 'Posting schedule' }).waitFor();
  const editor = editorOf();
  await editor.getByRole('heading', { name: `@${igUser}` }).waitFor();
  await editor.getByText('No time slots yet').waitFor();
  expect.equal(await editor.getByLabel('Time zone').inputValue(), 'UTC', 'a schedule never saved is in UTC');
  await editor.getByLabel('Time zone').fill('Mars/Olympus');
  await editor.getByRole('button', { name: 'Save schedule' }).click();
  const zoneError = editor.locator('[data-error-for="time_zone"]');
  await zoneError.filter({ hasText: /time zone/i }).waitFor();
  const zoneInput = editor.getByLabel('Time zone');
  expect.equal(await zoneInput.getAttribute('aria-invalid'), 'true');
  expect.ok((await zoneInput.getAttribute('aria-describedby')).split(' ').includes(await zoneError.getAttribute('id')), 'the message describes the field');
  expect.equal(await page.evaluate(() => document.activeElement.getAttribute('name')), 'time_zone', 'focus moves to the field at fault');
  await editor.getByText('The schedule was not saved').waitFor();
  expect.equal((await apiFromPage(page, schedulePath())).body.version, 0, 'nothing saved');
  await shot(page, '30-schedule-error');
});

test('weekly slots are added and removed by keyboard and saved in the time zone', async () => {
  const editor = editorOf();
  await editor.getByLabel('Time zone').fill('Europe/Paris');
  await addSlot('wed', '18:00');
  await addSlot('mon', '09:30');
  await addSlot('fri', '12:15');
  await editor.getByText('Added Friday 12:15; save to keep the change.').waitFor();
  // Already there: refused at the time field, nothing added.
  await addSlot('mon', '09:30');
  await editor.locator('[data-error-for="time"]').getByText('Monday 09:30 is already a slot.').waitFor();
  expect.deepEqual(await editor.locator('.slots li').evaluateAll((els) => els.map((e) => e.firstChild.textContent)),
    ['Monday 09:30', 'Wednesday 18:00', 'Friday 12:15'], 'sorted by day then time');
  await editor.getByRole('button', { name: 'Remove Friday 12:15' }).focus();
  await page.keyboard.press('Enter');
  await editor.getByText('Removed Friday 12:15; save to keep the change.').waitFor();
  await editor.getByRole('button', { name: 'Save schedule' }).focus();
  await page.keyboard.press('Enter');
  await editor.getByText('Schedule saved: 2 weekly slots in Europe/Paris.').waitFor();
  const saved = (await apiFromPage(page, schedulePath())).body;
  expect.equal(saved.version, 1);
  expect.equal(saved.time_zone, 'Europe/Paris');
  expect.deepEqual(saved.slots, [{ day: 'mon', time: '09:30' }, { day: 'wed', time: '18:00' }]);
  await shot(page, '31-schedule-saved');
});

test('a change made elsewhere is announced and the newer schedule shown', async () => {
  const elsewhere = await send('PUT', schedulePath(), {
    version: 1, time_zone: 'Europe/Paris',
    slots: [{ day: 'mon', time: '09:30' }, { day: 'wed', time: '18:00' }, { day: 'sun', time: '10:00' }],
  });
  expect.equal(elsewhere.status, 200);
  const editor = editorOf();
  await addSlot('tue', '08:00');
  await editor.getByRole('button', { name: 'Save schedule' }).click();
  await editor.locator('[data-error-for="form"]').getByText(/changed elsewhere/).waitFor();
  await editor.getByRole('button', { name: 'Remove Sunday 10:00' }).waitFor();
  expect.equal(await editor.getByRole('button', { name: 'Remove Tuesday 08:00' }).count(), 0, 'the unsaved change is gone');
  expect.equal((await apiFromPage(page, schedulePath())).body.version, 2, 'the other change stands');
  // Saved again from the newer version, it lands.
  await addSlot('tue', '08:00');
  await editor.getByRole('button', { name: 'Save schedule' }).click();
  await editor.getByText('Schedule saved: 4 weekly slots in Europe/Paris.').waitFor();
  expect.equal((await apiFromPage(page, schedulePath())).body.version, 3);
});

/** Composes an image post added to the queue; its id. */
async function addToQueue(caption) {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Compose' }).click();
  await page.getByRole('heading', { name: 'Compose a post' }).waitFor();
  await page.locator('.picker label', { hasText: IMAGE.name }).locator('input').check();
  await page.getByLabel('Caption').fill(caption);
  await page.getByRole('group', { name: 'When' }).getByLabel('Add to queue').check();
  await page.getByRole('button', { name: 'Add to queue' }).click();
  await page.waitForURL(/\/app\/posts\/[0-9a-f]+$/);
  return page.url().split('/').pop();
}

test('"Add to queue" takes the next free slot and says which', async () => {
  const before = (await apiFromPage(page, `${schedulePath()}/slots`)).body;
  const free = before.items.filter((s) => s.post_id === null && Date.parse(s.at) > Date.now() + 60000);
  const postId = await addToQueue('First in the queue #spring');
  posts.push(postId);
  const post = (await apiFromPage(page, `/posts/${postId}`)).body;
  expect.equal(post.status, 'scheduled');
  expect.equal(Date.parse(post.scheduled_at), Date.parse(free[0].at), 'the first free slot');
  expect.equal(post.time_zone, 'Europe/Paris', 'shown in the schedule\'s time zone');
  const flash = await page.locator('#flash').innerText();
  expect.match(flash, /^Added to the queue: it publishes .+ \(Europe\/Paris\)\.$/);
  await page.locator(`#post-${postId}`).getByText(/Publishes /).waitFor();
  await shot(page, '32-added-to-queue');
  posts.push(await addToQueue('Second in the queue'));
  const second = (await apiFromPage(page, `/posts/${posts[1]}`)).body;
  expect.equal(Date.parse(second.scheduled_at), Date.parse(free[1].at), 'the next one');
});

test('the calendar shows the free slots of the visible week apart from the posts', async () => {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Calendar' }).click();
  await page.getByRole('heading', { name: 'Calendar' }).waitFor();
  await page.getByRole('button', { name: 'Week' }).click();
  await page.locator('#cal-title').filter({ hasText: /^Week of / }).waitFor();
  const thisWeek = await page.locator('#cal-title').innerText();
  await page.getByRole('button', { name: 'Next →' }).click();
  await page.waitForFunction((t) => document.getElementById('cal-title').textContent !== t, thisWeek);
  // The next week is wholly ahead: all four weekly slots fall in it, free or holding a post.
  const dates = await page.locator('.calendar td[data-date]').evaluateAll((tds) => tds.map((td) => td.dataset.date));
  const first = dates[0];
  await page.locator(`.calendar td[data-date="${first}"]`).waitFor();
  const all = (await apiFromPage(page, `${schedulePath()}/slots?to=${encodeURIComponent(new Date(Date.now() + 20 * 86400000).toISOString())}`)).body.items;
  const inWeek = all.filter((s) => dates.includes(s.at_local.slice(0, 10)));
  expect.equal(inWeek.length, 4, 'mon, tue, wed and sun');
  const free = inWeek.filter((s) => s.post_id === null).map((s) => s.at);
  expect.ok(free.length > 0, 'some slot of the week is free');
  await page.locator('.calendar li.slot').first().waitFor();
  const shown = await page.locator('.calendar li.slot').evaluateAll((els) => els.map((e) => e.dataset.at));
  expect.deepEqual(shown.map((a) => Date.parse(a)).sort(), free.map((a) => Date.parse(a)).sort(), 'exactly the free slots');
  for (const taken of inWeek.filter((s) => s.post_id !== null)) {
    await page.locator(`.calendar a[href="/app/posts/${taken.post_id}"]`).waitFor();
  }
  const marker = page.locator('.calendar li.slot').first();
  expect.match(await marker.innerText(), /^\d\d:\d\d free/);
  expect.equal(await marker.locator('[aria-hidden="true"]').innerText(), 'free', 'seen as free');
  expect.match(await marker.textContent(), new RegExp(`empty queue slot of @${igUser}$`), 'named for screen readers');
  expect.equal(await marker.locator('a, button').count(), 0, 'a slot is not a post');
  await shot(page, '34-calendar-free-slots');
});

test('the queue reorders by keyboard, and a move made elsewhere is announced', async () => {
  const [first, second] = posts;
  const timeOf = async (postId) => (await apiFromPage(page, `/posts/${postId}`)).body.scheduled_at;
  const [t1, t2] = [await timeOf(first), await timeOf(second)];
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Schedule' }).click();
  const queue = page.getByRole('list', { name: `Queue of @${igUser}` });
  const order = () => queue.locator('li').evaluateAll((els) => els.map((e) => e.dataset.postId));
  await queue.locator(`li[data-post-id="${second}"]`).waitFor();
  expect.deepEqual(await order(), [first, second]);
  expect.ok(await queue.getByRole('button', { name: 'Move "First in the queue #spring" earlier' }).isDisabled(), 'the first cannot go earlier');
  await queue.getByRole('button', { name: 'Move "Second in the queue" earlier' }).focus();
  await page.keyboard.press('Enter');
  await editorOf().getByText(/^Moved earlier: "Second in the queue" now publishes /).waitFor();
  await page.waitForFunction(([q, id]) => document.querySelector(`[aria-label="${q}"] li`)?.dataset.postId === id, [`Queue of @${igUser}`, second]);
  expect.deepEqual(await order(), [second, first]);
  expect.equal(await page.evaluate(() => document.activeElement.getAttribute('aria-label')), 'Move "Second in the queue" later', 'focus stays on the moved post');
  expect.equal(Date.parse(await timeOf(second)), Date.parse(t1), 'the second took the first slot');
  expect.equal(Date.parse(await timeOf(first)), Date.parse(t2), 'and the first the second');
  await shot(page, '35-queue-reordered');

  // Moved back elsewhere (another tab): this page's versions are stale, so its move is refused
  // with the reason and the queue shows the newer order.
  const current = (await apiFromPage(page, `/posts/${second}`)).body;
  const elsewhere = await send('POST', `/posts/${second}/queue-move`, { direction: 'later', version: current.version });
  expect.equal(elsewhere.status, 200);
  await queue.getByRole('button', { name: 'Move "First in the queue #spring" earlier' }).click();
  await editorOf().locator('.queue-list .error').getByText(/^Not moved: .*changed by another request/).waitFor();
  await page.waitForFunction(([q, id]) => document.querySelector(`[aria-label="${q}"] li`)?.dataset.postId === id, [`Queue of @${igUser}`, first]);
  expect.deepEqual(await order(), [first, second]);
  expect.equal(Date.parse(await timeOf(first)), Date.parse(t1), 'each back in its own slot');
});

test('the queue pauses and resumes on the schedule page, which says what that means', async () => {
  const [first, second] = posts;
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Schedule' }).click();
  const editor = editorOf();
  const queue = page.getByRole('list', { name: `Queue of @${igUser}` });
  await queue.locator(`li[data-post-id="${second}"]`).waitFor();
  await editor.getByText('The queue is running: queued posts publish at their slots.').waitFor();
  await editor.getByText('Posts scheduled at a time of their own are not in the queue and still publish.', { exact: false }).waitFor();
  const pause = editor.getByRole('button', { name: 'Pause queue' });
  expect.match(await page.locator(`#pause-hint-${connectionId}`).innerText(), /being prepared for publishing .* cannot be stopped/);

  // Changed elsewhere first: this page's version is stale, the pause is refused with the reason.
  const current = (await apiFromPage(page, schedulePath())).body;
  const elsewhere = await send('PUT', schedulePath(), { version: current.version, time_zone: current.time_zone, slots: current.slots });
  expect.equal(elsewhere.status, 200);
  await pause.click();
  await editor.locator('.queue-pause .error').getByText(/^Not paused: .*changed by another request/).waitFor();
  expect.equal((await apiFromPage(page, schedulePath())).body.paused, false, 'nothing paused');

  await editor.getByRole('button', { name: 'Pause queue' }).click();
  await editor.locator('.pause-outcome').getByText('Queue paused: 2 queued posts will wait.').waitFor();
  await editor.getByText(/^Queue paused since .+: no queued post publishes until you resume it\.$/).waitFor();
  await page.waitForFunction(() => document.activeElement?.textContent === 'Resume queue'); // focus stays on the toggle
  await editor.getByText('Queue paused: these posts wait until you resume it.').waitFor();
  await queue.locator(`li[data-post-id="${first}"] .held`).waitFor();
  expect.equal(await queue.locator('.held').count(), 2, 'each queued post is marked');
  const schedule = (await apiFromPage(page, schedulePath())).body;
  expect.equal(schedule.paused, true);
  for (const postId of posts) expect.equal((await apiFromPage(page, `/posts/${postId}`)).body.held, true);
  await shot(page, '36-queue-paused');

  // The calendar and the post page say why the post waits.
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Calendar' }).click();
  await page.getByRole('button', { name: 'Week' }).click();
  await page.locator('#cal-title').filter({ hasText: /^Week of / }).waitFor();
  const onCalendar = page.locator(`.calendar a[href="/app/posts/${first}"]`);
  if (!(await onCalendar.count())) {
    const shown = await page.locator('#cal-title').innerText();
    await page.getByRole('button', { name: 'Next →' }).click();
    await page.waitForFunction((t) => document.getElementById('cal-title').textContent !== t, shown);
  }
  expect.match(await onCalendar.innerText(), / · queue paused$/);
  await shot(page, '37-calendar-queue-paused');
  await onCalendar.click();
  await page.locator(`#post-${first}`).getByText(/^Waiting in a paused queue: its slot is /).waitFor();

  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Schedule' }).click();
  await editorOf().getByRole('button', { name: 'Resume queue' }).click();
  await editorOf().locator('.pause-outcome').getByText('Queue resumed: 2 posts will publish again.').waitFor();
  await editorOf().getByText('The queue is running: queued posts publish at their slots.').waitFor();
  await queue.locator(`li[data-post-id="${first}"]`).waitFor();
  expect.equal(await queue.locator('.held').count(), 0, 'no post waits for a resume');
  expect.ok(await editorOf().locator('.paused-banner').isHidden(), 'the banner is gone');
  expect.equal((await apiFromPage(page, schedulePath())).body.paused, false);
  for (const postId of posts) expect.equal((await apiFromPage(page, `/posts/${postId}`)).body.held, false);
});

test('the schedule page is usable at 390 px wide', async () => {
  await page.setViewportSize({ width: 390, height: 844 });
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Schedule' }).click();
  await editorOf().getByRole('button', { name: 'Remove Monday 09:30' }).waitFor();
  expect.ok(await page.evaluate(() => document.documentElement.scrollWidth <= 390), 'nothing wider than the screen');
  await shot(page, '33-phone-schedule');
  await page.setViewportSize({ width: 1280, height: 860 });
});

test('no page broke the content security policy or threw', () => {
  expect.deepEqual(browser.problems, []);
});
