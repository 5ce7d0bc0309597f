// Video tiles: one for the local camera, one per remote participant. A tile shows the video (or
// the participant's initial when the camera is off), the name, microphone and camera state, the
// connection quality and, when the participant is speaking, a highlight. Tiles carry their state
// in data attributes too (data-mic, data-camera, data-speaking, data-quality), for CSS and tests.

const SVG = 'xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" aria-hidden="true" focusable="false"';
export const ICONS = {
  mic: `<svg ${SVG}><rect x="9" y="3" width="6" height="11" rx="3"/><path d="M5 11a7 7 0 0 0 14 0M12 18v3" fill="none" stroke="currentColor" stroke-width="2"/><path class="slash" d="M4 4l16 16" stroke-width="2.5"/></svg>`,
  camera: `<svg ${SVG}><rect x="3" y="7" width="12" height="10" rx="2"/><path d="M15 11l6-3v8l-6-3z"/><path class="slash" d="M4 4l16 16" stroke-width="2.5"/></svg>`,
  leave: `<svg ${SVG}><path d="M3 14c5-4 13-4 18 0l-2 3-4-1v-3c-2-.6-4-.6-6 0v3l-4 1z"/></svg>`,
  record: `<svg ${SVG}><circle cx="12" cy="12" r="6"/></svg>`,
};

const QUALITY_BARS = { EXCELLENT: 3, GOOD: 2, POOR: 1, LOST: 0 };

function element(tag, attributes = {}, html = '') {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) el.setAttribute(key, value);
  if (html) el.innerHTML = html;
  return el;
}

/** Plays a media element, reporting autoplay refusals (no user gesture yet) to `onBlocked`. */
export function play(media, onBlocked) {
  const attempt = media.play();
  if (attempt) attempt.catch((err) => { if (err.name === 'NotAllowedError') onBlocked?.(media); });
}

export class Tile {
  constructor({ sid, name, local = false }) {
    this.sid = sid;
    this.local = local;
    this.root = element('figure', { class: `tile ${local ? 'local' : 'remote'}`, 'data-sid': sid });
    this.video = element('video', { autoplay: '', playsinline: '', 'aria-hidden': 'true' });
    this.video.muted = true; // sound comes from the audio element; the local preview is silent
    this.audio = element('audio', { autoplay: '' });
    this.avatar = element('div', { class: 'avatar', 'aria-hidden': 'true' });
    const caption = element('figcaption');
    this.nameLabel = element('span', { class: 'name' });
    this.micIcon = element('span', { class: 'state mic', role: 'img' }, ICONS.mic);
    this.cameraIcon = element('span', { class: 'state camera', role: 'img' }, ICONS.camera);
    this.quality = element('span', { class: 'quality', role: 'img' }, '<i></i><i></i><i></i>');
    caption.append(this.nameLabel, this.micIcon, this.cameraIcon);
    if (!local) caption.append(this.quality);
    this.root.append(this.video, this.avatar, caption);
    if (!local) this.root.append(this.audio);
    this.setName(name);
    this.setMuted({ mic: null, camera: null });
    this.setQuality(null);
    this.setSpeaking(false);
  }

  setName(name) {
    const label = this.local ? `${name} (you)` : name;
    this.nameLabel.textContent = label;
    this.avatar.textContent = (name || '?').trim().charAt(0).toUpperCase();
    this.root.setAttribute('aria-label', `${label}'s video`);
  }

  /** `mic` / `camera`: true (muted), false (live) or null (not published). */
  setMuted({ mic, camera }) {
    const word = (v) => (v === null ? 'none' : v ? 'muted' : 'on');
    this.root.dataset.mic = word(mic);
    this.root.dataset.camera = word(camera);
    this.micIcon.setAttribute('aria-label', `microphone ${mic === null ? 'not published' : mic ? 'muted' : 'on'}`);
    this.cameraIcon.setAttribute('aria-label', `camera ${camera === null ? 'not published' : camera ? 'off' : 'on'}`);
  }

  /** LiveKit ConnectionQuality name, or null when the server has sent none ("unknown"). */
  setQuality(quality) {
    const bars = quality ? (QUALITY_BARS[quality] ?? 0) : -1;
    this.root.dataset.quality = quality ? quality.toLowerCase() : 'unknown';
    this.quality.dataset.bars = String(bars);
    const text = `connection quality: ${quality ? quality.toLowerCase() : 'unknown'}`;
    this.quality.setAttribute('aria-label', text);
    this.quality.title = text;
  }

  setSpeaking(speaking) {
    this.root.dataset.speaking = String(speaking);
  }

  attach(track, onBlocked) {
    const media = track.kind === 'video' ? this.video : this.audio;
    media.srcObject = new MediaStream([track]);
    play(media, onBlocked);
  }

  /** What tests read: name, mute state, and whether the video is actually playing. */
  describe() {
    const v = this.video;
    return {
      sid: this.sid, name: this.nameLabel.textContent, mic: this.root.dataset.mic, camera: this.root.dataset.camera,
      micMuted: this.root.dataset.mic === 'muted', cameraMuted: this.root.dataset.camera === 'muted',
      speaking: this.root.dataset.speaking === 'true', quality: this.root.dataset.quality,
      videoPlaying: !!v.srcObject && !v.paused && v.readyState >= 2 && v.videoWidth > 0,
      videoWidth: v.videoWidth, videoHeight: v.videoHeight,
      audioPlaying: !!this.audio.srcObject && !this.audio.paused,
    };
  }
}

/** Microphone and camera state from a ParticipantInfo's tracks (enums absent = default: AUDIO). */
export function muteState(info) {
  const tracks = info?.tracks || [];
  const mic = tracks.find((t) => t.source === 'MICROPHONE' || (!t.source && (t.type || 'AUDIO') === 'AUDIO'));
  const camera = tracks.find((t) => t.source === 'CAMERA' || (!t.source && t.type === 'VIDEO'));
  return { mic: mic ? !!mic.muted : null, camera: camera ? !!camera.muted : null };
}
