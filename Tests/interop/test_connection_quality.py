"""Connection quality (`connection_quality` updates) against a real impairment.

alice publishes aiortc video and audio on a clean path; bob and carol subscribe. bob's path goes
through a userspace UDP relay (udp_relay) whose loss towards bob is switched during the test;
carol's is clean. The server scores every participant each 2 s window (docs/quality.md).

- Clean: alice, bob and carol are all reported EXCELLENT.
- 10 % loss towards bob: bob drops to POOR or GOOD within 5 s; alice (whose uplink is clean)
  and carol stay EXCELLENT: downstream loss is charged to the subscriber who suffers it.
- Loss removed: bob is EXCELLENT again within 10 s.
- A 300 kbit/s cap towards bob (with a livekit SDK publisher): the allocator pauses the video it
  cannot carry instead of flooding the link, and resumes it when the cap is lifted.
"""
import asyncio
import time

import pytest
from livekit.protocol import models, rtc as lk_rtc

from livekit import rtc

from lk_raw import PatternVideo, RawParticipant, ToneAudio, via_relay
from lk_sdk import publish_camera_and_mic
from lk_sdk import run as run_sdk
from test_recording import run
from udp_relay import LossyRelay

pytestmark = pytest.mark.filterwarnings("ignore:The HMAC key is")

EXCELLENT = models.ConnectionQuality.EXCELLENT
rtc_paused, rtc_active = lk_rtc.StreamState.PAUSED, lk_rtc.StreamState.ACTIVE
LEVELS = {models.ConnectionQuality.EXCELLENT: "excellent", models.ConnectionQuality.GOOD: "good",
          models.ConnectionQuality.POOR: "poor", models.ConnectionQuality.LOST: "lost"}


def levels_seen_by(participant):
    """participant sid -> list of (time, level) from the connection_quality updates received."""
    seen = {}
    for t, resp in participant.responses:
        if resp.WhichOneof("message") == "connection_quality":
            for info in resp.connection_quality.updates:
                seen.setdefault(info.participant_sid, []).append((t, info.quality))
    return seen


def level_at(seen, sid, t):
    level = None
    for when, q in seen.get(sid, []):
        if when <= t:
            level = q
    return level


