// Rescheduling from the calendar as the customer does it: dragging a post to another day (month
// view) or onto a free queue slot (week view), "Undo", a post changed elsewhere meanwhile, posts
// that can no longer move, the keyboard's "Move" choices, and each post's picture.

import { after, before, test } from 'node:test';
import { launch, shot } from './lib/browser.mjs';
import { expect } from './lib/expect.mjs';
import {
  IMAGE, VIDEO, apiFromPage, connectInstagram, sendFromPage, signUp, unique, uploadMedia,
} from './lib/flow.mjs';
import { ZONE, addDays, dayOf, sameInstant, zonedAt } from './lib/zoned.mjs';

const id = unique();
const igUser = `cal_shop_${id}`;
let browser;
let page;
let connectionId;
let media;
/** The day most posts are on (three days ahead), and the neighbouring day they are moved to. */
const day = dayOf(Date.now() + 3 * 86400000);
let target;
const posts = {};

/** Creates a post through the API; its id. */
async function create(name, { kind = 'image', items, caption, at, publishNow = false }) {
  const reply = await sendFromPage(page, 'POST', '/posts', {
    kind, connection_id: connectionId, caption, items: items || [{ media_id: media.image }],
    time_zone: ZONE, ...(publishNow ? { publish_now: true } : { scheduled_at: at }),
  });
  expect.equal(reply.status, 201, JSON.stringify(reply.body));
  posts[name] = reply.body.id;
  return reply.body.id;
}

const read = async (postId) => (await apiFromPage(page, `/posts/${postId}`)).body;
const entry = (postId) => page.locator(`.calendar li[data-post-id="${postId}"]`);
const cell = (date) => page.locator(`.calendar td[data-date="${date}"]`);
const notice = () => page.locator('.cal-notice [role="status"]');
const alert = () => page.locator('.cal-notice [role="alert"]');

/** Waits until the calendar has drawn what was last asked for. */
const drawn = async () => {
  await page.locator('.calendar td[data-date]').first().waitFor();
  await page.waitForFunction(() => !document.querySelector('[aria-busy="true"]'));
};

/** Opens the calendar in `mode` and pages forward until `date` is shown. */
async function showDay(mode, date) {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Calendar' }).click();
  await page.getByRole('heading', { name: 'Calendar' }).waitFor();
  await page.getByRole('button', { name: mode === 'week' ? 'Week' : 'Month' }).click();
  await drawn();
  for (let i = 0; i < 3 && await cell(date).count() === 0; i += 1) {
    await page.getByRole('button', { name: 'Next →' }).click();
    await drawn();
  }
  await cell(date).waitFor();
}

/** Drags the post's entry onto the day's cell (its top left corner, clear of the entries). */
async function dragToDay(postId, date) {
  await entry(postId).dragTo(cell(date), { targetPosition: { x: 8, y: 8 } });
}

before(async () => {
  browser = await launch();
  page = browser.page;
  await signUp(page, { name: 'Mary Somerville', email: `mary-${id}@example.com`, password: 'correct horse battery' });
  await connectInstagram(page, igUser);
  connectionId = (await apiFromPage(page, '/instagram/connections')).body[0].id;
  await uploadMedia(page);
  const library = (await apiFromPage(page, '/media')).body.items;
  media = {
    image: library.find((m) => m.kind === 'image').id,
    video: library.find((m) => m.kind === 'video').id,
  };
  // Published while the other tests run.
  await create('published', { caption: 'Already out', publishNow: true });
  await create('dragged', { caption: 'Spring sale', items: [{ media_id: media.image, alt_text: 'A red square on white' }], at: zonedAt(day, '10:00') });
  await create('stale', { caption: 'Changed in another tab', at: zonedAt(day, '12:00') });
  await create('canceled', { caption: 'Called off', at: zonedAt(day, '14:00') });
  expect.equal((await sendFromPage(page, 'POST', `/posts/${posts.canceled}/cancel`, { version: 1 })).status, 200);
  await create('keyboard', { caption: 'Moved by keyboard', at: zonedAt(day, '09:00') });
  await create('reel', { kind: 'reel', items: [{ media_id: media.video }], caption: 'Behind the scenes', at: zonedAt(day, '16:00') });
  await showDay('month', day);
  // The neighbouring day shown in the same grid: the next one, or the one before at the grid's end.
  target = await cell(addDays(day, 1)).count() ? addDays(day, 1) : addDays(day, -1);
});
after(async () => {
  await browser?.close();
});

