// Bulk actions in the list of posts as the customer uses them: selecting posts (one by one and
// all on the page), a dialog listing exactly the selected posts before anything changes,
// rescheduling by a shift or to a date, canceling and deleting, each post with its own version:
// the outcome names the posts changed and those refused with the reason (a post changed
// elsewhere meanwhile, a state the action does not apply to), and nothing else changes.

import { after, before, test } from 'node:test';
import { launch, shot } from './lib/browser.mjs';
import { expect } from './lib/expect.mjs';
import { IMAGE, apiFromPage, connectInstagram, sendFromPage, signUp, unique } from './lib/flow.mjs';
import { ZONE, addDays, dayOf, sameInstant, zonedAt } from './lib/zoned.mjs';

const id = unique();
const igUser = `bulk_shop_${id}`;
let browser;
let page;
let connectionId;
let imageId;
const day = dayOf(Date.now() + 2 * 86400000);
const posts = {};
const captions = {
  first: 'First of the week', second: 'Second of the week', third: 'Third of the week',
  draft: 'An idea for later', out: 'Out already',
};

async function create(name, when) {
  const reply = await sendFromPage(page, 'POST', '/posts', {
    kind: 'image', connection_id: connectionId, caption: captions[name], items: [{ media_id: imageId }],
    time_zone: ZONE, ...when,
  });
  expect.equal(reply.status, 201, JSON.stringify(reply.body));
  posts[name] = reply.body.id;
}

const read = async (name) => (await apiFromPage(page, `/posts/${posts[name]}`)).body;
const checkbox = (name) => page.getByRole('checkbox', { name: `Select Image post "${captions[name]}"` });
const bulk = () => page.getByRole('region', { name: 'Bulk actions' });
const dialog = () => page.getByRole('dialog');
const dialogIds = () => dialog().locator('.bulk-posts li').evaluateAll((els) => els.map((e) => e.dataset.postId));

async function openPosts() {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Posts' }).click();
  await page.getByRole('heading', { name: 'Posts' }).waitFor();
  await page.locator(`#post-${posts.first}`).waitFor();
}

before(async () => {
  browser = await launch();
  page = browser.page;
  await signUp(page, { name: 'Emmy Noether', email: `emmy-${id}@example.com`, password: 'correct horse battery' });
  await connectInstagram(page, igUser);
  connectionId = (await apiFromPage(page, '/instagram/connections')).body[0].id;
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Media' }).click();
  await page.setInputFiles('#media-file', IMAGE);
  await page.locator('.media-grid li', { hasText: IMAGE.name }).waitFor();
  imageId = (await apiFromPage(page, '/media')).body.items[0].id;
  await create('out', { publish_now: true });
  await create('first', { scheduled_at: zonedAt(day, '10:00') });
  await create('second', { scheduled_at: zonedAt(day, '11:00') });
  await create('third', { scheduled_at: zonedAt(addDays(day, 1), '12:00') });
  await create('draft', {});
});
after(async () => {
  await browser?.close();
});

test('"Select all on this page" selects every post shown, and the count follows', async () => {
  await openPosts();
  const all = bulk().getByLabel('Select all on this page');
  await all.check();
  const boxes = page.locator('input.select-post');
  expect.equal(await boxes.count(), 5);
  expect.deepEqual(await boxes.evaluateAll((els) => els.map((e) => e.checked)), [true, true, true, true, true]);
  await bulk().getByText('5 selected').waitFor();
  await checkbox('third').uncheck();
  await bulk().getByText('4 selected').waitFor();
  expect.equal(await all.evaluate((el) => el.indeterminate), true, 'partly selected');
  await all.check();
  await all.uncheck();
  await bulk().getByText('0 selected').waitFor();
  for (const action of ['Reschedule…', 'Cancel…', 'Delete…']) {
    expect.ok(await bulk().getByRole('button', { name: action }).isDisabled(), `${action} needs a selection`);
  }
});

test('an incomplete new time is announced at its field and opens nothing', async () => {
  await checkbox('first').check();
  await bulk().getByLabel('Amount').fill('0');
  await bulk().getByRole('button', { name: 'Reschedule…' }).click();
  await bulk().getByText('Enter a whole number of hours or days other than 0.').waitFor();
  expect.equal(await bulk().getByLabel('Amount').getAttribute('aria-invalid'), 'true');
  await bulk().getByLabel('Move to date').check();
  await bulk().getByRole('button', { name: 'Reschedule…' }).click();
  await bulk().getByText('Choose the date to move the posts to.').waitFor();
  expect.equal(await page.evaluate(() => document.activeElement.type), 'date', 'focus on the date');
  expect.equal(await dialog().count(), 0, 'no dialog');
  expect.equal((await read('first')).version, 1, 'nothing changed');
  await checkbox('first').uncheck();
  await bulk().getByLabel('Shift by').check();
  await bulk().getByLabel('Amount').fill('1');
});

