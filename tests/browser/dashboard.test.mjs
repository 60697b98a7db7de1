// Drives the dashboard in Debian's Chromium against a fresh `palisade serve` on 127.0.0.1,
// with three known endpoints on shop.test: sign-in, every page, triage forms with CSRF,
// the viewer role refused by the server, and sign-out.
//
// Run: node --test tests/browser/   (needs target/release/palisade, or PALISADE_BIN)
// Screenshots of each page go to test-artifacts/dashboard/.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { chromium } from 'playwright-core';

import { apiRequest, apiSignIn, createIngestKey, repoRoot, sendTraces, startServer, waitFor } from './support/server.mjs';

const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const SCREENSHOTS = path.join(repoRoot, 'test-artifacts', 'dashboard');
const VIEWER = { name: 'vera', password: 'viewer-pass-2026' };
/** Milliseconds a single browser step may take. */
const STEP_TIMEOUT_MS = 15_000;

// Three endpoints on one host: one returns an email address and a Visa test card number to
// a caller with a bearer token, one is called without credentials, and one receives a SQL
// injection in its query string.
const HOST = 'shop.test';
const AGENT = 'Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0';
const TRACES = [
  {
    request: {
      method: 'GET',
      url: `http://${HOST}/api/users/7`,
      headers: [{ name: 'Authorization', value: 'Bearer alice-session-token' }, { name: 'User-Agent', value: AGENT }],
    },
    response: {
      status: 200,
      headers: [{ name: 'Content-Type', value: 'application/json' }],
      body: JSON.stringify({ id: 7, email: 'ada@example.com', card: '4111111111111111' }),
    },
    meta: { client: { address: '198.51.100.7' } },
  },
  {
    request: { method: 'GET', url: `http://${HOST}/api/products?page=1`, headers: [{ name: 'User-Agent', value: AGENT }] },
    response: {
      status: 200,
      headers: [{ name: 'Content-Type', value: 'application/json' }],
      body: JSON.stringify({ items: [{ id: 101, name: 'Desk lamp', price: 25 }] }),
    },
    meta: { client: { address: '198.51.100.8' } },
  },
  {
    request: {
      method: 'GET',
      url: `http://${HOST}/api/search?q=${encodeURIComponent("1' OR '1'='1")}`,
      headers: [{ name: 'Authorization', value: 'Bearer mallory-session-token' }, { name: 'User-Agent', value: AGENT }],
    },
    response: {
      status: 200,
      headers: [{ name: 'Content-Type', value: 'application/json' }],
      body: JSON.stringify({ hits: [] }),
    },
    meta: { client: { address: '203.0.113.9' } },
  },
];

let server;
let browser;
let context;
let page;
/** Content-Security-Policy violations and uncaught script errors seen by any page. */
const pageProblems = [];
/** Ids the tests learn from the API: endpoints by path, and an open alert. */
const known = { endpoints: {} };

before(async () => {
  server = await startServer();
  const admin = await apiSignIn(server.baseUrl, 'admin', server.adminPassword);
  const ingestKey = await createIngestKey(server.baseUrl, admin);
  await sendTraces(server.baseUrl, ingestKey, TRACES);

  // The pipeline applies traces in the background, so wait until the inventory, the
  // finding and an alert are stored.
  const endpoints = await waitFor('three endpoints on shop.test', async () => {
    const result = await apiRequest(server.baseUrl, admin, 'GET', `/api/v1/endpoints?host=${HOST}`);
    return result.status === 200 && result.data.total === 3 ? result.data.items : null;
  });
  for (const endpoint of endpoints) known.endpoints[endpoint.template] = endpoint.id;
  await waitFor('a SQL injection finding', async () => {
    const result = await apiRequest(server.baseUrl, admin, 'GET', '/api/v1/findings?class=sqli');
    return result.status === 200 && result.data.total > 0;
  });
  await waitFor('an open alert', async () => {
    const result = await apiRequest(server.baseUrl, admin, 'GET', '/api/v1/alerts?status=open');
    return result.status === 200 && result.data.total > 0;
  });

  await mkdir(SCREENSHOTS, { recursive: true });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
  context = await newContext();
  page = await context.newPage();
});

after(async () => {
  if (browser) await browser.close();
  if (server) await server.stop();
});

async function newContext() {
  const created = await browser.newContext({ viewport: { width: 1280, height: 860 } });
  created.setDefaultTimeout(STEP_TIMEOUT_MS);
  created.on('page', watchPage);
  return created;
}

