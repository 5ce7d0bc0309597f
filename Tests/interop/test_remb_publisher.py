"""REMB to a publisher without transport-wide CC (aiortc offers goog-remb only).

alice (aiortc) publishes through a UDP relay. On a clean path the server's REMB never throttles
her: aiortc's VP8 encoder target, set from the REMB it parses, sits at aiortc's maximum. With
her uplink capped at 150 kbit/s the server sees the loss in her streams and lowers the REMB, and
aiortc's encoder target falls to its minimum (250 kbit/s) within 10 s.
"""
import asyncio
import time

import pytest

from lk_raw import PatternVideo, RawParticipant, ToneAudio, scrape_metric, via_relay
from test_recording import run
from udp_relay import LossyRelay

pytestmark = pytest.mark.filterwarnings("ignore:The HMAC key is")


def video_encoder_target(participant):
    """aiortc's VP8 encoder target bitrate (what REMB sets), or None before the first frame."""
    for sender in participant.publisher.getSenders():
        if sender.track is not None and sender.track.kind == "video":
            encoder = getattr(sender, "_RTCRtpSender__encoder", None)
            return getattr(encoder, "target_bitrate", None)
    return None


async def wait_target(participant, predicate, timeout, what):
    deadline = time.monotonic() + timeout
    history = []
    while time.monotonic() < deadline:
        target = video_encoder_target(participant)
        history.append(target)
        if target is not None and predicate(target):
            return target
        await asyncio.sleep(0.25)
    raise AssertionError(f"{what}: not within {timeout} s; encoder targets seen {sorted(set(h for h in history if h))}")


def test_remb_slows_an_aiortc_publisher_on_a_capped_uplink(start_server):
    server = start_server()
    relay = LossyRelay(upstream=None, loss=0.0, seed=21, down_loss=0.0)
    report = {}

    async def body():
        await relay.start()
        alice = RawParticipant(server.http_port, "alice")
        try:
            await alice.connect()
            await alice.publish([PatternVideo(), ToneAudio()], rewrite_answer=via_relay(relay))
            await alice.wait_published_connected()
            report["clean"] = await wait_target(alice, lambda t: t >= 1_000_000, 10,
                                                "REMB lifting aiortc's encoder target on a clean path")
            relay.rate["up"] = 150_000
            t_cap = time.monotonic()
            report["capped"] = await wait_target(alice, lambda t: t <= 300_000, 10,
                                                 "REMB lowering aiortc's encoder target behind a 150 kbit/s cap")
            report["after"] = time.monotonic() - t_cap
            report["remb_sent"] = scrape_metric(server.url, "switchboard_remb_sent_total")
            report["relay"] = relay.stats
        finally:
            await alice.close()
            relay.close()

    run(server, body, 60)
    print(f"aiortc encoder target: {report['clean']} bit/s clean, {report['capped']} bit/s "
          f"{report['after']:.1f} s after the cap; {report['remb_sent']:.0f} REMBs sent; relay {report['relay']}")
    assert report["remb_sent"] and report["remb_sent"] >= 2, "one REMB before the cap and one after, at least"
