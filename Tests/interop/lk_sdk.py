"""Helpers for tests driving the real livekit Python SDK (libwebrtc inside) against a server
started by the `start_server` fixture: joining rooms, synthetic sources, counting what a
subscriber's rtc.VideoStream / rtc.AudioStream delivers.
"""
import asyncio
import math
import time

import numpy as np
from livekit import rtc

from lk_raw import ROOM, make_token


class Session:
    """The Rooms a test opened on one server; `close()` disconnects them all."""

    def __init__(self, server):
        self.server = server
        self.ws_url = f"ws://127.0.0.1:{server.http_port}"
        self.rooms = []
        self.tasks = []

    async def join(self, identity, room=ROOM, **grants):
        """Connects `identity`; `grants` override the token's VideoGrants."""
        r = rtc.Room()
        self.rooms.append(r)
        await asyncio.wait_for(r.connect(self.ws_url, make_token(identity, room=room, **grants),
                                         rtc.RoomOptions(auto_subscribe=True)), 20)
        return r

    def spawn(self, coro):
        task = asyncio.ensure_future(coro)
        self.tasks.append(task)
        return task

    async def close(self):
        for t in self.tasks:
            t.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        for r in self.rooms:
            try:
                if r.isconnected():
                    await asyncio.wait_for(r.disconnect(), 5)
            except Exception:
                pass


def run(server, body, timeout):
    """Runs `body(session)` with an overall timeout; on failure prints the server log's tail."""
    async def main():
        session = Session(server)
        try:
            await asyncio.wait_for(body(session), timeout)
        finally:
            await session.close()
    try:
        asyncio.run(main())
    except BaseException:
        print("---- server log ----")
        print("\n".join(server.log_lines[-200:]))
        raise


async def publish_camera_and_mic(session, room, width, height, fps, **video_options):
    """Publishes a synthetic camera (PatternSource, VP8) and microphone (ToneSource) from `room`;
    `video_options` go to the camera's TrackPublishOptions. Returns the (video, audio) sources."""
    video, audio = PatternSource(width, height, fps), ToneSource()
    session.spawn(video.run())
    session.spawn(audio.run())
    await asyncio.wait_for(room.local_participant.publish_track(
        rtc.LocalAudioTrack.create_audio_track("mic", audio.source),
        rtc.TrackPublishOptions(source=rtc.TrackSource.SOURCE_MICROPHONE)), 15)
    await asyncio.wait_for(room.local_participant.publish_track(
        rtc.LocalVideoTrack.create_video_track("cam", video.source),
        rtc.TrackPublishOptions(source=rtc.TrackSource.SOURCE_CAMERA, video_codec=rtc.VideoCodec.VP8, **video_options)), 15)
    return video, audio


async def wait_until(pred, timeout, what):
    deadline = time.monotonic() + timeout
    while not pred():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        await asyncio.sleep(0.05)


# Sources ----------------------------------------------------------------------------------------

class PatternSource:
    """Feeds an rtc.VideoSource RGBA frames of a moving bar at `fps`, on an absolute schedule;
    `sent` holds the monotonic time of each frame captured."""

    def __init__(self, width=640, height=480, fps=30):
        self.width, self.height, self.fps = width, height, fps
        self.source = rtc.VideoSource(width, height)
        self.sent = []
        base = np.zeros((height, width, 4), dtype=np.uint8)
        base[:, :, 3] = 255
        base[:, :, 2] = np.linspace(40, 200, width, dtype=np.uint8)[None, :]
        base[:, :, 1] = np.linspace(40, 160, height, dtype=np.uint8)[:, None]
        self._base = base

    async def run(self):
        start = time.monotonic()
        i = 0
        while True:
            img = self._base.copy()
            x = (i * 8) % self.width
            img[:, x:x + 48, :3] = 230
            y = (i * 5) % self.height
            img[y:y + 32, :, 0] = 255
            self.source.capture_frame(rtc.VideoFrame(self.width, self.height, rtc.VideoBufferType.RGBA,
                                                     img.tobytes()))
            self.sent.append(time.monotonic())
            i += 1
            await asyncio.sleep(max(0, start + i / self.fps - time.monotonic()))

    def count_between(self, t0, t1):
        return sum(1 for t in self.sent if t0 <= t < t1)


class ToneSource:
    """Feeds an rtc.AudioSource 10 ms frames (48 kHz mono) of a sine tone, paced in real time;
    `sent` holds the monotonic time of each frame captured."""

    def __init__(self, amplitude=0.3, hz=440, sample_rate=48000):
        self.amplitude, self.hz, self.rate = amplitude, hz, sample_rate
        self.source = rtc.AudioSource(sample_rate, 1)
        self.sent = []

    async def run(self):
        n = self.rate // 100
        start = time.monotonic()
        i = 0
        while True:
            t = (np.arange(n) + i * n) / self.rate
            pcm = (self.amplitude * 32767 * np.sin(2 * math.pi * self.hz * t)).astype(np.int16)
            await self.source.capture_frame(rtc.AudioFrame(pcm.tobytes(), self.rate, 1, n))
            self.sent.append(time.monotonic())
            i += 1
            await asyncio.sleep(max(0, start + i / 100 - time.monotonic()))

    def count_between(self, t0, t1):
        return sum(1 for t in self.sent if t0 <= t < t1)


