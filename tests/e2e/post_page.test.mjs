// The media library as the customer uses it: every file of a multi-file upload gets its
// progress and its own result.

import { after, before, test } from 'node:test';
import { launch, shot } from './lib/browser.mjs';
import { expect } from './lib/expect.mjs';
import { IMAGE, connectInstagram, signUp, unique } from './lib/flow.mjs';

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
