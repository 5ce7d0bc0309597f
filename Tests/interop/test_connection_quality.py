"""Connection quality (`connection_quality` updates) against a real impairment.

alice publishes aiortc video and audio on a clean path; bob and carol subscribe. bob's path goes
through a userspace UDP relay (udp_relay) whose loss towards bob is switched during the test;
carol's is clean. The server scores every participant each 2 s window (docs/quality.md).

- Clean: alice, bob and carol are all reported EXCELLENT.
- 10 % loss towards bob: bob drops to POOR or GOOD within 5 s; alice (whose uplink is clean)
  and carol stay EXCELLENT: downstream loss is charged to the subscriber who suffers it.
- Loss removed: bob is EXCELLENT again within 10 s.
"""
import asyncio
import time

import pytest
from livekit.protocol import models

from lk_raw import PatternVideo, RawParticipant, ToneAudio, via_relay
from test_recording import run
from udp_relay import LossyRelay

pytestmark = pytest.mark.filterwarnings("ignore:The HMAC key is")

EXCELLENT = models.ConnectionQuality.EXCELLENT
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
            await bob.wait_subscribed(timeout=20)
            await carol.wait_subscribed(timeout=20)

            # Clean: everyone excellent (the first window's judgement is always announced).
            for sid, name in ((alice.sid, "alice"), (bob.sid, "bob"), (carol.sid, "carol")):
                await wait_level(carol, sid, {EXCELLENT}, 10, f"{name} excellent on a clean path")

            # 10 % loss towards bob.
            relay.loss["down"] = 0.10
            t_loss = time.monotonic()
            t_bad = await wait_level(carol, bob.sid, {models.ConnectionQuality.POOR, models.ConnectionQuality.GOOD},
                                     5, "bob poor/good under 10 % downstream loss")
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
