// CtiStream against the real server binary: set CTI_SERVER_BIN to run it, e.g.
//   CTI_SERVER_BIN=../../target/debug/cti-server npm test
// The binary runs with its embedded in-memory storage (nothing to set up, nothing kept).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { test } from 'node:test';
import WebSocket from 'ws';

import { CtiStream, memoryStore } from '../cti-stream.js';
import { fast, record, sleep, waitFor } from '../test-support/fake-server.js';

const BIN = process.env.CTI_SERVER_BIN;
const SECRET = 'js-client-test-internal-secret-0123456789';

test('against the real server: ordered events, replay across instances, one-time tickets', {
  skip: BIN ? false : 'set CTI_SERVER_BIN to run',
  timeout: 60_000,
}, async (t) => {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const server = spawn(BIN, ['serve'], {
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', INTERNAL_API_SECRET: SECRET, LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  server.stderr.on('data', (chunk) => (stderr += chunk));
  t.after(async () => {
    if (server.exitCode === null) {
      server.kill();
      await once(server, 'exit');
    }
  });
  await waitHealthy(base, server);
  assert.equal(server.exitCode, null, `the server exited: ${stderr}`);

  // An app, its webhook secret and its API key.
  const internal = { authorization: `Bearer ${SECRET}` };
  const app = await call('POST', '/internal/apps', internal, { name: 'js' }, 201);
  const { secret } = await call('POST', `/internal/apps/${app.id}/webhook-secret`, internal, undefined, 201);
  const { api_key: apiKey } = await call('POST', `/internal/apps/${app.id}/api-key`, internal, undefined, 201);

  let tickets = 0;
  const ticket = async () => {
    tickets += 1;
    return (await call('POST', '/api/ws-ticket', { 'x-app-api-key': apiKey }, undefined, 201)).ticket;
  };
  const post = (i) => call('POST', `/webhooks/dialpad/${app.id}`, {}, jws(callEvent(i), secret), 200, true);

  // A first client starts live (nothing stored), then sees three calls in order.
  const store = memoryStore();
  const url = `ws://127.0.0.1:${port}/ws`;
  const first = new CtiStream({ url, ticket, store, WebSocket, backoff: fast });
  const firstSeen = record(first);
  t.after(() => first.stop());
  first.start();
  await waitFor(() => first.state === 'live', 5000, 'the first client live');
  for (let i = 0; i < 3; i += 1) await post(i);
  await waitFor(() => firstSeen.seqs.length === 3, 5000, 'three events');
  assert.deepEqual(firstSeen.seqs, [1, 2, 3]);
  assert.deepEqual(firstSeen.events.map((e) => e.type), ['call.ringing', 'call.ringing', 'call.ringing']);
  assert.equal(firstSeen.events[0].call_id, 1000);
  first.stop();

  // While nobody listens: three more calls and a repeat (stored once).
  for (let i = 3; i < 6; i += 1) await post(i);
  assert.equal((await post(0)).status, 'duplicate');

  // A second client with the same store replays what it missed, then goes live.
  const second = new CtiStream({ url, ticket, store, WebSocket, backoff: fast });
  const secondSeen = record(second);
  t.after(() => second.stop());
  second.start();
  await waitFor(() => second.state === 'live', 5000, 'the second client live');
  await post(6);
  await waitFor(() => secondSeen.seqs.length === 4, 5000, 'four events');
  assert.deepEqual(secondSeen.seqs, [4, 5, 6, 7]);
  assert.deepEqual(
    secondSeen.statuses.map((s) => s.state),
    ['connecting', 'replaying', 'live'],
  );
  assert.equal(tickets, 2); // one per connection
  assert.deepEqual(firstSeen.errors.concat(secondSeen.errors), []);

  // A ticket works once: reusing it is refused with 401, which stops the stream.
  const used = await ticket();
  const once1 = new CtiStream({ url, ticket: () => used, WebSocket, backoff: fast, store: memoryStore() });
  t.after(() => once1.stop());
  once1.start();
  await waitFor(() => once1.state === 'live', 5000, 'the ticket used once');
  const reused = new CtiStream({ url, ticket: () => used, WebSocket, backoff: fast, store: memoryStore() });
  const reusedSeen = record(reused);
  reused.start();
  await waitFor(() => reused.state === 'stopped', 5000, 'the reused ticket refused');
  assert.equal(reusedSeen.statuses.at(-1).httpStatus, 401);

  async function call(method, path, headers, body, expected, raw = false) {
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
});

function callEvent(i) {
  return {
    call_id: 1000 + i,
    state: 'ringing',
    direction: 'inbound',
    event_timestamp: 1731624040000 + i,
    target: { id: 5527348325810176, type: 'user' },
  };
}

/** A compact JWS (HS256) of the JSON payload, as Dialpad signs webhooks. */
function jws(payload, secret) {
  const part = (value) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const signed = `${part({ alg: 'HS256', typ: 'JWT' })}.${part(payload)}`;
  return `${signed}.${createHmac('sha256', secret).update(signed).digest('base64url')}`;
}

/** Until GET /health answers 200 (or the server exits); at most 20 s. */
async function waitHealthy(base, server) {
  const deadline = Date.now() + 20_000;
  while (server.exitCode === null) {
    const ok = await fetch(`${base}/health`, { signal: AbortSignal.timeout(1000) })
      .then((res) => res.status === 200)
      .catch(() => false);
    if (ok) return;
    if (Date.now() > deadline) throw new Error('the server did not become healthy');
    await sleep(100);
  }
}

async function freePort() {
  const probe = createServer();
  probe.listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const { port } = probe.address();
  await new Promise((resolve) => probe.close(resolve));
  return port;
}
