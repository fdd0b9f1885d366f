/**
 * Client for the CTI server's `GET /ws` event stream.
 *
 * Guarantees: each event is delivered once, in `seq` order (anything at or below the last
 * seq handled is dropped, which absorbs the overlap of a reconnect); after a drop the stream
 * resumes with `since=<last seq handled>`, so nothing is missed unless the server answers
 * with a `reset` (then reload through the REST API).
 *
 * Limitation in browsers: the WebSocket API does not expose the HTTP status of a refused
 * handshake (401 bad/used ticket or key, 403 inactive app or foreign Origin, 400, 429); the
 * page only sees a close with code 1006 before `open`. Such an attempt is retried with backoff
 * (with a fresh ticket) like a network failure, so a permanently refused browser client keeps
 * retrying at most every `backoff.maxMs`; have your `ticket()` throw (it is reported through
 * `error` and retried) or call `stop()` when your backend knows the app can no longer stream.
 * With the `ws` package (Node), the status is seen and 401/403 stop the stream.
 * Close codes 4401/4403 (credentials ended after the upgrade) stop it everywhere.
 */

/** Where the last handled seq is kept, so that a reload or a new instance resumes. */
export interface SeqStore {
  get(): number | string | null | undefined | Promise<number | string | null | undefined>;
  set(seq: number): void | Promise<void>;
}

/** A WebSocket constructor: the browser's, Node 22+'s, or the `ws` package's. */
export type WebSocketConstructor = new (url: string) => {
  close(code?: number, reason?: string): void;
  addEventListener(type: string, listener: (event: any) => void): void;
};

export interface CtiStreamOptions {
  /** The server's `/ws` URL, e.g. `wss://cti.example.com/ws` (relative and http(s) URLs are accepted in a page). */
  url: string;
  /**
   * Returns a fresh one-time ticket (your backend's `POST /api/ws-ticket`). Called once per
   * connection attempt; a ticket is never reused. If it throws, the error is reported through
   * `error` and the attempt is retried with backoff. Takes precedence over `apiKey`.
   */
  ticket?: () => string | Promise<string>;
  /** The app's API key, sent as `?api_key=` (server-side use only: never ship it to a browser). */
  apiKey?: string;
  /**
   * The last seq the app already handled (e.g. from a REST load). Given, it wins over the
   * store; omit it to resume from the store.
   */
  since?: number | null;
  /** Event types or families, e.g. `["call.ringing", "sms"]` or `"call,sms"`. */
  types?: string | string[];
  /** Only this app user's events. */
  user?: string;
  /**
   * Keeps the last handled seq. Default: `localStorage` (key derived from url, types and user)
   * where it exists, else memory.
   */
  store?: SeqStore;
  /** Default: `globalThis.WebSocket` (browsers, Node 22+). On Node 20 pass `WebSocket` from `ws`. */
  WebSocket?: WebSocketConstructor;
  /** Full-jitter exponential backoff between attempts. */
  backoff?: {
    /** First ceiling, doubled after each failed attempt. Default 250. */
    initialMs?: number;
    /** Largest ceiling. Default 30000. */
    maxMs?: number;
    /** A connection open at least this long resets the backoff. Default 10000. */
    resetAfterMs?: number;
  };
  /** An attempt not open after this long is abandoned and retried. Default 15000. */
  connectTimeoutMs?: number;
}

/** An event as the server sends it; `seq` is the app's gap-free sequence number. */
export interface CtiEvent {
  /** `call.<state>` for calls, else `sms`, `agent_status`, `contact`, `unknown` or `connection`. */
  type: string;
  seq: number;
  call_id: number | null;
  state: string | null;
  target_id: number | null;
  event_timestamp: number | null;
  received_at: string;
  /** Echo of the `custom_data` given to `POST /api/dialpad/calls`, when Dialpad sends it. */
  custom_data?: unknown;
  /** The event as Dialpad sent it. */
  data: any;
}

export interface CtiReset {
  /** The stream continues after this seq; events up to it must be reloaded through the API. */
  lastSeq: number | null;
  message: string;
}

export type CtiStatus =
  | { state: 'connecting'; attempt: number }
  /**
   * Connected with `since`, replaying what was missed, until an event with seq >= `until`
   * (the server's last seq at hello). With `types`/`user` filters that event may be filtered
   * out, so the stream can stay `replaying` until the next matching event.
   */
  | { state: 'replaying'; since: number; until: number }
  | { state: 'live' }
  /** The connection failed or dropped; the next attempt starts in `retryInMs`. */
  | { state: 'reconnecting'; retryInMs: number; reason: string; code?: number; httpStatus?: number; error?: unknown }
  /** No more reconnects: `stop()`, close 4401/4403, a 401/403 handshake (`ws` only), or a malformed URL. */
  | { state: 'stopped'; reason: string; code?: number; httpStatus?: number; error?: unknown };

export interface CtiStreamEvents {
  event: CtiEvent;
  reset: CtiReset;
  status: CtiStatus;
  /** Problems that do not stop the stream: ticket() failures, unreadable messages, store or listener errors. */
  error: unknown;
}

/**
 * The stream. A tiny emitter: `on(name, fn)` returns a function that unsubscribes.
 * Listener exceptions are caught and reported through `error` (or the console).
 */
export declare class CtiStream {
  constructor(options: CtiStreamOptions);
  /** The last seq handled, null before the first hello or event. */
  readonly lastSeq: number | null;
  readonly state: 'idle' | CtiStatus['state'];
  on<K extends keyof CtiStreamEvents>(name: K, fn: (value: CtiStreamEvents[K]) => void): () => void;
  off<K extends keyof CtiStreamEvents>(name: K, fn: (value: CtiStreamEvents[K]) => void): void;
  /** Connects, and keeps reconnecting until `stop()` or a refusal. A second call is a no-op. */
  start(): void;
  /** Closes the connection and stops reconnecting; `start()` resumes from the last seq. */
  stop(): void;
}

/** A store that keeps the last seq in memory only. */
export declare function memoryStore(initial?: number | null): SeqStore;
