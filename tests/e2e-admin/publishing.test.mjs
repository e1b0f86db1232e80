// The end of the operator's story: the retried post publishes. Needs the publishing workflow
// (the worker that consumes PublishPost); run with `tests/e2e-admin/run publishing.test.mjs`.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startStack, launchBrowser, signIn, shot } from "./stack.mjs";

let stack;
let browser;
let page;

before(async () => {
  stack = await startStack();
  browser = await launchBrowser();
  page = browser.pages()[0] ?? (await browser.newPage());
});

after(async () => {
  await browser?.close();
  await stack?.stop();
});

test("a retried post publishes and its timeline shows the new attempt", async () => {
  await signIn(page, stack);
  await page.goto(`${stack.api}/admin/posts?status=failed&email=${encodeURIComponent(stack.customer_email)}`);
  await page.getByRole("link", { name: stack.failed_post }).click();
  await page.getByRole("link", { name: "Retry now…" }).click();
  await page.getByRole("button", { name: "Confirm: retry" }).click();
  assert.match(await page.getByRole("status").textContent(), /^Done:/);

  const deadline = Date.now() + 90_000;
  let heading = "";
  while (Date.now() < deadline) {
    await page.goto(`${stack.api}/admin/posts/${stack.failed_post}`);
    heading = await page.locator("h1").textContent();
    if (/published/.test(heading)) break;
    await page.waitForTimeout(1000);
  }
  assert.match(heading, /published/, "the post did not publish within 90 s");
  const timeline = await page.locator("#timeline").textContent();
  assert.match(timeline, /publish/);
  await shot(page, "admin-post-published");
});
