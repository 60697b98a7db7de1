// Every dashboard page at a desktop and a phone viewport, against a fresh `palisade serve`
// on 127.0.0.1: requests without a session are refused, each page fits its screen
// without sideways scrolling, and a screenshot of each goes to test-artifacts/dashboard/
// as `page-NAME-WIDTHxHEIGHT.png`.
//
// Run: node --test tests/browser/   (needs target/release/palisade, or PALISADE_BIN)
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { chromium } from 'playwright-core';

import { apiRequest, apiSignIn, createIngestKey, repoRoot, sendTraces, startServer, waitFor } from './support/server.mjs';

const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const SCREENSHOTS = path.join(repoRoot, 'test-artifacts', 'dashboard');
/** Milliseconds a single browser step may take. */
const STEP_TIMEOUT_MS = 15_000;
/** Screen sizes every page is checked at: a laptop and a phone. */
const VIEWPORTS = [{ width: 1280, height: 800 }, { width: 390, height: 844 }];

const HOST = 'store.test';
const AGENT = 'Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0';

function jsonExchange(method, target, body, { token, client = '198.51.100.20', requestBody } = {}) {
  const headers = [{ name: 'User-Agent', value: AGENT }];
  if (token) headers.push({ name: 'Authorization', value: `Bearer ${token}` });
  if (requestBody) headers.push({ name: 'Content-Type', value: 'application/json' });
  return {
    request: { method, url: `http://${HOST}${target}`, headers, body: requestBody ? JSON.stringify(requestBody) : undefined },
    response: { status: 200, headers: [{ name: 'Content-Type', value: 'application/json' }], body: JSON.stringify(body) },
    meta: { client: { address: client } },
  };
}

// A small shop: customers with personal data, an order with nested lines, a search hit by
// a SQL injection and a cross-site scripting payload, and a long path that must wrap.
const TRACES = [
  jsonExchange('GET', '/api/customers/41', {
    id: 41, email: 'grace@example.com', phone: '+1 202 555 0143', card: '4111111111111111',
    address: { street: '1 Main Street', city: 'Springfield', postcode: '12345' },
  }, { token: 'grace-session-token' }),
  jsonExchange('GET', '/api/customers/42', { id: 42, email: 'alan@example.com', phone: '+1 202 555 0187', card: '5555555555554444', address: { street: '2 Side Road', city: 'Shelbyville', postcode: '54321' } }, { token: 'alan-session-token' }),
  jsonExchange('POST', '/api/orders', { id: 9001, status: 'created', lines: [{ sku: 'LAMP-1', quantity: 2, price: 25 }] },
    { token: 'grace-session-token', requestBody: { lines: [{ sku: 'LAMP-1', quantity: 2 }], note: 'leave at the door' } }),
  jsonExchange('GET', '/api/inventory/warehouses/regional-distribution-centre-north-east/shelving-units', { items: [] }),
  jsonExchange('GET', `/api/search?q=${encodeURIComponent("lamp' UNION SELECT password FROM users--")}`, { hits: [] },
    { token: 'mallory-session-token', client: '203.0.113.50' }),
  jsonExchange('GET', `/api/search?q=${encodeURIComponent('<script>alert(document.cookie)</script>')}`, { hits: [] },
    { token: 'mallory-session-token', client: '203.0.113.50' }),
];

let server;
let admin;
let browser;
/** Ids the pages need, learned from the API. */
const known = {};
/** Content-Security-Policy violations and uncaught script errors seen by any page. */
const pageProblems = [];

