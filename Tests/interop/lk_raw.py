"""A raw LiveKit signalling v0 client on top of aiortc, for tests that need WebRTC peers we did
not write but full control over the SDP (the livekit SDK hides it).

One `RawParticipant` is one WebSocket to `/rtc` (binary protobuf SignalRequest/SignalResponse)
plus up to two aiortc peer connections, as LiveKit's v0 flow has them:
- subscriber: the server offers (right after the JoinResponse, and again on every change); we
  answer receive-only. `rewrite_offer` may edit the server's SDP first (e.g. point the
  candidates at a UDP relay).
- publisher: `publish()` sends one AddTrackRequest per track (cid = the aiortc track id, which
  is also the msid track id in our offer), waits for each TrackPublishedResponse, then offers.

Also here: join tokens, the synthetic media the tests send (a VP8-friendly moving pattern that
carries its frame index, a 48 kHz tone), what a subscriber decoded (`ReceivedMedia`), and a
Prometheus text scrape of the server's /metrics.

Importing this module makes aioice offer 127.0.0.1 as its only host candidate (it leaves
loopback out otherwise): all test traffic stays on 127.0.0.1.
"""
import asyncio
import fractions
import logging
import math
import re
import time
import urllib.request

import aiohttp
import aioice.ice
import numpy as np
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamTrack, VideoStreamTrack
from av import AudioFrame, VideoFrame
from livekit import api
from livekit.protocol import models as lk_models
from livekit.protocol import rtc as lk_rtc

aioice.ice.get_host_addresses = lambda use_ipv4, use_ipv6: ["127.0.0.1"]

API_KEY, API_SECRET = "devkey", "secret"
ROOM = "r1"


def make_token(identity, room=ROOM, name=None, **grants):
    """A join token made by livekit-api (HS256, devkey/secret); `grants` override VideoGrants."""
    grants.setdefault("room_join", True)
    tok = api.AccessToken(API_KEY, API_SECRET).with_identity(identity).with_name(name or identity.title())
    return tok.with_grants(api.VideoGrants(room=room, **grants)).to_jwt()


# Synthetic media ---------------------------------------------------------------------------------

WIDTH, HEIGHT, FPS = 320, 240, 30
BLOCK = 16  # the frame index is drawn as 16 black/white blocks along the top edge


def frame_image(index, width=WIDTH, height=HEIGHT):
    """An RGB picture with a moving bar (real work for the encoder) and `index` in binary on top."""
    img = np.zeros((height, width, 3), dtype=np.uint8)
    x = (index * 4) % width
    img[BLOCK * 2:, :, 1] = 60
    img[BLOCK * 2:, x:x + 40, :] = 200
    for bit in range(16):
        if (index >> bit) & 1:
            img[0:BLOCK, bit * BLOCK:(bit + 1) * BLOCK, :] = 255
    return img


def read_index(img):
    """The frame index drawn by `frame_image`, read back from a decoded RGB picture."""
    index = 0
    for bit in range(16):
        block = img[2:BLOCK - 2, bit * BLOCK + 2:(bit + 1) * BLOCK - 2, :]
        if block.mean() > 128:
            index |= 1 << bit
    return index


class PatternVideo(VideoStreamTrack):
    """30 fps frames of `frame_image`; `sent` counts frames handed to the encoder."""

    def __init__(self):
        super().__init__()
        self.sent = 0

    async def recv(self):
        pts, time_base = await self.next_timestamp()
        frame = VideoFrame.from_ndarray(frame_image(self.sent), format="rgb24")
        frame.pts, frame.time_base = pts, time_base
        self.sent += 1
        return frame


class ToneAudio(MediaStreamTrack):
    """48 kHz mono 20 ms frames of a tone, paced in real time (aiortc's base track is 8 kHz)."""
    kind = "audio"

    def __init__(self, amplitude=0.3, hz=440):
        super().__init__()
        self.amplitude, self.hz = amplitude, hz
        self.samples = 0
        self.start = None

    @property
    def sent(self):
        """Frames (20 ms) produced so far."""
        return self.samples // 960

    async def recv(self):
        loop = asyncio.get_event_loop()
        if self.start is None:
            self.start = loop.time()
        await asyncio.sleep(max(0, self.start + self.samples / 48000 - loop.time()))
        t = (np.arange(960) + self.samples) / 48000
        pcm = (self.amplitude * 32767 * np.sin(2 * math.pi * self.hz * t)).astype(np.int16)
        frame = AudioFrame.from_ndarray(pcm.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = 48000
        frame.pts = self.samples
        frame.time_base = fractions.Fraction(1, 48000)
        self.samples += 960
        return frame


class ReceivedMedia:
    """What one subscriber decoded: per video frame (receive time, index, size), per audio
    frame (receive time, samples, RMS)."""

    TONE_RMS = 1000  # int16 RMS above which a decoded audio frame carries the tone

    def __init__(self):
        self.video = []   # (monotonic time, frame index, (w, h))
        self.audio = []   # (monotonic time, samples at 48 kHz, rms)
        self.tasks = []

    def attach(self, track):
        self.tasks.append(asyncio.ensure_future(self._consume(track)))

    async def _consume(self, track):
        while True:
            try:
                frame = await track.recv()
            except Exception:
                return
            now = time.monotonic()
            if track.kind == "video":
                self.video.append((now, read_index(frame.to_ndarray(format="rgb24")), (frame.width, frame.height)))
            else:
                pcm = frame.to_ndarray().astype(np.float64)
                self.audio.append((now, frame.samples, float(np.sqrt(np.mean(pcm ** 2)))))

    def video_indices(self, first, end):
        """Distinct frame indices in [first, end) that were decoded."""
        return {i for _, i, _ in self.video if first <= i < end}

    def tone_samples_between(self, t0, t1):
        return sum(n for t, n, rms in self.audio if t0 <= t < t1 and rms > self.TONE_RMS)

    async def stop(self):
        for t in self.tasks:
            t.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)


