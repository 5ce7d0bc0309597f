"""`switchboard loadtest --simulcast`: the load generator's publishers send three VP8 layers
(q 160x90, h 320x180, f 640x360) with RIDs, as LiveKit's SDKs do, and the server forwards each
viewer the layer it can use.

- test_loadtest_simulcast_viewers_get_the_top_layer[whip|livekit]: 1 simulcast publisher -> 3
  viewers for 8 s, over WHIP/WHEP and over LiveKit signalling. The run passes (loss < 1%, every
  viewer got every track until the end) and every viewer's video is 640x360 at its last keyframe.
- test_loadtest_speaker_layout: 3 simulcast publishers, 2 LiveKit viewers in the speaker layout
  (the first publisher's track at 1280x720, the others as 320x180 thumbnails, sent as
  UpdateTrackSettings): each viewer gets one f layer (640x360) and two h layers (320x180), and
  dynacast stops the f layer of the two publishers nobody watches full size.
- test_loadtest_publishes_ffmpeg_encoded_files: the layers and the audio come from files FFmpeg
  wrote (PyAV: libvpx into IVF, libopus into Ogg, 20 ms packets) instead of the load generator's
  own encoders; the run passes and the viewers get the f file's 640x360.
- test_aiortc_viewer_picks_a_layer_and_dynacast_pauses_the_rest: a viewer we did not write
  (aiortc on LiveKit signalling) watches the load generator's simulcast publisher. Asking for
  160x90 (UpdateTrackSettings) it decodes 160x90 frames; being the only viewer, the server's
  subscribed_quality_update stops the publisher's h and f layers (the load generator's send
  rate falls to audio + q). Asking for 640x360 again brings f back: it decodes 640x360 frames.
"""
import asyncio
import json
import re
import subprocess
import threading
import time

import av
import numpy as np
import pytest

from conftest import BINARY
from lk_raw import RawParticipant, lk_models, lk_rtc

pytestmark = [pytest.mark.filterwarnings("ignore:The HMAC key is"),
              # lk_raw's frame-index reader averages empty blocks on a 160x90 picture.
              pytest.mark.filterwarnings("ignore::RuntimeWarning")]


@pytest.mark.parametrize("protocol", ["whip", "livekit"])
def test_loadtest_simulcast_viewers_get_the_top_layer(start_server, tmp_path, protocol):
    config = tmp_path / "config.yaml"
    config.write_text("limits:\n  join_burst: 100\n  joins_per_second: 20\n")
    server = start_server("--config", str(config))
    report_path = tmp_path / "report.json"
    run = subprocess.run([BINARY, "loadtest", "--url", server.url, "--protocol", protocol, "--room", "simulcast",
                          "--publishers", "1", "--subscribers", "3", "--simulcast", "--duration", "8s", "--warmup", "3s",
                          "--json", str(report_path)], capture_output=True, text=True, timeout=120)
    print(run.stdout[-3000:], run.stderr[-2000:])
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    layer = r" 30 fps \d+ kbit/s \(keyframe \d+ packets\)"
    assert re.search(rf"q 160x90{layer}, h 320x180{layer}, f 640x360{layer}", run.stdout), run.stdout[:500]
    report = json.loads(report_path.read_text())
    assert report["viewers"] == 3 and report["viewersWithAllMedia"] == 3
    assert report["videoSizes"] == {"640x360": 3}, report["videoSizes"]
    assert report["video"]["packets"] > 3 * 8 * 100, report["video"]  # the top layer's rate, not q's ~30 pkt/s


