"""Recording through upstream packet loss, with a publisher we did not write.

An aiortc participant (raw LiveKit signalling v0, lk_raw) publishes VP8 video (a moving pattern
carrying its frame index) and an Opus tone. Its path to the server goes through a UDP relay
(udp_relay) that drops 5% of its RTP/RTCP towards the server (seeded); the server's answer is
rewritten to point at the relay, and with ICE-lite the server answers whoever reaches it.
livekit-api's egress client records the participant for ~10 s.

The server NACKs the lost video packets and aiortc retransmits them; what cannot be repaired
costs frames until the next keyframe (the server asks for one), never the file: ffprobe reports
a duration within +-5% of the recorded span, and PyAV decodes every packet without an error.
Audio is not NACKed (aiortc does not offer NACK for Opus): lost Opus packets are gaps.
"""
import asyncio
import os
import time

import av
import pytest
from livekit import api

from lk_raw import API_KEY, API_SECRET, ROOM, PatternVideo, RawParticipant, ToneAudio, read_index, scrape_metric, via_relay
from test_recording import ffprobe, run, summary, wait_status
from udp_relay import LossyRelay

pytestmark = pytest.mark.filterwarnings("ignore:The HMAC key is")

RECORD_SECONDS = 10.0
LOSS = 0.05


def decode_recording(path):
    """Decodes every packet with FFmpeg's decoders through PyAV. Returns per codec (frames,
    decode errors) and the frame indices drawn in the decoded pictures, in file order."""
    counts, indices = {}, []
    with av.open(path) as container:
        for packet in container.demux():
            if packet.size == 0:
                continue
            name = packet.stream.codec_context.name
            frames, errors = counts.get(name, (0, 0))
            try:
                decoded = packet.decode()
            except av.error.FFmpegError:
                errors += 1
                decoded = []
            frames += len(decoded)
            if packet.stream.type == "video":
                indices += [read_index(f.to_ndarray(format="rgb24")) for f in decoded]
            counts[name] = (frames, errors)
    return counts, indices


def test_recording_through_5_percent_upstream_loss(start_server):
    server = start_server()
    recordings = os.path.join(str(server.data_dir), "recordings")
    relay = LossyRelay(upstream=None, loss=LOSS, seed=7, down_loss=0.0)
    result = {}

    async def body():
        await relay.start()
        pub = RawParticipant(server.http_port, "pub")
        client = api.LiveKitAPI(server.url, API_KEY, API_SECRET)
        try:
            await pub.connect()
            video, audio = PatternVideo(), ToneAudio()
            await pub.publish([video, audio], rewrite_answer=via_relay(relay))
            await pub.wait_published_connected()
            await asyncio.sleep(2)  # aiortc's encoder and bitrate settle
            info = await client.egress.start_participant_egress(api.ParticipantEgressRequest(
                room_name=ROOM, identity="pub", file_outputs=[api.EncodedFileOutput(filepath="lossy")]))
            t0, v0, a0 = time.monotonic(), video.sent, audio.sent
            up0 = dict(relay.stats["up"])
            await wait_status(client, info.egress_id, api.EgressStatus.EGRESS_ACTIVE, timeout=5)
            await asyncio.sleep(max(0, t0 + RECORD_SECONDS - time.monotonic()))
            t1, v1, a1 = time.monotonic(), video.sent, audio.sent
            stopped = await client.egress.stop_egress(api.StopEgressRequest(egress_id=info.egress_id))
            assert stopped.status == api.EgressStatus.EGRESS_ENDING, stopped
            done = await wait_status(client, info.egress_id, api.EgressStatus.EGRESS_COMPLETE)
            up = {k: relay.stats["up"][k] - up0[k] for k in up0}
            result.update(span=t1 - t0, first_index=v0, sent_frames=v1 - v0, sent_audio=a1 - a0, up=up,
                          info=done, nacked=scrape_metric(server.url, "switchboard_nack_requested_packets_total"),
                          recovered=scrape_metric(server.url, "switchboard_nack_recovered_packets_total"))
        finally:
            await client.aclose()
            await pub.close()
            relay.close()

    run(server, body, 90)
    f = result["info"].file_results[0]
    path = os.path.join(recordings, f.filename)
    streams, duration = summary(ffprobe(path))
    counts, indices = decode_recording(path)
    span, up = result["span"], result["up"]
    video_frames, video_errors = next(v for k, v in counts.items() if "vp8" in k)
    audio_frames, audio_errors = next(v for k, v in counts.items() if "opus" in k)
    print(f"loss upstream: {up['dropped']} of {up['media']} RTP/RTCP packets dropped "
          f"({up['dropped'] / max(1, up['media']):.1%}); server NACKed {result['nacked']:.0f} packets, "
          f"{result['recovered']:.0f} recovered")
    print(f"{f.filename}: {f.size} bytes, ffprobe {duration:.3f}s for a {span:.2f}s span {streams}; "
          f"video {video_frames} frames decoded ({video_errors} errors) of {result['sent_frames']} sent, "
          f"{len(set(indices))} distinct indices; audio {audio_frames} of {result['sent_audio']} packets "
          f"({audio_errors} errors)")

    assert up["dropped"] >= 0.03 * up["media"], f"the relay dropped too little to prove anything: {up}"
    assert result["nacked"] and result["nacked"] > 0, "the server never NACKed the publisher"
    assert ("video", "vp8") in streams and ("audio", "opus") in streams, streams
    assert abs(duration - span) <= 0.05 * span, f"duration {duration:.3f}s vs recorded span {span:.3f}s"
    assert abs(f.duration / 1e9 - duration) < 0.1, (f.duration, duration)
    assert video_errors == 0 and audio_errors == 0, counts
    # Frames come out in the order they were captured (no frame of another time slipped in).
    assert indices == sorted(indices), "decoded frame indices out of order"
    assert video_frames >= 0.9 * result["sent_frames"], (video_frames, result["sent_frames"])
    assert audio_frames >= 0.9 * result["sent_audio"], (audio_frames, result["sent_audio"])
