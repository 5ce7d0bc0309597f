// SignalConnection: one LiveKit signalling WebSocket in protobuf-JSON form.
//
// LiveKit's v0 protocol carries `livekit.SignalRequest` (client -> server) and
// `livekit.SignalResponse` (server -> client) messages, defined in livekit_rtc.proto. Switchboard
// also accepts them as proto3 JSON in WebSocket *text* frames: `format=json` in the URL makes the
// first message (the JoinResponse) JSON, and afterwards the server answers in the format of the
// client's most recent frame. This page only ever sends text frames.
//
// The JSON is what swift-protobuf writes: lowerCamelCase field names, enums as their names
// ("VIDEO", "CAMERA"), 64-bit integers as strings, and fields with default values left out
// (a missing `type` is "AUDIO", a missing `muted` is false, a missing `quality` is "POOR").
// Parsing here accepts snake_case too and turns every field name into lowerCamelCase.
//
// Each message is an object with exactly one key, the oneof case of the message, e.g.
//   -> {"addTrack": {"cid": "…", "type": "VIDEO", "source": "CAMERA"}}
//   <- {"trackPublished": {"cid": "…", "track": {"sid": "TR_…", …}}}

/** snake_case -> lowerCamelCase; lowerCamelCase stays as it is. */
export function camelCase(name) {
  return name.replace(/_([a-z0-9])/g, (_, c) => c.toUpperCase());
}

/** Recursively renames object keys to lowerCamelCase; the keys of map fields (attributes) are data, not names. */
export function normalizeKeys(value, isMap = false) {
  if (Array.isArray(value)) return value.map((v) => normalizeKeys(v));
  if (value === null || typeof value !== 'object') return value;
  const out = {};
  for (const [key, v] of Object.entries(value)) {
    const name = isMap ? key : camelCase(key);
    out[name] = normalizeKeys(v, !isMap && name === 'attributes');
  }
  return out;
}

/**
 * The WebSocket URL of a v0 join: `ws(s)://host/rtc?access_token=…&protocol=15&auto_subscribe=1&sdk=js&format=json`.
 * Browsers cannot set an Authorization header on a WebSocket, so the token goes in the query.
 */
export function signalURL(serverURL, token, { autoSubscribe = true } = {}) {
  const url = new URL('/rtc', serverURL);
  url.protocol = url.protocol === 'https:' || url.protocol === 'wss:' ? 'wss:' : 'ws:';
  url.searchParams.set('access_token', token);
  url.searchParams.set('protocol', '15');
  url.searchParams.set('auto_subscribe', autoSubscribe ? '1' : '0');
  url.searchParams.set('sdk', 'js');
  url.searchParams.set('format', 'json');
  return url.toString();
}

/**
 * One signalling WebSocket. Events (EventTarget):
 * - `message`: `detail = {kind, body}` for every SignalResponse, kind being the oneof case
 *   ("join", "offer", "update", …) and body its (key-normalised) value;
 * - `close`: `detail = {code, reason, expected}` once, when the socket is gone for whatever
 *   reason; `expected` is true after `close()` was called here.
 * The connection also runs LiveKit's keep-alive: `pingReq` every `pingInterval` seconds (from
 * the JoinResponse), and it gives up (closes) after `pingTimeout` seconds without any message.
 */
export class SignalConnection extends EventTarget {
  constructor(url) {
    super();
    this.url = url;
    this.ws = null;
    this.closed = false;
    this.lastMessageAt = 0;
    this.rtt = 0;
    this._pingTimer = null;
  }

  /** Opens the socket and resolves with the JoinResponse (rejects after `timeoutMs` or on close). */
  open(timeoutMs = 10000) {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(this.url);
      this.ws = ws;
      let joined = false;
      const timer = setTimeout(() => {
        if (!joined) { reject(new Error('no JoinResponse from the server')); this.close(); }
      }, timeoutMs);
      ws.onmessage = (event) => {
        if (typeof event.data !== 'string') return; // we asked for JSON; binary would be a protocol error
        let message;
        try {
          message = normalizeKeys(JSON.parse(event.data));
        } catch (err) {
          console.warn('switchboard: unparsable signal message', err);
          return;
        }
        this.lastMessageAt = Date.now();
        const kind = Object.keys(message)[0];
        const body = message[kind] ?? {};
        if (kind === 'join' && !joined) {
          joined = true;
          clearTimeout(timer);
          this._startPings(body.pingInterval || 5, body.pingTimeout || 15);
          resolve(body);
        }
        if (kind === 'pongResp' && body.lastPingTimestamp) this.rtt = Date.now() - Number(body.lastPingTimestamp);
        if (kind === 'leave' && !joined) {
          // Refused after the upgrade (room closing, full): the caller learns it from open().
          clearTimeout(timer);
          reject(new Error(`join refused by the server (${body.reason || 'UNKNOWN_REASON'})`));
          return;
        }
        this.dispatchEvent(new CustomEvent('message', { detail: { kind, body } }));
      };
      let finished = false;
      this._finish = (code, reason) => {
        if (finished) return;
        finished = true;
        clearTimeout(timer);
        this._stopPings();
        const expected = this.closed;
        this.closed = true;
        if (!joined) reject(new Error(`signal connection closed before the join (code ${code})`));
        this.dispatchEvent(new CustomEvent('close', { detail: { code, reason, expected } }));
      };
      ws.onclose = (event) => this._finish(event.code, event.reason);
      // An error is always followed by `close`, which does the work.
      ws.onerror = () => {};
    });
  }

  /** Sends one SignalRequest: `send('mute', {sid, muted: true})` -> `{"mute":{"sid":…,"muted":true}}`. */
  send(kind, body) {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return false;
    this.ws.send(JSON.stringify({ [kind]: body }));
    return true;
  }

  /** Closes the socket without a `leave` (the caller sends `leave` first when it means it). */
  close() {
    this.closed = true;
    this._stopPings();
    if (this.ws && this.ws.readyState <= WebSocket.OPEN) this.ws.close(1000);
  }

  _startPings(intervalSeconds, timeoutSeconds) {
    this._stopPings();
    this._pingTimer = setInterval(() => {
      if (Date.now() - this.lastMessageAt > timeoutSeconds * 1000) {
        // The server pongs every ping: this long without a word means the path is dead.
        // A socket on a dead path may take long to report its close: report it now.
        console.warn('switchboard: signal connection timed out');
        this.ws.close(4000, 'ping timeout');
        this._finish(4000, 'ping timeout');
        return;
      }
      // int64 fields travel as strings in proto3 JSON.
      this.send('pingReq', { timestamp: String(Date.now()), rtt: String(this.rtt) });
    }, intervalSeconds * 1000);
  }

  _stopPings() {
    clearInterval(this._pingTimer);
    this._pingTimer = null;
  }
}