test('a post dragged to another day in the month view keeps its time, and "Undo" puts it back', async () => {
  await showDay('month', day);
  expect.equal(await entry(posts.dragged).getAttribute('draggable'), 'true');
  await dragToDay(posts.dragged, target);
  await notice().getByText(/^Moved "Spring sale" to /).waitFor();
  await cell(target).locator(`li[data-post-id="${posts.dragged}"]`).waitFor();
  let post = await read(posts.dragged);
  expect.ok(sameInstant(post.scheduled_at, zonedAt(target, '10:00')), `the same time on the other day: ${post.scheduled_at}`);
  expect.equal(post.version, 2, 'one compare-and-set');
  await shot(page, '40-calendar-dragged');

  await notice().getByRole('button', { name: 'Undo' }).click();
  await notice().getByText(/^Moved back: "Spring sale" publishes .+ again\.$/).waitFor();
  await cell(day).locator(`li[data-post-id="${posts.dragged}"]`).waitFor();
  post = await read(posts.dragged);
  expect.ok(sameInstant(post.scheduled_at, zonedAt(day, '10:00')), 'back at its time');
  expect.equal(post.version, 3);
  expect.equal(await notice().getByRole('button', { name: 'Undo' }).count(), 0, 'undone once');
});

test('"Undo" goes away after a few seconds and the move stands', async () => {
  await dragToDay(posts.dragged, target);
  const undo = notice().getByRole('button', { name: 'Undo' });
  await undo.waitFor();
  const shown = Date.now();
  await undo.waitFor({ state: 'detached', timeout: 15000 });
  const lasted = Date.now() - shown;
  expect.ok(lasted > 6000 && lasted < 12000, `about 8 s: ${lasted} ms`);
  await notice().getByText(/^Moved "Spring sale" to /).waitFor();
  const post = await read(posts.dragged);
  expect.ok(sameInstant(post.scheduled_at, zonedAt(target, '10:00')));
  expect.equal(post.version, 4);
});

test('a post changed elsewhere is not moved: the refusal is announced and the newer state shown', async () => {
  await showDay('month', day);
  await entry(posts.stale).waitFor();
  // Another tab moves it to 15:00: the calendar's version is now stale.
  const elsewhere = await sendFromPage(page, 'POST', `/posts/${posts.stale}/reschedule`, { version: 1, scheduled_at: zonedAt(day, '15:00') });
  expect.equal(elsewhere.status, 200);
  expect.match(await entry(posts.stale).locator('.what').innerText(), /^12:00 /, 'still shown as loaded');
  await dragToDay(posts.stale, target);
  await alert().getByText(/^Not moved: the post was changed by another request.*The calendar now shows the post as it is\.$/).waitFor();
  await page.waitForFunction((pid) => /^15:00 /.test(document.querySelector(`.calendar li[data-post-id="${pid}"] .what`)?.textContent || ''), posts.stale);
  expect.equal(await cell(day).locator(`li[data-post-id="${posts.stale}"]`).count(), 1, 'still on its day');
  const post = await read(posts.stale);
  expect.ok(sameInstant(post.scheduled_at, zonedAt(day, '15:00')), 'the other change stands');
  expect.equal(post.version, 2);
  await shot(page, '41-calendar-refused');
});

test('canceled and published posts cannot be dragged or moved', async () => {
  await showDay('month', day);
  const canceled = entry(posts.canceled);
  expect.equal(await canceled.getAttribute('draggable'), null, 'not draggable');
  expect.equal(await canceled.getByRole('button', { name: /^Move / }).count(), 0, 'no Move button');
  await dragToDay(posts.canceled, target);
  await page.waitForTimeout(1000);
  expect.equal(await cell(day).locator(`li[data-post-id="${posts.canceled}"]`).count(), 1, 'still on its day');
  const after = await read(posts.canceled);
  expect.equal(after.version, 2, 'unchanged since it was canceled');
  expect.ok(sameInstant(after.scheduled_at, zonedAt(day, '14:00')));

  for (let i = 0; i < 120 && (await read(posts.published)).status !== 'published'; i += 1) await page.waitForTimeout(1000);
  const published = await read(posts.published);
  expect.equal(published.status, 'published');
  await showDay('month', dayOf(Date.parse(published.scheduled_at)));
  const out = entry(posts.published);
  await out.waitFor();
  expect.equal(await out.getAttribute('draggable'), null);
  expect.equal(await out.getByRole('button', { name: /^Move / }).count(), 0);
  const date = await out.evaluate((li) => li.closest('td').dataset.date);
  const other = await cell(addDays(date, 1)).count() ? addDays(date, 1) : addDays(date, -1);
  await dragToDay(posts.published, other);
  await page.waitForTimeout(1000);
  expect.equal((await read(posts.published)).version, published.version, 'nothing changed');
  expect.equal((await notice().innerText()).trim(), '', 'nothing announced');
});

