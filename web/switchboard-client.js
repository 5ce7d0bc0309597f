// SwitchboardClient: a small reference client for LiveKit's v0 signalling protocol in its
// protobuf-JSON form (see signal-connection.js), using the browser's own RTCPeerConnection.
// It is what web/app.js builds the demo page on, and a readable description of the flow for
// anyone writing a client without an SDK (docs/signalling.md describes the server's side).
//
// The flow, as LiveKit's v0 protocol has it:
// 1. Open the WebSocket; the server sends `join` (JoinResponse: room, own ParticipantInfo,
//    other participants, ping settings).
// 2. Subscriber connection: the server sends `offer` (at once, and again on every change), the
//    client answers with `answer`. Remote tracks arrive through `ontrack`; their stream id is
//    `PA_<publisher sid>|TR_<track sid>`.
// 3. Publisher connection: for every local track the client sends `addTrack` (cid = the
//    MediaStreamTrack id, which is also the track id in the SDP's a=msid) and waits for
//    `trackPublished`; then it offers (`offer`) and applies the server's `answer`.
// 4. Both directions trickle ICE candidates (`trickle`, target PUBLISHER or SUBSCRIBER); the
//    server is ICE-lite and puts its own candidates into its SDP.
// 5. `update` (ParticipantUpdate) says who is in the room, with their tracks and mute state;
//    `speakersChanged`, `connectionQuality`, `roomUpdate` (e.g. activeRecording),
//    `streamStateUpdate`, `refreshToken`, `leave` complete the picture.
// No data channels are created: the server does not run SCTP yet.
//
// Reconnection: when the WebSocket closes unexpectedly or a peer connection fails, the client
// does a full rejoin with exponential backoff (new WebSocket, new peer connections, the same
// local tracks published again). Participants and the page stay as they are meanwhile.

import { SignalConnection, signalURL } from './signal-connection.js';
import { applySubscribedQualities, layerInfos, sendEncodings } from './simulcast.js';

/** Decodes a JWT's claims (no verification: only to know which grants the page may use). */
export function tokenClaims(token) {
  try {
    const part = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    return JSON.parse(atob(part.padEnd(part.length + ((4 - (part.length % 4)) % 4), '=')));
  } catch {
    return {};
  }
}

const BACKOFF_MS = [500, 1000, 2000, 4000, 8000];
const ICE_DISCONNECTED_GRACE_MS = 5000;

/**
 * Events (all CustomEvent, data in `detail`):
 * - `state`: `{state, attempt}`; state is connecting | connected | reconnecting | disconnected;
 * - `participant`: `{participant}` a remote participant joined or changed;
 * - `participantleft`: `{participant}`;
 * - `track`: `{participant, trackSid, track, stream}` a remote MediaStreamTrack arrived;
 * - `local`: `{participant}` our own ParticipantInfo or local mute state changed;
 * - `speakers`: `{active}` (Set of participant sids speaking now);
 * - `quality`: `{participant}` a connectionQuality update was applied;
 * - `room`: `{room}` JoinResponse or roomUpdate room info;
 * - `disconnected`: `{reason}` the server ended the session or the client left.
 *
 * A remote participant is `{sid, identity, info, media: Map<trackSid, {track, stream}>,
 * quality, streamStates}`; `info` is its latest ParticipantInfo (JSON).
 */
export class SwitchboardClient extends EventTarget {
  /**
   * `simulcast`: publish camera video as three VP8 layers (rid q/h/f at 1/4, 1/2 and full
   * size), so the server can give each subscriber the layer it asks for (`setTrackSettings`).
   */
  constructor({ serverURL = location.origin, simulcast = false } = {}) {
    super();
    this.serverURL = serverURL;
    this.simulcast = simulcast;
    this.token = null;
    this.state = 'idle';
    this.room = null;
    this.localParticipant = null;
    this.participants = new Map();
    this.activeSpeakers = new Set();
    this.localTracks = []; // {track, stream, source, name, sid, muted}
    this.signal = null;
    this.publisher = null;
    this.subscriber = null;
    this._offerId = 0;
    this._pendingAnswers = new Map();
    this._pendingPublished = new Map();
    this._subscriberChain = Promise.resolve();
    this._generation = 0;
    this._reconnectTimer = null;
    this._iceTimer = null;
  }

