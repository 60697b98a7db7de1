// Starts a fresh `palisade serve` on 127.0.0.1 for a browser test, signs in through the
// JSON API and sends traces, so tests begin from data they know.
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const supportDir = path.dirname(fileURLToPath(import.meta.url));

/** Repository root, two levels above `tests/browser`. */
export const repoRoot = path.resolve(supportDir, '..', '..', '..');

/** Milliseconds to wait for the server to print its address. */
const STARTUP_TIMEOUT_MS = 30_000;

/** Path of the release binary: `PALISADE_BIN`, or `target/release/palisade`. */
export function palisadeBinary() {
  const testDir = path.resolve(supportDir, '..');
  return process.env.PALISADE_BIN
    ? path.resolve(process.env.PALISADE_BIN)
    : path.resolve(testDir, '..', '..', 'target', 'release', 'palisade');
}

/**
 * Starts `palisade serve --listen 127.0.0.1:0` on a new data directory and waits until it
 * prints its address. Resolves to `{ baseUrl, adminPassword, stop, output }`, where
 * `output()` is everything the server printed so far, for failure messages.
 */
export async function startServer() {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'palisade-browser-'));
  const child = spawn(palisadeBinary(), ['serve', '--data-dir', dataDir, '--listen', '127.0.0.1:0'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, RUST_LOG: process.env.RUST_LOG || 'info' },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  child.stdout.on('data', (chunk) => { stdout += chunk; });
  child.stderr.on('data', (chunk) => { stderr += chunk; });
  const output = () => `--- stdout ---\n${stdout}\n--- stderr ---\n${stderr}`;

  const baseUrl = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`palisade serve printed no address within ${STARTUP_TIMEOUT_MS} ms\n${output()}`));
    }, STARTUP_TIMEOUT_MS);
    const check = () => {
      const match = stdout.match(/listening on (http:\/\/127\.0\.0\.1:\d+)/);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    child.stdout.on('data', check);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`cannot start ${palisadeBinary()}: ${error.message}`));
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`palisade serve exited with code ${code} before listening\n${output()}`));
    });
  });

  // The first start of a new data directory prints the admin password on the line after
  // "Dashboard user `admin`".
  const passwordMatch = stdout.match(/Dashboard user `admin`[^\n]*\n\s+(\S+)/);
  if (!passwordMatch) {
    child.kill('SIGTERM');
    throw new Error(`palisade serve printed no admin password\n${output()}`);
  }

  async function stop() {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    await rm(dataDir, { recursive: true, force: true });
  }

  return { baseUrl, adminPassword: passwordMatch[1], stop, output };
}

/**
 * Signs in through `POST /api/v1/session`. Resolves to `{ cookie, setCookie, csrfToken }`:
 * the `name=value` pair to send back, the whole `Set-Cookie` header, and the CSRF token
 * that state-changing requests of the session carry in `X-CSRF-Token`.
 */
export async function apiSignIn(baseUrl, name, password) {
  const response = await fetch(`${baseUrl}/api/v1/session`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ name, password }),
  });
  if (response.status !== 200) {
    throw new Error(`sign-in as ${name} failed with status ${response.status}: ${await response.text()}`);
  }
  const setCookie = response.headers.get('set-cookie') || '';
  const session = await response.json();
  return { cookie: setCookie.split(';')[0], setCookie, csrfToken: session.csrf_token };
}

/** Sends a JSON request with a session's cookie, and its CSRF token unless it is a GET. */
export async function apiRequest(baseUrl, session, method, route, body) {
  const headers = { Cookie: session.cookie, Accept: 'application/json' };
  if (method !== 'GET') headers['X-CSRF-Token'] = session.csrfToken;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const response = await fetch(`${baseUrl}${route}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    redirect: 'manual',
  });
  const text = await response.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = text; }
  return { status: response.status, data, headers: response.headers };
}

/** Creates an ingest key through `POST /api/v1/keys` and returns its secret. */
export async function createIngestKey(baseUrl, session) {
  const created = await apiRequest(baseUrl, session, 'POST', '/api/v1/keys', { name: 'browser test agent', role: 'ingest' });
  if (created.status !== 201 || !created.data || !created.data.secret) {
    throw new Error(`creating an ingest key failed with status ${created.status}: ${JSON.stringify(created.data)}`);
  }
  return created.data.secret;
}

/** Sends traces to `POST /api/v1/traces` with an ingest key; returns the ingest report. */
export async function sendTraces(baseUrl, ingestKey, traces) {
  const response = await fetch(`${baseUrl}/api/v1/traces`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${ingestKey}`, 'Content-Type': 'application/json' },
    body: JSON.stringify(traces),
  });
  const report = await response.json();
  if (response.status !== 200 || report.accepted !== traces.length) {
    throw new Error(`POST /api/v1/traces returned status ${response.status}: ${JSON.stringify(report)}`);
  }
  return report;
}

/**
 * Calls `probe` every `intervalMs` until it returns a truthy value, and returns that value.
 * Throws with `description` in the message after `timeoutMs`.
 */
export async function waitFor(description, probe, { timeoutMs = 30_000, intervalMs = 200 } = {}) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    last = await probe();
    if (last) return last;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${description}`);
}
