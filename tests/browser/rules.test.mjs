// Block rules in the browser, against a fresh `palisade serve` on 127.0.0.1: an admin
// creates a rule on /rules/new, switches its mode, expires it, edits it and deletes it,
// and every step is checked against GET /api/v1/rules. A viewer sees the rules but the
// API rejects the viewer's changes.
//
// Run: node --test tests/browser/   (needs target/release/palisade, or PALISADE_BIN)
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';

import { apiRequest, apiSignIn, startServer } from './support/server.mjs';

const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const VIEWER = { name: 'rita', password: 'viewer-pass-2026' };
/** Milliseconds a single browser step may take. */
const STEP_TIMEOUT_MS = 15_000;
/** Milliseconds allowed between the browser's clock and the server's in expiry checks. */
const CLOCK_SLACK_MS = 60_000;

const RULE_ID = 'no-admin-paths';
const HOUR_MS = 3_600_000;

let server;
let admin;
let browser;
let page;
/** Content-Security-Policy violations and uncaught script errors seen by any page. */
const pageProblems = [];

before(async () => {
  server = await startServer();
  admin = await apiSignIn(server.baseUrl, 'admin', server.adminPassword);
  const created = await apiRequest(server.baseUrl, admin, 'POST', '/api/v1/users',
    { name: VIEWER.name, role: 'viewer', password: VIEWER.password });
  assert.equal(created.status, 201, `creating the viewer: ${JSON.stringify(created.data)}`);

  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
  page = await signedInPage('admin', server.adminPassword);
});

after(async () => {
  if (browser) await browser.close();
  if (server) await server.stop();
});

/** Opens a page in a new browser context and signs in through the login form. */
async function signedInPage(name, password) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
  context.setDefaultTimeout(STEP_TIMEOUT_MS);
  const created = await context.newPage();
  created.on('pageerror', (error) => pageProblems.push(`${created.url()}: uncaught ${error.message}`));
  created.on('console', (message) => {
    if (/Content Security Policy|Refused to (apply|execute|load)/i.test(message.text())) {
      pageProblems.push(`${created.url()}: ${message.text()}`);
    }
  });
  await created.goto(url('/login'));
  await created.fill('#name', name);
  await created.fill('#password', password);
  await Promise.all([created.waitForNavigation(), created.click('button[type=submit]')]);
  assert.equal(new URL(created.url()).pathname, '/', `${name} signed in`);
  return created;
}

function url(route) {
  return `${server.baseUrl}${route}`;
}

/** Loads a route, asserts it returned 200 and waits for the dashboard script to start. */
async function open(route, target = page) {
  const response = await target.goto(url(route));
  assert.equal(response.status(), 200, `GET ${route}`);
  await target.waitForFunction(() => document.documentElement.dataset.ready === 'true');
}

/** Reads every stored rule through the REST API. */
async function storedRules() {
  const listed = await apiRequest(server.baseUrl, admin, 'GET', '/api/v1/rules');
  assert.equal(listed.status, 200, 'GET /api/v1/rules');
  assert.equal(listed.data.total, listed.data.items.length);
  return listed.data.items;
}

/** Reads the stored rules and asserts that `RULE_ID` is the only one. */
async function storedRule() {
  const rules = await storedRules();
  assert.deepEqual(rules.map((rule) => rule.id), [RULE_ID]);
  return rules[0];
}

/** Clicks something that makes the script send a request and then load `/rules?notice=...`. */
async function clickAndLand(locator, notice) {
  await Promise.all([page.waitForURL((landed) => landed.searchParams.get('notice') === notice), locator.click()]);
  await page.waitForFunction(() => document.documentElement.dataset.ready === 'true');
  assert.equal(new URL(page.url()).pathname, '/rules');
}

function ruleRow() {
  return page.locator(`#rules-table tbody tr[data-rule-id="${RULE_ID}"]`);
}

