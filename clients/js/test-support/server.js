// Test helpers for running the real server binary (CTI_SERVER_BIN): start and stop it, set
// up an app through the admin API, and post signed webhooks the way Dialpad does.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { once } from 'node:events';
import { createServer } from 'node:net';

import { sleep } from './fake-server.js';

/** The admin API's bearer secret (the server wants 32+ characters). */
export const INTERNAL_SECRET = 'js-client-test-internal-secret-0123456789';

/**
 * Server settings the tests choose themselves: inherited values (from a developer's shell or
 * a CI job) would silently switch storage, origins or environment under the tests.
 */
const SERVER_SETTINGS = [
  'APP_ENV', 'NODE_ENV', 'DATABASE_URL', 'DB_HOST', 'DB_PORT', 'DB_USER', 'DB_PASSWORD', 'DB_NAME',
  'REDIS_URL', 'TOKEN_ENCRYPTION_KEY', 'ALLOWED_ORIGINS', 'CONSOLE_ENABLED', 'RUN_MIGRATIONS', 'TRUSTED_PROXIES',
];

/** A port that was free a moment ago (the server binds it itself). */
export async function freePort() {
  const probe = createServer();
  probe.listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const { port } = probe.address();
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

/**
 * Starts `bin serve` on 127.0.0.1:port with the embedded in-memory storage unless `env`
 * says otherwise, and resolves once GET /health answers 200. `stop()` sends SIGTERM (the
 * server's graceful shutdown) and waits for the exit; it is safe to call twice.
 */
export async function startServer(bin, { port, env = {} }) {
  const base = `http://127.0.0.1:${port}`;
  const inherited = { ...process.env };
  for (const name of SERVER_SETTINGS) delete inherited[name];
  const proc = spawn(bin, ['serve'], {
    env: {
      ...inherited,
      PORT: String(port),
      HOST: '127.0.0.1',
      INTERNAL_API_SECRET: INTERNAL_SECRET,
      LOG_LEVEL: 'warn',
      ...env,
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  proc.stderr.on('data', (chunk) => {
    if (stderr.length < 20_000) stderr += chunk;
  });
  const exited = once(proc, 'exit');
  const server = {
    base,
    port,
    proc,
    stderr: () => stderr,
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
      await exited;
    },
  };
  try {
    await waitHealthy(base, proc);
  } catch (error) {
    await server.stop();
    throw new Error(`${error.message}; the server said: ${stderr.trim() || '(nothing)'}`);
  }
  return server;
}

/** Until GET /health answers 200; fails if the server exits or after `ms`. */
export async function waitHealthy(base, proc, ms = 20_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    if (proc.exitCode !== null || proc.signalCode !== null) {
      throw new Error(`the server exited (${proc.exitCode ?? proc.signalCode})`);
    }
    const ok = await fetch(`${base}/health`, { signal: AbortSignal.timeout(1000) })
      .then((res) => res.status === 200)
      .catch(() => false);
    if (ok) return;
    if (Date.now() > deadline) throw new Error('the server did not become healthy');
    await sleep(100);
  }
}

/** One HTTP call; asserts the status and returns the parsed JSON body (or null). */
export async function request(base, method, path, { headers = {}, body, raw = false, expected = 200 } = {}) {
  const res = await fetch(base + path, {
    method,
    headers: { ...headers, ...(body !== undefined && !raw ? { 'content-type': 'application/json' } : {}) },
    body: body === undefined ? undefined : raw ? body : JSON.stringify(body),
    signal: AbortSignal.timeout(5000),
  });
  const text = await res.text();
  assert.equal(res.status, expected, `${method} ${path}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

/** An app with its webhook secret and an API key, through the admin API. */
export async function createApp(base, name = 'js-test') {
  const headers = { authorization: `Bearer ${INTERNAL_SECRET}` };
  const app = await request(base, 'POST', '/internal/apps', { headers, body: { name }, expected: 201 });
  const { secret } = await request(base, 'POST', `/internal/apps/${app.id}/webhook-secret`, { headers, expected: 201 });
  const { api_key: apiKey } = await request(base, 'POST', `/internal/apps/${app.id}/api-key`, { headers, expected: 201 });
  return { appId: app.id, secret, apiKey };
}

/** A compact JWS (HS256) of the JSON payload, as Dialpad signs webhooks. */
export function jws(payload, secret) {
  const part = (value) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const signed = `${part({ alg: 'HS256', typ: 'JWT' })}.${part(payload)}`;
  return `${signed}.${createHmac('sha256', secret).update(signed).digest('base64url')}`;
}

/** Posts one signed webhook for the app; expects 200 and returns the body. */
export function postWebhook(base, { appId, secret }, payload) {
  return request(base, 'POST', `/webhooks/dialpad/${appId}`, { body: jws(payload, secret), raw: true });
}