function watchPage(watched) {
  watched.on('pageerror', (error) => pageProblems.push(`${watched.url()}: uncaught ${error.message}`));
  watched.on('console', (message) => {
    if (/Content Security Policy|Refused to (apply|execute|load)/i.test(message.text())) {
      pageProblems.push(`${watched.url()}: ${message.text()}`);
    }
  });
}

function url(route) {
  return `${server.baseUrl}${route}`;
}

async function screenshot(name, target = page) {
  await target.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

/** Loads a route, asserts it returned 200 and waits for the dashboard script to start. */
async function open(route) {
  const response = await page.goto(url(route));
  assert.equal(response.status(), 200, `GET ${route}`);
  await page.waitForFunction(() => document.documentElement.dataset.ready === 'true');
  return response;
}

async function signIn(target, name, password) {
  await target.fill('#name', name);
  await target.fill('#password', password);
  await Promise.all([target.waitForNavigation(), target.click('button[type=submit]')]);
}

function endpointId(template) {
  const id = known.endpoints[template];
  assert.ok(id, `no endpoint ${template} in ${JSON.stringify(Object.keys(known.endpoints))}`);
  return id;
}

/** Texts of the endpoint links in the endpoints table, in row order. */
async function endpointRows() {
  return page.locator('#endpoints-table tbody tr td:nth-child(2) a').allTextContents();
}

test('login page rejects a wrong password', async () => {
  const response = await page.goto(url('/login'));
  assert.equal(response.status(), 200);
  await screenshot('01-login');

  await page.fill('#name', 'admin');
  await page.fill('#password', 'not-the-password');
  const [rejection] = await Promise.all([
    page.waitForResponse((r) => r.url().endsWith('/login') && r.request().method() === 'POST'),
    page.click('button[type=submit]'),
  ]);
  assert.equal(rejection.status(), 401);
  await assert.doesNotReject(page.locator('#login-error').waitFor());
  assert.equal((await page.locator('#login-error').textContent()).trim(), 'Invalid user name or password.');
  assert.equal(await page.inputValue('#name'), 'admin', 'the user name stays filled in');
  assert.equal(await page.inputValue('#password'), '', 'the password is not sent back');
  const cookies = await context.cookies();
  assert.equal(cookies.find((c) => c.name === 'palisade_session'), undefined, 'no session after a failed sign-in');
  await screenshot('02-login-rejected');
});

test('admin signs in and returns to the requested page', async () => {
  await page.goto(url('/endpoints?sort=risk'));
  assert.equal(new URL(page.url()).pathname, '/login', 'a page without a session redirects to /login');
  assert.equal(new URL(page.url()).searchParams.get('next'), '/endpoints?sort=risk');

  await signIn(page, 'admin', server.adminPassword);
  const landed = new URL(page.url());
  assert.equal(landed.pathname, '/endpoints');
  assert.equal(landed.searchParams.get('sort'), 'risk');
  assert.match(await page.locator('.account .who').textContent(), /admin\s+\(admin\)/);
});

test('session cookie is HttpOnly and SameSite=Strict', async () => {
  const cookie = (await context.cookies()).find((c) => c.name === 'palisade_session');
  assert.ok(cookie, 'the browser holds a palisade_session cookie');
  assert.equal(cookie.httpOnly, true);
  assert.equal(cookie.sameSite, 'Strict');
  assert.equal(cookie.path, '/');
  assert.equal(await page.evaluate(() => document.cookie.includes('palisade_session')), false,
    'scripts cannot read the session cookie');

  // The JSON sign-in route sets the same attributes.
  const session = await apiSignIn(server.baseUrl, 'admin', server.adminPassword);
  assert.match(session.setCookie, /;\s*HttpOnly/i);
  assert.match(session.setCookie, /;\s*SameSite=Strict/i);
});

test('overview shows one host and three endpoints', async () => {
  await open('/');
  const stat = (label) => page.locator('.stats a', { has: page.locator('.stat-label', { hasText: new RegExp(`^${label}$`) }) })
    .locator('.stat-value').textContent();
  assert.equal((await stat('Hosts')).trim(), '1');
  assert.equal((await stat('Endpoints')).trim(), '3');
  assert.notEqual((await stat('Open alerts')).trim(), '0');
  assert.equal(await page.locator('section.card.empty', { hasText: 'No traffic yet' }).count(), 0);
  assert.ok(await page.locator('#traffic-title + figure svg.plot').isVisible(), 'the traffic chart is drawn');
  await screenshot('03-overview');

  // At phone width the navigation becomes a strip and nothing overflows sideways.
  await page.setViewportSize({ width: 390, height: 844 });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `the overview is ${overflow}px wider than a 390px screen`);
  const scrolledTables = await page.evaluate(() => [...document.querySelectorAll('.table-wrap')]
    .filter((wrap) => wrap.scrollWidth > wrap.clientWidth)
    .map((wrap) => wrap.closest('section')?.querySelector('h2')?.textContent));
  assert.deepEqual(scrolledTables, [], 'every overview table fits a 390px screen without scrolling');
  await screenshot('03-overview-narrow');
  await page.setViewportSize({ width: 1280, height: 860 });
});

