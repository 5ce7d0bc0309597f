"""WHIP (RFC 9725) and WHEP proven with aiortc, a WebRTC stack we did not write, and the load
generator run as `make test` runs it.

- test_aiortc_whip_publisher_reaches_whep_and_livekit_viewers: aiortc publishes VP8 + Opus with one
  HTTP POST to /whip/{room}. An aiortc WHEP viewer (POST /whep/{room}, recvonly) and an aiortc
  participant on LiveKit signalling both decode >= 90% of the frames over a 4 s window, so a WHIP
  publisher is an ordinary participant. Trickle and ICE-restart PATCHes (ETag / If-Match), DELETE,
  and what is refused (no token, wrong grant, wrong content type, unparsable SDP, nothing to view,
  another participant's token on a session).
- test_ice_servers_reach_clients: `rtc.stun_servers` / `rtc.turn_servers` from the config reach a
  LiveKit client in the JoinResponse's ice_servers and a WHIP client as `Link: <...>;
  rel="ice-server"` headers on the 201 (RFC 9725 §4.6), TURN credentials included.
- test_loadtest_one_to_ten[whip|livekit]: `switchboard loadtest` publishes real VP8/Opus to 1 room
  and 10 viewers for 10 s, negotiated over WHIP/WHEP and over LiveKit signalling (/rtc); it must
  exit 0 (every viewer got every track until the end, loss < 1%), latency is measured end to end
  (abs-capture-time passes through the server), and the server's /metrics counters move.
"""
import asyncio
import json
import re
import subprocess
import time
import urllib.error
import urllib.request

import pytest
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription

from conftest import BINARY
from lk_raw import DecodeErrors, PatternVideo, RawParticipant, ReceivedMedia, ToneAudio, make_token, scrape_metric

pytestmark = pytest.mark.filterwarnings("ignore:The HMAC key is")

ROOM = "whip-room"


