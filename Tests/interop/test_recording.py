"""Server-side recording driven by livekit-api's unchanged egress client, proven on real media.

A livekit SDK participant (libwebrtc inside) publishes a 640x480 VP8 camera (moving pattern,
single layer) and a 48 kHz tone. Through `LiveKitAPI(...).egress`:

- test_participant_and_track_egress: a participant egress (one .webm) and track egresses for
  the audio (.ogg) and the video (.webm) run for ~10 s, are stopped, and go starting -> active
  -> ending -> complete. Each file is checked independently of the server: ffprobe reports the
  codecs and a duration within +-5% of the recorded span; PyAV (FFmpeg's libvpx/Opus decoders)
  decodes every frame without error, and the frame counts match what libwebrtc says it sent
  in that span (frames_sent / audio packets_sent deltas) within 2%.
- test_kill_9_recovers_recording: the server is SIGKILLed while recording, restarted on the
  same data directory, and ListEgress shows the recording recovered (complete, "recovered" in
  details); ffprobe and PyAV read the repaired file.
- test_auto_record_and_active_recording: with room.auto_record a publishing participant is
  recorded without any API call, and the other participant sees Room.active_recording.
- test_sigterm_finishes_recordings: a graceful shutdown (SIGTERM) finishes running recordings:
  after a restart they are complete, not recovered.
- test_room_recording_manifest: with room.auto_record two publishers (the second ~2.5 s after
  the first) are recorded to one .webm each plus the room's JSON manifest; the manifest is kept
  current while they record and complete once the room is deleted: both files, tracks, a common
  time base (from the publishers' sender reports) whose offsets match the publishers' start times, and
  ends that line up; ffprobe and PyAV read both files.

Every test starts its own `switchboard serve --dev` on 127.0.0.1 and is bounded by a timeout.
"""
import asyncio
import glob
import json
import math
import os
import subprocess
import time

import av
import numpy as np
import pytest
from livekit import api, rtc

pytestmark = pytest.mark.filterwarnings("ignore:The HMAC key is")

API_KEY, API_SECRET = "devkey", "secret"
ROOM = "rec"
WIDTH, HEIGHT, FPS = 640, 480, 30
RECORD_SECONDS = 10.0


# Helpers ----------------------------------------------------------------------------------------

def token(identity, room=ROOM):
    grants = api.VideoGrants(room_join=True, room=room, can_publish=True, can_subscribe=True)
    return api.AccessToken(API_KEY, API_SECRET).with_identity(identity).with_grants(grants).to_jwt()


def run(server, body, timeout):
    """Runs `body()` with an overall timeout; on failure prints the server log's tail."""
    try:
        asyncio.run(asyncio.wait_for(body(), timeout))
    except BaseException:
        print("---- server log ----")
        print("\n".join(server.log_lines[-150:]))
        raise


class PatternSource:
    """Feeds an rtc.VideoSource 640x480 frames of a moving pattern at FPS (real content for VP8)."""

    def __init__(self):
        self.source = rtc.VideoSource(WIDTH, HEIGHT)
        base = np.zeros((HEIGHT, WIDTH, 4), dtype=np.uint8)
        base[:, :, 3] = 255
        base[:, :, 2] = np.linspace(40, 200, WIDTH, dtype=np.uint8)[None, :]
        base[:, :, 1] = np.linspace(40, 160, HEIGHT, dtype=np.uint8)[:, None]
        self._base = base

    async def run(self):
        start, i = time.monotonic(), 0
        while True:
            img = self._base.copy()
            x = (i * 8) % WIDTH
            img[:, x:x + 48, :3] = 230
            y = (i * 5) % HEIGHT
            img[y:y + 32, :, 0] = 255
            self.source.capture_frame(rtc.VideoFrame(WIDTH, HEIGHT, rtc.VideoBufferType.RGBA, img.tobytes()))
            i += 1
            await asyncio.sleep(max(0, start + i / FPS - time.monotonic()))