def test_loadtest_speaker_layout(start_server, tmp_path):
    config = tmp_path / "config.yaml"
    config.write_text("limits:\n  join_burst: 100\n  joins_per_second: 20\n")
    server = start_server("--config", str(config))
    report_path = tmp_path / "report.json"
    run = subprocess.run([BINARY, "loadtest", "--url", server.url, "--protocol", "livekit", "--room", "speaker",
                          "--video-publishers", "3", "--subscribers", "2", "--simulcast", "--layout", "speaker",
                          "--duration", "6s", "--warmup", "4s", "--json", str(report_path)], capture_output=True, text=True, timeout=120)
    print(run.stdout[-3000:], run.stderr[-2000:])
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    report = json.loads(report_path.read_text())
    assert report["viewersWithAllMedia"] == 2
    assert report["videoSizes"] == {"640x360": 2, "320x180": 4}, report["videoSizes"]
    assert all(sorted(v["videoSizes"]) == ["320x180", "320x180", "640x360"] for v in report["perViewer"]), report["perViewer"]
    # Both viewers have the same speaker, so dynacast turns off the f layer of the other two
    # publishers: ~270 + 2 x ~90 pkt/s (two different speakers: ~635; no dynacast: ~810).
    rates = [int(m.group(1)) for m in re.finditer(r"^\s*\d+s\s+sent\s+(\d+) pkt/s", run.stdout, re.M)]
    assert len(rates) >= 5 and max(rates[-3:]) < 550, rates  # two speakers would be ~635
    refused = subprocess.run([BINARY, "loadtest", "--url", server.url, "--publishers", "1", "--layout", "speaker"],
                             capture_output=True, text=True, timeout=30)
    assert refused.returncode != 0 and "--layout needs --protocol livekit" in refused.stderr, refused.stderr


def write_ivf(path, width, height, kbps, frames=60):
    """VP8 (libvpx through FFmpeg) in IVF: a moving gradient, 30 fps."""
    with av.open(str(path), "w", format="ivf") as out:
        stream = out.add_stream("libvpx", rate=30)
        stream.width, stream.height, stream.pix_fmt, stream.bit_rate = width, height, "yuv420p", kbps * 1000
        ramp = np.add.outer(np.arange(height), np.arange(width))
        for i in range(frames):
            img = np.stack([(ramp + 4 * i) % 256, (ramp * 2 + i) % 256, np.full_like(ramp, 128)], axis=-1).astype(np.uint8)
            for packet in stream.encode(av.VideoFrame.from_ndarray(img, format="rgb24")):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)


def write_ogg(path, seconds=2):
    """Opus (libopus through FFmpeg) in Ogg, 20 ms packets: a 440 Hz tone."""
    with av.open(str(path), "w", format="ogg") as out:
        stream = out.add_stream("libopus", rate=48000)
        stream.layout, stream.bit_rate, stream.options = "stereo", 48000, {"frame_duration": "20"}
        for i in range(seconds * 50):
            t = np.arange(960) + 960 * i
            pcm = (np.sin(2 * np.pi * 440 * t / 48000) * 8000).astype(np.int16)
            frame = av.AudioFrame.from_ndarray(np.stack([pcm, pcm]).T.reshape(1, -1), format="s16", layout="stereo")
            frame.sample_rate, frame.pts = 48000, 960 * i
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)


def test_loadtest_publishes_ffmpeg_encoded_files(start_server, tmp_path):
    files = []
    for name, width, height, kbps in [("q", 160, 90, 150), ("h", 320, 180, 450), ("f", 640, 360, 1500)]:
        write_ivf(tmp_path / f"{name}.ivf", width, height, kbps)
        files += ["--video-file", str(tmp_path / f"{name}.ivf")]
    write_ogg(tmp_path / "tone.ogg")
    server = start_server()
    report_path = tmp_path / "report.json"
    run = subprocess.run([BINARY, "loadtest", "--url", server.url, "--protocol", "livekit", "--room", "files", "--publishers", "1",
                          "--subscribers", "2", "--simulcast", *files, "--audio-file", str(tmp_path / "tone.ogg"),
                          "--duration", "5s", "--warmup", "3s", "--json", str(report_path)], capture_output=True, text=True, timeout=120)
    print(run.stdout[-3000:], run.stderr[-2000:])
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    layer = r" 30 fps \d+ kbit/s \(keyframe \d+ packets\)"
    assert re.search(rf"q 160x90{layer}, h 320x180{layer}, f 640x360{layer} over a 60-frame loop; "
                     r"Opus \d+ packets of 20 ms", run.stdout), run.stdout[:500]
    report = json.loads(report_path.read_text())
    assert report["viewersWithAllMedia"] == 2 and report["videoSizes"] == {"640x360": 2}, report
    assert report["audio"]["packets"] > 2 * 5 * 45, report["audio"]

    # A file the load generator cannot loop is refused before anything connects.
    (tmp_path / "bad.ivf").write_bytes(b"DKIF" + bytes(28))
    bad = subprocess.run([BINARY, "loadtest", "--url", server.url, "--publishers", "1", "--duration", "1s",
                          "--video-file", str(tmp_path / "bad.ivf")], capture_output=True, text=True, timeout=60)
    assert bad.returncode != 0 and "only VP80" in bad.stderr + bad.stdout, bad.stderr + bad.stdout