test('new rule form creates a monitor rule', async () => {
  await open('/rules');
  assert.match(await page.locator('main').textContent(), /No block rules/);
  await Promise.all([page.waitForURL(url('/rules/new')), page.click('a.button:has-text("New rule")')]);

  await page.fill('#rule-id', RULE_ID);
  await page.check('input[name=mode][value=monitor]');
  await page.fill('#rule-reason', 'nobody outside uses /admin');
  await page.selectOption('#rule-field', 'path');
  await page.selectOption('#rule-op', 'starts_with');
  await page.fill('#rule-value', '/admin');
  await page.check('input[name=action][value=block]');
  await clickAndLand(page.locator('#rule-form button[type=submit]'), 'rule-saved');
  assert.equal((await page.locator('p.notice').textContent()).trim(), 'Block rule saved.');

  const rule = await storedRule();
  assert.equal(rule.mode, 'monitor');
  assert.equal(rule.reason, 'nobody outside uses /admin');
  assert.equal(rule.origin, 'user');
  assert.deepEqual(rule.conditions, [{ all: [{ field: 'path', op: 'starts_with', value: '/admin' }] }]);
  assert.deepEqual(rule.action, { block: {} });
  assert.equal(rule.expires_at, undefined, 'an empty expiry means the rule never expires');
  assert.ok(Math.abs(Date.parse(rule.created_at) - Date.now()) < CLOCK_SLACK_MS, `created_at ${rule.created_at}`);

  const row = ruleRow();
  assert.equal(await row.count(), 1, 'the rule is listed');
  assert.equal((await row.locator('.badge.mode-monitor').textContent()).trim(), 'monitor');
  assert.match(await row.textContent(), /path starts_with \/admin/);
  assert.match(await row.textContent(), /never/);
  assert.equal((await row.locator('td:nth-child(6) .badge').textContent()).trim(), 'active');
});

test('rule switches between monitor and block', async () => {
  const createdAt = (await storedRule()).created_at;

  await clickAndLand(page.getByRole('button', { name: `Switch rule ${RULE_ID} to block mode` }), 'rule-saved');
  let rule = await storedRule();
  assert.equal(rule.mode, 'block');
  assert.equal(rule.created_at, createdAt, 'a mode change keeps created_at');
  assert.deepEqual(rule.conditions, [{ all: [{ field: 'path', op: 'starts_with', value: '/admin' }] }]);
  assert.equal((await ruleRow().locator('.badge.mode-block').textContent()).trim(), 'block');

  await clickAndLand(page.getByRole('button', { name: `Switch rule ${RULE_ID} to monitor mode` }), 'rule-saved');
  rule = await storedRule();
  assert.equal(rule.mode, 'monitor');
  assert.equal((await ruleRow().locator('.badge.mode-monitor').textContent()).trim(), 'monitor');

  await clickAndLand(page.getByRole('button', { name: `Switch rule ${RULE_ID} to block mode` }), 'rule-saved');
  assert.equal((await storedRule()).mode, 'block');
});

test('expire now ends the rule', async () => {
  const clicked = Date.now();
  await clickAndLand(page.getByRole('button', { name: `Expire rule ${RULE_ID} now` }), 'rule-expired');
  assert.equal((await page.locator('p.notice').textContent()).trim(), 'Block rule expired.');

  const rule = await storedRule();
  assert.ok(rule.expires_at, 'the rule has an expiry');
  const expires = Date.parse(rule.expires_at);
  assert.ok(Math.abs(expires - clicked) < CLOCK_SLACK_MS, `expires_at ${rule.expires_at} is about now`);
  assert.ok(expires <= Date.now() + CLOCK_SLACK_MS);
  assert.equal(rule.mode, 'block', 'expiring keeps the mode');

  const row = ruleRow();
  assert.equal((await row.locator('td:nth-child(6) .badge').textContent()).trim(), 'expired');
  assert.equal(await row.getByRole('button', { name: /^Expire rule/ }).count(), 0, 'an expired rule offers no expiry');
});

