"""aiortc (a WebRTC stack we did not write) against a Switchboard transport over 127.0.0.1.

The server runs in its test-only loopback mode: every RTP packet aiortc sends comes back under
a new SSRC announced in the server's answer. aiortc must decode at least 5 s of VP8 video and
Opus audio that went through ICE-lite, DTLS-SRTP and SRTP on the server, for both SRTP profiles.
"""
import asyncio
import urllib.request

import numpy as np
import pytest

import aioice.ice
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription

# aioice leaves loopback out of its host candidates; this test must use 127.0.0.1 only.
aioice.ice.get_host_addresses = lambda use_ipv4, use_ipv6: ["127.0.0.1"]

# The synthetic media (frame index drawn in the picture, 48 kHz tone) is shared with the
# forwarding tests.
from lk_raw import FPS, HEIGHT, WIDTH, PatternVideo, ToneAudio, read_index  # noqa: E402


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
