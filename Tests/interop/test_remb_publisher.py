"""REMB to a publisher without transport-wide CC (aiortc offers goog-remb, not transport-cc).

alice (aiortc) publishes video and a tone through a UDP relay. On a clean path the server sends
her no REMB (a REMB would *raise* aiortc's encoder from its 500 kbit/s default). With her uplink
capped at 150 kbit/s the server sees the loss in her streams and sends REMBs: aiortc's VP8
encoder target, which it sets from the REMB, falls to its 250 kbit/s floor within 10 s. Cap
lifted: the limit grows back (25 % a second) and is released at twice her pre-cap rate, after
which no more REMBs are sent.
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


def test_remb_limits_an_aiortc_publisher_only_while_its_uplink_is_capped(start_server):
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
            report["clean"] = await wait_target(alice, lambda t: t > 0, 10, "aiortc encoding video")
            await asyncio.sleep(6)  # several receiver reports on a clean path
            assert scrape_metric(server.url, "switchboard_remb_sent_total") == 0, "no REMB on a clean path"
            assert video_encoder_target(alice) == report["clean"], "the encoder target must be left alone"

            relay.rate["up"] = 150_000
            t_cap = time.monotonic()
            report["capped"] = await wait_target(alice, lambda t: t <= 300_000, 10,
                                                 "REMB lowering aiortc's encoder target behind a 150 kbit/s cap")
            report["capped_after"] = time.monotonic() - t_cap
            report["remb_capped"] = scrape_metric(server.url, "switchboard_remb_sent_total")

            relay.rate["up"] = None
            t_clear = time.monotonic()
            report["released"] = await wait_target(alice, lambda t: t >= 400_000, 30,
                                                   "the REMB limit growing back after the cap is lifted")
            report["released_after"] = time.monotonic() - t_clear
            # Released: the last REMB was sent, no more follow on the clean path.
            await asyncio.sleep(1.5)
            sent = scrape_metric(server.url, "switchboard_remb_sent_total")
            await asyncio.sleep(3)
            assert scrape_metric(server.url, "switchboard_remb_sent_total") == sent, "REMBs went on after the release"
            report["relay"] = relay.stats
        finally:
            await alice.close()
            relay.close()

    run(server, body, 90)
    print(f"aiortc encoder target: {report['clean']} bit/s clean (no REMB), {report['capped']} bit/s "
          f"{report['capped_after']:.1f} s after the cap ({report['remb_capped']:.0f} REMBs), {report['released']} bit/s "
          f"{report['released_after']:.1f} s after it was lifted; relay {report['relay']}")