test('edit form rejects invalid rules', async () => {
  await Promise.all([page.waitForURL(url(`/rules/${RULE_ID}`)), ruleRow().getByRole('link', { name: `Edit rule ${RULE_ID}` }).click()]);
  await page.waitForFunction(() => document.documentElement.dataset.ready === 'true');
  assert.equal(await page.inputValue('#rule-id'), RULE_ID);
  assert.equal(await page.inputValue('#rule-reason'), 'nobody outside uses /admin');
  assert.equal(await page.isChecked('input[name=mode][value=block]'), true);
  const before = await storedRule();

  // Text that is not JSON never reaches the server.
  await page.fill('#rule-conditions', '[{"all": [');
  await page.click('#rule-form button[type=submit]');
  const formError = page.locator('#rule-form [data-rule-error]');
  await formError.waitFor();
  assert.match(await formError.textContent(), /not valid JSON/);

  // JSON that is not a valid rule gets the server's message with the JSON path.
  await page.fill('#rule-conditions', '[{"all": [{"field": "path", "op": "like", "value": "/admin"}]}]');
  const [rejected] = await Promise.all([
    page.waitForResponse((r) => r.url().endsWith(`/api/v1/rules/${RULE_ID}`) && r.request().method() === 'PUT'),
    page.click('#rule-form button[type=submit]'),
  ]);
  assert.equal(rejected.status(), 400);
  await page.waitForFunction(() => /like/.test(document.querySelector('#rule-form [data-rule-error]').textContent));
  assert.match(await formError.textContent(), /conditions\[0\]\.all\[0\]\.op/);
  assert.equal(new URL(page.url()).pathname, `/rules/${RULE_ID}`, 'the form stays open');
  assert.deepEqual(await storedRule(), before, 'a rejected edit changes nothing');
});

test('edit form changes action and expiry', async () => {
  await open(`/rules/${RULE_ID}`);
  const before = await storedRule();
  await page.fill('#rule-reason', 'credential stuffing on /admin');
  await page.fill('#rule-conditions',
    '[{"any": [{"field": "path", "op": "starts_with", "value": "/admin"}, {"field": "ip", "op": "in_cidr", "value": "203.0.113.0/24"}]}]');
  await page.check('input[name=action][value=rate_limit]');
  await page.fill('#rule-threshold', '5');
  await page.fill('#rule-window', '30');
  await page.fill('#rule-block-secs', '900');
  await page.selectOption('#rule-key', 'actor');
  await page.fill('#rule-expires', '2');
  const saved = Date.now();
  await clickAndLand(page.locator('#rule-form button[type=submit]'), 'rule-saved');

  const rule = await storedRule();
  assert.equal(rule.reason, 'credential stuffing on /admin');
  assert.equal(rule.mode, 'block');
  assert.equal(rule.created_at, before.created_at, 'an edit keeps created_at');
  assert.equal(rule.origin, 'user');
  assert.deepEqual(rule.conditions, [{ any: [
    { field: 'path', op: 'starts_with', value: '/admin' },
    { field: 'ip', op: 'in_cidr', value: '203.0.113.0/24' },
  ] }]);
  assert.deepEqual(rule.action, { rate_limit: { threshold: 5, window_secs: 30, block_secs: 900, key: 'actor' } });
  const expires = Date.parse(rule.expires_at);
  assert.ok(Math.abs(expires - (saved + 2 * HOUR_MS)) < CLOCK_SLACK_MS, `expires_at ${rule.expires_at} is two hours on`);

  const row = ruleRow();
  assert.equal((await row.locator('td:nth-child(6) .badge').textContent()).trim(), 'active', 'the new expiry revives the rule');
  assert.match(await row.textContent(), /rate limit: 5 per 30 s by actor, then 900 s blocked/);
  assert.match(await row.textContent(), /credential stuffing on \/admin/);

  // Saving again with an empty expiry keeps the stored one.
  await open(`/rules/${RULE_ID}`);
  assert.equal(await page.inputValue('#rule-threshold'), '5');
  assert.equal(await page.inputValue('#rule-key'), 'actor');
  await page.check('input[name=mode][value=monitor]');
  await clickAndLand(page.locator('#rule-form button[type=submit]'), 'rule-saved');
  const resaved = await storedRule();
  assert.equal(resaved.mode, 'monitor');
  assert.equal(resaved.expires_at, rule.expires_at, 'an empty expiry field keeps the expiry');
  assert.deepEqual(resaved.action, rule.action);
});

