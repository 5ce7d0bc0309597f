"""Forwarding proven with the real livekit Python SDK (libwebrtc inside) on both ends.

A publishes a synthetic 640x480 30 fps camera track (rtc.VideoSource, moving pattern, VP8 with the
SDK's default simulcast) and a 48 kHz tone (rtc.AudioSource, 10 ms frames). B and C are in the
room before A publishes, so they get the tracks through a renegotiation of their subscriber
connection; they are auto-subscribed and read both through rtc.VideoStream / rtc.AudioStream.

- Over a 10 s window after warm-up, B and C each receive >= 90% as many 640x480 video frames as A
  captured in that window, and >= 90% of the tone audio (decoded 10 ms frames that carry the tone,
  against 10 ms frames captured). Frames are counted by the time they arrive or are captured.
- The subscribers' transport-wide feedback matches the server's per-subscriber sequence numbers.
- A mutes its camera publication: video frames stop at B and C (after 1 s to settle) and B sees
  the publication muted; A unmutes: frames come back at both.
"""
import asyncio
import collections
import time

import pytest
from livekit import rtc

from lk_raw import scrape_metric
from lk_sdk import PatternSource, Receiver, ToneSource, rtp_summary, run, wait_until

pytestmark = pytest.mark.filterwarnings("ignore:The HMAC key is")

WIDTH, HEIGHT, FPS = 640, 480, 30
WINDOW = 10.0
TEST_TIMEOUT = 100


def describe(rx, t0, t1):
    sizes = collections.Counter(rx.video_between(t0, t1))
    return {"video": sum(sizes.values()), "full_size": sizes[(WIDTH, HEIGHT)],
            "sizes": dict(sizes), "tone_10ms": rx.tone_10ms_between(t0, t1),
            "audio_frames": sum(1 for t, _, _ in rx.audio if t0 <= t < t1)}


def test_two_subscribers_receive_video_and_audio_and_mute_stops_video(start_server):
    server = start_server()

    async def body(s):
        a = await s.join("alice")
        b = await s.join("bob")
        c = await s.join("carol")
        receivers = {"bob": Receiver(b, s), "carol": Receiver(c, s)}
        muted_at_bob = []
        b.on("track_muted", lambda p, pub: muted_at_bob.append(pub.sid))

        video, audio = PatternSource(WIDTH, HEIGHT, FPS), ToneSource()
        s.spawn(video.run())
        s.spawn(audio.run())
        cam = rtc.LocalVideoTrack.create_video_track("cam", video.source)
        mic = rtc.LocalAudioTrack.create_audio_track("mic", audio.source)
        await asyncio.wait_for(a.local_participant.publish_track(mic, rtc.TrackPublishOptions(
            source=rtc.TrackSource.SOURCE_MICROPHONE)), 15)
        cam_pub = await asyncio.wait_for(a.local_participant.publish_track(cam, rtc.TrackPublishOptions(
            source=rtc.TrackSource.SOURCE_CAMERA, video_codec=rtc.VideoCodec.VP8,
            video_encoding=rtc.VideoEncoding(max_framerate=FPS, max_bitrate=1_500_000))), 15)

        rooms = {"alice": a, "bob": b, "carol": c}

        async def stats():
            lines = []
            for n, r in rooms.items():
                lines += [f"  {n}: {line}" for line in await rtp_summary(r)]
            return "\n".join(lines)

        try:
            for name, rx in receivers.items():
                await wait_until(lambda: len(rx.subscribed) == 2, 20, f"{name} subscribed to video and audio "
                                 f"(has {list(rx.subscribed)})")
                await wait_until(lambda: len(rx.video) > 0, 15, f"{name}'s first video frame")
        except AssertionError as e:
            counts = {n: f"{len(r.video)} video, {len(r.audio)} audio frames, events {r.events}"
                      for n, r in receivers.items()}
            raise AssertionError(f"{e}; received {counts}; libwebrtc stats:\n{await stats()}") from None

        # Warm-up: libwebrtc starts low and ramps up with the bandwidth estimate; give it up to 15 s
        # to reach full size at both (the window is measured either way), then one more second.
        t_sub = time.monotonic()
        full = lambda rx: any((w, h) == (WIDTH, HEIGHT) for _, w, h in rx.video[-5:])
        while time.monotonic() - t_sub < 15 and not all(full(rx) for rx in receivers.values()):
            await asyncio.sleep(0.1)
        warmup = time.monotonic() - t_sub
        await asyncio.sleep(1.0)

        t0 = time.monotonic()
        await asyncio.sleep(WINDOW)
        t1 = time.monotonic()
        sent_video, sent_audio = video.count_between(t0, t1), audio.count_between(t0, t1)
        got = {name: describe(rx, t0, t1) for name, rx in receivers.items()}
        report = (f"window {t1 - t0:.1f}s after {warmup:.1f}s warm-up: A captured {sent_video} video "
                  f"frames and {sent_audio} 10 ms audio frames; received {got}; libwebrtc stats:\n{await stats()}")
        print(report)
        for name, g in got.items():
            assert g["full_size"] >= 0.9 * sent_video, f"{name}: too few {WIDTH}x{HEIGHT} frames; " + report
            assert g["tone_10ms"] >= 0.9 * sent_audio, f"{name}: too little tone audio; " + report

        # Transport-wide feedback from libwebrtc's subscribers reports the server's own per-
        # subscriber sequence numbers (restamped on every forwarded packet), which is what the
        # send-side bandwidth estimate runs on: thousands of reported packets must match sends.
        matched = scrape_metric(server.url, "switchboard_transport_feedback_matched_packets_total")
        feedback = scrape_metric(server.url, "switchboard_transport_feedback_received_total")
        print(f"transport-wide feedback: {feedback} messages, {matched} packets matched")
        assert feedback and feedback > 100, f"too little transport-wide feedback from subscribers: {feedback}"
        assert matched and matched > 1000, f"subscriber feedback matched only {matched} sent packets"

        # Mute: frames stop at both subscribers.
        cam.mute()
        await wait_until(lambda: cam_pub.sid in muted_at_bob, 5, "bob to see the camera muted")
        await asyncio.sleep(1.0)
        m0 = time.monotonic()
        await asyncio.sleep(2.0)
        m1 = time.monotonic()
        during_mute = {name: len(rx.video_between(m0, m1)) for name, rx in receivers.items()}
        print("video frames during mute:", during_mute)
        for name, n in during_mute.items():
            assert n == 0, f"{name} received {n} video frames in 2 s while the camera was muted"

        # Unmute: frames come back at both.
        cam.unmute()
        u0 = time.monotonic()
        for name, rx in receivers.items():
            await wait_until(lambda: len(rx.video_between(u0, time.monotonic() + 1)) >= FPS, 8,
                             f"{name} to receive {FPS} video frames after unmute")
        print("after unmute:", {name: f"{len(rx.video_between(u0, time.monotonic() + 1))} frames, first after "
                                f"{min(t for t, _, _ in rx.video if t >= u0) - u0:.2f}s"
                                for name, rx in receivers.items()})

    run(server, body, TEST_TIMEOUT)