class ToneSource:
    """Feeds an rtc.AudioSource 10 ms frames of a 440 Hz tone at 48 kHz, paced in real time."""

    def __init__(self):
        self.source = rtc.AudioSource(48000, 1)

    async def run(self):
        n, start, i = 480, time.monotonic(), 0
        while True:
            t = (np.arange(n) + i * n) / 48000
            pcm = (0.3 * 32767 * np.sin(2 * math.pi * 440 * t)).astype(np.int16)
            await self.source.capture_frame(rtc.AudioFrame(pcm.tobytes(), 48000, 1, n))
            i += 1
            await asyncio.sleep(max(0, start + i / 100 - time.monotonic()))


class Publisher:
    """A connected rtc.Room publishing the camera and the tone; `close()` stops everything."""

    def __init__(self):
        self.room = rtc.Room()
        self.tasks = []
        self.mic = self.cam = None

    async def start(self, server, identity="alice"):
        await asyncio.wait_for(self.room.connect(f"ws://127.0.0.1:{server.http_port}", token(identity),
                                                 rtc.RoomOptions(auto_subscribe=True)), 20)
        video, audio = PatternSource(), ToneSource()
        self.tasks = [asyncio.ensure_future(video.run()), asyncio.ensure_future(audio.run())]
        mic = rtc.LocalAudioTrack.create_audio_track("mic", audio.source)
        cam = rtc.LocalVideoTrack.create_video_track("cam", video.source)
        self.mic = await asyncio.wait_for(self.room.local_participant.publish_track(mic, rtc.TrackPublishOptions(
            source=rtc.TrackSource.SOURCE_MICROPHONE, dtx=False, red=False)), 15)
        # One layer: the recording follows the forwarded layer, and simulcast would switch layers
        # while the bandwidth estimate ramps up.
        self.cam = await asyncio.wait_for(self.room.local_participant.publish_track(cam, rtc.TrackPublishOptions(
            source=rtc.TrackSource.SOURCE_CAMERA, video_codec=rtc.VideoCodec.VP8, simulcast=False,
            video_encoding=rtc.VideoEncoding(max_framerate=FPS, max_bitrate=1_500_000))), 15)

    async def sent(self):
        """libwebrtc's counters: (video frames sent, audio packets sent)."""
        stats = await asyncio.wait_for(self.room.get_rtc_stats(), 5)
        frames = packets = 0
        for s in stats.publisher_stats:
            if s.WhichOneof("stats") != "outbound_rtp":
                continue
            o = s.outbound_rtp
            if o.stream.kind == "video":
                frames += o.outbound.frames_sent
            elif o.stream.kind == "audio":
                packets += o.sent.packets_sent
        return frames, packets

    async def close(self):
        for t in self.tasks:
            t.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        try:
            if self.room.isconnected():
                await asyncio.wait_for(self.room.disconnect(), 5)
        except Exception:
            pass


def lkapi(server):
    return api.LiveKitAPI(server.url, API_KEY, API_SECRET)


async def egress_info(client, egress_id):
    items = (await client.egress.list_egress(api.ListEgressRequest(egress_id=egress_id))).items
    assert len(items) == 1, items
    return items[0]


async def wait_status(client, egress_id, status, timeout=10):
    deadline = time.monotonic() + timeout
    info = None
    while time.monotonic() < deadline:
        info = await egress_info(client, egress_id)
        if info.status == status:
            return info
        await asyncio.sleep(0.05)
    raise AssertionError(f"egress {egress_id} not {api.EgressStatus.Name(status)} within {timeout}s: {info}")