def http(method, url, body=b"", headers=None):
    """(status, headers, body text) of one request; HTTP errors are answers, not exceptions."""
    request = urllib.request.Request(url, data=body if method in ("POST", "PATCH") else None, method=method,
                                     headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as resp:
            return resp.status, dict(resp.headers), resp.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read().decode()


async def post_offer(pc, url, token):
    """POSTs the offer; returns (Location, ETag)."""
    await pc.setLocalDescription(await pc.createOffer())
    status, headers, body = await asyncio.to_thread(
        http, "POST", url, pc.localDescription.sdp.encode(),
        {"Authorization": f"Bearer {token}", "Content-Type": "application/sdp"})
    assert status == 201, (status, body)
    assert headers.get("Content-Type", "").startswith("application/sdp")
    assert headers.get("ETag", "").startswith('"'), headers
    await pc.setRemoteDescription(RTCSessionDescription(sdp=body, type="answer"))
    return headers["Location"], headers["ETag"]


async def wait_connected(pc, what, timeout=15):
    deadline = time.monotonic() + timeout
    while pc.connectionState != "connected":
        assert time.monotonic() < deadline, f"{what}: {pc.connectionState}"
        await asyncio.sleep(0.05)


async def whip_scenario(server):
    base = server.url
    publisher_token = make_token("obs", room=ROOM, can_publish=True, can_subscribe=False)
    viewer_token = make_token("viewer", room=ROOM, can_publish=False, can_subscribe=True)

    # Refusals, before anything exists.
    status, _, _ = await asyncio.to_thread(http, "POST", f"{base}/whip/{ROOM}", b"v=0", {"Content-Type": "application/sdp"})
    assert status == 401
    status, _, _ = await asyncio.to_thread(http, "POST", f"{base}/whip/{ROOM}", b"v=0",
                                           {"Authorization": f"Bearer {publisher_token}", "Content-Type": "text/plain"})
    assert status == 415
    status, _, body = await asyncio.to_thread(http, "POST", f"{base}/whip/{ROOM}", b"not sdp",
                                              {"Authorization": f"Bearer {publisher_token}", "Content-Type": "application/sdp"})
    assert status == 400, body
    status, _, body = await asyncio.to_thread(http, "POST", f"{base}/whip/other-room", b"v=0",
                                              {"Authorization": f"Bearer {publisher_token}", "Content-Type": "application/sdp"})
    assert status == 403, body

    pcs, watcher, received = [], None, []
    try:
        # WHEP before anything is published: nothing to view.
        early = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        pcs.append(early)
        early.addTransceiver("video", direction="recvonly")
        await early.setLocalDescription(await early.createOffer())
        status, _, body = await asyncio.to_thread(
            http, "POST", f"{base}/whep/{ROOM}", early.localDescription.sdp.encode(),
            {"Authorization": f"Bearer {viewer_token}", "Content-Type": "application/sdp"})
        assert status == 422, (status, body)

        publisher = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        pcs.append(publisher)
        video, audio = PatternVideo(), ToneAudio()
        publisher.addTransceiver(video, direction="sendonly")
        publisher.addTransceiver(audio, direction="sendonly")
        # A viewer token cannot publish.
        await publisher.setLocalDescription(await publisher.createOffer())
        status, _, body = await asyncio.to_thread(
            http, "POST", f"{base}/whip/{ROOM}", publisher.localDescription.sdp.encode(),
            {"Authorization": f"Bearer {viewer_token}", "Content-Type": "application/sdp"})
        assert status == 403, (status, body)
        whip_location, whip_etag = await post_offer(publisher, f"{base}/whip/{ROOM}", publisher_token)
        assert re.fullmatch(rf"/whip/{ROOM}/[0-9a-f]{{32}}", whip_location), whip_location
        await wait_connected(publisher, "WHIP publisher")

        # Trickle is accepted (204), also with the session's ETag in If-Match; another ETag is
        # refused (412), an unknown session is 404, and another participant's token may not touch it.
        frag_headers = {"Authorization": f"Bearer {publisher_token}", "Content-Type": "application/trickle-ice-sdpfrag"}
        trickle = b"a=mid:0\r\na=candidate:1 1 udp 2130706431 127.0.0.1 9 typ host\r\n"
        status, _, _ = await asyncio.to_thread(http, "PATCH", base + whip_location, trickle, frag_headers)
        assert status == 204
        status, _, _ = await asyncio.to_thread(http, "PATCH", base + whip_location, trickle, {**frag_headers, "If-Match": whip_etag})
        assert status == 204
        status, _, _ = await asyncio.to_thread(http, "PATCH", base + whip_location, trickle, {**frag_headers, "If-Match": '"stale"'})
        assert status == 412
        status, _, _ = await asyncio.to_thread(http, "PATCH", base + whip_location + "0", b"a=mid:0\r\n", frag_headers)
        assert status == 404
        status, _, _ = await asyncio.to_thread(http, "DELETE", base + whip_location, b"",
                                               {"Authorization": f"Bearer {viewer_token}"})
        assert status == 403

        # A LiveKit-protocol participant sees the WHIP publisher as an ordinary one.
        watcher = RawParticipant(server.http_port, "lk-watcher", room=ROOM)
        await watcher.connect()
        await watcher.wait_subscribed(("audio", "video"), timeout=15)
        received.append(("livekit", watcher.received))

        viewer = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        pcs.append(viewer)
        whep_media = ReceivedMedia()
        viewer.on("track", whep_media.attach)
        viewer.addTransceiver("video", direction="recvonly")
        viewer.addTransceiver("audio", direction="recvonly")
        whep_location, whep_etag = await post_offer(viewer, f"{base}/whep/{ROOM}", viewer_token)
        assert re.fullmatch(rf"/whep/{ROOM}/[0-9a-f]{{32}}", whep_location), whep_location
        await wait_connected(viewer, "WHEP viewer")
        received.append(("whep", whep_media))

        # An ICE restart PATCH (RFC 9725 §4.3.2): the server's credentials and candidates come
        # back with a new ETag, the old ETag no longer matches, and media keeps flowing (the
        # window below is measured after it).
        restart_headers = {"Authorization": f"Bearer {viewer_token}", "Content-Type": "application/trickle-ice-sdpfrag",
                           "If-Match": whep_etag}
        status, headers, body = await asyncio.to_thread(
            http, "PATCH", base + whep_location, b"a=ice-ufrag:newu\r\na=ice-pwd:newpasswordnewpassword12\r\na=mid:0\r\n",
            restart_headers)
        assert status == 200 and "a=ice-ufrag:" in body and "a=candidate:" in body, (status, body)
        assert headers["ETag"] != whep_etag
        status, _, _ = await asyncio.to_thread(http, "PATCH", base + whep_location, b"a=mid:0\r\n", restart_headers)
        assert status == 412

        # Warm-up until both decode, then a 4 s window counted by the index drawn in each frame.
        deadline = time.monotonic() + 15
        while not all(len(r.video) >= 15 for _, r in received):
            assert time.monotonic() < deadline, [(n, len(r.video)) for n, r in received]
            await asyncio.sleep(0.1)
        first = video.sent + 5
        t0 = time.monotonic()
        await asyncio.sleep(4)
        end = video.sent - 5
        t1 = time.monotonic()
        await asyncio.sleep(1)
        for name, r in received:
            got = len(r.video_indices(first, end))
            print(f"{name}: {got}/{end - first} frames, {r.tone_samples_between(t0, t1)} tone samples")
            assert got >= 0.9 * (end - first), f"{name}: {got} of {end - first} frames"
            assert r.tone_samples_between(t0, t1) >= 0.8 * 48000 * (t1 - t0), f"{name}: too little tone audio"

        # DELETE ends each session; the LiveKit participant is told the publisher left.
        status, _, _ = await asyncio.to_thread(http, "DELETE", base + whep_location, b"",
                                               {"Authorization": f"Bearer {viewer_token}"})
        assert status == 200
        left = watcher.expect(lambda r: r.WhichOneof("message") == "update" and any(
            p.identity == "obs" and p.state == 3 for p in r.update.participants))
        status, _, _ = await asyncio.to_thread(http, "DELETE", base + whip_location, b"",
                                               {"Authorization": f"Bearer {publisher_token}"})
        assert status == 200
        await asyncio.wait_for(left, 5)
        status, _, _ = await asyncio.to_thread(http, "DELETE", base + whip_location, b"",
                                               {"Authorization": f"Bearer {publisher_token}"})
        assert status == 404
    finally:
        for pc in pcs:
            await pc.close()
        if watcher is not None:
            await watcher.close()
        for _, r in received:
            await r.stop()


def test_aiortc_whip_publisher_reaches_whep_and_livekit_viewers(start_server):
    server = start_server()
    with DecodeErrors() as errors:
        asyncio.run(asyncio.wait_for(whip_scenario(server), 90))
    assert errors.count == 0, f"{errors.count} decode failures"
    assert server.log_contains(r"whip session started")


async def ice_server_scenario(server):
    raw = RawParticipant(server.http_port, "joiner", room=ROOM)
    try:
        join = await raw.connect()
        servers = [(list(s.urls), s.username, s.credential) for s in join.ice_servers]
    finally:
        await raw.close()
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    try:
        pc.addTrack(PatternVideo())
        await pc.setLocalDescription(await pc.createOffer())
        request = urllib.request.Request(f"{server.url}/whip/{ROOM}", data=pc.localDescription.sdp.encode(), method="POST",
                                         headers={"Authorization": f"Bearer {make_token('whip-ice', room=ROOM, can_publish=True)}",
                                                  "Content-Type": "application/sdp"})
        response = await asyncio.to_thread(urllib.request.urlopen, request, timeout=10)
        assert response.status == 201
        links = response.headers.get_all("Link")
        response.read()
    finally:
        await pc.close()
    return servers, links


def test_ice_servers_reach_clients(start_server, tmp_path):
    # Nothing listens on these: the clients here only read them (aiortc is given no ICE servers).
    config = tmp_path / "config.yaml"
    config.write_text("rtc:\n  stun_servers: [127.0.0.1:9]\n  turn_servers:\n"
                      "    - {host: 127.0.0.1, port: 9, protocol: udp, username: lkuser, credential: lkpass}\n")
    server = start_server("--config", str(config))
    servers, links = asyncio.run(asyncio.wait_for(ice_server_scenario(server), 60))
    assert servers == [(["stun:127.0.0.1:9"], "", ""), (["turn:127.0.0.1:9?transport=udp"], "lkuser", "lkpass")], servers
    assert links == ['<stun:127.0.0.1:9>; rel="ice-server"',
                     '<turn:127.0.0.1:9?transport=udp>; rel="ice-server"; username="lkuser"; credential="lkpass"; '
                     'credential-type="password"'], links


@pytest.mark.parametrize("protocol", ["whip", "livekit"])
def test_loadtest_one_to_ten(start_server, tmp_path, protocol):
    config = tmp_path / "config.yaml"
    config.write_text("limits:\n  join_burst: 100\n  joins_per_second: 20\n")
    server = start_server("--config", str(config))
    sent0 = scrape_metric(server.url, "switchboard_udp_datagrams_sent_total")
    bytes0 = scrape_metric(server.url, "switchboard_udp_bytes_sent_total")
    report_path = tmp_path / "report.json"
    # Over LiveKit signalling the publisher paces at 1.5x, under which the 15-packet keyframe is
    # more than one 40 ms burst, so the pacer must hold part of it back; WHIP runs the default.
    pacing = ["--pacing", "1.5"] if protocol == "livekit" else []
    run = subprocess.run([BINARY, "loadtest", "--url", server.url, "--protocol", protocol, "--room", "load", "--publishers", "1",
                          "--subscribers", "10", "--duration", "10s", "--warmup", "3s", *pacing, "--json", str(report_path)],
                         capture_output=True, text=True, timeout=120)
    print(run.stdout[-3000:], run.stderr[-2000:])
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    report = json.loads(report_path.read_text())
    assert report["viewers"] == 10 and report["viewersWithAllMedia"] == 10
    assert report["video"]["packets"] > 10 * 10 * 100, report["video"]  # >= 100 video packets/s per viewer
    assert report["audio"]["packets"] > 10 * 10 * 45, report["audio"]   # ~50 Opus packets/s per viewer
    lost = report["video"]["lost"] + report["audio"]["lost"]
    assert lost / (report["video"]["packets"] + report["audio"]["packets"] + lost) < 0.01
    assert report["latencyP50"] is not None
    if pacing:
        assert report["pacerQueuePeak"] > 0, report["pacerQueuePeak"]
    sent1 = scrape_metric(server.url, "switchboard_udp_datagrams_sent_total")
    bytes1 = scrape_metric(server.url, "switchboard_udp_bytes_sent_total")
    assert sent1 - sent0 >= report["video"]["packets"] + report["audio"]["packets"]
    assert bytes1 - bytes0 > 10 * 1_000_000 / 8 * 10  # > 1 Mbit/s to each of 10 viewers for 10 s
    # The sessions ended with DELETE: nobody is left.
    deadline = time.monotonic() + 5
    while scrape_metric(server.url, "switchboard_participants") != 0:
        assert time.monotonic() < deadline, "participants left after the load test"
        time.sleep(0.2)