test('rule without conditions needs confirmation', async () => {
  // A rule with no condition matches every request, so the form asks first.
  await open('/rules/new');
  await page.fill('#rule-id', 'every-request');
  await page.check('input[name=mode][value=block]');
  const questions = [];
  page.once('dialog', (dialog) => {
    questions.push(dialog.message());
    dialog.dismiss();
  });
  await page.click('#rule-form button[type=submit]');
  await page.waitForFunction(() => !document.querySelector('#rule-form [data-rule-error]').hidden);
  assert.equal(questions.length, 1);
  assert.match(questions[0], /every request/);
  assert.match(await page.locator('#rule-form [data-rule-error]').textContent(), /no condition/i);
  assert.equal(new URL(page.url()).pathname, '/rules/new');
  assert.deepEqual((await storedRules()).map((rule) => rule.id), [RULE_ID], 'nothing was stored');
});

test('delete removes the rule', async () => {
  await open(`/rules/${RULE_ID}`);

  // Dismissing the confirmation keeps the rule.
  page.once('dialog', (dialog) => dialog.dismiss());
  await page.click('#rule-form [data-rule-delete]');
  assert.equal(new URL(page.url()).pathname, `/rules/${RULE_ID}`);
  assert.equal((await storedRules()).length, 1, 'a dismissed confirmation deletes nothing');

  page.once('dialog', (dialog) => dialog.accept());
  await clickAndLand(page.locator('#rule-form [data-rule-delete]'), 'rule-deleted');
  assert.equal((await page.locator('p.notice').textContent()).trim(), 'Block rule deleted.');
  assert.deepEqual(await storedRules(), []);
  assert.equal(await page.locator('#rules-table').count(), 0);
  assert.match(await page.locator('main').textContent(), /No block rules/);

  const gone = await page.goto(url(`/rules/${RULE_ID}`));
  assert.equal(gone.status(), 404);
});

test('viewer sees rules but cannot change them', async () => {
  const stored = await apiRequest(server.baseUrl, admin, 'POST', '/api/v1/rules', {
    id: 'viewer-visible',
    mode: 'block',
    conditions: [{ all: [{ field: 'ip', op: 'in_cidr', value: '198.51.100.0/24' }] }],
    action: { block: {} },
  });
  assert.equal(stored.status, 201, JSON.stringify(stored.data));

  const viewer = await signedInPage(VIEWER.name, VIEWER.password);
  await open('/rules', viewer);
  assert.equal((await viewer.locator('h1').textContent()).trim(), 'Block rules');
  assert.equal(await viewer.locator('#rules-table tbody tr[data-rule-id="viewer-visible"]').count(), 1);
  assert.equal(await viewer.locator('a:has-text("New rule")').count(), 0, 'no new rule link');
  assert.equal(await viewer.locator('#rules-table button').count(), 0, 'no mode or expiry buttons');
  assert.equal(await viewer.locator('#rules-table th:has-text("Actions")').count(), 0);

  await open('/rules/viewer-visible', viewer);
  assert.equal(await viewer.locator('#rule-form').count(), 0, 'the viewer gets the document, not the form');
  assert.match(await viewer.locator('main pre').textContent(), /198\.51\.100\.0\/24/);
  assert.equal((await viewer.goto(url('/rules/new'))).status(), 403);
  await open('/rules', viewer);

  // Send the changes anyway, with the viewer's own valid CSRF token.
  const statuses = await viewer.evaluate(async () => {
    const csrf = document.querySelector('meta[name="csrf-token"]').content;
    const send = async (method, route, body) => {
      const response = await fetch(route, {
        method,
        headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return response.status;
    };
    const rule = {
      id: 'viewer-made',
      conditions: [{ all: [{ field: 'path', op: 'starts_with', value: '/' }] }],
      action: { block: {} },
    };
    return {
      list: (await fetch('/api/v1/rules')).status,
      create: await send('POST', '/api/v1/rules', rule),
      replace: await send('PUT', '/api/v1/rules/viewer-visible', { mode: 'monitor', action: { block: {} } }),
      remove: await send('DELETE', '/api/v1/rules/viewer-visible'),
    };
  });
  assert.deepEqual(statuses, { list: 200, create: 403, replace: 403, remove: 403 });

  const rules = await storedRules();
  assert.deepEqual(rules.map((rule) => rule.id), ['viewer-visible'], 'the viewer created and deleted nothing');
  assert.equal(rules[0].mode, 'block', 'the viewer changed nothing');
  await viewer.context().close();
});

test('rule pages raised no script or CSP errors', () => {
  assert.deepEqual(pageProblems, []);
});
