// CtiStream against a scripted fake server (the `ws` package). Every wait is bounded.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import WebSocket from 'ws';

import { CtiStream, memoryStore } from '../cti-stream.js';
import { event, fakeServer, fast, hello, record, sleep, waitFor } from '../test-support/fake-server.js';

const opts = { timeout: 10_000 };

/** A server and a stream, both closed when the test ends. */
async function setup(t, script, { refuse, ...options } = {}) {
  const server = await fakeServer(script, { refuse });
  const stream = new CtiStream({ url: server.url, apiKey: 'key', WebSocket, backoff: fast, ...options });
  const seen = record(stream);
  t.after(async () => {
    stream.stop();
    await server.close();
  });
  return { server, stream, seen };
}

test('events are emitted once, in order; duplicates after a reconnect are dropped', opts, async (t) => {
  const { server, stream, seen } = await setup(t, (socket, query, n) => {
    if (n === 1) {
      socket.send(hello(0));
      for (const seq of [1, 2, 3, 2]) socket.send(event(seq)); // a stray duplicate too
      socket.close(1011, 'feed stopped');
    } else {
      // An overlapping replay: 2 and 3 were already handled.
      socket.send(hello(3));
      for (const seq of [2, 3, 4, 5, 5]) socket.send(event(seq));
    }
  });
  stream.start();
  await waitFor(() => seen.seqs.length >= 5, 3000, 'five events');
  await sleep(30); // room for any wrongly re-emitted duplicate
  assert.deepEqual(seen.seqs, [1, 2, 3, 4, 5]);
  assert.equal(server.queries[1].get('since'), '3');
  assert.equal(stream.lastSeq, 5);
  assert.equal(stream.state, 'live');
  assert.ok(seen.statuses.some((s) => s.state === 'reconnecting' && s.code === 1011));
});

test('a reset is surfaced and the stream continues from its last_seq', opts, async (t) => {
  const { server, stream, seen } = await setup(
    t,
    (socket) => {
      // `since` (100) is ahead of what is stored (10): the server resets to 10.
      socket.send(hello(10));
      socket.send(JSON.stringify({ type: 'reset', last_seq: 10, message: 'reload through the API' }));
      socket.send(event(11));
      socket.send(event(12));
    },
    { since: 100 },
  );
  stream.start();
  await waitFor(() => seen.seqs.length === 2, 3000, 'events after the reset');
  assert.equal(server.queries[0].get('since'), '100');
  assert.deepEqual(seen.resets, [{ lastSeq: 10, message: 'reload through the API' }]);
  assert.deepEqual(seen.seqs, [11, 12]); // not dropped although below the old since
  assert.equal(stream.state, 'live');
});

test('close 4401 stops with a reason and never reconnects', opts, async (t) => {
  const { server, stream, seen } = await setup(t, (socket) => {
    socket.send(hello(0));
    socket.close(4401, 'API key revoked');
  });
  stream.start();
  await waitFor(() => stream.state === 'stopped', 3000, 'stopped');
  await sleep(100); // many backoff periods: no reconnect may happen
  assert.equal(server.queries.length, 1);
  const stopped = seen.statuses.at(-1);
  assert.equal(stopped.state, 'stopped');
  assert.equal(stopped.code, 4401);
  assert.match(stopped.reason, /unauthorized: API key revoked/);
});

test('close 4403 stops too', opts, async (t) => {
  const { server, stream, seen } = await setup(t, (socket) => socket.close(4403, 'app inactive'));
  stream.start();
  await waitFor(() => stream.state === 'stopped', 3000, 'stopped');
  await sleep(50);
  assert.equal(server.queries.length, 1);
  assert.match(seen.statuses.at(-1).reason, /forbidden: app inactive/);
});

