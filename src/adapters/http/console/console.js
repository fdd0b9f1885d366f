// The live console: sign in with an app's API key (kept in sessionStorage, so it dies with
// the tab), then watch the app's calls as rows that move from ringing to connected to
// hangup. The stream is the project's own client (CtiStream): a fresh one-time ticket per
// connection, resume with since=, duplicates dropped.
import { CtiStream } from '/console/cti-stream.js';

const KEY = 'cti-console:api-key';
const $ = (id) => document.getElementById(id);
let stream = null;

function log(line) {
  const el = $('log');
  el.textContent = `${new Date().toLocaleTimeString()} ${line}\n${el.textContent}`.slice(0, 4000);
}

function status(state, detail = '') {
  const el = $('status');
  el.dataset.state = state;
  el.textContent = detail ? `${state} (${detail})` : state;
}

function cell(text, cls) {
  const td = document.createElement('td');
  td.textContent = text ?? '';
  if (cls) td.className = cls;
  return td;
}

/** Shows a call's newest state: one row per call, newest first. */
function show(call) {
  const id = `call-${call.call_id}`;
  let row = document.getElementById(id);
  if (!row) {
    row = document.createElement('tr');
    row.id = id;
    $('calls').prepend(row);
  }
  row.dataset.state = call.state ?? '';
  row.replaceChildren(
    cell(call.call_id),
    cell(call.state, 'state'),
    cell(call.direction),
    cell(call.external_number),
    cell(call.agent),
    cell(call.at),
    cell(call.seq),
  );
}

/** Loads the newest calls through the REST API (at start, and after a reset). */
async function load(key) {
  const user = $('user').value.trim();
  const query = new URLSearchParams({ limit: '50' });
  if (user) query.set('user', user);
  const res = await fetch(`/api/calls?${query}`, { headers: { 'x-app-api-key': key } });
  if (!res.ok) throw new Error(`GET /api/calls: HTTP ${res.status}`);
  const page = await res.json();
  for (const call of [...page.calls].reverse()) {
    show({
      call_id: call.call_id,
      state: call.state,
      direction: call.direction,
      external_number: call.external_number,
      agent: call.target?.name ?? call.target?.id,
      at: call.last_event_at ?? call.started_at,
      seq: '',
    });
  }
}

async function connect(key) {
  stream?.stop();
  $('calls').replaceChildren();
  try {
    await load(key);
  } catch (error) {
    status('stopped', error.message);
    return;
  }
  const types = $('types').value.split(',').map((t) => t.trim()).filter(Boolean);
  stream = new CtiStream({
    url: '/ws',
    types: types.length ? types : undefined,
    user: $('user').value.trim() || undefined,
    // The console holds the key itself, so it asks for tickets directly.
    ticket: async () => {
      const res = await fetch('/api/ws-ticket', { method: 'POST', headers: { 'x-app-api-key': key } });
      if (res.status === 401 || res.status === 403) {
        stream.stop();
        throw new Error(`the API key was refused (HTTP ${res.status})`);
      }
      if (!res.ok) throw new Error(`POST /api/ws-ticket: HTTP ${res.status}`);
      return (await res.json()).ticket;
    },
    // A fresh start each time the console connects: the table is loaded through the API.
    store: { get: () => null, set: () => {} },
  });
  stream.on('status', (s) => status(s.state, s.reason ?? (s.retryInMs ? `retry in ${s.retryInMs} ms` : '')));
  stream.on('error', (error) => log(error.message));
  stream.on('reset', () => load(key).catch((error) => log(error.message)));
  stream.on('event', (event) => {
    log(`${event.seq} ${event.type}${event.call_id ? ` call ${event.call_id}` : ''}`);
    if (!event.call_id) return;
    show({
      call_id: event.call_id,
      state: event.state,
      direction: event.data?.direction,
      external_number: event.data?.external_number,
      agent: event.data?.target?.name ?? event.target_id,
      at: event.received_at,
      seq: event.seq,
    });
  });
  stream.start();
}

$('signin').addEventListener('submit', (ev) => {
  ev.preventDefault();
  const key = $('key').value.trim();
  sessionStorage.setItem(KEY, key);
  $('key').value = '';
  connect(key);
});
$('signout').addEventListener('click', () => {
  sessionStorage.removeItem(KEY);
  stream?.stop();
  stream = null;
  $('calls').replaceChildren();
  status('idle', 'signed out');
});
const saved = sessionStorage.getItem(KEY);
if (saved) connect(saved);
