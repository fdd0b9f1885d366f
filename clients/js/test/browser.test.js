// The client in a real browser (headless Chromium through puppeteer-core) against the real
// server binary:
//   CTI_SERVER_BIN=../../target/debug/cti-server npm test                      # the console
//   ... TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test npm test     # + a restart
// Skipped without CTI_SERVER_BIN or without Chromium (CHROMIUM, default /usr/bin/chromium);
// with CI=true a missing Chromium fails instead, so a broken CI image cannot pass silently.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

import { CHROMIUM, haveChromium, launchChromium, openPage } from '../test-support/browser.js';
import { tcpProxy } from '../test-support/proxy.js';
import { sleep, waitFor } from '../test-support/fake-server.js';
import { createApp, freePort, jws, postWebhook, startServer } from '../test-support/server.js';

const BIN = process.env.CTI_SERVER_BIN;
const DATABASE = process.env.TEST_DATABASE_URL;
const CI = process.env.CI === 'true';
const CHROMIUM_FOUND = await haveChromium();
const ARTIFACTS = join(dirname(fileURLToPath(import.meta.url)), '..', 'test-artifacts');

/** Why a browser test cannot run here, or false. In CI a missing browser is a failure. */
function skipReason({ database = false } = {}) {
  if (!BIN) return 'set CTI_SERVER_BIN to run';
  if (database && !DATABASE) return 'set TEST_DATABASE_URL (PostgreSQL) to run: the restart needs durable storage';
  if (!CHROMIUM_FOUND && !CI) return `no Chromium at ${CHROMIUM} (set CHROMIUM)`;
  return false;
}

/**
 * Cleanups run last-registered first (the browser before the server before the database),
 * each one even if another failed.
 */
function cleanups(t) {
  const stack = [];
  t.after(async () => {
    const errors = [];
    for (const fn of stack.reverse()) {
      await fn().catch((error) => errors.push(error));
    }
    if (errors.length) throw new AggregateError(errors, 'cleanup failed');
  });
  return (fn) => stack.push(fn);
}

/** A call event as Dialpad posts it. */
function callEvent({ callId, state, timestamp }) {
  return {
    call_id: callId,
    state,
    direction: 'inbound',
    external_number: '+15105550100',
    event_timestamp: timestamp,
    target: { id: 5527348325810176, type: 'user', name: 'Ada' },
  };
}

test('the console shows a live call moving from ringing to connected to hangup', {
  skip: skipReason(),
  timeout: 60_000,
}, async (t) => {
  assert.ok(CHROMIUM_FOUND, `CI=true but no Chromium at ${CHROMIUM} (set CHROMIUM)`);
  const defer = cleanups(t);

  const server = await startServer(BIN, { port: await freePort(), env: { CONSOLE_ENABLED: 'true' } });
  defer(() => server.stop());
  const app = await createApp(server.base, 'console');

  const chromium = await launchChromium();
  defer(() => chromium.close());
  const { page, problems } = await openPage(chromium.browser);
  const res = await page.goto(`${server.base}/console`, { waitUntil: 'load' });
  assert.equal(res.status(), 200, 'GET /console (is CONSOLE_ENABLED on in this binary?)');

  // Sign in the way an operator does: type the key, submit, wait for the stream to be live.
  await page.type('#key', app.apiKey);
  await page.click('#signin button[type="submit"]');
  await page
    .waitForSelector('#status[data-state="live"]', { timeout: 10_000 })
    .catch(async (error) => {
      const status = await page.$eval('#status', (el) => el.textContent);
      throw new Error(`${error.message}; status: ${status}; ${problems.join('; ')}`);
    });

  // One call through its life. Waiting for each state before posting the next proves that
  // the row changed live, in order (a later event cannot be mistaken for an earlier one).
  const states = ['ringing', 'connected', 'hangup'];
  for (const [i, state] of states.entries()) {
    await postWebhook(server.base, app, callEvent({ callId: 4242, state, timestamp: 1731624040000 + i * 1000 }));
    await page.waitForSelector(`#call-4242[data-state="${state}"]`, { timeout: 5000 });
    const cells = await page.$$eval('#call-4242 td', (tds) => tds.map((td) => td.textContent));
    assert.equal(cells[1], state, 'the state cell');
  }
  const cells = await page.$$eval('#call-4242 td', (tds) => tds.map((td) => td.textContent));
  assert.deepEqual(cells.slice(0, 5), ['4242', 'hangup', 'inbound', '+15105550100', 'Ada']);
  assert.equal(await page.$$eval('#calls tr', (rows) => rows.length), 1, 'one row per call');
  assert.deepEqual(problems, []);

  await mkdir(ARTIFACTS, { recursive: true });
  const screenshot = join(ARTIFACTS, 'console.png');
  await page.screenshot({ path: screenshot, fullPage: true });
  t.diagnostic(`screenshot: ${screenshot}`);
});

