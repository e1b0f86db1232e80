// A customer who forgot the password: asks for a link on the log-in page, opens it from the
// email (read from the simulator's SMTP sink), chooses a new password, and signs in with it.

import { after, before, test } from 'node:test';
import { launch, shot } from './lib/browser.mjs';
import { expect } from './lib/expect.mjs';
import { API, signUp, unique } from './lib/flow.mjs';
import { newestMail } from './lib/mail.mjs';

const user = { name: 'Grace Hopper', email: `grace-${unique()}@example.com`, password: 'the forgotten password' };
const fresh = 'a remembered new password';
let browser;
let page;

before(async () => {
  browser = await launch();
  page = browser.page;
});
after(async () => {
  await browser?.close();
});

test('forgot password: the emailed link sets a new password, and it signs in', async () => {
  await signUp(page, user);
  await page.getByRole('button', { name: 'Log out' }).click();
  await page.getByText('You are logged out.').waitFor();

  await page.getByRole('link', { name: 'Forgot your password?' }).click();
  await page.getByRole('heading', { name: 'Forgot your password?' }).waitFor();
  await page.getByLabel('Email').fill(user.email);
  await page.getByRole('button', { name: 'Email me a link' }).click();
  await page.getByRole('status').getByText('we sent it a link').waitFor();
  await shot(page, 'recovery-1-forgot-password');

  const mail = await newestMail(user.email, 'Reset your AIStudio password');
  const link = mail.text.match(/https?:\/\/\S+\/app\/reset-password#token=[\w-]+/)[0];
  expect.ok(link.startsWith(`${API}/app/reset-password#token=`), `the link points at the dashboard: ${link}`);
  await page.goto(link);
  await page.getByRole('heading', { name: 'Choose a new password' }).waitFor();
  expect.equal(new URL(page.url()).hash, '', 'the token is taken out of the address bar');
  await page.getByLabel('New password', { exact: true }).fill(fresh);
  await page.getByLabel('New password, again').fill('not the same password');
  await page.getByRole('button', { name: 'Set the new password' }).click();
  await page.getByText('The two passwords are not the same.').waitFor();
  await page.getByLabel('New password, again').fill(fresh);
  await shot(page, 'recovery-2-reset-password');
  await page.getByRole('button', { name: 'Set the new password' }).click();
  await page.getByText('Your password is changed').waitFor();
  await page.waitForURL(`${API}/app/signin`);

  await page.getByLabel('Email').fill(user.email);
  await page.getByLabel('Password').fill(fresh);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('heading', { name: `Hello, ${user.name}` }).waitFor();
  await newestMail(user.email, 'Your AIStudio password was changed');

  // The link worked once.
  await page.getByRole('button', { name: 'Log out' }).click();
  await page.goto(link);
  await page.getByLabel('New password', { exact: true }).fill('one more new password');
  await page.getByLabel('New password, again').fill('one more new password');
  await page.getByRole('button', { name: 'Set the new password' }).click();
  await page.getByText('was already used').waitFor();
  await page.getByRole('link', { name: 'Ask for a new link' }).waitFor();
});