def ffprobe(path):
    out = subprocess.run(["ffprobe", "-v", "error", "-show_entries",
                          "format=duration,format_name:stream=codec_name,codec_type,width,height,sample_rate",
                          "-of", "json", path], capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def decode_all(path):
    """Decodes every packet of every stream with FFmpeg's decoders (libvpx/Opus) through PyAV.
    Returns {codec: (frames decoded, decode errors)}."""
    counts = {}
    with av.open(path) as container:
        for packet in container.demux():
            if packet.size == 0:
                continue
            name = packet.stream.codec_context.name
            frames, errors = counts.get(name, (0, 0))
            try:
                frames += len(packet.decode())
            except av.error.FFmpegError:
                errors += 1
            counts[name] = (frames, errors)
        for stream in container.streams:  # frames a decoder still holds
            try:
                n = len(stream.codec_context.decode(None))
            except av.error.FFmpegError:
                n = 0
            if n:
                f, e = counts.get(stream.codec_context.name, (0, 0))
                counts[stream.codec_context.name] = (f + n, e)
    return counts


def summary(probe):
    streams = sorted((s["codec_type"], s["codec_name"]) for s in probe["streams"])
    return streams, float(probe["format"].get("duration", "nan"))


# Tests ------------------------------------------------------------------------------------------

def test_participant_and_track_egress(start_server):
    server = start_server()
    recordings = os.path.join(str(server.data_dir), "recordings")

    async def body():
        pub = Publisher()
        client = lkapi(server)
        try:
            await pub.start(server)
            # Warm-up: the bandwidth estimate ramps up and the encoder settles at 640x480.
            await asyncio.sleep(3)

            participant = await client.egress.start_participant_egress(api.ParticipantEgressRequest(
                room_name=ROOM, identity="alice", file_outputs=[api.EncodedFileOutput(filepath="calls/{room_name}-{publisher_identity}")]))
            audio = await client.egress.start_track_egress(api.TrackEgressRequest(
                room_name=ROOM, track_id=pub.mic.sid, file=api.DirectFileOutput(filepath="tracks/")))
            video = await client.egress.start_track_egress(api.TrackEgressRequest(
                room_name=ROOM, track_id=pub.cam.sid, file=api.DirectFileOutput(filepath="tracks/{track_id}.webm")))
            t_start = time.monotonic()
            frames0, packets0 = await pub.sent()
            ids = {"participant": participant.egress_id, "audio": audio.egress_id, "video": video.egress_id}
            for info in (participant, audio, video):
                assert info.status == api.EgressStatus.EGRESS_STARTING, info
                assert info.egress_id.startswith("EG_") and info.room_name == ROOM
            assert participant.file_results[0].filename == "calls/rec-alice.webm"
            assert audio.file_results[0].filename.startswith("tracks/") and audio.file_results[0].filename.endswith(".ogg")
            assert video.file_results[0].filename == f"tracks/{pub.cam.sid}.webm"
            for egress_id in ids.values():
                await wait_status(client, egress_id, api.EgressStatus.EGRESS_ACTIVE, timeout=5)
            assert pub.room.is_recording, "participants are told through Room.active_recording"
            listed = (await client.egress.list_egress(api.ListEgressRequest(room_name=ROOM, active=True))).items
            assert {i.egress_id for i in listed} == set(ids.values())

            await asyncio.sleep(max(0, t_start + RECORD_SECONDS - time.monotonic()))
            frames1, packets1 = await pub.sent()
            t_stop = time.monotonic()
            for egress_id in ids.values():
                stopped = await client.egress.stop_egress(api.StopEgressRequest(egress_id=egress_id))
                assert stopped.status == api.EgressStatus.EGRESS_ENDING, stopped
            span = t_stop - t_start
            sent_frames, sent_packets = frames1 - frames0, packets1 - packets0
            print(f"recorded span {span:.2f}s; libwebrtc sent {sent_frames} video frames, {sent_packets} audio packets")

            done = {k: await wait_status(client, v, api.EgressStatus.EGRESS_COMPLETE) for k, v in ids.items()}
            await wait_until(lambda: not pub.room.is_recording, 5, "active_recording back to false")
        finally:
            await pub.close()
            await client.aclose()

        for kind, info in done.items():
            f = info.file_results[0]
            path = os.path.join(recordings, f.filename)
            assert f.location == os.path.realpath(path) or f.location == path, (f.location, path)
            assert os.path.getsize(path) == f.size, (kind, f.size)
            probe = ffprobe(path)
            streams, duration = summary(probe)
            decoded = decode_all(path)
            print(f"{kind}: {f.filename} {f.size} bytes, server duration {f.duration / 1e9:.3f}s, "
                  f"ffprobe {probe['format']['format_name']} {duration:.3f}s {streams}, decoded {decoded}")
            assert abs(duration - span) <= 0.05 * span, f"{kind}: duration {duration:.3f}s vs recorded span {span:.3f}s"
            assert abs(f.duration / 1e9 - duration) < 0.1, (kind, f.duration, duration)
            for codec, (frames, errors) in decoded.items():
                assert errors == 0, f"{kind}: {errors} {codec} packets failed to decode"
            if kind in ("participant", "video"):
                assert ("video", "vp8") in streams
                video_stream = next(s for s in probe["streams"] if s["codec_type"] == "video")
                assert (video_stream["width"], video_stream["height"]) == (WIDTH, HEIGHT), video_stream
                frames = decoded["vp8"][0] if "vp8" in decoded else decoded["libvpx"][0]
                assert abs(frames - sent_frames) <= 0.02 * sent_frames, \
                    f"{kind}: {frames} video frames decoded, {sent_frames} sent"
            if kind in ("participant", "audio"):
                assert ("audio", "opus") in streams
                packets = next(v for k, v in decoded.items() if "opus" in k)[0]
                assert abs(packets - sent_packets) <= 0.02 * sent_packets, \
                    f"{kind}: {packets} Opus frames decoded, {sent_packets} packets sent"
            if kind == "audio":
                assert probe["format"]["format_name"] == "ogg"
            else:
                assert "webm" in probe["format"]["format_name"]

    run(server, body, 120)


def test_kill_9_recovers_recording(start_server):
    server = start_server()
    recordings = os.path.join(str(server.data_dir), "recordings")

    async def body():
        pub = Publisher()
        client = lkapi(server)
        try:
            await pub.start(server)
            await asyncio.sleep(2)
            info = await client.egress.start_participant_egress(api.ParticipantEgressRequest(
                room_name=ROOM, identity="alice", file_outputs=[api.EncodedFileOutput(filepath="crash.webm")]))
            t_start = time.monotonic()
            await wait_status(client, info.egress_id, api.EgressStatus.EGRESS_ACTIVE, timeout=5)
            await asyncio.sleep(6)
            t_kill = time.monotonic()
            server.proc.kill()  # SIGKILL: no shutdown, no finalize
            server.proc.wait(10)
        finally:
            await client.aclose()
            await pub.close()
        return info.egress_id, t_kill - t_start

    egress_id = span = None

    async def first():
        nonlocal egress_id, span
        egress_id, span = await body()

    run(server, first, 90)
    path = os.path.join(recordings, "crash.webm")
    assert os.path.getsize(path) > 0

    restarted = start_server()  # same data directory

    async def check():
        client = lkapi(restarted)
        try:
            info = await egress_info(client, egress_id)
            assert info.status == api.EgressStatus.EGRESS_COMPLETE, info
            assert info.details.startswith("recovered"), info.details
            active = (await client.egress.list_egress(api.ListEgressRequest(active=True))).items
            assert active == []
            return info
        finally:
            await client.aclose()

    result = {}

    async def run_check():
        result["info"] = await check()

    run(restarted, run_check, 30)
    assert restarted.log_contains(r"recordings: repaired crash\.webm")
    f = result["info"].file_results[0]
    probe = ffprobe(path)
    streams, duration = summary(probe)
    decoded = decode_all(path)
    print(f"recovered {f.filename} ({span:.2f}s recorded before SIGKILL): {f.size} bytes, server duration {f.duration / 1e9:.3f}s, "
          f"ffprobe {duration:.3f}s {streams}, decoded {decoded}")
    assert ("video", "vp8") in streams and ("audio", "opus") in streams
    # The writer flushes every 50 ms: a kill loses at most the last fraction of a second.
    assert span - 1.0 <= duration <= span + 0.1, f"recovered {duration:.3f}s of {span:.3f}s recorded"
    assert abs(f.duration / 1e9 - duration) < 0.1
    assert all(errors == 0 for _, errors in decoded.values()), decoded
    assert all(frames > 0 for frames, _ in decoded.values()), decoded


def test_auto_record_and_active_recording(start_server, tmp_path):
    config = tmp_path / "auto.yaml"
    config.write_text("room:\n  auto_record: true\n")
    server = start_server("--config", str(config), "--bind", "127.0.0.1")
    recordings = os.path.join(str(server.data_dir), "recordings")

    async def body():
        watcher = rtc.Room()
        updates = []
        watcher.on("room_updated", lambda: updates.append(watcher.is_recording))
        pub = Publisher()
        client = lkapi(server)
        try:
            await asyncio.wait_for(watcher.connect(f"ws://127.0.0.1:{server.http_port}", token("bob"),
                                                   rtc.RoomOptions(auto_subscribe=False)), 20)
            assert not watcher.is_recording
            await pub.start(server)
            await wait_until(lambda: watcher.is_recording, 10, "bob told that the room records")
            items = (await client.egress.list_egress(api.ListEgressRequest(room_name=ROOM, active=True))).items
            assert len(items) == 1 and items[0].participant.identity == "alice", items
            egress_id = items[0].egress_id
            await wait_status(client, egress_id, api.EgressStatus.EGRESS_ACTIVE, timeout=5)
            t_active = time.monotonic()
            await asyncio.sleep(3)
            await pub.close()  # leaving ends the participant recording
            result["span"] = time.monotonic() - t_active
            info = await wait_status(client, egress_id, api.EgressStatus.EGRESS_COMPLETE)
            await wait_until(lambda: not watcher.is_recording, 10, "bob told that recording stopped")
            assert True in updates and updates[-1] is False, updates
            return info
        finally:
            await pub.close()
            await client.aclose()
            if watcher.isconnected():
                await asyncio.wait_for(watcher.disconnect(), 5)

    result = {}

    async def main():
        result["info"] = await body()

    run(server, main, 90)
    f = result["info"].file_results[0]
    path = os.path.join(recordings, f.filename)
    streams, duration = summary(ffprobe(path))
    print(f"auto recording {f.filename}: {duration:.3f}s {streams} ({result['span']:.2f}s from active to leave)")
    assert f.filename.startswith("rec-alice-") and f.filename.endswith(".webm")
    assert ("video", "vp8") in streams and ("audio", "opus") in streams
    # Recorded from the first media (before `active` was seen) until the leave.
    assert result["span"] - 0.5 <= duration <= result["span"] + 3.0, duration


def test_sigterm_finishes_recordings(start_server, tmp_path):
    config = tmp_path / "auto.yaml"
    config.write_text("room:\n  auto_record: true\n")
    server = start_server("--config", str(config), "--bind", "127.0.0.1")
    recordings = os.path.join(str(server.data_dir), "recordings")
    found = {}

    async def body():
        pub = Publisher()
        client = lkapi(server)
        try:
            await pub.start(server)
            await wait_until(lambda: pub.room.is_recording, 10, "the room records")
            items = (await client.egress.list_egress(api.ListEgressRequest(active=True))).items
            assert len(items) == 1, items
            found["id"] = items[0].egress_id
            await wait_status(client, found["id"], api.EgressStatus.EGRESS_ACTIVE, timeout=5)
            await asyncio.sleep(3)
            server.stop()  # SIGTERM while alice is still publishing
            assert server.proc.returncode == 0, server.proc.returncode
        finally:
            await client.aclose()
            await pub.close()

    run(server, body, 60)
    assert server.log_contains(r"recording complete"), "the recording was finished during shutdown"
    restarted = start_server()

    async def check():
        client = lkapi(restarted)
        try:
            found["info"] = await egress_info(client, found["id"])
        finally:
            await client.aclose()

    run(restarted, check, 30)
    info = found["info"]
    assert info.status == api.EgressStatus.EGRESS_COMPLETE and not info.details, info
    streams, duration = summary(ffprobe(os.path.join(recordings, info.file_results[0].filename)))
    print(f"after SIGTERM: {info.file_results[0].filename} {duration:.3f}s {streams}")
    assert ("video", "vp8") in streams and ("audio", "opus") in streams
    assert duration >= 2.5, duration


def read_manifest(recordings):
    """The room manifest(s) auto_record wrote at the top of the recordings directory."""
    paths = glob.glob(os.path.join(recordings, f"{ROOM}-RM_*.json"))
    assert len(paths) <= 1, paths
    if not paths:
        return None
    with open(paths[0]) as f:
        return json.load(f)


def test_room_recording_manifest(start_server, tmp_path):
    config = tmp_path / "auto.yaml"
    config.write_text("room:\n  auto_record: true\n")
    server = start_server("--config", str(config), "--bind", "127.0.0.1")
    recordings = os.path.join(str(server.data_dir), "recordings")
    seen = {}

    async def body():
        alice, bob = Publisher(), Publisher()
        client = lkapi(server)
        try:
            await alice.start(server, "alice")
            seen["alice"] = time.monotonic()
            await asyncio.sleep(2.5)
            await bob.start(server, "bob")
            seen["bob"] = time.monotonic()

            def both_started():
                m = read_manifest(recordings)
                return m is not None and len(m["participants"]) == 2 and \
                    all("start_unix_ns" in p for p in m["participants"])
            await wait_until(both_started, 10, "both participants started in the manifest")
            live = read_manifest(recordings)
            assert live["status"] == "recording" and "ended_at_unix_ms" not in live, live
            assert [p["status"] for p in live["participants"]] == ["active", "active"], live
            await asyncio.sleep(5)
            # Deleting the room ends its recording: both leave, their files are finished, and
            # the manifest is completed.
            await client.room.delete_room(api.DeleteRoomRequest(room=ROOM))
            await wait_until(lambda: (read_manifest(recordings) or {}).get("status") == "complete", 15,
                             "the manifest to be complete")
        finally:
            await alice.close()
            await bob.close()
            await client.aclose()

    run(server, body, 90)
    manifest = read_manifest(recordings)
    print(json.dumps({k: v for k, v in manifest.items() if k != "time_base"}))
    assert manifest["format"] == "switchboard.room-recording" and manifest["version"] == 1
    assert manifest["room"]["name"] == ROOM and manifest["room"]["sid"].startswith("RM_")
    assert manifest["time_base"]["clock"] == "server_unix_ns"
    assert manifest["ended_at_unix_ms"] >= manifest["started_at_unix_ms"]
    entries = {p["identity"]: p for p in manifest["participants"]}
    assert sorted(entries) == ["alice", "bob"], manifest["participants"]
    ends = {}
    for identity, p in entries.items():
        assert p["status"] == "complete", p
        assert p["egress_id"].startswith("EG_") and p["participant_sid"].startswith("PA_")
        assert sorted(t["kind"] for t in p["tracks"]) == ["audio", "video"], p["tracks"]
        # Both tracks placed by their sender reports (the 5 s sync wait covers libwebrtc's first
        # audio report, which comes about 2.5 s into the stream), not by arrival time.
        assert p["sync"] == "sender_report" and p["sender_start_unix_ns"] > 0, p
        assert p["start_offset_ms"] == (p["start_unix_ns"] - manifest["time_base"]["origin_unix_ns"]) // 1_000_000, p
        path = os.path.join(recordings, p["file"])
        assert os.path.getsize(path) == p["bytes"], p
        probe = ffprobe(path)
        streams, duration = summary(probe)
        decoded = decode_all(path)
        print(f"{identity}: {p['file']} offset {p['start_offset_ms']} ms, {duration:.3f}s {streams}, decoded {decoded}")
        assert ("video", "vp8") in streams and ("audio", "opus") in streams
        assert abs(duration - p["duration_ms"] / 1000) < 0.1, (duration, p["duration_ms"])
        assert all(errors == 0 for _, errors in decoded.values()), decoded
        ends[identity] = p["start_offset_ms"] + p["duration_ms"]
    # Alice published first (offset 0); Bob about as much later as he started publishing later
    # (both wait for their first keyframe and sender reports alike).
    assert entries["alice"]["start_offset_ms"] == 0
    expected = (seen["bob"] - seen["alice"]) * 1000
    assert abs(entries["bob"]["start_offset_ms"] - expected) <= 700, (entries["bob"]["start_offset_ms"], expected)
    # Both recordings ended when the room was deleted: on the common time line they end together.
    assert abs(ends["alice"] - ends["bob"]) <= 500, ends


async def wait_until(pred, timeout, what):
    deadline = time.monotonic() + timeout
    while not pred():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        await asyncio.sleep(0.05)
