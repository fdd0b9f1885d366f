// CtiStream against the real server binary: set CTI_SERVER_BIN to run it, e.g.
//   CTI_SERVER_BIN=../../target/debug/cti-server npm test
// The binary runs with its embedded in-memory storage (nothing to set up, nothing kept).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import WebSocket from 'ws';

import { CtiStream, memoryStore } from '../cti-stream.js';
import { fast, record, waitFor } from '../test-support/fake-server.js';
import { createApp, freePort, postWebhook, request, startServer } from '../test-support/server.js';

const BIN = process.env.CTI_SERVER_BIN;

test('against the real server: ordered events, replay across instances, one-time tickets', {
  skip: BIN ? false : 'set CTI_SERVER_BIN to run',
  timeout: 60_000,
}, async (t) => {
  const server = await startServer(BIN, { port: await freePort() });
  t.after(() => server.stop());
  const { base, port } = server;

  // An app, its webhook secret and its API key.
  const app = await createApp(base, 'js');
  const apiKey = app.apiKey;

  let tickets = 0;
  const ticket = async () => {
    tickets += 1;
    const headers = { 'x-app-api-key': apiKey };
    return (await request(base, 'POST', '/api/ws-ticket', { headers, expected: 201 })).ticket;
  };
  const post = (i) => postWebhook(base, app, callEvent(i));

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
