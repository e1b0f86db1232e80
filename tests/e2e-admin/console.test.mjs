// An operator signs in, watches live counts move as jobs run, finds a failed post, reads its
// timeline and retries it: everything up to the publish itself. Then the worker dies: the
// overview flags the queue whose jobs nothing takes, live, until a new worker serves it. Every
// page on the way is checked with axe-core and at a phone's width.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { accessible, startStack, launchBrowser, signIn, shot } from "./stack.mjs";

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

const count = async (key) => Number(await page.locator(`[data-count="${key}"]`).first().textContent());

// Polls a live count from Node (the console's CSP rightly forbids evaluating strings in the page).
async function waitForCount(key, ok, timeout) {
  const deadline = Date.now() + timeout;
  for (;;) {
    const value = await count(key);
    if (ok(value)) return value;
    if (Date.now() > deadline) throw new Error(`${key} stayed at ${value}`);
    await page.waitForTimeout(200);
  }
}

test("sign in from a deep link and land on the overview", async () => {
  await page.goto(`${stack.api}/admin/posts`);
  await page.waitForURL(/\/admin\/login\?next=%2Fadmin%2Fposts/);
  await accessible(page, "admin-login");
  await shot(page, "admin-login");
  // A wrong password first: refused, and written to the audit log (checked below).
  await page.getByLabel("Email").fill(stack.admin_email);
  await page.getByLabel("Password").fill("not the password at all");
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("alert").getByText("Email or password is incorrect.").waitFor();
  await signIn(page, stack);
  await assert.doesNotReject(page.getByRole("heading", { name: "Overview" }).waitFor());
  // Keyboard users get a skip link first.
  await page.keyboard.press("Tab");
  assert.equal(await page.evaluate(() => document.activeElement.textContent), "Skip to content");
  await page.keyboard.press("Enter");
  assert.equal(await page.evaluate(() => document.activeElement.id), "main");
});

test("live counts change as jobs run, without reloading", async () => {
  await page.locator('#live[data-state="on"]').waitFor({ timeout: 15_000 });
  const marker = await page.evaluate(() => (window.__sameDocument = Math.random()));
  const doneBefore = await count("canary:done");
  assert.equal(await stack.command("canaries 6 2500"), "ok");
  await waitForCount("canary:running", (n) => n > 0, 20_000);
  await accessible(page, "admin-overview");
  await shot(page, "admin-overview");
  await waitForCount("canary:done", (n) => n >= doneBefore + 6, 30_000);
  assert.equal(await page.evaluate(() => window.__sameDocument), marker, "the page was not reloaded");
  assert.equal(await count("posts:failed"), 1);
});

test("the worker is listed with its heartbeat", async () => {
  await page.getByRole("link", { name: "Workers" }).click();
  const row = page.locator("#workers tbody tr", { hasText: String(stack.worker_pid) });
  await assert.doesNotReject(row.getByText("alive").waitFor());
  await accessible(page, "admin-workers");
  await shot(page, "admin-workers");
});

