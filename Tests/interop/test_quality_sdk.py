"""Connection quality and the allocator with the livekit SDK (libwebrtc) as the impaired
subscriber: bob's subscriber connection runs through a UDP relay (LossyNat), put there by a
signalling proxy that points the server's candidates at the relay (signal_proxy); nothing in
the SDK is changed. alice publishes 640x480 video (up to 1.5 Mbit/s, one layer) and a tone with
the same SDK on a clean path. bob's libwebrtc sends transport-wide feedback, so what the server
concludes comes from its send-side estimator and loss accounting, not from receiver reports.

- 10 % loss towards bob: bob poor/good within 5 s, alice stays excellent; loss removed: bob
  excellent again within 10 s.
- A 300 kbit/s cap towards bob: bob poor/good within 5 s, his video paused (stream_state_update)
  so the capped link is not flooded; cap lifted: excellent within 10 s and video back.
"""
import asyncio
import json
import time
import urllib.error
import urllib.request

import pytest
from livekit import rtc
from livekit.protocol import models

from livekit import api

from lk_raw import API_KEY, API_SECRET, ROOM, make_token, scrape_metric
from lk_sdk import Receiver, publish_camera_and_mic, run, wait_until
from signal_proxy import SignalProxy
from test_connection_quality import EXCELLENT, levels_seen_by, level_at, rtc_active, rtc_paused, stream_states, wait_level
from udp_relay import LossyNat

pytestmark = pytest.mark.filterwarnings("ignore:The HMAC key is")

DEGRADED = {models.ConnectionQuality.POOR, models.ConnectionQuality.GOOD}


