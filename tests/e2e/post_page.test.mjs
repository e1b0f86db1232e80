// A post's page and the media library as the customer uses them: the page follows its post's
// state live without losing the keyboard focus and never offers what the new state refuses, a
// refused action shows the post as it is now, Duplicate makes a draft, media a post still uses
// is not deleted and the refusal links to that post, and every file of a multi-file upload
// gets its progress and its own result.

import { after, before, test } from 'node:test';
import { launch, shot } from './lib/browser.mjs';
import { expect } from './lib/expect.mjs';
import { API, IMAGE, apiFromPage, connectInstagram, sendFromPage, signUp, unique } from './lib/flow.mjs';

const id = unique();
let browser;
let page;

before(async () => {
  browser = await launch();
  page = browser.page;
  await signUp(page, { name: 'Mary Jackson', email: `mary-${id}@example.com`, password: 'correct horse battery' });
  await connectInstagram(page, `mary_shop_${id}`);
});
after(async () => {
  await browser?.close();
});

/** Schedules an image post `secs` seconds ahead through the API; returns it. */
async function scheduled(caption, secs) {
  const [connections, media] = await Promise.all([apiFromPage(page, '/instagram/connections'), apiFromPage(page, '/media')]);
  let image = media.body.items.find((m) => m.kind === 'image');
  if (!image) {
    await page.goto(`${API}/app/media`);
    await page.setInputFiles('#media-file', { ...IMAGE, name: 'shop-front.jpg' });
    await page.locator('.media-grid li', { hasText: 'shop-front.jpg' }).waitFor();
    image = (await apiFromPage(page, '/media')).body.items.find((m) => m.kind === 'image');
  }
  const made = await sendFromPage(page, 'POST', '/posts', {
    kind: 'image', connection_id: connections.body[0].id, caption, items: [{ media_id: image.id }],
    scheduled_at: new Date(Date.now() + secs * 1000).toISOString(), time_zone: 'UTC',
  });
  expect.equal(made.status, 201, JSON.stringify(made.body));
  return made.body;
}

const focusedIn = (postId) => page.evaluate((pid) => {
  const e = document.activeElement;
  return e && e.closest(`#post-${pid}`) ? (e.dataset.focus || e.textContent.trim()) : null;
}, postId);

test('the post page follows its post to published, keeping the focus and dropping what no longer applies', async () => {
  const p = await scheduled('Opening hours from Monday', 35);
  await page.goto(`${API}/app/posts/${p.id}`);
  const card = page.locator(`#post-${p.id}`);
  const cancel = card.getByRole('button', { name: 'Cancel post' });
  await cancel.waitFor();
  await cancel.focus();
  await page.locator(`#post-${p.id}[data-status="published"]`).waitFor({ timeout: 120_000 });
  await card.getByRole('link', { name: 'View on Instagram' }).waitFor();
  for (const gone of ['Cancel post', 'Reschedule']) {
    expect.equal(await card.getByRole('button', { name: gone }).count(), 0, `no "${gone}" once published`);
  }
  expect.equal(await card.getByRole('link', { name: 'Edit' }).count(), 0, 'no Edit once published');
  expect.equal(await focusedIn(p.id), 'state', 'the focus moved from the vanished button to the post\'s state, not to the page');
  await shot(page, '31-post-followed-live');
});

test('an action refused because the post changed elsewhere shows the refusal and the post as it is now', async () => {
  const p = await scheduled('Autumn menu', 3 * 86400);
  await page.goto(`${API}/app/posts/${p.id}`);
  const card = page.locator(`#post-${p.id}`);
  await card.getByText('Reschedule').click();
  await card.getByLabel(/New time/).fill(new Date(Date.now() + 10 * 86400 * 1000).toISOString().slice(0, 16));
  // Meanwhile, another tab moves the post to another day.
  const moved = await sendFromPage(page, 'POST', `/posts/${p.id}/reschedule`, {
    version: p.version, scheduled_at: new Date(Date.now() + 5 * 86400 * 1000).toISOString(),
  });
  expect.equal(moved.status, 200, JSON.stringify(moved.body));
  await card.getByRole('button', { name: 'Save new time' }).click();
  const refusal = page.locator(`#post-${p.id} .error[role=alert]`);
  await refusal.filter({ hasText: /changed/i }).waitFor();
  const now = await apiFromPage(page, `/posts/${p.id}`);
  expect.equal(now.body.version, moved.body.version, 'the refused change changed nothing');
  expect.equal(await page.locator(`#post-${p.id}`).getAttribute('data-status'), 'scheduled');
  const [before, after] = await page.evaluate(async (times) => {
    const { dateTime } = await import('/app/assets/js/format.js');
    return times.map((t) => dateTime(t, 'UTC'));
  }, [p.scheduled_at, moved.body.scheduled_at]);
  const shown = await page.locator(`#post-${p.id} header`).innerText();
  expect.ok(shown.includes(after) && !shown.includes(before), `the newer time is shown: ${shown}`);
});

