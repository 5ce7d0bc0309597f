"""Active speakers proven with the real livekit Python SDK.

Two participants publish a microphone track carrying a steady tone: "loud" at amplitude 0.5
(about -9 dBov) and "quiet" at 0.02 (about -37 dBov). libwebrtc writes the RFC 6464 audio level
header extension on every packet itself; the server reads it and sends `speakers_changed`.
"quiet" publishes first, "loud" 2 s later. A third participant, who publishes nothing, must see
`active_speakers_changed` name "loud" as the top speaker within a few seconds of its publishing,
and never see "quiet" ranked ahead of "loud" (or reported while "loud" is not).
"""
import asyncio
import time

import pytest
from livekit import rtc

from lk_sdk import ToneSource, run

pytestmark = pytest.mark.filterwarnings("ignore:The HMAC key is")

TEST_TIMEOUT = 60
QUIET_ALONE = 2.0  # seconds "quiet" publishes before "loud" does
DEADLINE = 6.0     # seconds after both tracks are published
OBSERVE = 3.0      # seconds of further events checked for ranking


def test_louder_participant_is_the_active_speaker(start_server):
    server = start_server()

    async def body(s):
        listener = await s.join("listener")
        events = []  # (seconds since publishing, [identities])
        t_pub = [None]
        listener.on("active_speakers_changed", lambda speakers: events.append(
            (time.monotonic() - (t_pub[0] or time.monotonic()), [p.identity for p in speakers])))

        # "quiet" publishes first and alone for a while: a server that reported whoever sends
        # audio (rather than who is loud) would name it.
        tones = {"quiet": ToneSource(amplitude=0.02, hz=660), "loud": ToneSource(amplitude=0.5, hz=440)}
        rooms = {name: await s.join(name) for name in tones}
        for name, tone in tones.items():
            s.spawn(tone.run())
            mic = rtc.LocalAudioTrack.create_audio_track("mic", tone.source)
            await asyncio.wait_for(rooms[name].local_participant.publish_track(mic, rtc.TrackPublishOptions(
                source=rtc.TrackSource.SOURCE_MICROPHONE)), 15)
            if name == "quiet":
                await asyncio.sleep(QUIET_ALONE)
        t_pub[0] = time.monotonic()

        deadline = t_pub[0] + DEADLINE
        while time.monotonic() < deadline and not any(ids[:1] == ["loud"] for _, ids in events):
            await asyncio.sleep(0.05)
        top = next((t for t, ids in events if ids[:1] == ["loud"]), None)
        await asyncio.sleep(OBSERVE)

        report = "active_speakers_changed at the listener: " + (
            ", ".join(f"{t:+.2f}s {ids}" for t, ids in events) or "none")
        print(report)
        assert top is not None, f"'loud' not reported as the top speaker within {DEADLINE}s; {report}"
        for t, ids in events:
            if "quiet" in ids:
                assert "loud" in ids and ids.index("loud") < ids.index("quiet"), (
                    f"'quiet' ranked ahead of 'loud' at {t:+.2f}s: {ids}; {report}")

    run(server, body, TEST_TIMEOUT)