test('endpoints page filters by text and sorts', async () => {
  await open('/endpoints');
  assert.deepEqual(await endpointRows(), ['/api/products', '/api/search', '/api/users/{userId}'],
    'sorted by host and path by default');
  await screenshot('04-endpoints');

  await page.fill('#search', 'search');
  await Promise.all([page.waitForNavigation(), page.click('form.filters button[type=submit]')]);
  assert.equal(new URL(page.url()).searchParams.get('search'), 'search');
  assert.deepEqual(await endpointRows(), ['/api/search']);
  assert.equal(await page.inputValue('#search'), 'search', 'the filter keeps its value');

  await page.fill('#search', 'no-such-path');
  await Promise.all([page.waitForNavigation(), page.click('form.filters button[type=submit]')]);
  assert.equal(await page.locator('#endpoints-table').count(), 0);
  assert.match(await page.locator('main .card.empty').textContent(), /No endpoint matches these filters/);

  await page.click('a.button:has-text("Reset")');
  await page.waitForURL(url('/endpoints'));
  await page.selectOption('#sort', 'risk');
  await Promise.all([page.waitForNavigation(), page.click('form.filters button[type=submit]')]);
  const byRisk = await endpointRows();
  assert.equal(byRisk[0], '/api/users/{userId}', `the card number endpoint has the highest risk: ${byRisk}`);
  assert.equal(await page.inputValue('#sort'), 'risk');

  await page.selectOption('#auth', 'none');
  await Promise.all([page.waitForNavigation(), page.click('form.filters button[type=submit]')]);
  assert.deepEqual(await endpointRows(), ['/api/products'], 'only one endpoint was called without credentials');
  await screenshot('05-endpoints-filtered');
});

test('endpoint detail marks a false positive that survives reload', async () => {
  const id = endpointId('/api/users/{userId}');
  await open(`/endpoints/${id}`);
  const classes = await page.locator('#fields .class-mark .badge').allTextContents();
  assert.ok(classes.includes('email'), `data classes: ${classes}`);
  assert.ok(classes.includes('credit_card_visa'), `data classes: ${classes}`);
  const classCount = page.locator('.facts li', { hasText: 'Data classes' }).locator('span').nth(1);
  assert.equal((await classCount.textContent()).trim(), '2');
  await screenshot('06-endpoint-detail');

  const mark = page.getByRole('button', { name: 'Mark false positive: email at email' });
  await Promise.all([page.waitForNavigation(), mark.click()]);
  assert.equal(new URL(page.url()).pathname, `/endpoints/${id}`);
  assert.match(await page.locator('p.notice').textContent(), /Marked as a false positive/);

  for (const round of ['after the redirect', 'after reload']) {
    const email = page.locator('#fields .class-mark', { hasText: 'email' });
    assert.match(await email.getAttribute('class'), /false-positive/, round);
    assert.equal(await email.getByRole('button', { name: /Unmark false positive/ }).count(), 1, round);
    assert.equal((await classCount.textContent()).trim(), '1', round);
    const card = page.locator('#fields .class-mark', { hasText: 'credit_card_visa' });
    assert.doesNotMatch(await card.getAttribute('class'), /false-positive/, round);
    await page.reload();
  }
  await screenshot('07-endpoint-false-positive');
});

test('sensitive data page lists the classes', async () => {
  await open('/data');
  const rows = await page.locator('main table.data tbody th').allTextContents();
  assert.ok(rows.includes('email'), `classes: ${rows}`);
  assert.ok(rows.includes('credit_card_visa'), `classes: ${rows}`);
  await screenshot('08-data');

  await page.click('main table.data a:has-text("credit_card_visa")');
  await page.waitForURL(/\/data\?class=credit_card_visa/);
  assert.match(await page.locator('main table.data').textContent(), /\/api\/users\/\{userId\}/);
});