test('Duplicate turns a published post into a new draft to edit, leaving the original as it was', async () => {
  const published = (await apiFromPage(page, '/posts?status=published')).body.items[0];
  expect.ok(published, 'a published post from the first test');
  await page.goto(`${API}/app/posts/${published.id}`);
  await page.locator(`#post-${published.id}`).getByRole('button', { name: 'Duplicate' }).click();
  await page.waitForURL(/\/app\/posts\/[0-9a-f]+\/edit$/);
  const copyId = page.url().split('/').at(-2);
  expect.ok(copyId !== published.id, 'a new post');
  await page.getByRole('heading', { name: 'Edit post' }).waitFor();
  expect.equal(await page.getByLabel('Caption').inputValue(), published.caption);
  expect.ok(await page.getByRole('group', { name: 'When' }).getByLabel('Save as draft').isChecked(), 'the copy is a draft');
  const [copy, original] = await Promise.all([apiFromPage(page, `/posts/${copyId}`), apiFromPage(page, `/posts/${published.id}`)]);
  expect.equal(copy.body.status, 'draft');
  expect.deepEqual(copy.body.items.map((i) => i.media_id), published.items.map((i) => i.media_id));
  expect.equal(original.body.status, 'published');
  expect.equal(original.body.version, published.version);
});

test('media a scheduled post uses is not deleted, and the refusal links to that post', async () => {
  const p = await scheduled('Uses the shop front', 4 * 86400);
  await page.goto(`${API}/app/media`);
  const item = page.locator('.media-grid li', { hasText: 'shop-front.jpg' });
  await item.getByRole('button', { name: 'Delete' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Delete' }).click();
  const refusal = item.getByRole('alert');
  await refusal.filter({ hasText: 'Not deleted' }).waitFor();
  expect.ok(!/[0-9a-f]{24}/.test(await refusal.innerText()), 'the message names no raw id');
  await refusal.getByRole('link', { name: 'Open that post' }).click();
  await page.waitForURL(/\/app\/posts\/[0-9a-f]+$/);
  const linked = page.url().split('/').pop();
  await page.locator(`#post-${linked}`).waitFor();
  const [media, post] = await Promise.all([apiFromPage(page, '/media'), apiFromPage(page, `/posts/${linked}`)]);
  const image = media.body.items.find((m) => m.file_name === 'shop-front.jpg');
  expect.ok(image, 'still in the library');
  expect.equal(post.body.status, 'scheduled', 'the link opens a post that will still publish it');
  expect.ok(post.body.items.some((i) => i.media_id === image.id), 'and that post uses it');
  expect.ok(p.items.some((i) => i.media_id === image.id));
});

test('each file of a multi-file upload shows its progress and its own result', async () => {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Media' }).click();
  await page.getByRole('heading', { name: 'Media library' }).waitFor();
  const files = [
    { ...IMAGE, name: 'first.jpg' },
    { name: 'notes.jpg', mimeType: 'image/jpeg', buffer: Buffer.from('these are notes, not a picture') },
    { ...IMAGE, name: 'third.jpg' },
  ];
  await page.setInputFiles('#media-file', files);
  const summary = page.getByRole('status').filter({ hasText: /of 3 uploaded/ });
  await summary.waitFor();
  expect.equal(await summary.innerText(), '2 of 3 uploaded; 1 not uploaded (see why above).');
  const rows = page.getByRole('list', { name: 'Uploads' }).getByRole('listitem');
  expect.equal(await rows.count(), 3, 'a row for every file');
  expect.equal(await rows.nth(0).innerText(), 'first.jpg: uploaded');
  expect.match(await rows.nth(1).innerText(), /^notes\.jpg: not uploaded\. .+/);
  expect.equal(await rows.nth(2).innerText(), 'third.jpg: uploaded');
  await page.locator('.media-grid li', { hasText: 'third.jpg' }).waitFor();
  expect.equal(await page.locator('.media-grid li', { hasText: 'notes.jpg' }).count(), 0, 'the refused file is not in the library');
  await shot(page, '30-multi-upload');
});

test('no page broke the content security policy or threw', () => {
  expect.deepEqual(browser.problems, []);
});
