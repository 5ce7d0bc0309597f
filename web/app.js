// The demo page: a join form, then a video call through SwitchboardClient.
//
// URL parameters: `room`, `name` fill the form; `autojoin=1` joins without a click; `token` is a
// join token (needed when the server is not in --dev mode); `record=1` asks the dev token
// endpoint for the recording grant. Tests read `window.__switchboard` (see the end of the file).

import { Chat } from './chat.js';
import { SwitchboardClient, tokenClaims } from './switchboard-client.js';
import { ICONS, Tile, muteState, play } from './tiles.js';

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
const ui = {
  form: $('join-form'), room: $('room'), name: $('name'), record: $('record'), joinButton: $('join'),
  joinError: $('join-error'), call: $('call'), tiles: $('tiles'), status: $('status'), roomLabel: $('room-label'),
  recording: $('recording'), mic: $('toggle-mic'), camera: $('toggle-camera'), leave: $('leave'),
  startRecording: $('start-recording'), stopRecording: $('stop-recording'), enableAudio: $('enable-audio'),
  chatMessages: $('chat-messages'), chatForm: $('chat-form'), chatInput: $('chat-input'),
};

let client = null;
let chat = null;
let localStream = null;
let localTile = null;
const tiles = new Map(); // participant sid -> Tile

function setStatus(text) { ui.status.textContent = text; }

function showJoinError(text) {
  ui.joinError.textContent = text;
  ui.joinError.hidden = !text;
}

// MARK: Tokens

/** A token from the URL (an app backend hands these out), else from the dev server's /dev/token. */
async function getToken(room, name, record) {
  const fromURL = params.get('token');
  if (fromURL) return fromURL;
  const identity = `${name.toLowerCase().replace(/[^a-z0-9_-]+/g, '-').slice(0, 40) || 'guest'}-${Math.random().toString(36).slice(2, 7)}`;
  const query = new URLSearchParams({ room, identity, name });
  if (record) query.set('record', '1');
  const response = await fetch(`/dev/token?${query}`);
  if (response.status === 404) {
    throw new Error('This server does not hand out tokens (it is not running with --dev). Open this page with '
      + '?token=<join token>, for example one made by `switchboard token --room <room> --identity <you>`.');
  }
  if (!response.ok) throw new Error(`Could not get a token: ${response.status} ${await response.text()}`);
  return (await response.json()).token;
}

// MARK: Joining and leaving

async function join() {
  showJoinError('');
  const tokenParam = params.get('token');
  const room = tokenParam ? tokenClaims(tokenParam).video?.room || '' : ui.room.value.trim();
  const name = ui.name.value.trim() || (tokenParam ? tokenClaims(tokenParam).name || '' : '') || 'Guest';
  if (!room) { showJoinError('Please enter a room name.'); return; }
  ui.joinButton.disabled = true;
  setStatus(`Joining ${room}…`);
  try {
    const token = await getToken(room, name, ui.record.checked);
    // URL options: `video=WxH` camera size (default 640x360), `simulcast=1` three layers,
    // `publish=0` join to watch only.
    const [width, height] = (params.get('video') || '640x360').split('x').map(Number);
    try {
      localStream = params.get('publish') === '0' ? null : await navigator.mediaDevices.getUserMedia({
        audio: true, video: { width: { ideal: width || 640 }, height: { ideal: height || 360 }, frameRate: { ideal: 24 } },
      });
    } catch (err) {
      console.warn('switchboard: no camera/microphone, joining to watch only', err);
      localStream = null;
    }
    client = new SwitchboardClient({ simulcast: params.get('simulcast') === '1' });
    window.__switchboard.client = client;
    wireClient(client);
    // Before connecting: the server sends the history as soon as the data channels open.
    chat = new Chat(client);
    wireChat(chat);
    ui.form.hidden = true;
    ui.call.hidden = false;
    ui.roomLabel.textContent = room;
    await client.connect(token);
    localTile = new Tile({ sid: client.localParticipant.sid, name: client.localParticipant.name || name, local: true });
    ui.tiles.prepend(localTile.root);
    if (localStream) {
      localTile.video.srcObject = localStream;
      play(localTile.video);
      await client.publish(localStream);
    }
    updateLocal();
    const canRecord = !!client.grants.roomRecord;
    ui.startRecording.hidden = ui.stopRecording.hidden = !canRecord;
  } catch (err) {
    console.warn('switchboard: join failed', err);
    leave(false);
    showJoinError(err.message);
  } finally {
    ui.joinButton.disabled = false;
  }
}

function leave(byUser = true) {
  client?.leave();
  client = null;
  chat = null;
  ui.chatMessages.replaceChildren();
  localStream?.getTracks().forEach((t) => t.stop());
  localStream = null;
  localTile = null;
  tiles.clear();
  ui.tiles.replaceChildren();
  ui.call.hidden = true;
  ui.form.hidden = false;
  ui.recording.hidden = true;
  ui.enableAudio.hidden = true;
  setStatus(byUser ? 'You left the room.' : '');
}