test('a page keeps receiving through a server restart and a network cut, none lost or repeated', {
  skip: skipReason({ database: true }),
  timeout: 60_000,
}, async (t) => {
  assert.ok(CHROMIUM_FOUND, `CI=true but no Chromium at ${CHROMIUM} (set CHROMIUM)`);
  const defer = cleanups(t);

  // A database of its own, so the sequence starts at 1 and nothing is left behind. The
  // server applies its migrations at start.
  const name = `cti_browser_${randomBytes(6).toString('hex')}`;
  await psql(`CREATE DATABASE ${name}`);
  defer(() => psql(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
  const databaseUrl = new URL(DATABASE);
  databaseUrl.pathname = `/${name}`;
  const options = {
    port: await freePort(),
    env: {
      CONSOLE_ENABLED: 'true',
      DATABASE_URL: databaseUrl.href,
      // Webhook secrets are stored encrypted: without a fixed key the restarted server could
      // not read the app's secret back and would refuse every webhook after the restart.
      TOKEN_ENCRYPTION_KEY: randomBytes(32).toString('hex'),
    },
  };

  let server = await startServer(BIN, options);
  // `server` is replaced by the restart: stop whichever runs at the end.
  defer(() => server.stop());
  const app = await createApp(server.base, 'restart');

  const chromium = await launchChromium();
  defer(() => chromium.close());
  const { page, problems } = await openPage(chromium.browser);
  // The browser reaches the server through a proxy that can cut the network.
  const network = await tcpProxy(options.port);
  defer(() => network.close());
  // Only for a same-origin document: the client is imported from the server itself and /ws
  // resolves against the page, as in any app. (Nobody signs in, so the console stays idle.)
  await page.goto(`http://127.0.0.1:${network.port}/console`, { waitUntil: 'load' });
  await page.evaluate(async (apiKey) => {
    const { CtiStream } = await import('/console/cti-stream.js');
    window.seen = [];
    window.statuses = [];
    window.errors = [];
    // The default store (localStorage, empty in this fresh profile); across reconnects the
    // client resumes from the last seq it keeps in memory. A short backoff keeps it quick.
    const stream = new CtiStream({ url: '/ws', apiKey, backoff: { initialMs: 50, maxMs: 500 } });
    stream.on('event', (e) => window.seen.push(e.seq));
    stream.on('status', (s) => window.statuses.push(s.state));
    stream.on('error', (e) => window.errors.push(e.message));
    window.stream = stream;
    stream.start();
  }, app.apiKey);
  await page.waitForFunction(() => window.stream.state === 'live', { timeout: 10_000 });

  // Post N events (one call each) at a steady pace while, after the first 20, the server is
  // stopped and started again on the same port. Posting does not pause for the restart:
  // like Dialpad, it retries a refused or failed post until it gets a 200. A post whose
  // answer was lost in the shutdown is stored once all the same (the retry is a duplicate).
  const N = 100;
  let accepted = 0;
  let retried = 0;
  const posting = (async () => {
    for (let i = 0; i < N; i += 1) {
      const payload = callEvent({ callId: 7000 + i, state: 'ringing', timestamp: 1731624040000 + i });
      const body = jws(payload, app.secret);
      const deadline = Date.now() + 30_000;
      for (;;) {
        const res = await fetch(`${server.base}/webhooks/dialpad/${app.appId}`, {
          method: 'POST',
          body,
          signal: AbortSignal.timeout(2000),
        }).catch(() => null);
        if (res?.status === 200) break;
        // Only "the server is not there" is retried: a 4xx means the test is wrong.
        if (res && res.status < 500) assert.fail(`webhook ${i}: HTTP ${res.status} ${await res.text()}`);
        assert.ok(Date.now() < deadline, `webhook ${i} never accepted`);
        retried += 1;
        await sleep(50);
      }
      accepted += 1;
      await sleep(30);
    }
  })();
  posting.catch(() => {}); // awaited below; avoids an unhandled rejection meanwhile

  await waitFor(() => accepted >= 20, 20_000, '20 webhooks accepted');
  const first = server;
  const stopping = Date.now();
  // SIGTERM: the graceful shutdown closes the stream with 1001. (It can take ~10 s: the
  // server waits for the browser's idle keep-alive connection, which Chromium drops after
  // 10 s unused. Posting and reconnecting go on meanwhile, which is the point.)
  await first.stop();
  const stopMs = Date.now() - stopping;
  assert.equal(first.proc.exitCode, 0, `the server exited badly: ${first.stderr()}`);
  const restartedAt = accepted;
  server = await startServer(BIN, options); // same port, same database: resolves once healthy

  // Then the network between the browser and the server drops every connection at once.
  await waitFor(() => accepted >= 50, 20_000, '50 webhooks accepted');
  await page.waitForFunction(() => window.stream.state === 'live', { timeout: 15_000 });
  const cutAt = accepted;
  const cutSockets = network.cut();
  assert.ok(cutSockets > 0, 'the stream went through the proxy');
  await posting;

  await page
    .waitForFunction((n) => window.seen.length >= n, { timeout: 15_000 }, N)
    .catch(async (error) => {
      const state = await page.evaluate(() => ({ seen: window.seen.length, statuses: window.statuses }));
      throw new Error(`${error.message}; ${JSON.stringify(state)}`);
    });
  await sleep(300); // anything repeated or extra would arrive now
  const { seen, statuses, errors } = await page.evaluate(() => ({
    seen: window.seen,
    statuses: window.statuses,
    errors: window.errors,
  }));

  assert.ok(restartedAt < N && cutAt < N, 'the restart and the cut happened while posting');
  assert.deepEqual(seen, Array.from({ length: N }, (_, i) => i + 1), 'every seq once, in order');
  const reconnects = statuses.filter((s) => s === 'reconnecting').length;
  assert.ok(reconnects >= 2, `a reconnect after the restart and after the cut: ${statuses}`);
  assert.ok(statuses.indexOf('reconnecting') > statuses.indexOf('live'), `reconnects after going live: ${statuses}`);
  assert.equal(statuses.at(-1), 'live', `live again: ${statuses}`);
  assert.deepEqual(errors, []);
  const attempts = statuses.filter((s) => s === 'connecting').length;
  t.diagnostic(
    `restart after ${restartedAt} events (stop took ${stopMs} ms), network cut after ${cutAt} ` +
      `(${cutSockets} sockets); ${retried} posts retried; ` +
      `${attempts} connection attempts; last statuses: ${statuses.slice(-3).join(' ')}`,
  );
  // Chromium logs the refused reconnect attempts as console errors; only exceptions count.
  assert.deepEqual(problems.filter((p) => p.startsWith('pageerror')), []);
});

/** Runs one SQL statement against TEST_DATABASE_URL's server. */
async function psql(sql) {
  await promisify(execFile)('psql', [DATABASE, '-v', 'ON_ERROR_STOP=1', '-qc', sql], { timeout: 15_000 });
}
