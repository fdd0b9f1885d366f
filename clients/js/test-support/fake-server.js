// Test helpers: a scripted fake /ws server, bounded waits, and a recorder of what a
// CtiStream emits.
import { once } from 'node:events';
import { WebSocketServer } from 'ws';

/**
 * A fake server on a free port. `script(socket, query, n)` runs for the n-th accepted
 * connection (1-based) with the query it was opened with; `refuse(query, n)` (n-th
 * handshake) may return an HTTP status to refuse the handshake with.
 */
export async function fakeServer(script, { refuse } = {}) {
  const queries = [];
  const wss = new WebSocketServer({
    port: 0,
    host: '127.0.0.1',
    verifyClient: (info, done) => {
      const query = new URL(info.req.url, 'http://fake').searchParams;
      queries.push(query);
      const status = refuse?.(query, queries.length);
      if (status) done(false, status, JSON.stringify({ error: 'Refused', message: `refused ${status}` }));
      else done(true);
    },
  });
  await once(wss, 'listening');
  let connections = 0;
  wss.on('connection', (socket, req) => {
    connections += 1;
    script(socket, new URL(req.url, 'http://fake').searchParams, connections);
  });
  return {
    url: `ws://127.0.0.1:${wss.address().port}/ws`,
    /** The query of every handshake the server saw, refused or not. */
    queries,
    async close() {
      for (const client of wss.clients) client.terminate();
      await new Promise((resolve) => wss.close(resolve));
    },
  };
}

/** A call event message with this seq. */
export function event(seq, state = 'ringing') {
  return JSON.stringify({
    type: `call.${state}`,
    seq,
    call_id: 100 + seq,
    state,
    target_id: 5527348325810176,
    event_timestamp: 1731624040000 + seq,
    received_at: new Date().toISOString(),
    data: { call_id: 100 + seq, state },
  });
}

export const hello = (lastSeq) => JSON.stringify({ type: 'hello', app_id: 'app-1', last_seq: lastSeq });

/** Resolves once `predicate()` is truthy; fails after `ms` (no test hangs). */
export async function waitFor(predicate, ms = 3000, what = 'condition') {
  const deadline = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Records everything a stream emits. */
export function record(stream) {
  const seen = { events: [], seqs: [], statuses: [], resets: [], errors: [] };
  stream.on('event', (e) => {
    seen.events.push(e);
    seen.seqs.push(e.seq);
  });
  stream.on('status', (s) => seen.statuses.push(s));
  stream.on('reset', (r) => seen.resets.push(r));
  stream.on('error', (e) => seen.errors.push(e));
  return seen;
}

/** Backoff small enough for tests. */
export const fast = { initialMs: 5, maxMs: 20, resetAfterMs: 1000 };