before(async () => {
  server = await startServer();
  admin = await apiSignIn(server.baseUrl, 'admin', server.adminPassword);
  const ingestKey = await createIngestKey(server.baseUrl, admin);
  await sendTraces(server.baseUrl, ingestKey, TRACES);

  const endpoints = await waitFor('four endpoints on store.test', async () => {
    const result = await apiRequest(server.baseUrl, admin, 'GET', `/api/v1/endpoints?host=${HOST}`);
    return result.status === 200 && result.data.total === 4 ? result.data.items : null;
  });
  known.endpoint = endpoints.find((endpoint) => endpoint.template === '/api/customers/{customerId}')?.id;
  assert.ok(known.endpoint, `endpoints: ${endpoints.map((endpoint) => endpoint.template)}`);
  await waitFor('an open alert', async () => {
    const result = await apiRequest(server.baseUrl, admin, 'GET', '/api/v1/alerts?status=open');
    return result.status === 200 && result.data.total > 0;
  });
  known.actor = await waitFor('an actor', async () => {
    const result = await apiRequest(server.baseUrl, admin, 'GET', '/api/v1/actors');
    return result.status === 200 && result.data.items.length > 0 ? result.data.items[0].id : null;
  });

  const rule = await apiRequest(server.baseUrl, admin, 'POST', '/api/v1/rules', {
    id: 'search-injection-from-one-network',
    mode: 'block',
    reason: 'SQL injection and cross-site scripting probes against /api/search',
    expires_at: new Date(Date.now() + 24 * 3_600_000).toISOString(),
    conditions: [
      { all: [{ field: 'path', op: 'starts_with', value: '/api/search' }] },
      { any: [
        { field: 'ip', op: 'in_cidr', value: '203.0.113.0/24' },
        { field: 'header', name: 'User-Agent', op: 'contains', value: 'sqlmap', ignore_case: true },
      ] },
    ],
    action: { rate_limit: { threshold: 10, window_secs: 60, block_secs: 600, key: 'ip' } },
  });
  assert.equal(rule.status, 201, JSON.stringify(rule.data));
  known.rule = rule.data.id;

  await mkdir(SCREENSHOTS, { recursive: true });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
});

after(async () => {
  if (browser) await browser.close();
  if (server) await server.stop();
});

function url(route) {
  return `${server.baseUrl}${route}`;
}

async function newPage(viewport) {
  const context = await browser.newContext({ viewport });
  context.setDefaultTimeout(STEP_TIMEOUT_MS);
  const created = await context.newPage();
  created.on('pageerror', (error) => pageProblems.push(`${created.url()}: uncaught ${error.message}`));
  created.on('console', (message) => {
    if (/Content Security Policy|Refused to (apply|execute|load)/i.test(message.text())) {
      pageProblems.push(`${created.url()}: ${message.text()}`);
    }
  });
  return created;
}

/** Lists elements that end beyond the screen's right edge outside scrolling containers, as short descriptions. */
async function overflowingElements(page) {
  return page.evaluate(() => {
    const width = document.documentElement.clientWidth;
    const scrolls = (element) => {
      for (let node = element.parentElement; node; node = node.parentElement) {
        const style = getComputedStyle(node);
        if (/(auto|scroll|hidden)/.test(style.overflowX) && node !== document.body && node !== document.documentElement) return true;
      }
      return false;
    };
    const found = [];
    for (const element of document.querySelectorAll('body *')) {
      const box = element.getBoundingClientRect();
      if (box.width === 0 || box.right <= width + 1 || scrolls(element)) continue;
      const name = element.tagName.toLowerCase() + (element.id ? `#${element.id}` : '')
        + (element.className && typeof element.className === 'string' ? `.${element.className.trim().split(/\s+/).join('.')}` : '');
      found.push(`${name} ends at ${Math.round(box.right)}px`);
    }
    return found;
  });
}

/** Lists tables wider than their scrolling wrapper, by id or by the heading of their section. */
async function scrollingTables(page) {
  return page.evaluate(() => [...document.querySelectorAll('.table-wrap')]
    .filter((wrap) => wrap.scrollWidth > wrap.clientWidth + 1)
    .map((wrap) => wrap.querySelector('table')?.id || wrap.closest('section')?.querySelector('h2')?.textContent || 'without a heading'));
}