# Signalling client ------------------------------------------------------------------------------

class RawParticipant:
    """One participant speaking LiveKit signalling v0 with aiortc peer connections."""

    def __init__(self, http_port, identity, room=ROOM, rewrite_offer=None, protocol=16):
        self.url = (f"ws://127.0.0.1:{http_port}/rtc?access_token={make_token(identity, room=room)}"
                    f"&auto_subscribe=1&protocol={protocol}&adaptive_stream=0")
        self.identity = identity
        self.rewrite_offer = rewrite_offer
        self.join = None
        self.responses = []          # every SignalResponse, in order (for assertions / debugging)
        self.received = ReceivedMedia()
        self.subscriber = None       # RTCPeerConnection answering the server's offers
        self.publisher = None        # RTCPeerConnection we offer from
        self.offers_answered = 0
        self._http = None
        self._ws = None
        self._tasks = []
        self._waiters = []           # (predicate, future) on SignalResponses
        self._offer_lock = asyncio.Lock()

    # connection ------------------------------------------------------------------------------

    async def connect(self, timeout=10):
        self._http = aiohttp.ClientSession()
        self._ws = await self._http.ws_connect(self.url, timeout=aiohttp.ClientWSTimeout(ws_close=5), heartbeat=None)
        joined = self.expect(lambda r: r.WhichOneof("message") == "join")
        self._tasks.append(asyncio.ensure_future(self._read()))
        self.join = (await asyncio.wait_for(joined, timeout)).join
        self._tasks.append(asyncio.ensure_future(self._ping(self.join.ping_interval or 5)))
        return self.join

    @property
    def sid(self):
        return self.join.participant.sid

    async def send(self, **fields):
        await self._ws.send_bytes(lk_rtc.SignalRequest(**fields).SerializeToString())

    def expect(self, predicate):
        """A future for the next SignalResponse matching `predicate` (from now on)."""
        fut = asyncio.get_event_loop().create_future()
        self._waiters.append((predicate, fut))
        return fut

    async def _read(self):
        async for msg in self._ws:
            if msg.type != aiohttp.WSMsgType.BINARY:
                continue
            resp = lk_rtc.SignalResponse.FromString(msg.data)
            self.responses.append((time.monotonic(), resp))
            for pred, fut in list(self._waiters):
                if not fut.done() and pred(resp):
                    fut.set_result(resp)
                    self._waiters.remove((pred, fut))
            if resp.WhichOneof("message") == "offer":
                self._tasks.append(asyncio.ensure_future(self._answer(resp.offer)))

    async def _ping(self, interval):
        while True:
            await asyncio.sleep(interval)
            await self.send(ping_req=lk_rtc.Ping(timestamp=int(time.time() * 1000)))

    # subscriber peer connection ------------------------------------------------------------------

    async def _answer(self, offer):
        async with self._offer_lock:
            if self.subscriber is None:
                self.subscriber = RTCPeerConnection(RTCConfiguration(iceServers=[]))
                self.subscriber.on("track", self.received.attach)
            sdp = self.rewrite_offer(offer.sdp) if self.rewrite_offer else offer.sdp
            await self.subscriber.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="offer"))
            await self.subscriber.setLocalDescription(await self.subscriber.createAnswer())
            await self.send(answer=lk_rtc.SessionDescription(
                type="answer", sdp=self.subscriber.localDescription.sdp, id=offer.id))
            self.offers_answered += 1

    async def wait_subscribed(self, kinds=("audio", "video"), timeout=15):
        """Until the subscriber connection receives a track of each of `kinds`."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            have = {r.track.kind for r in (self.subscriber.getReceivers() if self.subscriber else []) if r.track}
            if set(kinds) <= have and self.subscriber.connectionState == "connected":
                return
            await asyncio.sleep(0.05)
        raise AssertionError(f"{self.identity}: no connected subscription to {kinds} within {timeout}s "
                             f"(offers answered: {self.offers_answered}, state: "
                             f"{self.subscriber and self.subscriber.connectionState})")

    # publisher peer connection -------------------------------------------------------------------

    async def publish(self, tracks, timeout=10, rewrite_answer=None):
        """AddTrackRequest per track, then one offer; returns {track id: TrackInfo}.
        `rewrite_answer` may edit the server's answer first (e.g. `via_relay`)."""
        infos = {}
        for track in tracks:
            is_video = track.kind == "video"
            published = self.expect(lambda r, cid=track.id: r.WhichOneof("message") == "track_published"
                                    and r.track_published.cid == cid)
            await self.send(add_track=lk_rtc.AddTrackRequest(
                cid=track.id, name=track.kind, type=lk_models.VIDEO if is_video else lk_models.AUDIO,
                source=lk_models.CAMERA if is_video else lk_models.MICROPHONE,
                width=WIDTH if is_video else 0, height=HEIGHT if is_video else 0))
            infos[track.id] = (await asyncio.wait_for(published, timeout)).track_published.track
        self.publisher = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        for track in tracks:
            self.publisher.addTrack(track)
        await self.publisher.setLocalDescription(await self.publisher.createOffer())
        answered = self.expect(lambda r: r.WhichOneof("message") == "answer")
        await self.send(offer=lk_rtc.SessionDescription(type="offer", sdp=self.publisher.localDescription.sdp, id=1))
        answer = (await asyncio.wait_for(answered, timeout)).answer
        sdp = rewrite_answer(answer.sdp) if rewrite_answer else answer.sdp
        await self.publisher.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="answer"))
        return infos

    async def wait_published_connected(self, timeout=15):
        deadline = time.monotonic() + timeout
        while self.publisher.connectionState != "connected":
            if time.monotonic() > deadline:
                raise AssertionError(f"{self.identity}: publisher connection {self.publisher.connectionState}")
            await asyncio.sleep(0.05)

    # teardown -----------------------------------------------------------------------------------

    async def close(self):
        try:
            if self._ws is not None and not self._ws.closed:
                await asyncio.wait_for(self.send(leave=lk_rtc.LeaveRequest(
                    reason=lk_models.CLIENT_INITIATED)), 2)
        except Exception:
            pass
        for t in self._tasks:
            t.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.received.stop()
        for pc in (self.publisher, self.subscriber):
            if pc is not None:
                try:
                    await asyncio.wait_for(pc.close(), 5)
                except Exception:
                    pass
        if self._ws is not None:
            await self._ws.close()
        if self._http is not None:
            await self._http.close()