  get grants() { return tokenClaims(this.token).video || {}; }

  /** Joins the room the token names. Rejects if this first join fails. */
  async connect(token) {
    this.token = token;
    this._setState('connecting');
    try {
      await this._join();
    } catch (err) {
      this._teardown();
      this._setState('disconnected');
      throw err;
    }
  }

  /** Publishes `stream`'s audio and video tracks (microphone, camera); kept across rejoins. */
  async publish(stream) {
    for (const track of stream.getTracks()) {
      this.localTracks.push({
        track, stream, sid: null, muted: !track.enabled,
        source: track.kind === 'video' ? 'CAMERA' : 'MICROPHONE',
        name: track.kind === 'video' ? 'camera' : 'microphone',
      });
    }
    await this._publishLocalTracks();
  }

  /**
   * Asks the server for a remote video track at the size it is shown (`width`/`height`, picks
   * the simulcast layer), or at a `quality` ('LOW' | 'MEDIUM' | 'HIGH'), or stops it for us
   * (`disabled`): LiveKit's `trackSetting`.
   */
  setTrackSettings(trackSid, { width = 0, height = 0, quality = 'HIGH', disabled = false } = {}) {
    this.signal?.send('trackSetting', { trackSids: [trackSid], disabled, quality, width, height });
  }

  /** Mutes or unmutes the local track of `kind` ('audio' | 'video'): stops sending and tells the room. */
  setMuted(kind, muted) {
    for (const local of this.localTracks.filter((t) => t.track.kind === kind)) {
      local.muted = muted;
      local.track.enabled = !muted;
      if (local.sid) this.signal?.send('mute', { sid: local.sid, muted });
    }
    this._emit('local', { participant: this.localParticipant });
  }

  isMuted(kind) { return this.localTracks.some((t) => t.track.kind === kind && t.muted); }

  /** Leaves the room for good (no reconnect). */
  leave() {
    if (this.state === 'disconnected') return;
    this.signal?.send('leave', { reason: 'CLIENT_INITIATED', action: 'DISCONNECT' });
    this._teardown();
    this._setState('disconnected');
    this._emit('disconnected', { reason: 'CLIENT_INITIATED' });
  }

  /** Subscriber-side getStats: inbound video/audio per track, for tests and the page's debugging. */
  async getStats() {
    const result = { video: [], audio: [], outbound: [] };
    const collect = async (pc, into) => {
      if (!pc) return;
      (await pc.getStats()).forEach((s) => into(s));
    };
    await collect(this.subscriber, (s) => {
      if (s.type !== 'inbound-rtp') return;
      if (s.kind === 'video') {
        result.video.push({ trackIdentifier: s.trackIdentifier, mid: s.mid, framesDecoded: s.framesDecoded || 0,
                            frameWidth: s.frameWidth || 0, frameHeight: s.frameHeight || 0, packetsReceived: s.packetsReceived || 0 });
      } else if (s.kind === 'audio') {
        result.audio.push({ trackIdentifier: s.trackIdentifier, mid: s.mid, totalSamplesReceived: s.totalSamplesReceived || 0,
                            packetsReceived: s.packetsReceived || 0 });
      }
    });
    await collect(this.publisher, (s) => {
      if (s.type === 'outbound-rtp') result.outbound.push({ kind: s.kind, mid: s.mid, packetsSent: s.packetsSent || 0, framesEncoded: s.framesEncoded });
    });
    return result;
  }

  // MARK: Joining

  async _join() {
    const generation = ++this._generation;
    const signal = new SignalConnection(signalURL(this.serverURL, this.token));
    this.signal = signal;
    signal.addEventListener('message', (e) => { if (generation === this._generation) this._onMessage(e.detail); });
    signal.addEventListener('close', (e) => { if (generation === this._generation) this._onSignalClose(e.detail); });
    this.subscriber = this._makePeerConnection('SUBSCRIBER', generation);
    this.subscriber.ontrack = (e) => this._onRemoteTrack(e);
    this.publisher = this._makePeerConnection('PUBLISHER', generation);
    this._openDataChannels(generation);

    const join = await signal.open();
    this.room = join.room || {};
    this.localParticipant = join.participant || {};
    this._reconcileParticipants(join.otherParticipants || []);
    this._emit('room', { room: this.room });
    this._emit('local', { participant: this.localParticipant });
    this._setState('connected');
    // The publisher connection carries our data channels even when we publish no media.
    if (this.localTracks.length) await this._publishLocalTracks();
    else await this._negotiatePublisher(this.publisher);
  }