# Sinks ------------------------------------------------------------------------------------------

class Receiver:
    """Starts an rtc.VideoStream / rtc.AudioStream for every track a Room subscribes to and logs
    each frame: video (time, width, height), audio (time, samples, rms)."""

    TONE_RMS = 1000

    def __init__(self, room, session):
        self.session = session
        self.video = []
        self.audio = []
        self.subscribed = {}
        self.events = []  # (time, event, track sid, kind): the subscription history, for messages
        room.on("track_subscribed", self._on_track)
        for name in ("track_unsubscribed", "track_muted", "track_unmuted", "track_subscription_failed"):
            room.on(name, self._recorder(name))

    def _recorder(self, name):
        def record(*args):
            pub = next((a for a in args if isinstance(a, rtc.TrackPublication)), None)
            detail = (pub.sid, pub.kind) if pub is not None else tuple(a for a in args if isinstance(a, str))
            self.events.append((round(time.monotonic(), 2), name) + detail)
        return record

    def _on_track(self, track, publication, participant):
        self.events.append((round(time.monotonic(), 2), "track_subscribed", publication.sid, track.kind))
        self.subscribed[track.kind] = track
        if track.kind == rtc.TrackKind.KIND_VIDEO:
            self.session.spawn(self._video(rtc.VideoStream(track)))
        elif track.kind == rtc.TrackKind.KIND_AUDIO:
            self.session.spawn(self._audio(rtc.AudioStream(track, sample_rate=48000, num_channels=1)))

    async def _video(self, stream):
        try:
            async for ev in stream:
                self.video.append((time.monotonic(), ev.frame.width, ev.frame.height))
        finally:
            await stream.aclose()

    async def _audio(self, stream):
        try:
            async for ev in stream:
                f = ev.frame
                pcm = np.frombuffer(f.data, dtype=np.int16).astype(np.float64)
                rms = float(np.sqrt(np.mean(pcm ** 2))) if len(pcm) else 0.0
                self.audio.append((time.monotonic(), f.samples_per_channel, rms))
        finally:
            await stream.aclose()

    def video_between(self, t0, t1):
        return [(w, h) for t, w, h in self.video if t0 <= t < t1]

    def tone_10ms_between(self, t0, t1, rate=48000):
        """Decoded audio carrying the tone in [t0, t1), in 10 ms units (one sent frame each)."""
        return sum(n for t, n, rms in self.audio if t0 <= t < t1 and rms > self.TONE_RMS) / (rate // 100)


async def rtp_summary(room):
    """libwebrtc's view of a Room's RTP streams (getStats), one line each, for failure messages:
    outbound (publisher) packets/frames/size per rid, inbound (subscriber) packets/frames/PLIs."""
    try:
        stats = await asyncio.wait_for(room.get_rtc_stats(), 5)
    except Exception as e:
        return [f"(no stats: {e!r})"]
    lines = []
    for s in stats.publisher_stats:
        if s.WhichOneof("stats") == "outbound_rtp":
            o = s.outbound_rtp
            lines.append(f"out {o.stream.kind} mid={o.outbound.mid} rid={o.outbound.rid or '-'} ssrc={o.stream.ssrc} "
                         f"packets={o.sent.packets_sent} frames={o.outbound.frames_sent} "
                         f"{o.outbound.frame_width}x{o.outbound.frame_height} active={o.outbound.active} "
                         f"limit={o.outbound.quality_limitation_reason} plis={o.outbound.pli_count} "
                         f"nacks={o.outbound.nack_count}")
    for s in stats.subscriber_stats:
        if s.WhichOneof("stats") == "inbound_rtp":
            i = s.inbound_rtp
            n = max(1, i.inbound.jitter_buffer_emitted_count)
            lines.append(f"in {i.stream.kind} mid={i.inbound.mid} ssrc={i.stream.ssrc} "
                         f"packets={i.received.packets_received} lost={i.received.packets_lost} "
                         f"frames_decoded={i.inbound.frames_decoded} rendered={i.inbound.frames_rendered} "
                         f"dropped={i.inbound.frames_dropped} keyframes={i.inbound.key_frames_decoded} "
                         f"jitter_buffer_avg={i.inbound.jitter_buffer_delay / n:.3f}s "
                         f"target_avg={i.inbound.jitter_buffer_target_delay / n:.3f}s "
                         f"{i.inbound.frame_width}x{i.inbound.frame_height} plis={i.inbound.pli_count} "
                         f"nacks={i.inbound.nack_count}")
    return lines