test('alerts page resolves an alert', async () => {
  await open('/alerts');
  const rows = page.locator('table.alerts tbody tr');
  assert.ok(await rows.count() > 0, 'open alerts are listed');
  await screenshot('09-alerts');

  const rowId = await rows.first().getAttribute('id');
  known.alertId = Number(rowId.replace('alert-', ''));
  await Promise.all([
    page.waitForNavigation(),
    page.getByRole('button', { name: `Resolve alert #${known.alertId}` }).click(),
  ]);
  assert.match(await page.locator('p.notice').textContent(), /Alert resolved/);
  assert.equal(await page.locator(`#alert-${known.alertId}`).count(), 0, 'the resolved alert leaves the open list');

  await open('/alerts?status=resolved');
  const resolved = page.locator(`#alert-${known.alertId}`);
  assert.match(await resolved.textContent(), /resolved/);
  assert.equal(await resolved.getByRole('button', { name: `Reopen alert #${known.alertId}` }).count(), 1);
  await screenshot('10-alerts-resolved');

  await Promise.all([page.waitForNavigation(), resolved.getByRole('button', { name: /Reopen/ }).click()]);
  assert.match(await page.locator('p.notice').textContent(), /Alert reopened/);
  assert.equal(new URL(page.url()).searchParams.get('status'), 'resolved', 'the filter survives the form post');

  // The "Any status" view stays selected after a triage button.
  await page.selectOption('#status', { label: 'Any status' });
  await Promise.all([page.waitForNavigation(), page.click('form.filters button[type=submit]')]);
  const anyStatus = new URL(page.url()).searchParams.get('status');
  await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: `Ignore alert #${known.alertId}` }).click()]);
  assert.match(await page.locator('p.notice').textContent(), /Alert ignored/);
  assert.equal(new URL(page.url()).searchParams.get('status'), anyStatus);
  assert.match(await page.locator(`#alert-${known.alertId}`).textContent(), /ignored/, 'ignored alerts stay listed');

  // Reopen it, so the viewer below has an open alert to try to change.
  await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: `Reopen alert #${known.alertId}` }).click()]);
  assert.match(await page.locator(`#alert-${known.alertId}`).textContent(), /open/);
});

test('attacks page lists the SQL injection', async () => {
  await open('/attacks');
  const table = page.locator('main table.data');
  const text = await table.textContent();
  assert.match(text, /sqli/);
  assert.match(text, /\/api\/search/);
  assert.match(text, /OR/, 'the evidence shows the payload');
  await screenshot('11-attacks');

  await open('/actors');
  assert.ok(await page.locator('main table.data tbody tr').count() > 0, 'the attacker is listed');
  await screenshot('12-actors');
});

test('rules and test runs pages render', async () => {
  await open('/rules');
  assert.equal((await page.locator('h1').textContent()).trim(), 'Block rules');
  await screenshot('13-rules');

  await open('/tests');
  assert.match(await page.locator('main').textContent(), /No test runs yet/);
});

test('settings creates a viewer user', async () => {
  await open('/settings');
  await screenshot('14-settings');
  await page.fill('#user-name', VIEWER.name);
  await page.selectOption('#user-role', 'viewer');
  await page.fill('#user-password', VIEWER.password);
  await Promise.all([page.waitForNavigation(), page.click('form[aria-label="Add a user"] button[type=submit]')]);
  assert.match(await page.locator('p.notice').textContent(), /User added/);
  assert.equal(await page.locator('#secret-title').count(), 0, 'a chosen password is not shown back');
  const row = page.locator('#users tbody tr', { hasText: VIEWER.name });
  assert.equal(await row.locator('select[name=role]').inputValue(), 'viewer');
  await screenshot('15-settings-user-added');

  // A second user of the same name is rejected on the settings page, above its form.
  await page.fill('#user-name', VIEWER.name);
  await page.fill('#user-password', VIEWER.password);
  const [duplicate] = await Promise.all([
    page.waitForResponse((r) => r.url().endsWith('/settings/users') && r.request().method() === 'POST'),
    page.click('form[aria-label="Add a user"] button[type=submit]'),
  ]);
  assert.equal(duplicate.status(), 400);
  await page.locator('#user-error').waitFor();
  assert.match(await page.locator('#user-error').textContent(), /already exists/);
  await screenshot('15-settings-user-rejected');
  assert.equal(await page.locator('#users tbody tr', { hasText: VIEWER.name }).count(), 1);
});