test('API request without credentials gets 401', async () => {
  for (const route of ['/api/v1/endpoints', '/api/v1/rules', '/api/v1/alerts']) {
    const response = await fetch(url(route), { headers: { Accept: 'application/json' } });
    assert.equal(response.status, 401, `GET ${route}`);
    const body = await response.json();
    assert.equal(typeof body.error?.message, 'string', `GET ${route} returns an error message: ${JSON.stringify(body)}`);
  }

  const wrongKey = await fetch(url('/api/v1/endpoints'), { headers: { Authorization: 'Bearer not-a-key' } });
  assert.equal(wrongKey.status, 401, 'an unknown API key');

  const create = await fetch(url('/api/v1/rules'), {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ conditions: [], action: { block: {} } }),
  });
  assert.equal(create.status, 401, 'POST /api/v1/rules without a session');
  const rules = await apiRequest(server.baseUrl, admin, 'GET', '/api/v1/rules');
  assert.deepEqual(rules.data.items.map((rule) => rule.id), [known.rule], 'nothing was stored');
});

test('page request without session redirects to login', async () => {
  for (const route of ['/', '/endpoints?sort=risk', `/endpoints/${known.endpoint}`, '/rules', '/settings']) {
    const response = await fetch(url(route), { redirect: 'manual' });
    assert.equal(response.status, 303, `GET ${route}`);
    const location = new URL(response.headers.get('location'), server.baseUrl);
    assert.equal(location.pathname, '/login', `GET ${route} redirects to the login`);
    // The overview is where a sign-in lands anyway, so it needs no `next`.
    assert.equal(location.searchParams.get('next'), route === '/' ? null : route, `GET ${route} comes back after sign-in`);
  }

  const page = await newPage(VIEWPORTS[0]);
  await page.goto(url('/rules'));
  assert.equal(new URL(page.url()).pathname, '/login');
  assert.equal(await page.locator('#password').count(), 1, 'the browser shows the sign-in form');
  await page.context().close();
});

test('every page fits both screens', async () => {
  const routes = [
    ['overview', '/'],
    ['endpoints', '/endpoints'],
    ['endpoint-detail', `/endpoints/${known.endpoint}`],
    ['data', '/data'],
    ['alerts', '/alerts'],
    ['attacks', '/attacks'],
    ['actors', '/actors'],
    ['actor-detail', `/actors/${encodeURIComponent(known.actor)}`],
    ['rules', '/rules'],
    ['rule-edit', `/rules/${encodeURIComponent(known.rule)}`],
    ['rule-new', '/rules/new'],
    ['tests', '/tests'],
    ['settings', '/settings'],
  ];
  const problems = [];
  for (const viewport of VIEWPORTS) {
    const size = `${viewport.width}x${viewport.height}`;

    // The login page, before signing in.
    const page = await newPage(viewport);
    assert.equal((await page.goto(url('/login'))).status(), 200);
    for (const overflow of await overflowingElements(page)) problems.push(`login at ${size}: ${overflow}`);
    await page.screenshot({ path: path.join(SCREENSHOTS, `page-login-${size}.png`), fullPage: true });

    await page.fill('#name', 'admin');
    await page.fill('#password', server.adminPassword);
    await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
    for (const [name, route] of routes) {
      const response = await page.goto(url(route));
      assert.equal(response.status(), 200, `GET ${route} at ${size}`);
      await page.waitForFunction(() => document.documentElement.dataset.ready === 'true');
      for (const overflow of await overflowingElements(page)) problems.push(`${name} at ${size}: ${overflow}`);
      for (const table of await scrollingTables(page)) problems.push(`${name} at ${size}: table ${table} scrolls sideways`);
      await page.screenshot({ path: path.join(SCREENSHOTS, `page-${name}-${size}.png`), fullPage: true });
    }
    await page.context().close();
  }
  assert.deepEqual(problems, [], 'no element or table is wider than the screen');
});

test('screen pages raised no script or CSP errors', () => {
  assert.deepEqual(pageProblems, []);
});