// MARK: Chat

function displayName(identity) {
  if (identity === client?.localParticipant?.identity) return 'You';
  for (const p of client?.participants.values() ?? []) if (p.identity === identity) return p.info?.name || identity;
  return identity || 'Server';
}

/** Redraws the message list: sender, text, "edited", a delete button on ours, who read up to here. */
function renderChat() {
  if (!chat) return;
  const readBy = new Map(); // message id -> names
  for (const [identity, id] of chat.receipts) {
    if (identity === chat.me) continue;
    readBy.set(id, [...(readBy.get(id) || []), displayName(identity)]);
  }
  ui.chatMessages.replaceChildren(...[...chat.messages.values()].map((m) => {
    const li = document.createElement('li');
    li.dataset.id = m.id;
    li.className = m.mine ? 'mine' : '';
    const who = document.createElement('span');
    who.className = 'sender';
    who.textContent = displayName(m.identity);
    const text = document.createElement('span');
    text.className = 'text';
    text.textContent = m.text + (m.edited ? ' (edited)' : '');
    li.append(who, text);
    if (m.mine) {
      const del = document.createElement('button');
      del.type = 'button';
      del.className = 'delete';
      del.textContent = '×';
      del.setAttribute('aria-label', 'Delete this message');
      del.addEventListener('click', () => chat?.remove(m.id).catch((err) => setStatus(err.message)));
      li.append(del);
    }
    if (readBy.has(m.id)) {
      const read = document.createElement('span');
      read.className = 'read';
      read.textContent = `Read by ${readBy.get(m.id).join(', ')}`;
      li.append(read);
    }
    return li;
  }));
  ui.chatMessages.scrollTop = ui.chatMessages.scrollHeight;
}

function wireChat(c) {
  const on = (type, handler) => c.addEventListener(type, (e) => { if (c === chat) handler(e.detail); });
  let readTimer = null;
  on('message', (m) => {
    renderChat();
    // Seen: the page is in front, so everything up to here is read. One receipt for a burst
    // (the history on joining), for its last message.
    if (m.mine || document.visibilityState !== 'visible') return;
    clearTimeout(readTimer);
    readTimer = setTimeout(() => { if (c === chat) c.markRead(m.id).catch(() => {}); }, 300);
  });
  on('deleted', renderChat);
  on('receipt', renderChat);
}

ui.chatForm.addEventListener('submit', async (e) => {
  e.preventDefault();
  const text = ui.chatInput.value.trim();
  if (!text || !chat) return;
  ui.chatInput.value = '';
  try {
    await chat.send(text);
  } catch (err) {
    setStatus(`Message not sent: ${err.message}`);
  }
});

// MARK: Client events -> UI

function wireClient(c) {
  const on = (type, handler) => c.addEventListener(type, (e) => { if (c === client) handler(e.detail); });
  on('state', ({ state, attempt }) => {
    const room = ui.roomLabel.textContent;
    setStatus({ connecting: `Joining ${room}…`, connected: `Connected to ${room}.`,
                reconnecting: `Connection lost, reconnecting (attempt ${attempt})…`, disconnected: 'Disconnected.' }[state] || state);
    ui.call.dataset.state = state;
  });
  on('participant', ({ participant }) => renderParticipant(participant));
  on('participantleft', ({ participant }) => {
    tiles.get(participant.sid)?.root.remove();
    tiles.delete(participant.sid);
  });
  on('track', ({ participant, track }) => {
    tileFor(participant).attach(track, () => { ui.enableAudio.hidden = false; });
  });
  on('local', () => updateLocal());
  on('speakers', ({ active }) => {
    for (const [sid, tile] of tiles) tile.setSpeaking(active.has(sid));
    localTile?.setSpeaking(active.has(c.localParticipant?.sid));
  });
  on('quality', ({ participant }) => tiles.get(participant.sid)?.setQuality(participant.quality));
  on('room', ({ room }) => {
    ui.recording.hidden = !room.activeRecording;
    ui.stopRecording.disabled = !room.activeRecording;
    ui.startRecording.disabled = !!room.activeRecording;
  });
  on('disconnected', ({ reason }) => {
    if (reason === 'CLIENT_INITIATED') return;
    leave(false);
    setStatus(`The server ended the session (${reason.toLowerCase().replace(/_/g, ' ')}).`);
  });
}

function tileFor(participant) {
  let tile = tiles.get(participant.sid);
  if (!tile) {
    tile = new Tile({ sid: participant.sid, name: participant.info?.name || participant.identity || '…' });
    tile.root.dataset.identity = participant.identity;
    tiles.set(participant.sid, tile);
    ui.tiles.append(tile.root);
  }
  return tile;
}