test('sign-out ends the admin session', async () => {
  const before = (await context.cookies()).find((c) => c.name === 'palisade_session');
  await open('/');
  await Promise.all([page.waitForNavigation(), page.click('.account button:has-text("Sign out")')]);
  assert.equal(new URL(page.url()).pathname, '/login');
  const remaining = (await context.cookies()).find((c) => c.name === 'palisade_session');
  assert.equal(remaining, undefined, 'the cookie is cleared');

  // The old token no longer works, even when a client sends it again.
  const replay = await fetch(url('/endpoints'), { headers: { Cookie: `palisade_session=${before.value}` }, redirect: 'manual' });
  assert.equal(replay.status, 303);
  assert.match(replay.headers.get('location'), /^\/login/);
});

test('server rejects viewer state changes', async () => {
  await page.goto(url('/login'));
  await signIn(page, VIEWER.name, VIEWER.password);
  assert.equal(new URL(page.url()).pathname, '/');
  assert.match(await page.locator('.account .who').textContent(), /vera\s+\(viewer\)/);
  assert.equal(await page.locator('.sidenav a:has-text("Settings")').count(), 0, 'settings are not offered');
  await screenshot('16-viewer-overview');

  const settings = await page.goto(url('/settings'));
  assert.equal(settings.status(), 403);

  await open(`/alerts`);
  assert.equal(await page.getByRole('button', { name: /^Resolve alert/ }).count(), 0, 'no triage buttons');
  await open(`/endpoints/${endpointId('/api/users/{userId}')}`);
  assert.equal(await page.getByRole('button', { name: /false positive/ }).count(), 0, 'no false-positive buttons');

  // Post the forms anyway, with the viewer's own valid CSRF token. The server rejects them.
  const statuses = await page.evaluate(async ({ alertId, endpoint }) => {
    const csrf = document.querySelector('meta[name="csrf-token"]').content;
    const post = async (route, fields) => {
      const response = await fetch(route, { method: 'POST', body: new URLSearchParams(fields), redirect: 'manual' });
      return response.status;
    };
    const json = async (method, route, body) => {
      const response = await fetch(route, {
        method,
        headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf },
        body: JSON.stringify(body),
      });
      return response.status;
    };
    return {
      alertForm: await post(`/alerts/${alertId}/status`, { csrf_token: csrf, status: 'resolved', return_to: '/alerts' }),
      markForm: await post(`/endpoints/${endpoint}/false-positives`,
        { csrf_token: csrf, section: 'response.body', path: 'card', class: 'credit_card_visa', false_positive: 'true' }),
      userForm: await post('/settings/users', { csrf_token: csrf, name: 'mallory', role: 'admin', password: 'mallory-pass-2026' }),
      alertApi: await json('PATCH', `/api/v1/alerts/${alertId}`, { status: 'resolved' }),
    };
  }, { alertId: known.alertId, endpoint: endpointId('/api/users/{userId}') });
  assert.deepEqual(statuses, { alertForm: 403, markForm: 403, userForm: 403, alertApi: 403 });

  // Nothing changed.
  const alert = await page.evaluate(async (id) => (await (await fetch(`/api/v1/alerts/${id}`)).json()).status, known.alertId);
  assert.equal(alert, 'open');
  await open(`/endpoints/${endpointId('/api/users/{userId}')}`);
  const card = page.locator('#fields .class-mark', { hasText: 'credit_card_visa' });
  assert.doesNotMatch(await card.getAttribute('class'), /false-positive/);
});

test('form without CSRF token is rejected', async () => {
  // Signed in as the viewer. Even a sign-out needs the token, so another site cannot end
  // the session by posting a form.
  const status = await page.evaluate(async () => {
    const response = await fetch('/logout', { method: 'POST', body: new URLSearchParams({}), redirect: 'manual' });
    return response.status;
  });
  assert.equal(status, 403);
  await open('/');
});

test('viewer sign-out sends every page to the login', async () => {
  await open('/alerts');
  await Promise.all([page.waitForNavigation(), page.click('.account button:has-text("Sign out")')]);
  assert.equal(new URL(page.url()).pathname, '/login');
  await screenshot('17-signed-out');

  // Go back to the page seen before signing out and reload it. The server redirects it to
  // the login, whatever the browser kept.
  await page.goBack();
  await page.reload();
  assert.equal(new URL(page.url()).pathname, '/login', 'reloading an old page goes to /login');

  for (const route of ['/', '/endpoints', '/alerts', '/settings']) {
    await page.goto(url(route));
    assert.equal(new URL(page.url()).pathname, '/login', `${route} after sign-out`);
  }
});

test('pages raised no script or CSP errors', () => {
  assert.deepEqual(pageProblems, []);
});
