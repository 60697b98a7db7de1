// Measures how long dashboard pages take to become usable in headless Chromium, against a
// fresh `palisade serve` on 127.0.0.1 holding 10,000 endpoints, one of which has 500
// response fields. For each page it reports the median time from navigation start to
// DOMContentLoaded and to the load event, read from the Navigation Timing entry. The
// baseline is the time Node's `fetch` takes to receive the same page.
// A measurement, not a test: it prints figures and fails only when the setup fails.
//
// Run: scripts/bench-dashboard.sh   (or node tests/browser/measure-pages.mjs)
import assert from 'node:assert/strict';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { chromium } from 'playwright-core';

import { apiRequest, apiSignIn, createIngestKey, sendTraces, startServer, waitFor } from './support/server.mjs';

const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
/** Hosts of the generated inventory. */
const HOSTS = 50;
/** Resource names per host. Discovery keeps up to 256 distinct names at one path position apart. */
const RESOURCES_PER_HOST = 200;
/** Times each path is sent, so no name is seen only once and discovery keeps it literal. */
const REPEATS = 2;
/** Fields in the response body of the wide endpoint. */
const WIDE_FIELDS = 500;
/** Traces per `POST /api/v1/traces`. */
const BATCH_TRACES = 1_000;
/** Measured runs per page, after one unmeasured warm-up run. */
const RUNS = Number.parseInt(process.env.RUNS || '5', 10);
/** Milliseconds to wait for the pipeline to apply every trace. */
const INGEST_TIMEOUT_MS = 600_000;

const CONSONANTS = 'bdfgklmnprstvz';
const VOWELS = 'aeiou';

/** Builds a word-like, lower-case resource name for `index`, such as `bakotu`, which discovery treats as a literal. */
function resourceName(index) {
  let name = '';
  let rest = index;
  for (let syllable = 0; syllable < 3; syllable += 1) {
    const pair = rest % (CONSONANTS.length * VOWELS.length);
    rest = Math.floor(rest / (CONSONANTS.length * VOWELS.length));
    name += CONSONANTS[pair % CONSONANTS.length] + VOWELS[Math.floor(pair / CONSONANTS.length)];
  }
  return name;
}

function hostName(index) {
  return `shop-${String(index).padStart(2, '0')}.bench.test`;
}

/** Builds a flat response body with `WIDE_FIELDS` fields of mixed types. */
function wideBody() {
  const body = {};
  for (let field = 0; field < WIDE_FIELDS; field += 1) {
    const name = `${resourceName(field)}_${field % 10}`;
    if (field % 3 === 0) body[name] = field;
    else if (field % 3 === 1) body[name] = `value ${field}`;
    else body[name] = field % 2 === 0;
  }
  return body;
}