test('a handshake refused with 401 stops with the reason; other refusals are retried', opts, async (t) => {
  const { server, stream, seen } = await setup(t, () => {}, {
    refuse: (_query, n) => (n === 1 ? 429 : 401),
  });
  stream.start();
  await waitFor(() => stream.state === 'stopped', 3000, 'stopped');
  await sleep(50);
  assert.equal(server.queries.length, 2); // the 429 was retried, the 401 was not
  assert.ok(seen.statuses.some((s) => s.state === 'reconnecting' && s.httpStatus === 429));
  const stopped = seen.statuses.at(-1);
  assert.equal(stopped.httpStatus, 401);
  assert.match(stopped.reason, /unauthorized: HTTP 401 \(refused 401\)/);
});

test('ticket() is called once per connection, a fresh ticket each time; a throwing ticket() is retried', opts, async (t) => {
  let calls = 0;
  const ticket = async () => {
    calls += 1;
    if (calls === 2) throw new Error('backend down');
    return `wst_${calls}`;
  };
  const { server, stream, seen } = await setup(
    t,
    (socket, _query, n) => {
      socket.send(hello(0));
      if (n < 3) socket.close(1011);
    },
    { ticket, apiKey: undefined },
  );
  stream.start();
  await waitFor(() => server.queries.length === 3 && stream.state === 'live', 3000, 'three connections');
  // Calls: wst_1 (connection 1), a throw, wst_3 (connection 2), wst_4 (connection 3).
  assert.equal(calls, 4);
  assert.deepEqual(
    server.queries.map((q) => q.get('ticket')),
    ['wst_1', 'wst_3', 'wst_4'],
  );
  assert.ok(server.queries.every((q) => !q.has('api_key')));
  assert.equal(seen.errors.length, 1);
  assert.match(seen.errors[0].message, /backend down/);
  const failed = seen.statuses.find((s) => s.reason === 'ticket() failed');
  assert.equal(failed.state, 'reconnecting');
  assert.ok(failed.retryInMs >= 0 && failed.retryInMs <= fast.maxMs);
});

test('after 1001 the stream reconnects with since=<last seq>, replays and goes live', opts, async (t) => {
  const { server, stream, seen } = await setup(
    t,
    (socket, query, n) => {
      if (n === 1) {
        socket.send(hello(2)); // a fresh client starts live at 2
        socket.send(event(3));
        socket.send(event(4));
        socket.close(1001, 'server shutting down');
      } else {
        // Events 5 and 6 arrived while the client was away: replayed, then live.
        socket.send(hello(6));
        for (let seq = Number(query.get('since')) + 1; seq <= 7; seq += 1) socket.send(event(seq));
      }
    },
    { types: ['call.ringing', 'sms'], user: 'agent-1' },
  );
  stream.start();
  await waitFor(() => seen.seqs.length === 5, 3000, 'events 3 to 7');
  assert.deepEqual(seen.seqs, [3, 4, 5, 6, 7]);
  assert.equal(server.queries[0].get('since'), null); // nothing stored yet: live only
  assert.equal(server.queries[1].get('since'), '4');
  for (const query of server.queries) {
    assert.equal(query.get('api_key'), 'key');
    assert.equal(query.get('types'), 'call.ringing,sms');
    assert.equal(query.get('user'), 'agent-1');
  }
  const states = seen.statuses.map((s) => s.state);
  assert.deepEqual(states, ['connecting', 'live', 'reconnecting', 'connecting', 'replaying', 'live']);
  assert.deepEqual(seen.statuses[4], { state: 'replaying', since: 4, until: 6 });
  assert.equal(seen.statuses[2].code, 1001);
});

test('a fresh client that saw no event resumes from the hello', opts, async (t) => {
  const { server, stream } = await setup(t, (socket, _query, n) => {
    socket.send(hello(41));
    if (n === 1) socket.close(1011);
  });
  stream.start();
  await waitFor(() => server.queries.length === 2, 3000, 'a reconnect');
  assert.equal(server.queries[1].get('since'), '41');
});

