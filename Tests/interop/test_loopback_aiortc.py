"""aiortc (a WebRTC stack we did not write) against a Switchboard transport over 127.0.0.1.

The server runs in its test-only loopback mode: every RTP packet aiortc sends comes back under
a new SSRC announced in the server's answer. aiortc must decode at least 5 s of VP8 video and
Opus audio that went through ICE-lite, DTLS-SRTP and SRTP on the server, for both SRTP profiles.
"""
import asyncio
import fractions
import math
import urllib.request

import numpy as np
import pytest

import aioice.ice
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import AudioStreamTrack, MediaStreamTrack, VideoStreamTrack
from av import AudioFrame, VideoFrame

# aioice leaves loopback out of its host candidates; this test must use 127.0.0.1 only.
aioice.ice.get_host_addresses = lambda use_ipv4, use_ipv6: ["127.0.0.1"]

WIDTH, HEIGHT, FPS = 320, 240, 30
BLOCK = 16  # the frame index is drawn as 16 black/white blocks along the top edge


def frame_image(index):
    img = np.zeros((HEIGHT, WIDTH, 3), dtype=np.uint8)
    x = (index * 4) % WIDTH
    img[BLOCK * 2:, :, 1] = 60
    img[BLOCK * 2:, x:x + 40, :] = 200  # a moving bar gives the encoder real work
    for bit in range(16):
        value = 255 if (index >> bit) & 1 else 0
        img[0:BLOCK, bit * BLOCK:(bit + 1) * BLOCK, :] = value
    return img


def read_index(img):
    index = 0
    for bit in range(16):
        block = img[2:BLOCK - 2, bit * BLOCK + 2:(bit + 1) * BLOCK - 2, :]
        if block.mean() > 128:
            index |= 1 << bit
    return index


class PatternVideo(VideoStreamTrack):
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
    """48 kHz mono 20 ms frames of a 440 Hz tone (aiortc's base track is 8 kHz)."""
    kind = "audio"

    def __init__(self):
        super().__init__()
        self.samples = 0
        self.start = None

    async def recv(self):
        loop = asyncio.get_event_loop()
        if self.start is None:
            self.start = loop.time()
        target = self.start + self.samples / 48000
        await asyncio.sleep(max(0, target - loop.time()))
        t = (np.arange(960) + self.samples) / 48000
        pcm = (0.3 * 32767 * np.sin(2 * math.pi * 440 * t)).astype(np.int16)
        frame = AudioFrame.from_ndarray(pcm.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = 48000
        frame.pts = self.samples
        frame.time_base = fractions.Fraction(1, 48000)
        self.samples += 960
        return frame


async def run_call(server_url, seconds_needed=5.0, timeout=40.0):
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    video, audio = PatternVideo(), ToneAudio()
    pc.addTrack(video)
    pc.addTrack(audio)
    got = {"video": [], "audio": 0, "audio_rms": [], "sizes": set()}
    done = asyncio.Event()

    async def consume(track):
        while True:
            try:
                frame = await track.recv()
            except Exception:
                return
            if track.kind == "video":
                img = frame.to_ndarray(format="rgb24")
                got["sizes"].add((frame.width, frame.height))
                got["video"].append(read_index(img))
            else:
                got["audio"] += frame.samples
                got["audio_rms"].append(float(np.sqrt(np.mean(frame.to_ndarray().astype(np.float64) ** 2))))
            if len(got["video"]) >= FPS * seconds_needed and got["audio"] >= 48000 * seconds_needed:
                done.set()

    @pc.on("track")
    def on_track(track):
        asyncio.ensure_future(consume(track))

    await pc.setLocalDescription(await pc.createOffer())
    request = urllib.request.Request(server_url + "/debug/loopback", data=pc.localDescription.sdp.encode(),
                                     headers={"Content-Type": "application/sdp"}, method="POST")
    answer = await asyncio.get_event_loop().run_in_executor(None, lambda: urllib.request.urlopen(request, timeout=10).read())
    await pc.setRemoteDescription(RTCSessionDescription(sdp=answer.decode(), type="answer"))
    try:
        await asyncio.wait_for(done.wait(), timeout)
    finally:
        await pc.close()
    return got, video.sent


@pytest.mark.parametrize("profile,expected", [("gcm", "SRTP_AEAD_AES_128_GCM"), ("cm", "SRTP_AES128_CM_SHA1_80")])
def test_aiortc_media_round_trip(start_server, profile, expected):
    server = start_server("--loopback", "--srtp-profiles", profile)
    got, sent = asyncio.run(run_call(server.url))

    # >= 5 s of decoded video that is our own pattern, in order, mostly complete.
    indices = got["video"]
    assert len(indices) >= FPS * 5
    assert got["sizes"] == {(WIDTH, HEIGHT)}
    assert all(b >= a for a, b in zip(indices, indices[1:])), "frames arrive in order"
    span = indices[-1] - indices[0] + 1
    assert len(set(indices)) >= 0.9 * span, f"{len(set(indices))} distinct frames over a span of {span}"
    assert indices[-1] < sent

    # >= 5 s of decoded Opus audio carrying the tone (not silence).
    assert got["audio"] >= 48000 * 5
    loud = [r for r in got["audio_rms"][50:] if r > 1000]
    assert len(loud) >= 0.9 * len(got["audio_rms"][50:]), "decoded audio carries the tone"

    assert server.log_contains(rf"loopback transport \d+: connected \({expected}\)")


def test_bad_offer_gets_clear_error_and_server_survives(start_server):
    server = start_server("--loopback")
    request = urllib.request.Request(server.url + "/debug/loopback", data=b"v=0\r\nthis is not sdp\r\n", method="POST")
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(request, timeout=10)
    assert info.value.code == 400
    assert b"offer" in info.value.read()
    assert urllib.request.urlopen(server.url + "/healthz", timeout=5).read() == b"ok\n"
