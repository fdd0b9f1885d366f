// CtiStream: a dependency-free client for the CTI server's `GET /ws` event stream.
//
// It keeps one WebSocket open, hands every event to the app exactly once and in sequence
// order, remembers the last `seq` handled (in a pluggable store) and, whenever the
// connection drops, reconnects with exponential backoff and `since=<last seq>`, so nothing is
// missed and nothing is seen twice. Types and doc comments: cti-stream.d.ts.
//
// Events (a tiny emitter, `on(name, fn)` returns an unsubscribe function):
//   event  - a stream event (the server's JSON message, as parsed)
//   reset  - { lastSeq, message }: `since` could not be replayed; reload through the REST API
//   status - { state: connecting|replaying|live|reconnecting|stopped, ... }
//   error  - an Error that did not stop the stream (ticket() failed, bad message, store...)

/** Close codes after which reconnecting with the same credentials is pointless. */
const STOP_CLOSE_CODES = new Map([
  [4401, 'unauthorized'],
  [4403, 'forbidden'],
]);
/** Handshake refusals with the same meaning (only visible with the `ws` package). */
const STOP_HTTP_STATUSES = new Map([
  [401, 'unauthorized'],
  [403, 'forbidden'],
]);

export class CtiStream {
  #url;
  #ticket;
  #apiKey;
  #since;
  #types;
  #user;
  #store;
  #WebSocket;
  #backoff;
  #connectTimeoutMs;

  #listeners = new Map();
  #running = false;
  /** Bumped by start() and stop(): async work started under an older run is dropped. */
  #run = 0;
  #socket = null;
  #timer = null;
  #attempt = 0;
  #state = 'idle';
  #lastSeq = null;
  /** While replaying: the seq at which the stream is caught up (hello.last_seq). */
  #catchUpTo = null;
  /** Store writes are chained so an async store never sees them out of order. */
  #saving = Promise.resolve();