test('a second stream with the same (async) store resumes from the stored seq', opts, async (t) => {
  // An async store, as a database-backed one would be.
  const saved = [];
  let value = null;
  const store = {
    get: async () => value,
    set: async (seq) => {
      await sleep(1);
      value = seq;
      saved.push(seq);
    },
  };
  const server = await fakeServer((socket, query, n) => {
    // First connection: live from 0, events 1 to 4. Second: 5 and 6 are replayed.
    const since = Number(query.get('since') ?? 0);
    socket.send(hello(n === 1 ? 0 : 6));
    for (let seq = since + 1; seq <= (n === 1 ? 4 : 6); seq += 1) socket.send(event(seq));
  });
  t.after(() => server.close());

  const first = new CtiStream({ url: server.url, apiKey: 'key', WebSocket, store, backoff: fast });
  const firstSeen = record(first);
  first.start();
  await waitFor(() => value === 4, 3000, 'seq 4 stored');
  first.stop();
  assert.deepEqual(firstSeen.seqs, [1, 2, 3, 4]);
  assert.equal(firstSeen.statuses.at(-1).state, 'stopped');

  const second = new CtiStream({ url: server.url, apiKey: 'key', WebSocket, store, backoff: fast });
  const secondSeen = record(second);
  t.after(() => second.stop());
  second.start();
  await waitFor(() => secondSeen.seqs.length === 2, 3000, 'events 5 and 6');
  assert.equal(server.queries[1].get('since'), '4');
  assert.deepEqual(secondSeen.seqs, [5, 6]);
  await waitFor(() => value === 6, 3000, 'seq 6 stored');
  assert.deepEqual(saved, [0, 1, 2, 3, 4, 5, 6]); // the hello's 0, then each event, in order
});

test('the default store is localStorage where it exists, keyed by url and filters', opts, async (t) => {
  const items = new Map();
  globalThis.localStorage = {
    getItem: (k) => items.get(k) ?? null,
    setItem: (k, v) => items.set(k, String(v)),
  };
  t.after(() => delete globalThis.localStorage);
  const { server, stream, seen } = await setup(t, (socket) => {
    socket.send(hello(9));
    socket.send(event(10));
  });
  items.set(`cti-stream:last-seq:${server.url}|call|`, '8');
  const filtered = new CtiStream({ url: server.url, apiKey: 'key', WebSocket, types: 'call', backoff: fast });
  const filteredSeen = record(filtered);
  t.after(() => filtered.stop());
  filtered.start();
  await waitFor(() => filteredSeen.seqs.length === 1, 3000, 'the filtered stream');
  assert.equal(server.queries[0].get('since'), '8');
  assert.equal(items.get(`cti-stream:last-seq:${server.url}|call|`), '10');

  // The unfiltered stream has its own key (nothing stored: it starts live).
  stream.start();
  await waitFor(() => seen.seqs.length === 1, 3000, 'the unfiltered stream');
  assert.equal(server.queries[1].get('since'), null);
});

test('stop() ends everything: no more events, statuses or connections', opts, async (t) => {
  const { server, stream, seen } = await setup(t, (socket) => {
    socket.send(hello(0));
    socket.send(event(1));
    setTimeout(() => socket.readyState === 1 && socket.send(event(2)), 50);
  });
  stream.start();
  await waitFor(() => seen.seqs.length === 1, 3000, 'the first event');
  stream.stop();
  await sleep(100);
  assert.deepEqual(seen.seqs, [1]);
  assert.equal(server.queries.length, 1);
  assert.deepEqual(seen.statuses.at(-1), { state: 'stopped', reason: 'stopped by the client' });
});

test('a listener that throws is reported and does not break the stream', opts, async (t) => {
  const { stream, seen } = await setup(t, (socket) => {
    socket.send(hello(0));
    socket.send(event(1));
    socket.send(event(2));
  });
  stream.on('event', (e) => {
    if (e.seq === 1) throw new Error('app bug');
  });
  stream.start();
  await waitFor(() => seen.seqs.length === 2, 3000, 'both events');
  assert.equal(seen.errors[0].message, 'app bug');
});

test('options are checked', () => {
  assert.throws(() => new CtiStream({ apiKey: 'k', WebSocket }), /url/);
  assert.throws(() => new CtiStream({ url: 'ws://x/ws', WebSocket }), /ticket/);
  assert.throws(() => new CtiStream({ url: 'ws://x/ws', ticket: 'wst_1', WebSocket }), /function/);
  assert.equal(memoryStore(3).get(), 3);
});