# SDP and metrics helpers ------------------------------------------------------------------------

def point_candidates_at(sdp, host, port):
    """`sdp` with every a=candidate line's address and port replaced by host:port."""
    def fix(m):
        parts = m.group(0).split(" ")
        parts[4], parts[5] = host, str(port)
        return " ".join(parts)
    return re.sub(r"^a=candidate:[^\r\n]*", fix, sdp, flags=re.M)


def via_relay(relay):
    """An SDP rewriter (for a server offer or answer): the server's IPv4 candidates become the
    relay's address (the relay forwards to the first of them); other candidates are removed.
    With ICE-lite the server answers whoever reaches it, here the relay."""
    def rewrite(sdp):
        servers = [(h, p) for h, p in candidate_addresses(sdp) if h.count(".") == 3]
        assert servers, f"no IPv4 candidate in the server's SDP:\n{sdp}"
        relay.upstream = servers[0]
        lines = [l for l in sdp.split("\r\n")
                 if not (l.startswith("a=candidate:") and l.split(" ")[4].count(".") != 3)]
        return point_candidates_at("\r\n".join(lines), *relay.address)
    return rewrite


def candidate_addresses(sdp):
    """(host, port) of every a=candidate line."""
    out = []
    for line in sdp.splitlines():
        if line.startswith("a=candidate:"):
            parts = line.split(" ")
            out.append((parts[4], int(parts[5])))
    return out


def scrape_metric(base_url, name):
    """Sum of all samples of `name` in the server's Prometheus text at /metrics, or None if the
    metric is absent (or /metrics is)."""
    try:
        with urllib.request.urlopen(base_url + "/metrics", timeout=5) as resp:
            text = resp.read().decode()
    except Exception:
        return None
    total, seen = 0.0, False
    for line in text.splitlines():
        m = re.match(rf"^{re.escape(name)}(\{{[^}}]*\}})?\s+(\S+)", line)
        if m:
            seen = True
            total += float(m.group(2))
    return total if seen else None


class DecodeErrors:
    """Counts aiortc's "failed to decode" warnings (all receivers of this process) while active.
    A receiver that is started on a delta frame instead of a keyframe logs one per frame."""

    def __init__(self):
        self.count = 0
        self.first_at = None
        counter = self

        class Handler(logging.Handler):
            def emit(self, record):
                if "failed to decode" in record.getMessage():
                    counter.count += 1
                    if counter.first_at is None:
                        counter.first_at = time.monotonic()

        self._logger = logging.getLogger("aiortc.rtcrtpreceiver")
        self._handler = Handler(level=logging.WARNING)

    def __enter__(self):
        self._logger.addHandler(self._handler)
        return self

    def __exit__(self, *exc):
        self._logger.removeHandler(self._handler)