async def wait_level(observer, sid, accept, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        seen = levels_seen_by(observer)
        if seen.get(sid) and seen[sid][-1][1] in accept:
            return time.monotonic()
        await asyncio.sleep(0.1)
    history = [(round(t, 1), LEVELS.get(q, q)) for t, q in levels_seen_by(observer).get(sid, [])]
    raise AssertionError(f"{what}: not reached within {timeout} s; history {history}")


def test_quality_follows_a_lossy_subscriber_path(start_server):
    server = start_server("--log-level", "debug")
    relay = LossyRelay(upstream=None, loss=0.0, seed=11, down_loss=0.0)
    report = {}

    async def body():
        await relay.start()
        alice = RawParticipant(server.http_port, "alice")
        bob = RawParticipant(server.http_port, "bob", rewrite_offer=via_relay(relay))
        carol = RawParticipant(server.http_port, "carol")
        try:
            for p in (bob, carol, alice):
                await p.connect()
            await alice.publish([PatternVideo(), ToneAudio()])
            await alice.wait_published_connected()
            await carol.wait_subscribed(timeout=20)
            # bob's aiortc must really be receiving: decoding video and sending its receiver
            # reports (RTCP) back through the relay; only then does loss on the relay show in
            # its feedback. Now and then aiortc's subscriber comes up without ever sending RTCP
            # (seen ~1 in 10 runs on a loaded machine; its media still arrives): that client is
            # replaced once, with the cause printed, rather than the server blamed for it.
            for attempt in (1, 2):
                await bob.wait_subscribed(timeout=20)
                deadline = time.monotonic() + 10
                while time.monotonic() < deadline and not (relay.stats["up"]["media"] > 0 and len(bob.received.video) > 10):
                    await asyncio.sleep(0.1)
                if relay.stats["up"]["media"] > 0 and len(bob.received.video) > 10:
                    break
                cause = (f"attempt {attempt}: bob decoded {len(bob.received.video)} frames, sent "
                         f"{relay.stats['up']['media']} RTCP packets through the relay ({relay.stats})")
                print(f"bob's client not receiving properly, {cause}")
                assert attempt == 1, f"bob's client never received properly: {cause}"
                await bob.close()
                relay.client_addr = None
                relay.stats = {d: {"forwarded": 0, "dropped": 0, "media": 0} for d in ("up", "down")}
                bob = RawParticipant(server.http_port, "bob", rewrite_offer=via_relay(relay))
                await bob.connect()

            # Clean: everyone excellent (the first window's judgement is always announced).
            for sid, name in ((alice.sid, "alice"), (bob.sid, "bob"), (carol.sid, "carol")):
                await wait_level(carol, sid, {EXCELLENT}, 10, f"{name} excellent on a clean path")

            # 10 % loss towards bob.
            relay.loss["down"] = 0.10
            t_loss = time.monotonic()
            try:
                t_bad = await wait_level(carol, bob.sid, {models.ConnectionQuality.POOR, models.ConnectionQuality.GOOD},
                                         5, "bob poor/good under 10 % downstream loss")
            except AssertionError as e:
                raise AssertionError(f"{e}; relay {relay.stats}; relay upstream {relay.upstream}, client {relay.client_addr}") from None
            report["degraded_after"] = t_bad - t_loss
            await asyncio.sleep(3)
            seen = levels_seen_by(carol)
            for sid, name in ((alice.sid, "alice"), (carol.sid, "carol")):
                assert level_at(seen, sid, time.monotonic()) == EXCELLENT, \
                    f"{name} must stay excellent while only bob's path is lossy; history {seen.get(sid)}"

            # Impairment removed.
            relay.loss["down"] = 0.0
            t_clear = time.monotonic()
            t_good = await wait_level(carol, bob.sid, {EXCELLENT}, 10, "bob excellent again after the loss stops")
            report["recovered_after"] = t_good - t_clear
            report["relay"] = relay.stats
        finally:
            for p in (alice, bob, carol):
                await p.close()
            relay.close()

    try:
        run(server, body, 90)
    except BaseException:
        # The server's per-window scores (debug log) say why a level was what it was.
        print("\n".join(l for l in server.log_lines if "quality window" in l))
        raise
    print(f"bob degraded {report['degraded_after']:.1f} s after the loss started, recovered "
          f"{report['recovered_after']:.1f} s after it stopped; relay {report['relay']}")


def stream_states(participant):
    """(time, track_sid, state) from the stream_state_update messages received."""
    out = []
    for t, resp in participant.responses:
        if resp.WhichOneof("message") == "stream_state_update":
            out += [(t, s.track_sid, s.state) for s in resp.stream_state_update.stream_states]
    return out


def test_rate_cap_pauses_video_instead_of_flooding(start_server):
    """alice is the livekit SDK (libwebrtc) publishing 640x480 video at up to 1.5 Mbit/s, one
    layer, and a tone; bob is aiortc behind the relay. A 300 kbit/s cap towards bob: his quality
    drops within 5 s and the server pauses alice's video for him (stream_state_update PAUSED;
    audio goes on), so the capped link is no longer flooded. The cap lifted, bob is excellent
    within 10 s and gets video again (ACTIVE)."""
    server = start_server("--log-level", "debug")
    relay = LossyRelay(upstream=None, loss=0.0, seed=12, down_loss=0.0)
    report = {}

    async def body(session):
        await relay.start()
        bob = RawParticipant(server.http_port, "bob", rewrite_offer=via_relay(relay))
        try:
            await bob.connect()
            alice = await session.join("alice")
            await publish_camera_and_mic(session, alice, 640, 480, 30, simulcast=False,
                                         video_encoding=rtc.VideoEncoding(max_framerate=30, max_bitrate=1_500_000))
            await bob.wait_subscribed(timeout=20)
            await wait_level(bob, bob.sid, {EXCELLENT}, 10, "bob excellent on a clean path")
            await asyncio.sleep(3)  # libwebrtc ramps its bitrate up
            report["packets_per_s_clean"] = await relay.media_rate("down")

            relay.rate["down"] = 300_000
            t_cap = time.monotonic()
            await wait_level(bob, bob.sid, {models.ConnectionQuality.POOR, models.ConnectionQuality.GOOD}, 5,
                             "bob poor/good behind a 300 kbit/s cap")
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and not any(s == rtc_paused for _, _, s in stream_states(bob)):
                await asyncio.sleep(0.1)
            paused = [round(t - t_cap, 1) for t, _, s in stream_states(bob) if s == rtc_paused]
            assert paused, f"the server kept flooding: no stream paused for bob; relay {relay.stats}"
            report["paused_after"] = paused[0]
            # Paused: what the server sends bob falls to about audio (no flood). (After 4 s the
            # allocator tries a step up, which is its probe: measure before that.)
            await asyncio.sleep(0.5)
            report["packets_per_s_paused"] = await relay.media_rate("down")
            assert report["packets_per_s_paused"] < 0.5 * report["packets_per_s_clean"], report

            relay.rate["down"] = None
            t_clear = time.monotonic()
            t_good = await wait_level(bob, bob.sid, {EXCELLENT}, 10, "bob excellent after the cap is lifted")
            report["excellent_after"] = t_good - t_clear
            # Video comes back: the allocator's step ups find the path clear (one may already
            # have happened before the cap was lifted). The last state must be ACTIVE.
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline and stream_states(bob)[-1][2] != rtc_active:
                await asyncio.sleep(0.1)
            assert stream_states(bob)[-1][2] == rtc_active, f"video never resumed for bob; states {stream_states(bob)}"
            report["resumed_after"] = round(stream_states(bob)[-1][0] - t_clear, 1)
            report["relay"] = relay.stats
        finally:
            await bob.close()
            relay.close()

    try:
        run_sdk(server, body, 120)
    except BaseException:
        print("\n".join(l for l in server.log_lines if "quality window" in l or "stream " in l))
        raise
    print(f"cap: video paused for bob after {report['paused_after']} s; {report['packets_per_s_clean']:.0f} packets/s "
          f"offered to him before, {report['packets_per_s_paused']:.0f} while paused; lifted: excellent after "
          f"{report['excellent_after']:.1f} s, video resumed after {report['resumed_after']} s; relay {report['relay']}")