def quality_api(server, room=ROOM, token=None, method="GetRoomQuality"):
    """POST /twirp/switchboard.QualityService/<method> {room} with a roomAdmin token for `room`."""
    token = token or api.AccessToken(API_KEY, API_SECRET).with_grants(api.VideoGrants(room=room, room_admin=True)).to_jwt()
    request = urllib.request.Request(
        f"http://127.0.0.1:{server.http_port}/twirp/switchboard.QualityService/{method}",
        data=json.dumps({"room": room}).encode(), method="POST",
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def by_identity(report):
    return {p["identity"]: p for p in report["participants"]}


async def setup(session, server, relay):
    """alice publishing (clean), bob subscribed through the proxy and relay and decoding video."""
    await relay.start()
    proxy = await SignalProxy(server.http_port, relay).start()
    alice = await session.join("alice")
    await publish_camera_and_mic(session, alice, 640, 480, 30, simulcast=False,
                                 video_encoding=rtc.VideoEncoding(max_framerate=30, max_bitrate=1_500_000))
    bob = rtc.Room()
    session.rooms.append(bob)
    receiver = Receiver(bob, session)
    await asyncio.wait_for(bob.connect(proxy.ws_url, make_token("bob"), rtc.RoomOptions(auto_subscribe=True)), 20)
    await wait_until(lambda: len(receiver.video) > 30 and relay.stats["up"]["media"] > 0, 20,
                     "bob decoding alice's video with his RTCP going through the relay")
    assert proxy.rewritten["offers"] > 0, proxy.rewritten
    return proxy, alice, bob, receiver


def test_sdk_subscriber_quality_under_loss(start_server):
    server = start_server("--log-level", "debug")
    relay = LossyNat(loss=0.0, seed=21)
    report = {}

    async def body(session):
        proxy, alice, bob, receiver = await setup(session, server, relay)
        try:
            bob_sid, alice_sid = bob.local_participant.sid, alice.local_participant.sid
            await wait_level(proxy, bob_sid, {EXCELLENT}, 10, "bob excellent on a clean path")
            await wait_level(proxy, alice_sid, {EXCELLENT}, 10, "alice excellent on a clean path")

            relay.loss["down"] = 0.10
            t_loss = time.monotonic()
            report["degraded_after"] = await wait_level(proxy, bob_sid, DEGRADED, 5,
                                                        "bob poor/good under 10 % downstream loss") - t_loss
            await asyncio.sleep(3)
            assert level_at(levels_seen_by(proxy), alice_sid, time.monotonic()) == EXCELLENT, \
                f"alice's uplink is clean, she must stay excellent; history {levels_seen_by(proxy).get(alice_sid)}"
            # The admin API says the same, with the measurements behind it.
            during = by_identity(await asyncio.to_thread(quality_api, server))
            report["api_during_loss"] = during
            assert during["bob"]["quality"] in ("POOR", "GOOD"), during["bob"]
            assert during["bob"]["downlink"]["loss"] >= 0.03, during["bob"]
            assert during["alice"]["quality"] == "EXCELLENT", during["alice"]
            assert sorted(w["kind"] for w in during["alice"]["uplink"]) == ["audio", "video"], during["alice"]
            assert all(w["loss"] < 0.02 and w["mos"] >= 4 for w in during["alice"]["uplink"]), during["alice"]

            relay.loss["down"] = 0.0
            t_clear = time.monotonic()
            report["recovered_after"] = await wait_level(proxy, bob_sid, {EXCELLENT}, 10,
                                                         "bob excellent again after the loss stops") - t_clear
            n = len(receiver.video)
            await wait_until(lambda: len(receiver.video) > n + 30, 10, "bob still decoding video")
            report["relay"] = relay.stats
        finally:
            await proxy.close()
            relay.close()

    try:
        run(server, body, 120)
    except BaseException:
        print("\n".join(l for l in server.log_lines if "quality window" in l))
        raise
    print(f"SDK subscriber: degraded {report['degraded_after']:.1f} s after 10 % loss started, excellent "
          f"{report['recovered_after']:.1f} s after it stopped; relay {report['relay']}; QualityService during the loss: "
          f"bob {report['api_during_loss']['bob']}")


def test_quality_api_checks_the_token_and_the_room(start_server):
    server = start_server()
    with pytest.raises(urllib.error.HTTPError) as no_admin:
        quality_api(server, token=make_token("mallory"))
    assert no_admin.value.code == 403 and json.loads(no_admin.value.read())["code"] == "permission_denied"
    other = api.AccessToken(API_KEY, API_SECRET).with_grants(api.VideoGrants(room="elsewhere", room_admin=True)).to_jwt()
    with pytest.raises(urllib.error.HTTPError) as wrong_room:
        quality_api(server, token=other)
    assert wrong_room.value.code == 403
    with pytest.raises(urllib.error.HTTPError) as missing:
        quality_api(server, room="nobody-here")
    assert missing.value.code == 404 and json.loads(missing.value.read())["code"] == "not_found"
    with pytest.raises(urllib.error.HTTPError) as route:
        quality_api(server, method="Nope")
    assert route.value.code == 404 and json.loads(route.value.read())["code"] == "bad_route"


def test_sdk_subscriber_behind_a_rate_cap_gets_video_paused_not_flooded(start_server):
    server = start_server("--log-level", "debug")
    relay = LossyNat(loss=0.0, seed=22)
    report = {}

    async def body(session):
        proxy, alice, bob, receiver = await setup(session, server, relay)
        try:
            bob_sid = bob.local_participant.sid
            await wait_level(proxy, bob_sid, {EXCELLENT}, 10, "bob excellent on a clean path")
            await asyncio.sleep(3)  # alice's libwebrtc ramps its bitrate up
            report["packets_per_s_clean"] = await relay.media_rate("down")

            relay.rate["down"] = 300_000
            t_cap = time.monotonic()
            report["degraded_after"] = await wait_level(proxy, bob_sid, DEGRADED, 5,
                                                        "bob poor/good behind a 300 kbit/s cap") - t_cap
            await wait_until(lambda: any(s == rtc_paused for _, _, s in stream_states(proxy)), 10,
                             "the server pausing alice's video for bob")
            report["paused_after"] = round(next(t for t, _, s in stream_states(proxy) if s == rtc_paused) - t_cap, 1)
            await asyncio.sleep(0.5)
            report["packets_per_s_paused"] = await relay.media_rate("down")
            assert report["packets_per_s_paused"] < 0.5 * report["packets_per_s_clean"], report

            relay.rate["down"] = None
            t_clear = time.monotonic()
            report["excellent_after"] = await wait_level(proxy, bob_sid, {EXCELLENT}, 10,
                                                         "bob excellent after the cap is lifted") - t_clear
            await wait_until(lambda: stream_states(proxy)[-1][2] == rtc_active, 20, "alice's video resumed for bob")
            report["resumed_after"] = round(stream_states(proxy)[-1][0] - t_clear, 1)
            n = len(receiver.video)
            await wait_until(lambda: len(receiver.video) > n + 30, 10, "bob decoding video again")
            report["relay"] = relay.stats
            # (No padding probes here: the SDK publisher's video has no RTX, so there is no RTX
            # stream to carry them towards bob; test_browser.py covers probes.)
            report["probe_packets"] = scrape_metric(server.url, "switchboard_probe_packets_sent_total")
        finally:
            await proxy.close()
            relay.close()

    try:
        run(server, body, 150)
    except BaseException:
        print("\n".join(l for l in server.log_lines if "quality window" in l or "stream " in l))
        raise
    print(f"SDK subscriber cap: degraded after {report['degraded_after']:.1f} s, paused after {report['paused_after']} s; "
          f"{report['packets_per_s_clean']:.0f} packets/s before, {report['packets_per_s_paused']:.0f} while paused; "
          f"lifted: excellent after {report['excellent_after']:.1f} s, video resumed after {report['resumed_after']} s; "
          f"{report['probe_packets']:.0f} probe packets; relay {report['relay']}")