test("filter to the failed post, read its timeline, retry it", async () => {
  await page.getByRole("link", { name: "Posts" }).click();
  await page.getByLabel("Status", { exact: true }).selectOption("failed");
  await page.getByLabel("Customer email").fill(stack.customer_email);
  await page.getByRole("button", { name: "Search" }).click();
  await page.locator("#match-count").getByText("1 posts match").waitFor();
  await accessible(page, "admin-search");
  await shot(page, "admin-search");

  await page.getByRole("link", { name: stack.failed_post }).click();
  const timeline = page.locator("#timeline");
  await timeline.waitFor();
  assert.match(await timeline.textContent(), /create_containers/);
  assert.match(await timeline.textContent(), /code -2\/2207003/);
  assert.match(await timeline.textContent(), /It takes too long to download the media\./);
  assert.match(await page.textContent("main"), /@bea_bakery/);
  await accessible(page, "admin-post-timeline");
  await shot(page, "admin-post-timeline");

  await page.getByRole("link", { name: "Retry now…" }).click();
  await page.getByRole("button", { name: "Confirm: retry" }).waitFor();
  await accessible(page, "admin-confirm-retry");
  await shot(page, "admin-confirm-retry");
  await page.getByRole("button", { name: "Confirm: retry" }).click();
  const result = page.getByRole("status");
  assert.match(await result.textContent(), /Done: failed -> scheduled for now; publishing job queued/);
  await page.getByRole("link", { name: "Continue" }).click();
  // Scheduled for now: a worker may already have taken it by the time the page loads.
  assert.match(await page.locator("h1").textContent(), /scheduled|publishing|published/);

  await page.getByRole("link", { name: "Audit log" }).click();
  const audit = page.locator("#audit");
  assert.match(await audit.textContent(), /retry/);
  assert.match(await audit.textContent(), new RegExp(stack.admin_email.replace(".", "\\.")));
  // The refused sign-in is listed: who, from where, why.
  assert.equal(await audit.locator("th").nth(2).textContent(), "From");
  const refused = audit.locator("tbody tr", { hasText: "wrong_password" });
  assert.equal(await refused.count(), 1);
  assert.match(await refused.textContent(), /sign_in/);
  assert.match(await refused.textContent(), /127\.0\.0\.1/);
  assert.match(await refused.textContent(), /refused/);
  assert.doesNotMatch(await audit.textContent(), /not the password at all/);
  await accessible(page, "admin-audit");
  await shot(page, "admin-audit");
});

test("a queue with due jobs and no live consumer is flagged live, and cleared once a worker serves it", async () => {
  await page.getByRole("link", { name: "Overview" }).click();
  await page.locator('#live[data-state="on"]').waitFor({ timeout: 15_000 });
  let marker = await page.evaluate(() => (window.__sameDocument = Math.random()));
  const alerts = page.locator("#queue-alerts");
  assert.equal(await alerts.getAttribute("role"), "alert");
  const canary = alerts.locator('[data-queue="canary"]');
  assert.equal(await canary.count(), 0);

  // The only worker dies; canaries fall due with nothing to take them.
  assert.equal(await stack.command("worker kill"), "ok");
  assert.equal(await stack.command("canaries 2 0"), "ok");
  await canary.waitFor({ timeout: 30_000 });
  assert.equal(
    await canary.textContent(),
    "No live consumer on canary: 2 jobs are due and nothing will take them " +
      "(no consumer heartbeated in the last 10 s). Consumers of canary",
  );
  assert.equal(await count("canary:live"), 0);
  assert.equal(await count("canary:due"), 2);
  assert.equal(await page.evaluate(() => window.__sameDocument), marker, "the page was not reloaded");
  await accessible(page, "admin-overview-unattended");
  await shot(page, "admin-overview-unattended");

  // The alert leads to the queue's consumers: the dead worker's registration, marked in words.
  await canary.getByRole("link", { name: "Consumers of canary" }).click();
  await page.waitForURL(/\/admin\/workers#consumers-canary$/);
  const group = page.locator("#consumers-canary");
  assert.match(await group.locator("th").first().textContent(), /^canary: 0 live of \d+ registered, 2 due no live consumer$/);
  assert.match(await group.locator("tr", { hasText: ":canary" }).first().textContent(), /expired/);
  // Every table header says what it heads.
  assert.equal(await page.locator("main th:not([scope])").count(), 0);
  await accessible(page, "admin-workers-consumers");
  await shot(page, "admin-workers-consumers");

  // A new worker serves the queue: the alert goes away without a reload.
  await page.goto(`${stack.api}/admin`);
  await page.locator('#live[data-state="on"]').waitFor({ timeout: 15_000 });
  marker = await page.evaluate(() => (window.__sameDocument = Math.random()));
  assert.equal(await canary.count(), 1, "still flagged when the page loads");
  assert.match(await stack.command("worker start"), /^ok \d+$/);
  await canary.waitFor({ state: "detached", timeout: 30_000 });
  await waitForCount("canary:live", (n) => n > 0, 10_000);
  assert.equal(await page.evaluate(() => window.__sameDocument), marker, "the page was not reloaded");
});