/** Builds every trace of the inventory, host by host. The first path of the first host is the wide endpoint. */
function inventoryTraces() {
  const traces = [];
  for (let host = 0; host < HOSTS; host += 1) {
    for (let resource = 0; resource < RESOURCES_PER_HOST; resource += 1) {
      const wide = host === 0 && resource === 0;
      const body = wide ? wideBody() : { name: resourceName(resource), items: [{ id: resource, price: host + resource }] };
      const trace = {
        request: {
          method: 'GET',
          url: `http://${hostName(host)}/api/${resourceName(resource)}`,
          headers: [{ name: 'User-Agent', value: 'bench-dashboard' }],
        },
        response: {
          status: 200,
          headers: [{ name: 'Content-Type', value: 'application/json' }],
          body: JSON.stringify(body),
        },
        meta: { client: { address: `198.51.100.${1 + (resource % 200)}` } },
      };
      for (let repeat = 0; repeat < REPEATS; repeat += 1) traces.push(trace);
    }
  }
  return traces;
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** Loads `target` once and returns milliseconds from navigation start to DOMContentLoaded and to the end of the load event. */
async function browserRun(page, target) {
  const response = await page.goto(target, { waitUntil: 'load' });
  assert.equal(response.status(), 200, `GET ${target}`);
  await page.waitForFunction(() => performance.getEntriesByType('navigation')[0]?.loadEventEnd > 0);
  return page.evaluate(() => {
    const entry = performance.getEntriesByType('navigation')[0];
    return {
      domContentLoaded: entry.domContentLoadedEventEnd - entry.startTime,
      load: entry.loadEventEnd - entry.startTime,
      bytes: entry.transferSize,
    };
  });
}

/** Fetches `target` once with Node's `fetch` and returns the milliseconds until the whole page arrived. */
async function fetchRun(target, cookie) {
  const started = performance.now();
  const response = await fetch(target, { headers: { Cookie: cookie } });
  const text = await response.text();
  const elapsed = performance.now() - started;
  assert.equal(response.status, 200, `fetch ${target}`);
  return { elapsed, bytes: Buffer.byteLength(text) };
}

async function main() {
  const server = await startServer();
  let browser;
  try {
    const admin = await apiSignIn(server.baseUrl, 'admin', server.adminPassword);
    const ingestKey = await createIngestKey(server.baseUrl, admin);

    // Ingest in batches, then wait until every host shows all its endpoints.
    const traces = inventoryTraces();
    const ingestStarted = performance.now();
    for (let start = 0; start < traces.length; start += BATCH_TRACES) {
      await sendTraces(server.baseUrl, ingestKey, traces.slice(start, start + BATCH_TRACES));
    }
    const expected = HOSTS * RESOURCES_PER_HOST;
    await waitFor(`${expected} endpoints on ${HOSTS} hosts`, async () => {
      const hosts = await apiRequest(server.baseUrl, admin, 'GET', '/api/v1/hosts');
      if (hosts.status !== 200) return false;
      const endpoints = hosts.data.items.reduce((sum, host) => sum + host.endpoints, 0);
      const hits = hosts.data.items.reduce((sum, host) => sum + host.hits, 0);
      return hosts.data.total === HOSTS && endpoints === expected && hits === traces.length;
    }, { timeoutMs: INGEST_TIMEOUT_MS, intervalMs: 1_000 });
    const ingestSecs = (performance.now() - ingestStarted) / 1000;

    const listed = await apiRequest(server.baseUrl, admin, 'GET', '/api/v1/endpoints?limit=1');
    assert.equal(listed.data.total, expected, 'GET /api/v1/endpoints total');
    const wide = await apiRequest(server.baseUrl, admin, 'GET',
      `/api/v1/endpoints/lookup?host=${hostName(0)}&method=GET&path=/api/${resourceName(0)}`);
    assert.equal(wide.status, 200, `looking up the wide endpoint: ${JSON.stringify(wide.data)}`);
    const wideId = wide.data.endpoint?.id ?? wide.data.id;
    const detail = await apiRequest(server.baseUrl, admin, 'GET', `/api/v1/endpoints/${wideId}`);
    const responseFields = detail.data.fields.filter((field) => field.section === 'response.body');
    console.log(`inventory: ${listed.data.total} endpoints on ${HOSTS} hosts from ${traces.length} traces `
      + `(applied in ${ingestSecs.toFixed(1)} s); wide endpoint ${wideId} has ${responseFields.length} response body fields`);

    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
        '--disable-component-update', '--disable-sync'],
    });
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const [name, value] = admin.cookie.split('=');
    await context.addCookies([{ name, value, url: server.baseUrl }]);
    const page = await context.newPage();

    const pages = [
      ['endpoints, first page', '/endpoints'],
      ['endpoints, search "/api/ka" sorted by requests', '/endpoints?search=%2Fapi%2Fka&method=GET&sort=hits'],
      [`endpoint detail, ${responseFields.length} response fields`, `/endpoints/${wideId}`],
    ];
    const rows = [];
    for (const [label, route] of pages) {
      const target = `${server.baseUrl}${route}`;
      await browserRun(page, target);
      await fetchRun(target, admin.cookie);
      const browserRuns = [];
      const fetchRuns = [];
      for (let run = 0; run < RUNS; run += 1) {
        browserRuns.push(await browserRun(page, target));
        fetchRuns.push(await fetchRun(target, admin.cookie));
      }
      const shown = await page.locator('.pagination p').first().textContent().catch(() => '');
      const row = {
        label: shown ? `${label} (${shown.trim().replace(/^Showing /, '').replace(/ of /, ' of ')})` : label,
        route,
        domContentLoaded: median(browserRuns.map((r) => r.domContentLoaded)),
        load: median(browserRuns.map((r) => r.load)),
        fetch: median(fetchRuns.map((r) => r.elapsed)),
        kib: fetchRuns[0].bytes / 1024,
      };
      rows.push(row);
      console.log(`${label}: DOMContentLoaded ${row.domContentLoaded.toFixed(0)} ms, load ${row.load.toFixed(0)} ms, `
        + `fetch ${row.fetch.toFixed(0)} ms, ${row.kib.toFixed(0)} KiB`);
    }

    console.log('');
    console.log(`Medians of ${RUNS} runs after one warm-up, ${new Date().toISOString().slice(0, 10)}, `
      + `${os.cpus().length} CPUs ${os.arch()}, load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);
    console.log('');
    console.log('| page | HTML size | fetch (server) | DOMContentLoaded | load event | load / fetch |');
    console.log('|---|---:|---:|---:|---:|---:|');
    for (const row of rows) {
      console.log(`| ${row.label} | ${row.kib.toFixed(0)} KiB | ${row.fetch.toFixed(0)} ms `
        + `| ${row.domContentLoaded.toFixed(0)} ms | ${row.load.toFixed(0)} ms | ${(row.load / row.fetch).toFixed(2)} |`);
    }
  } finally {
    if (browser) await browser.close();
    await server.stop();
  }
}

main().catch((error) => {
  console.error(`error: ${error.stack || error}`);
  process.exit(1);
});
