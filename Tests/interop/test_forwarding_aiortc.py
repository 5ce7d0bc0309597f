"""Forwarding proven with aiortc (a WebRTC stack we did not write) on raw LiveKit signalling v0.

One aiortc participant publishes VP8 video (a moving pattern carrying its frame index) and Opus
audio (a 48 kHz tone); two aiortc participants join after it, are auto-subscribed through the
server's subscriber offer (answered receive-only) and decode what the server forwards.

- test_fanout_reaches_both_subscribers: each subscriber decodes >= 90% of the video frames sent
  over an 8 s window (counted by the index in the picture) at the sent size, and >= 90% of the
  tone audio (by decoded samples carrying the tone); and no decoder ever fails, i.e. each new
  subscriber's video starts at a keyframe.
- test_lossy_subscriber_recovers_by_retransmission: one subscriber reaches the server through a
  UDP relay that drops 5% of RTP/RTCP both ways (seeded). It still decodes all but <= 2% of the
  frames, which needs the server's NACK handling (retransmission from its packet cache), and the
  server's `switchboard_retransmitted_packets_total` on /metrics is > 0.
"""
import asyncio
import time

import pytest

from lk_raw import (HEIGHT, WIDTH, DecodeErrors, PatternVideo, RawParticipant, ToneAudio, scrape_metric,
                    via_relay)
from udp_relay import LossyRelay

pytestmark = pytest.mark.filterwarnings("ignore:The HMAC key is")

WINDOW = 8.0
TEST_TIMEOUT = 75


async def fanout(server, lossy=None):
    """Publisher + sub1 + sub2 (sub2 through `lossy`, a LossyRelay, if given). Returns the
    measurement over one window after warm-up."""
    people = []
    try:
        pub = RawParticipant(server.http_port, "pub")
        people.append(pub)
        await pub.connect()
        video, audio = PatternVideo(), ToneAudio()
        await pub.publish([video, audio])
        await pub.wait_published_connected()

        subs = {}
        for name in ("sub1", "sub2"):
            rewrite = via_relay(lossy) if (lossy is not None and name == "sub2") else None
            sub = RawParticipant(server.http_port, name, rewrite_offer=rewrite)
            people.append(sub)
            subs[name] = sub
            await sub.connect()
        for sub in subs.values():
            await sub.wait_subscribed(("audio", "video"), timeout=15)

        # Warm-up: both decode video, then one more second.
        deadline = time.monotonic() + 15
        while not all(len(s.received.video) >= 15 for s in subs.values()):
            if time.monotonic() > deadline:
                raise AssertionError("no video decoded within 15 s of subscribing: " + ", ".join(
                    f"{n}: {len(s.received.video)} frames, {len(s.received.audio)} audio frames"
                    for n, s in subs.items()))
            await asyncio.sleep(0.1)
        await asyncio.sleep(1.0)

        i0, a0, t0 = video.sent, audio.samples, time.monotonic()
        await asyncio.sleep(WINDOW)
        i1, a1, t1 = video.sent, audio.samples, time.monotonic()
        # Frames of the window still in flight, or held by a receiver waiting for a retransmission.
        await asyncio.sleep(3.0)

        result = {"sent_frames": i1 - i0, "sent_audio_samples": a1 - a0, "subs": {}}
        for name, sub in subs.items():
            got = sub.received.video_indices(i0, i1)
            sizes = {size for _, i, size in sub.received.video if i0 <= i < i1}
            result["subs"][name] = {
                "frames": len(got),
                "missing": sorted(set(range(i0, i1)) - got)[:20],
                "sizes": sizes,
                "tone_samples": sub.received.tone_samples_between(t0, t1),
                "audio_frames": len(sub.received.audio),
            }
        return result
    finally:
        for p in reversed(people):
            await p.close()


def run(server, coro, timeout=TEST_TIMEOUT):
    try:
        return asyncio.run(asyncio.wait_for(coro, timeout))
    except BaseException:
        print("---- server log ----")
        print("\n".join(server.log_lines[-150:]))
        raise


def check_subscriber(name, r, sent_frames, sent_samples, min_video=0.9):
    assert r["frames"] >= min_video * sent_frames, (
        f"{name} decoded {r['frames']} of {sent_frames} video frames sent in the window "
        f"({r['frames'] / max(1, sent_frames):.1%}); first missing: {r['missing']}")
    assert r["sizes"] == {(WIDTH, HEIGHT)}, f"{name} decoded sizes {r['sizes']}"
    assert r["tone_samples"] >= 0.9 * sent_samples, (
        f"{name} decoded {r['tone_samples']} tone samples of {sent_samples} sent "
        f"({r['tone_samples'] / max(1, sent_samples):.1%}; {r['audio_frames']} audio frames in all)")


def test_fanout_reaches_both_subscribers(start_server):
    server = start_server()
    with DecodeErrors() as errors:
        result = run(server, fanout(server))
    print("fan-out:", result, "decode errors:", errors.count)
    for name, r in result["subs"].items():
        check_subscriber(name, r, result["sent_frames"], result["sent_audio_samples"])
    # A new subscriber must start at a keyframe: the server holds video back until one comes.
    # aiortc logs "failed to decode VP8 frame" for every delta frame it gets before one.
    assert errors.count == 0, (
        f"the subscribers' VP8 decoders failed {errors.count} times: delta frames were forwarded "
        f"to a new subscriber before its first keyframe")


def test_lossy_subscriber_recovers_by_retransmission(start_server):
    server = start_server()
    relay = LossyRelay(upstream=None, loss=0.05, seed=4)

    async def body():
        await relay.start()
        try:
            return await fanout(server, lossy=relay)
        finally:
            relay.close()

    result = run(server, body())
    retransmitted = scrape_metric(server.url, "switchboard_retransmitted_packets_total")
    print("loss:", result, "relay:", relay.stats, "retransmitted:", retransmitted)

    sent = result["sent_frames"]
    assert relay.stats["down"]["dropped"] > 0.02 * relay.stats["down"]["media"], relay.stats
    check_subscriber("sub1", result["subs"]["sub1"], sent, result["sent_audio_samples"])
    lossy = result["subs"]["sub2"]
    lost = sent - lossy["frames"]
    assert lost <= 0.02 * sent, (
        f"behind 5% loss sub2 lost {lost} of {sent} frames ({lost / max(1, sent):.1%} > 2%); "
        f"first missing: {lossy['missing']}; relay {relay.stats}; server: "
        + " | ".join(l for l in server.log_lines if "stream " in l or "quality" in l or "warning" in l))
    assert lossy["sizes"] == {(WIDTH, HEIGHT)}, lossy["sizes"]
    assert retransmitted is not None, "no switchboard_retransmitted_packets_total on /metrics"
    assert retransmitted > 0, f"switchboard_retransmitted_packets_total = {retransmitted}"