  constructor(options = {}) {
    const { url, ticket, apiKey, since, types, user, store, backoff = {} } = options;
    if (!url) throw new TypeError('CtiStream: `url` is required');
    if (ticket !== undefined && typeof ticket !== 'function') {
      throw new TypeError('CtiStream: `ticket` must be a function returning a fresh ticket');
    }
    if (!ticket && !apiKey) throw new TypeError('CtiStream: `ticket` or `apiKey` is required');
    const WebSocketImpl = options.WebSocket ?? globalThis.WebSocket;
    if (typeof WebSocketImpl !== 'function') {
      throw new TypeError('CtiStream: no global WebSocket; pass the `WebSocket` option (e.g. from the ws package)');
    }
    this.#url = url;
    this.#ticket = ticket;
    this.#apiKey = apiKey;
    this.#since = since ?? null;
    this.#types = Array.isArray(types) ? types.join(',') : types || null;
    this.#user = user || null;
    this.#WebSocket = WebSocketImpl;
    this.#backoff = {
      initialMs: backoff.initialMs ?? 250,
      maxMs: backoff.maxMs ?? 30_000,
      resetAfterMs: backoff.resetAfterMs ?? 10_000,
    };
    this.#connectTimeoutMs = options.connectTimeoutMs ?? 15_000;
    // The key includes the filters: differently filtered streams progress differently.
    const key = `cti-stream:last-seq:${url}|${this.#types ?? ''}|${this.#user ?? ''}`;
    this.#store = store ?? defaultStore(key);
  }

  /** The last seq handled (null before the first hello or event). */
  get lastSeq() {
    return this.#lastSeq;
  }

  /** The current state: idle, connecting, replaying, live, reconnecting or stopped. */
  get state() {
    return this.#state;
  }

  on(name, fn) {
    if (!this.#listeners.has(name)) this.#listeners.set(name, new Set());
    this.#listeners.get(name).add(fn);
    return () => this.off(name, fn);
  }

  off(name, fn) {
    this.#listeners.get(name)?.delete(fn);
  }

  /** Connects (and keeps reconnecting) until stop() or a refusal. Calling it twice is a no-op. */
  start() {
    if (this.#running) return;
    this.#running = true;
    this.#attempt = 0;
    this.#begin(++this.#run);
  }

  /** Closes the connection and stops reconnecting. */
  stop() {
    if (!this.#running) return;
    this.#halt({ reason: 'stopped by the client' });
  }

  async #begin(run) {
    // The in-memory seq (from an earlier start) is the freshest; else `since`, else the store.
    if (this.#lastSeq === null) {
      if (this.#since !== null) {
        this.#lastSeq = this.#since;
      } else {
        try {
          this.#lastSeq = validSeq(await this.#store.get());
        } catch (error) {
          this.#error(error);
        }
      }
    }
    if (run === this.#run) this.#connect(run);
  }

  async #connect(run) {
    this.#setState({ state: 'connecting', attempt: this.#attempt + 1 });
    let credential;
    if (this.#ticket) {
      // A fresh ticket for every connection: each one works once.
      try {
        const ticket = await this.#ticket();
        if (typeof ticket !== 'string' || !ticket) throw new Error('ticket() returned no ticket');
        credential = ['ticket', ticket];
      } catch (error) {
        if (run !== this.#run) return;
        this.#error(error);
        this.#retry(run, { reason: 'ticket() failed', error });
        return;
      }
      if (run !== this.#run) return;
    } else {
      credential = ['api_key', this.#apiKey];
    }

    const since = this.#lastSeq;
    let socket;
    try {
      socket = new this.#WebSocket(this.#streamUrl(credential, since));
    } catch (error) {
      // A malformed URL: retrying cannot help.
      this.#halt({ reason: `cannot open the WebSocket: ${error.message}`, error });
      return;
    }
    this.#socket = socket;
    let openedAt = null;
    let refused = null;
    const timeout = setTimeout(() => socket.close(), this.#connectTimeoutMs);

    // The `ws` package reports a refused handshake with its HTTP status; a browser only sees
    // a close (1006) before open, which is retried like any failed attempt.
    if (typeof socket.on === 'function') {
      socket.on('unexpected-response', (_req, res) => {
        refused = { status: res.statusCode, body: '' };
        res.setEncoding('utf8');
        res.on('data', (chunk) => {
          if (refused.body.length < 4096) refused.body += chunk;
        });
        res.on('close', () => socket.terminate());
      });
    }
    socket.addEventListener('open', () => {
      openedAt = Date.now();
      clearTimeout(timeout);
    });
    socket.addEventListener('message', (ev) => {
      if (socket === this.#socket) this.#onMessage(ev.data, since);
    });
    // Errors always come with a close, which decides what to do.
    socket.addEventListener('error', () => {});
    socket.addEventListener('close', (ev) => {
      clearTimeout(timeout);
      if (socket !== this.#socket) return; // stop() closed it, or it was replaced
      this.#socket = null;
      this.#onClose(run, ev, openedAt, refused);
    });
  }

  #streamUrl([name, value], since) {
    // Relative URLs resolve against the page; http(s) is accepted for ws(s).
    const url = new URL(this.#url, globalThis.location?.href);
    url.protocol = url.protocol.replace(/^http/, 'ws');
    url.searchParams.set(name, value);
    if (since !== null) url.searchParams.set('since', String(since));
    if (this.#types) url.searchParams.set('types', this.#types);
    if (this.#user) url.searchParams.set('user', this.#user);
    return url.href;
  }

  #onMessage(data, since) {
    let msg;
    try {
      msg = JSON.parse(typeof data === 'string' ? data : String(data));
    } catch (error) {
      this.#error(new Error(`unreadable message: ${error.message}`));
      return;
    }
    if (msg?.type === 'hello') {
      const head = validSeq(msg.last_seq);
      // A first connection starts live from here: remember it, so that a reconnect replays
      // whatever happened while disconnected even if no event came yet.
      if (this.#lastSeq === null && head !== null) this.#handled(head);
      if (since !== null && head !== null && head > since) {
        this.#catchUpTo = head;
        this.#setState({ state: 'replaying', since, until: head });
      } else {
        this.#setState({ state: 'live' });
      }
    } else if (msg?.type === 'reset') {
      // Continue from the server's position, even if it is behind ours (`since` was ahead of
      // what is stored): otherwise the events that follow would be dropped as duplicates.
      const lastSeq = validSeq(msg.last_seq);
      if (lastSeq !== null) this.#handled(lastSeq);
      this.#emit('reset', { lastSeq, message: msg.message ?? '' });
      if (this.#state !== 'live') this.#setState({ state: 'live' });
    } else if (Number.isSafeInteger(msg?.seq)) {
      if (this.#lastSeq !== null && msg.seq <= this.#lastSeq) return; // already handled
      this.#lastSeq = msg.seq;
      this.#emit('event', msg);
      this.#handled(msg.seq); // stored once the listeners ran: a reload resumes after it
      if (this.#state === 'replaying' && msg.seq >= this.#catchUpTo) this.#setState({ state: 'live' });
    } else {
      this.#error(new Error(`unexpected message: ${String(data).slice(0, 200)}`));
    }
  }

  #onClose(run, ev, openedAt, refused) {
    const stopHttp = refused && STOP_HTTP_STATUSES.get(refused.status);
    if (stopHttp) {
      const message = errorMessage(refused.body);
      this.#halt({
        reason: `${stopHttp}: HTTP ${refused.status}${message ? ` (${message})` : ''}`,
        httpStatus: refused.status,
      });
      return;
    }
    const stopCode = STOP_CLOSE_CODES.get(ev.code);
    if (stopCode) {
      this.#halt({ reason: `${stopCode}${ev.reason ? `: ${ev.reason}` : ''}`, code: ev.code });
      return;
    }
    // A connection that lasted was healthy: the next failure starts the backoff over.
    if (openedAt !== null && Date.now() - openedAt >= this.#backoff.resetAfterMs) this.#attempt = 0;
    const reason = refused
      ? `refused: HTTP ${refused.status}`
      : openedAt === null
        ? 'could not connect'
        : ev.reason || `closed (${ev.code})`;
    this.#retry(run, { reason, code: ev.code, httpStatus: refused?.status });
  }

  /** Waits a full-jitter exponential delay, then connects again. */
  #retry(run, info) {
    if (run !== this.#run) return;
    const ceiling = Math.min(this.#backoff.maxMs, this.#backoff.initialMs * 2 ** Math.min(this.#attempt, 30));
    const delay = Math.round(Math.random() * ceiling);
    this.#attempt += 1;
    this.#setState({ state: 'reconnecting', retryInMs: delay, ...info });
    this.#timer = setTimeout(() => {
      this.#timer = null;
      if (run === this.#run) this.#connect(run);
    }, delay);
  }

  #halt(info) {
    this.#running = false;
    this.#run += 1;
    clearTimeout(this.#timer);
    this.#timer = null;
    const socket = this.#socket;
    this.#socket = null;
    if (socket) {
      try {
        socket.close(1000);
      } catch {
        // already closing
      }
    }
    this.#setState({ state: 'stopped', ...info });
  }

  #handled(seq) {
    this.#lastSeq = seq;
    this.#saving = this.#saving.then(() => this.#store.set(seq)).catch((error) => this.#error(error));
  }

  #setState(status) {
    this.#state = status.state;
    this.#emit('status', status);
  }

  #error(error) {
    if (this.#listeners.get('error')?.size) this.#emit('error', error);
    else console.error('CtiStream:', error); // never fail silently
  }

  #emit(name, value) {
    for (const fn of [...(this.#listeners.get(name) ?? [])]) {
      try {
        fn(value);
      } catch (error) {
        // A throwing listener must not break the stream (nor skip the other listeners).
        if (name === 'error') console.error('CtiStream: error listener threw', error);
        else this.#error(error);
      }
    }
  }
}

/** A store that keeps the last seq in memory only (the default where there is no localStorage). */
export function memoryStore(initial = null) {
  let seq = initial;
  return {
    get: () => seq,
    set: (value) => {
      seq = value;
    },
  };
}

/** localStorage when the page has it (it can throw in sandboxed frames), else memory. */
function defaultStore(key) {
  try {
    const storage = globalThis.localStorage;
    if (storage) {
      storage.getItem(key);
      return {
        get: () => storage.getItem(key),
        set: (seq) => storage.setItem(key, String(seq)),
      };
    }
  } catch {
    // fall through
  }
  return memoryStore();
}

function validSeq(value) {
  if (value === null || value === undefined || value === '') return null;
  const seq = Number(value);
  return Number.isSafeInteger(seq) && seq >= 0 ? seq : null;
}

/** The `message` (or `error`) of the server's JSON error body, if any. */
function errorMessage(body) {
  try {
    const parsed = JSON.parse(body);
    return parsed.message || parsed.error || '';
  } catch {
    return body.trim().slice(0, 200);
  }
}