  // MARK: Data channels

  /**
   * LiveKit's data channels: we send on `_reliable` (ordered) and `_lossy` (unordered, sent
   * once) of the publisher connection; the server opens the same two on the subscriber
   * connection for what others send. Messages are binary DataPackets (data-packets.js); each
   * arrives as a `data` event `{ label, bytes }`.
   */
  _openDataChannels(generation) {
    this._dataOut = {
      reliable: this.publisher.createDataChannel('_reliable', { ordered: true }),
      lossy: this.publisher.createDataChannel('_lossy', { ordered: false, maxRetransmits: 0 }),
    };
    this.subscriber.ondatachannel = ({ channel }) => {
      channel.binaryType = 'arraybuffer';
      channel.onmessage = (m) => {
        if (generation === this._generation) this._emit('data', { label: channel.label, bytes: new Uint8Array(m.data) });
      };
    };
  }

  /** Sends an encoded DataPacket; waits (up to 10 s) for the channel to open. */
  async sendData(bytes, { reliable = true } = {}) {
    const channel = reliable ? this._dataOut?.reliable : this._dataOut?.lossy;
    if (!channel) throw new Error('not connected');
    if (channel.readyState === 'connecting') {
      await new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('data channel did not open')), 10000);
        channel.addEventListener('open', () => { clearTimeout(timer); resolve(); }, { once: true });
      });
    }
    if (channel.readyState !== 'open') throw new Error('data channel closed');
    channel.send(bytes);
  }

  _makePeerConnection(target, generation) {
    const pc = new RTCPeerConnection({ iceServers: [], bundlePolicy: 'max-bundle', rtcpMuxPolicy: 'require' });
    pc.onicecandidate = (e) => {
      // `candidateInit` is the JSON of an RTCIceCandidateInit, as LiveKit's SDKs send it.
      if (e.candidate) this.signal?.send('trickle', { candidateInit: JSON.stringify(e.candidate.toJSON()), target });
    };
    pc.onconnectionstatechange = () => {
      if (generation !== this._generation || this.state === 'disconnected') return;
      if (pc.connectionState === 'failed') {
        this._scheduleRejoin(`${target.toLowerCase()} connection failed`);
      } else if (pc.connectionState === 'disconnected') {
        clearTimeout(this._iceTimer);
        this._iceTimer = setTimeout(() => {
          if (generation === this._generation && pc.connectionState === 'disconnected') {
            this._scheduleRejoin(`${target.toLowerCase()} connection lost`);
          }
        }, ICE_DISCONNECTED_GRACE_MS);
      }
    };
    return pc;
  }

  /** After a (re)join: participants that are gone are removed, the others updated. */
  _reconcileParticipants(infos) {
    const present = new Set(infos.map((p) => p.sid));
    for (const participant of [...this.participants.values()]) {
      if (!present.has(participant.sid)) this._removeParticipant(participant.sid);
      else participant.media.clear(); // tracks come again on the new subscriber connection
    }
    for (const info of infos) this._applyParticipantInfo(info, true);
  }

  // MARK: Reconnecting

  _onSignalClose({ code, expected }) {
    if (expected || this.state === 'disconnected') return;
    this._scheduleRejoin(`signal connection closed (code ${code})`);
  }

  _scheduleRejoin(why, attempt = 1) {
    if (this.state === 'disconnected' || (this.state === 'reconnecting' && attempt === 1)) return;
    console.warn(`switchboard: ${why}; rejoining (attempt ${attempt})`);
    this._teardown();
    this._setState('reconnecting', attempt);
    const delay = BACKOFF_MS[Math.min(attempt - 1, BACKOFF_MS.length - 1)];
    this._reconnectTimer = setTimeout(async () => {
      if (this.state !== 'reconnecting') return;
      try {
        await this._join();
      } catch (err) {
        if (this.state !== 'reconnecting') return;
        this._teardown();
        this._scheduleRejoin(err.message, attempt + 1);
      }
    }, delay);
  }

  /** Closes the socket and both peer connections; local media and participants stay. */
  _teardown() {
    this._generation++;
    clearTimeout(this._reconnectTimer);
    clearTimeout(this._iceTimer);
    this.signal?.close();
    this.publisher?.close();
    this.subscriber?.close();
    this.signal = this.publisher = this.subscriber = null;
    for (const { reject } of this._pendingAnswers.values()) reject(new Error('connection closed'));
    for (const { reject } of this._pendingPublished.values()) reject(new Error('connection closed'));
    this._pendingAnswers.clear();
    this._pendingPublished.clear();
    this._subscriberChain = Promise.resolve();
    for (const local of this.localTracks) local.sid = null;
  }

  // MARK: Publishing

  async _publishLocalTracks() {
    const pc = this.publisher;
    const unpublished = this.localTracks.filter((t) => !t.sid);
    if (!pc || !unpublished.length) return;
    for (const local of unpublished) {
      const settings = local.track.getSettings();
      const width = settings.width || 0, height = settings.height || 0;
      const simulcast = this.simulcast && local.track.kind === 'video';
      const published = this._waitFor(this._pendingPublished, local.track.id, 10000, 'trackPublished');
      this.signal.send('addTrack', {
        cid: local.track.id, name: local.name, type: local.track.kind === 'video' ? 'VIDEO' : 'AUDIO',
        source: local.source, muted: local.muted,
        ...(local.track.kind === 'video' ? { width, height } : {}),
        // The layers' sizes let the server match a subscriber's rendered size to a layer.
        ...(simulcast ? { layers: layerInfos(width, height) } : {}),
      });
      const info = await published;
      local.sid = info.sid;
      local.sender = pc.addTransceiver(local.track, {
        direction: 'sendonly', streams: [local.stream], ...(simulcast ? { sendEncodings: sendEncodings() } : {}),
      }).sender;
    }
    await this._negotiatePublisher(pc);
  }

  async _negotiatePublisher(pc) {
    const offer = await pc.createOffer();
    await pc.setLocalDescription(offer);
    const id = ++this._offerId;
    const answered = this._waitFor(this._pendingAnswers, id, 10000, 'publisher answer');
    this.signal.send('offer', { type: 'offer', sdp: pc.localDescription.sdp, id });
    const answer = await answered;
    if (pc.signalingState !== 'closed') await pc.setRemoteDescription({ type: 'answer', sdp: answer.sdp });
  }

  _waitFor(map, key, timeoutMs, what) {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => { map.delete(key); reject(new Error(`no ${what} from the server`)); }, timeoutMs);
      map.set(key, {
        resolve: (v) => { clearTimeout(timer); map.delete(key); resolve(v); },
        reject: (e) => { clearTimeout(timer); reject(e); },
      });
    });
  }

  // MARK: Subscribing

  _onSubscriberOffer(offer) {
    const pc = this.subscriber;
    // Offers are applied one after the other; the server sends the next only after our answer.
    this._subscriberChain = this._subscriberChain.then(async () => {
      if (pc !== this.subscriber) return;
      await pc.setRemoteDescription({ type: 'offer', sdp: offer.sdp });
      const answer = await pc.createAnswer();
      await pc.setLocalDescription(answer);
      this.signal?.send('answer', { type: 'answer', sdp: pc.localDescription.sdp, id: offer.id || 0 });
    }).catch((err) => console.warn('switchboard: subscriber offer failed', err));
  }

  _onRemoteTrack(event) {
    // LiveKit packs publisher and track into the stream id: "PA_xxx|TR_yyy".
    const stream = event.streams[0];
    const [participantSid, trackSid] = (stream?.id || '').split('|');
    if (!participantSid || !trackSid) return;
    const participant = this._participant(participantSid);
    const entry = { track: event.track, stream, kind: event.track.kind };
    participant.media.set(trackSid, entry);
    this._emit('track', { participant, trackSid, track: event.track, stream });
  }

  // MARK: Server messages

  _onMessage({ kind, body }) {
    switch (kind) {
      case 'offer': this._onSubscriberOffer(body); break;
      case 'answer': // the answer carries our offer's id
        (this._pendingAnswers.get(body.id || 0) ?? this._pendingAnswers.values().next().value)?.resolve(body);
        break;
      case 'trackPublished': this._pendingPublished.get(body.cid)?.resolve(body.track || {}); break;
      case 'trackUnpublished':
        for (const local of this.localTracks) if (local.sid === body.trackSid) local.sid = null;
        break;
      case 'update': for (const info of body.participants || []) this._applyParticipantInfo(info); break;
      case 'mute': // the server (an admin) muted one of our tracks
        for (const local of this.localTracks) {
          if (local.sid === body.sid) { local.muted = !!body.muted; local.track.enabled = !body.muted; }
        }
        this._emit('local', { participant: this.localParticipant });
        break;
      case 'speakersChanged':
        for (const s of body.speakers || []) {
          if (s.active) this.activeSpeakers.add(s.sid); else this.activeSpeakers.delete(s.sid);
        }
        this._emit('speakers', { active: new Set(this.activeSpeakers) });
        break;
      case 'connectionQuality':
        for (const u of body.updates || []) {
          const participant = u.participantSid === this.localParticipant?.sid ? null : this.participants.get(u.participantSid);
          if (participant) { participant.quality = u.quality || 'POOR'; this._emit('quality', { participant }); }
        }
        break;
      case 'streamStateUpdate':
        for (const s of body.streamStates || []) {
          this.participants.get(s.participantSid)?.streamStates.set(s.trackSid, s.state || 'ACTIVE');
        }
        break;
      case 'subscribedQualityUpdate': {
        const sender = this.localTracks.find((t) => t.sid === body.trackSid)?.sender;
        if (sender) applySubscribedQualities(sender, body).catch((err) => console.warn('switchboard: dynacast', err));
        break;
      }
      case 'roomUpdate': this.room = body.room || {}; this._emit('room', { room: this.room }); break;
      case 'refreshToken': this.token = body; break;
      case 'leave': this._onLeave(body); break;
      case 'requestResponse':
        if (body.reason && body.reason !== 'OK') console.warn('switchboard: request refused', body);
        break;
      default: break; // join (handled by open()), pong, pongResp, reconnect, …
    }
  }

  _onLeave(leave) {
    // action: DISCONNECT (the default, so absent), RESUME or RECONNECT.
    if (leave.action === 'RECONNECT' || leave.action === 'RESUME') {
      this._scheduleRejoin(`server asked to reconnect (${leave.reason || 'UNKNOWN_REASON'})`);
      return;
    }
    this._teardown();
    this._setState('disconnected');
    this._emit('disconnected', { reason: leave.reason || 'UNKNOWN_REASON' });
  }

  _participant(sid) {
    let participant = this.participants.get(sid);
    if (!participant) {
      participant = { sid, identity: '', info: null, media: new Map(), quality: null, streamStates: new Map() };
      this.participants.set(sid, participant);
    }
    return participant;
  }

  _applyParticipantInfo(info, force = false) {
    if (info.sid === this.localParticipant?.sid) {
      this.localParticipant = info;
      this._emit('local', { participant: info });
      return;
    }
    if (info.state === 'DISCONNECTED') { this._removeParticipant(info.sid); return; }
    const participant = this._participant(info.sid);
    if (!force && participant.info && (info.version || 0) < (participant.info.version || 0)) return; // stale
    participant.identity = info.identity || '';
    participant.info = info;
    this._emit('participant', { participant });
  }

  _removeParticipant(sid) {
    const participant = this.participants.get(sid);
    if (!participant) return;
    this.participants.delete(sid);
    this.activeSpeakers.delete(sid);
    this._emit('participantleft', { participant });
  }

  _setState(state, attempt = 0) {
    this.state = state;
    this._emit('state', { state, attempt });
  }

  _emit(type, detail) { this.dispatchEvent(new CustomEvent(type, { detail })); }
}