function renderParticipant(participant) {
  const info = participant.info;
  if (!info) return;
  const tile = tileFor(participant);
  tile.root.dataset.identity = participant.identity;
  tile.setName(info.name || info.identity);
  tile.setMuted(muteState(info));
  tile.setQuality(participant.quality);
}

function updateLocal() {
  if (!client) return;
  const micMuted = client.isMuted('audio');
  const cameraMuted = client.isMuted('video');
  const hasAudio = !!localStream?.getAudioTracks().length;
  const hasVideo = !!localStream?.getVideoTracks().length;
  localTile?.setMuted({ mic: hasAudio ? micMuted : null, camera: hasVideo ? cameraMuted : null });
  setToggle(ui.mic, hasAudio, micMuted, 'microphone');
  setToggle(ui.camera, hasVideo, cameraMuted, 'camera');
}

function setToggle(button, available, muted, what) {
  button.disabled = !available;
  button.setAttribute('aria-pressed', String(muted));
  button.setAttribute('aria-label', `${muted ? 'Unmute' : 'Mute'} ${what}`);
  button.title = button.getAttribute('aria-label');
  button.querySelector('.label').textContent = muted ? `Unmute ${what === 'camera' ? 'camera' : 'mic'}` : `Mute ${what === 'camera' ? 'camera' : 'mic'}`;
}

// MARK: Recording (LiveKit's Egress Twirp API, answered by the server's own recorder)

async function egress(method, body) {
  const response = await fetch(`/twirp/livekit.Egress/${method}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${client.token}` },
    body: JSON.stringify(body),
  });
  const answer = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(answer.msg || `${method} failed (${response.status})`);
  return answer;
}

async function startRecording() {
  // Switchboard records participants and tracks (no room composite): record ourselves.
  try {
    await egress('StartParticipantEgress', { room_name: client.room.name, identity: client.localParticipant.identity });
  } catch (err) {
    setStatus(`Recording did not start: ${err.message}`);
  }
}

async function stopRecording() {
  try {
    const list = await egress('ListEgress', { room_name: client.room.name, active: true });
    for (const item of list.items || []) await egress('StopEgress', { egress_id: item.egress_id || item.egressId });
  } catch (err) {
    setStatus(`Recording did not stop: ${err.message}`);
  }
}

// MARK: Wiring

for (const [id, icon] of [['toggle-mic', 'mic'], ['toggle-camera', 'camera'], ['leave', 'leave'],
                          ['start-recording', 'record'], ['stop-recording', 'record']]) {
  $(id).insertAdjacentHTML('afterbegin', ICONS[icon]);
}
ui.form.addEventListener('submit', (e) => { e.preventDefault(); join(); });
ui.mic.addEventListener('click', () => client?.setMuted('audio', !client.isMuted('audio')));
ui.camera.addEventListener('click', () => client?.setMuted('video', !client.isMuted('video')));
ui.leave.addEventListener('click', () => leave(true));
ui.startRecording.addEventListener('click', startRecording);
ui.stopRecording.addEventListener('click', stopRecording);
ui.enableAudio.addEventListener('click', () => {
  for (const tile of tiles.values()) play(tile.audio);
  ui.enableAudio.hidden = true;
});

ui.room.value = params.get('room') || ui.room.value;
ui.name.value = params.get('name') || ui.name.value;
ui.record.checked = params.get('record') === '1';
if (params.get('token')) {
  // The token names the room; the form only asks for nothing else.
  ui.room.value = tokenClaims(params.get('token')).video?.room || '';
  ui.room.readOnly = true;
  ui.record.closest('label').hidden = true;
}

// Test hooks (Tests/interop/test_browser.py reads these):
// - `client`: the SwitchboardClient of the current or last call (state, room, localParticipant, …);
// - `stats()`: a promise of the subscriber connection's inbound video (framesDecoded, frameWidth,
//   frameHeight) and audio (totalSamplesReceived) per track, and the publisher's outbound streams;
// - `tiles()`: the remote tiles: name, mic/camera state (`micMuted`, `cameraMuted`), speaking,
//   quality, and whether the video element is really playing; `local()`: the local tile;
// - `chat()`: the chat list as shown: id, sender, text, mine, the "Read by" line.
window.__switchboard = {
  client: null,
  stats: async () => (client ? client.getStats() : null),
  tiles: () => [...tiles.values()].map((t) => t.describe()),
  local: () => localTile?.describe() ?? null,
  state: () => client?.state ?? 'idle',
  chat: () => [...ui.chatMessages.children].map((li) => ({
    id: li.dataset.id, sender: li.querySelector('.sender').textContent, text: li.querySelector('.text').textContent,
    mine: li.classList.contains('mine'), read: li.querySelector('.read')?.textContent ?? '',
  })),
};

// Closing the tab leaves at once (otherwise the others see our tile for the 15 s resume window).
window.addEventListener('pagehide', () => client?.leave());

if (params.get('autojoin') === '1') join();
