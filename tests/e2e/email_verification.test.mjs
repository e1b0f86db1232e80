// A new customer confirms the email address: after sign-up every signed-in page reminds them,
// the reminder's button (used with the keyboard) sends a new link, the link from the email
// (read from the simulator's SMTP sink) confirms the address, and the reminder is gone.

import { after, before, test } from 'node:test';
import { launch, shot } from './lib/browser.mjs';
import { expect } from './lib/expect.mjs';
import { API, signUp, unique } from './lib/flow.mjs';
import { newestMail } from './lib/mail.mjs';

const SUBJECT = 'Confirm your AIStudio email address';
const user = { name: 'Ada Lovelace', email: `ada-${unique()}@example.com`, password: 'a long enough password' };
let browser;
let page;

before(async () => {
  browser = await launch();
  page = browser.page;
});
after(async () => {
  await browser?.close();
});

test('sign up, reminded on every page, the emailed link confirms the address', async () => {
  await signUp(page, user);
  const reminder = page.getByRole('region', { name: 'Reminder: confirm your address' });
  await reminder.getByText(user.email).waitFor();
  await newestMail(user.email, SUBJECT);

  // Another signed-in page: still reminded. The button works from the keyboard.
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Media' }).click();
  await page.getByRole('heading', { name: 'Media library' }).waitFor();
  await reminder.waitFor();
  // Focus moves to the page after navigating; the reminder's button is one Shift+Tab before it.
  await page.waitForFunction(() => document.activeElement?.id === 'main');
  await page.keyboard.press('Shift+Tab');
  expect.equal(await page.evaluate(() => document.activeElement.textContent), 'Resend the link');
  await page.keyboard.press('Enter');
  await reminder.getByRole('status').getByText(`We sent a new link to ${user.email}`).waitFor();
  await shot(page, 'verify-1-reminder');

  const mail = await newestMail(user.email, SUBJECT);
  const link = mail.text.match(/https?:\/\/\S+\/app\/verify-email#token=[\w-]+/)[0];
  expect.ok(link.startsWith(`${API}/app/verify-email#token=`), `the link points at the dashboard: ${link}`);
  await page.goto(link);
  await page.getByRole('heading', { name: 'Confirm your email address' }).waitFor();
  await page.getByText('Your email address is confirmed.').waitFor();
  expect.equal(new URL(page.url()).hash, '', 'the token is taken out of the address bar');
  await reminder.waitFor({ state: 'hidden' });
  await shot(page, 'verify-2-confirmed');

  await page.getByRole('link', { name: 'Go to the overview' }).click();
  await page.getByRole('heading', { name: `Hello, ${user.name}` }).waitFor();
  expect.equal(await reminder.count(), 0, 'no reminder once confirmed');

  // The link worked once.
  await page.goto(link);
  await page.getByText('was already used').waitFor();
  expect.deepEqual(browser.problems, [], 'no script error or content security policy violation');
});