test('a bulk reschedule lists the selected posts, then says which moved and which were refused and why', async () => {
  for (let i = 0; i < 120 && (await read('out')).status !== 'published'; i += 1) await page.waitForTimeout(1000);
  expect.equal((await read('out')).status, 'published');
  await openPosts();
  await page.locator(`#post-${posts.out}[data-status="published"]`).waitFor();
  for (const name of ['first', 'second', 'draft', 'out']) await checkbox(name).check();
  await bulk().getByRole('button', { name: 'Reschedule…' }).click();
  await dialog().getByRole('heading', { name: 'Reschedule 4 posts?' }).waitFor();
  expect.deepEqual((await dialogIds()).sort(), [posts.first, posts.second, posts.draft, posts.out].sort(), 'exactly the selected posts');
  const line = (name) => dialog().locator(`.bulk-posts li[data-post-id="${posts[name]}"]`);
  const first = await line('first').innerText();
  expect.ok(first.includes(`"${captions.first}" @${igUser}`), first);
  expect.match(first, /→/, 'with its new time');
  expect.match(await line('draft').innerText(), /not changed: a draft post cannot be rescheduled/);
  expect.match(await line('out').innerText(), /not changed: a published post cannot be rescheduled/);
  const confirm = dialog().getByRole('button', { name: 'Reschedule 2 posts' });
  await shot(page, '45-bulk-dialog');

  // Meanwhile another tab moves the second post: its version here is stale.
  const elsewhere = await sendFromPage(page, 'POST', `/posts/${posts.second}/reschedule`, { version: 1, scheduled_at: zonedAt(day, '13:00') });
  expect.equal(elsewhere.status, 200);
  await confirm.click();
  await bulk().getByRole('status').getByText(`1 post rescheduled: "${captions.first}" (@${igUser}).`).waitFor();
  const refusals = bulk().locator('.bulk-refusals[role="alert"]');
  await refusals.getByText('3 posts not rescheduled:').waitFor();
  const reason = async (name) => refusals.locator(`li[data-post-id="${posts[name]}"]`).innerText();
  expect.match(await reason('second'), /^"Second of the week" \(@.+\): the post was changed by another request/);
  expect.match(await reason('draft'), /a draft post cannot be rescheduled$/);
  expect.match(await reason('out'), /a published post cannot be rescheduled$/);
  await shot(page, '46-bulk-outcome');

  const firstNow = await read('first');
  expect.ok(sameInstant(firstNow.scheduled_at, zonedAt(addDays(day, 1), '10:00')), 'a day later at the same time');
  expect.equal(firstNow.version, 2);
  const secondNow = await read('second');
  expect.ok(sameInstant(secondNow.scheduled_at, zonedAt(day, '13:00')), 'the other change stands');
  expect.equal(secondNow.version, 2);
  expect.equal((await read('draft')).version, 1);
  expect.equal((await read('third')).version, 1, 'not selected: untouched');
  await bulk().getByText('0 selected').waitFor();
});

test('"Keep them" changes nothing', async () => {
  await checkbox('third').check();
  await bulk().getByRole('button', { name: 'Delete…' }).click();
  await dialog().getByRole('heading', { name: 'Delete 1 post?' }).waitFor();
  await page.keyboard.press('Enter'); // "Keep them" has the focus
  await dialog().waitFor({ state: 'detached' });
  expect.equal((await read('third')).version, 1, 'still there, unchanged');
  await checkbox('third').uncheck();
});

test('moving to a date keeps each post\'s time of day', async () => {
  const date = addDays(day, 5);
  await checkbox('first').check();
  await checkbox('third').check();
  await bulk().getByLabel('Date', { exact: true }).fill(date);
  expect.ok(await bulk().getByLabel('Move to date').isChecked(), 'choosing a date chooses "Move to date"');
  await bulk().getByRole('button', { name: 'Reschedule…' }).click();
  await dialog().getByRole('button', { name: 'Reschedule 2 posts' }).click();
  await bulk().getByRole('status').getByText(/^2 posts rescheduled: /).waitFor();
  expect.ok(sameInstant((await read('first')).scheduled_at, zonedAt(date, '10:00')));
  expect.ok(sameInstant((await read('third')).scheduled_at, zonedAt(date, '12:00')));
});

test('canceling and deleting work from the keyboard alone', async () => {
  await openPosts();
  for (const name of ['first', 'third']) {
    await checkbox(name).focus();
    await page.keyboard.press('Space');
  }
  await bulk().getByRole('button', { name: 'Cancel…' }).focus();
  await page.keyboard.press('Enter');
  await dialog().getByRole('heading', { name: 'Cancel 2 posts?' }).waitFor();
  await page.keyboard.press('Shift+Tab');
  expect.equal(await page.evaluate(() => document.activeElement.textContent), 'Cancel 2 posts');
  await page.keyboard.press('Enter');
  await bulk().getByRole('status').getByText(/^2 posts canceled: /).waitFor();
  expect.equal((await read('first')).status, 'canceled');
  expect.equal((await read('third')).status, 'canceled');
  expect.equal((await read('second')).status, 'scheduled', 'not selected');

  await page.locator(`#post-${posts.first}[data-status="canceled"]`).waitFor();
  for (const name of ['first', 'draft']) {
    await checkbox(name).focus();
    await page.keyboard.press('Space');
  }
  await bulk().getByRole('button', { name: 'Delete…' }).focus();
  await page.keyboard.press('Enter');
  await dialog().getByRole('heading', { name: 'Delete 2 posts?' }).waitFor();
  await page.keyboard.press('Shift+Tab');
  await page.keyboard.press('Enter');
  await bulk().getByRole('status').getByText(/^2 posts deleted: /).waitFor();
  await page.locator(`#post-${posts.draft}`).waitFor({ state: 'detached' });
  expect.equal((await apiFromPage(page, `/posts/${posts.first}`)).status, 404);
  expect.equal((await apiFromPage(page, `/posts/${posts.draft}`)).status, 404);
  expect.equal((await read('third')).status, 'canceled', 'not selected: kept');
  await page.locator(`#post-${posts.third}`).waitFor();
});

test('no page broke the content security policy or threw', () => {
  expect.deepEqual(browser.problems, []);
});