class LoadProcess:
    """`switchboard loadtest` in the background, its progress lines collected as they come."""

    def __init__(self, args):
        self.proc = subprocess.Popen([BINARY, "loadtest", *args], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     text=True)
        self.lines = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for line in self.proc.stdout:
            self.lines.append((time.monotonic(), line.rstrip()))

    def sent_rates(self, since):
        """The per-second send rates (pkt/s) printed after `since` (monotonic)."""
        return [int(m.group(1)) for t, line in list(self.lines) if t >= since
                for m in [re.search(r"^\s*\d+s\s+sent\s+(\d+) pkt/s", line)] if m]

    def wait_for(self, pattern, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(re.search(pattern, line) for _, line in list(self.lines)):
                return
            assert self.proc.poll() is None, "\n".join(line for _, line in self.lines)
            time.sleep(0.1)
        raise AssertionError(f"no '{pattern}' within {timeout}s:\n" + "\n".join(line for _, line in self.lines))

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


async def decoded_size(viewer, size, within, after):
    """Waits until `viewer` decodes 10 frames of `size` received after `after` (monotonic)."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if sum(1 for t, _, s in viewer.received.video if t >= after and s == size) >= 10:
            return
        await asyncio.sleep(0.1)
    recent = sorted({s for t, _, s in viewer.received.video if t >= after})
    raise AssertionError(f"no {size} frames within {within}s (decoded sizes since: {recent})")


async def watch_and_switch(server, load):
    viewer = RawParticipant(server.http_port, "aiortc-viewer", room="dynacast")
    try:
        join = await viewer.connect()
        video = [t for p in join.other_participants for t in p.tracks if t.type == lk_models.VIDEO]
        assert len(video) == 1 and len(video[0].layers) == 3, join.other_participants
        await viewer.wait_subscribed(("video",), timeout=20)
        await decoded_size(viewer, (640, 360), 20, 0)

        asked = time.monotonic()
        await viewer.send(track_setting=lk_rtc.UpdateTrackSettings(track_sids=[video[0].sid], width=160, height=90))
        await decoded_size(viewer, (160, 90), 15, asked)
        # Dynacast: the only viewer wants q, so the server disables h and f at the publisher and
        # the load generator stops sending them (audio 50 + q ~30 pkt/s instead of ~250).
        deadline = time.monotonic() + 15
        while True:
            rates = load.sent_rates(asked)
            if len(rates) >= 3 and max(rates[-2:]) < 130:
                break
            assert time.monotonic() < deadline, f"the publisher kept sending its upper layers: {rates}"
            await asyncio.sleep(0.5)
        print(f"send rate after asking for 160x90: {rates}")

        asked = time.monotonic()
        await viewer.send(track_setting=lk_rtc.UpdateTrackSettings(track_sids=[video[0].sid], width=640, height=360))
        await decoded_size(viewer, (640, 360), 20, asked)
        print(f"send rate after asking for 640x360: {load.sent_rates(asked)}")
    finally:
        await viewer.close()


def test_aiortc_viewer_picks_a_layer_and_dynacast_pauses_the_rest(start_server, tmp_path):
    server = start_server()
    load = LoadProcess(["--url", server.url, "--protocol", "livekit", "--room", "dynacast", "--publishers", "1",
                        "--subscribers", "0", "--simulcast", "--duration", "120s", "--warmup", "0s"])
    try:
        load.wait_for(r"publishers connected: 1/1", 30)
        asyncio.run(asyncio.wait_for(watch_and_switch(server, load), 90))
    finally:
        load.stop()