test('the keyboard moves a post with its "Move" choices, and focus follows it', async () => {
  await showDay('month', day);
  const toggle = page.getByRole('button', { name: 'Move 09:00 "Moved by keyboard"' });
  await toggle.focus();
  await page.keyboard.press('Enter');
  expect.equal(await toggle.getAttribute('aria-expanded'), 'true');
  const choices = page.getByRole('group', { name: 'Move 09:00 "Moved by keyboard"' });
  expect.equal(await page.evaluate(() => document.activeElement.textContent), '← Day earlier', 'focus on the first choice');
  await page.keyboard.press('Escape');
  await choices.waitFor({ state: 'hidden' });
  expect.equal(await page.evaluate(() => document.activeElement.getAttribute('aria-label')), 'Move 09:00 "Moved by keyboard"', 'Escape returns to Move');

  await page.keyboard.press('Enter');
  if (target > day) await page.keyboard.press('Tab');
  expect.equal(await page.evaluate(() => document.activeElement.textContent), target > day ? 'Day later →' : '← Day earlier');
  await page.keyboard.press('Enter');
  await notice().getByText(/^Moved "Moved by keyboard" to /).waitFor();
  await cell(target).locator(`li[data-post-id="${posts.keyboard}"]`).waitFor();
  await page.waitForFunction((pid) => document.activeElement?.closest('li')?.dataset.postId === pid, posts.keyboard);
  expect.equal(await page.evaluate(() => document.activeElement.getAttribute('aria-label')), 'Move 09:00 "Moved by keyboard"', 'focus on the moved post');
  let post = await read(posts.keyboard);
  expect.ok(sameInstant(post.scheduled_at, zonedAt(target, '09:00')), post.scheduled_at);

  await notice().getByRole('button', { name: 'Undo' }).focus();
  await page.keyboard.press('Enter');
  await notice().getByText(/^Moved back: "Moved by keyboard"/).waitFor();
  post = await read(posts.keyboard);
  expect.ok(sameInstant(post.scheduled_at, zonedAt(day, '09:00')), 'undone from the keyboard');
  await shot(page, '42-calendar-keyboard');
});

test('each post shows its picture with alt text in the month and the week view', async () => {
  for (const mode of ['month', 'week']) {
    // The dragged post stayed on the other day; the others are on theirs.
    await showDay(mode, target);
    const image = entry(posts.dragged).locator('img.cal-thumb');
    await image.waitFor();
    await image.scrollIntoViewIfNeeded();
    expect.equal(await image.getAttribute('alt'), 'A red square on white', 'the item\'s alternative text');
    expect.equal(await image.getAttribute('src'), `/api/v1/media/${media.image}/content`);
    await page.waitForFunction((pid) => {
      const img = document.querySelector(`.calendar li[data-post-id="${pid}"] img.cal-thumb`);
      return img.complete && img.naturalWidth > 0;
    }, posts.dragged);
    await showDay(mode, day);
    const fallback = entry(posts.keyboard).locator('img.cal-thumb');
    await fallback.scrollIntoViewIfNeeded();
    expect.equal(await fallback.getAttribute('alt'), 'Media of "Moved by keyboard"', 'else the caption');
    await page.waitForFunction(() => [...document.querySelectorAll('.calendar img.cal-thumb')].every((i) => i.complete && i.naturalWidth > 0));
    const video = entry(posts.reel).getByRole('img', { name: 'Video: Media of "Behind the scenes"' });
    await video.waitFor();
    await shot(page, `43-calendar-pictures-${mode}`);
  }
});

test('in the week view a post dropped on a free queue slot takes its time', async () => {
  const schedule = await sendFromPage(page, 'PUT', `/instagram/connections/${connectionId}/posting-schedule`, {
    version: 0, time_zone: ZONE,
    slots: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'].map((d) => ({ day: d, time: '18:30' })),
  });
  expect.equal(schedule.status, 200, JSON.stringify(schedule.body));
  await showDay('week', day);
  const slot = cell(day).locator('li.slot');
  await slot.waitFor();
  const at = await slot.getAttribute('data-at');
  expect.ok(sameInstant(at, zonedAt(day, '18:30')));
  await entry(posts.reel).dragTo(slot);
  await notice().getByText(/^Moved "Behind the scenes" to /).waitFor();
  await page.waitForFunction((pid) => /^18:30 /.test(document.querySelector(`.calendar li[data-post-id="${pid}"] .what`)?.textContent || ''), posts.reel);
  const post = await read(posts.reel);
  expect.ok(sameInstant(post.scheduled_at, at), `the slot's time: ${post.scheduled_at}`);
  expect.equal(await cell(day).locator('li.slot').count(), 0, 'the slot is taken now');
  await shot(page, '44-calendar-week-slot');
});

test('no page broke the content security policy or threw', () => {
  expect.deepEqual(browser.problems, []);
});
