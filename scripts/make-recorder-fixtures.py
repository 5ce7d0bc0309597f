#!/usr/bin/env python3
"""Makes the recorder's RTP fixtures: short real Opus and VP8 RTP packet streams.

    .venv-test/bin/python scripts/make-recorder-fixtures.py   (after `make test-deps`)

Media is encoded with libopus and libvpx (through PyAV, the way aiortc does it) and
packetized with aiortc's own packetizers (RFC 7587 for Opus, RFC 7741 for VP8), so the
recorder's depacketizer is tested against an independent implementation. Output is
deterministic up to libvpx/libopus versions; the files are committed, so tests and CI
never run this script.

Format (fixtures/recorder/*.jsonl), one JSON object per line:
  {"kind": "stream", "codec": "opus"|"vp8", "clock_rate", "payload_type", "ssrc",
   "frames", "duration_ms", "start_ms", "channels" (opus), "width"/"height"/"fps" (vp8),
   "keyframe_interval" (vp8)}
  {"kind": "sr", "ntp": <64-bit NTP timestamp>, "rtp": <32-bit RTP timestamp>}
      RTCP sender-report mappings; audio and video share one capture clock, so a
      participant recording can line them up (RFC 3550 section 6.4.1).
  {"kind": "rtp", "seq", "ts", "marker" (0/1), "send_ms", "payload": "<hex>"}
      In send order, without loss or reordering; tests add those.

Audio starts at capture time 0 and video at 200 ms (start_ms), so a participant recording
must place the first video frame 200 ms after the first audio packet.
"""

import fractions
import json
import math
import os
import sys

import av
import numpy as np
from aiortc.codecs.opus import OpusEncoder
from aiortc.codecs import vpx
from aiortc.codecs.vpx import Vp8Encoder

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "recorder")
DURATION_S = 4
NTP_EPOCH_OFFSET = 2_208_988_800  # seconds from 1900 to 1970
CAPTURE_START_UNIX = 1_700_000_000.0  # capture clock at t = 0 (any fixed wallclock)

AUDIO = dict(ssrc=0x11223344, pt=111, seq0=1000, ts0=3_000_000, start_ms=0)
VIDEO = dict(ssrc=0x55667788, pt=96, seq0=20000, ts0=7_000_000, start_ms=200,
             width=320, height=180, fps=30, keyframe_interval=30, bitrate=250_000)


def ntp_at(t):
    """64-bit NTP timestamp (RFC 5905) of capture time t seconds."""
    seconds = CAPTURE_START_UNIX + t + NTP_EPOCH_OFFSET
    whole = int(seconds)
    fraction = int(round((seconds - whole) * (1 << 32))) & 0xFFFFFFFF
    return (whole << 32) | fraction


def sender_reports(clock_rate, ts0):
    """One SR a second, like a WebRTC sender (the first one right at the start)."""
    out = []
    for second in range(DURATION_S + 1):
        t = second + 0.05
        out.append({"kind": "sr", "ntp": ntp_at(t), "rtp": (ts0 + round(t * clock_rate)) & 0xFFFFFFFF})
    return out


def write(name, header, srs, packets):
    path = os.path.join(OUT, name)
    with open(path, "w") as f:
        f.write(json.dumps(header) + "\n")
        for sr in srs:
            f.write(json.dumps(sr) + "\n")
        for p in packets:
            f.write(json.dumps(p) + "\n")
    print(f"{path}: {len(packets)} packets, {header['frames']} frames")


def make_opus():
    encoder = OpusEncoder()
    encoder.codec.bit_rate = 32_000
    rate, frame = 48_000, 960
    packets, seq, frames = [], AUDIO["seq0"], 0
    total = DURATION_S * rate
    for start in range(0, total, frame):
        n = np.arange(start, start + frame)
        # A 440 Hz tone, amplitude-modulated at 2 Hz (speech-like on/off energy), stereo.
        envelope = 0.5 + 0.5 * np.sin(2 * math.pi * 2 * n / rate)
        tone = (9000 * envelope * np.sin(2 * math.pi * 440 * n / rate)).astype(np.int16)
        pcm = np.stack([tone, tone], axis=1).reshape(1, -1)
        af = av.AudioFrame.from_ndarray(pcm, format="s16", layout="stereo")
        af.sample_rate = rate
        af.pts = start
        af.time_base = fractions.Fraction(1, rate)
        payloads, ts = encoder.encode(af)
        for payload in payloads:
            # One Opus packet per RTP packet (RFC 7587); aiortc's encoder keeps 20 ms framing.
            rtp_ts = (AUDIO["ts0"] + frames * frame) & 0xFFFFFFFF
            packets.append({"kind": "rtp", "seq": seq & 0xFFFF, "ts": rtp_ts, "marker": 1 if frames == 0 else 0,
                            "send_ms": frames * 20, "payload": payload.hex()})
            seq += 1
            frames += 1
    header = {"kind": "stream", "codec": "opus", "clock_rate": rate, "payload_type": AUDIO["pt"],
              "ssrc": AUDIO["ssrc"], "channels": 2, "frames": frames, "duration_ms": frames * 20,
              "start_ms": AUDIO["start_ms"]}
    write("opus-48k-stereo.jsonl", header, sender_reports(rate, AUDIO["ts0"]), packets)


def test_pattern(width, height, index):
    """A scrolling gradient with a moving bright square (like Codecs' I420Frame.testPattern)."""
    cols = np.arange(width)[None, :]
    rows = np.arange(height)[:, None]
    y = (32 + (cols + rows + 2 * index) % 128).astype(np.uint8)
    box = max(4, min(width, height) // 4)
    bx = (index * 4) % max(1, width - box + 1)
    by = (index * 3) % max(1, height - box + 1)
    y[by:by + box, bx:bx + box] = 220
    cw, ch = (width + 1) // 2, (height + 1) // 2
    u = np.fromfunction(lambda r, c: 96 + (c + index) % 64, (ch, cw)).astype(np.uint8)
    v = np.fromfunction(lambda r, c: 96 + (r + index) % 64, (ch, cw)).astype(np.uint8)
    return np.concatenate([y.reshape(-1), u.reshape(-1), v.reshape(-1)])


def make_vp8():
    # Small RTP payloads (aiortc's packetizer reads this module constant) so that most frames
    # span several packets and the frame assembler, loss and reordering cases get exercised.
    vpx.PACKET_MAX = 500
    w, h, fps = VIDEO["width"], VIDEO["height"], VIDEO["fps"]
    encoder = Vp8Encoder()
    encoder.target_bitrate = VIDEO["bitrate"]
    encoder.picture_id = 1234
    clock = 90_000
    step = clock // fps
    frames = (DURATION_S * 1000 - VIDEO["start_ms"]) * fps // 1000
    packets, seq = [], VIDEO["seq0"]
    start_ts = VIDEO["ts0"] + VIDEO["start_ms"] * clock // 1000
    for i in range(frames):
        planes = test_pattern(w, h, i).reshape(h * 3 // 2, w)
        vf = av.VideoFrame.from_ndarray(planes, format="yuv420p")
        vf.pts = i * step
        vf.time_base = fractions.Fraction(1, clock)
        payloads, _ = encoder.encode(vf, force_keyframe=(i % VIDEO["keyframe_interval"] == 0))
        rtp_ts = (start_ts + i * step) & 0xFFFFFFFF
        for k, payload in enumerate(payloads):
            packets.append({"kind": "rtp", "seq": seq & 0xFFFF, "ts": rtp_ts,
                            "marker": 1 if k == len(payloads) - 1 else 0,
                            "send_ms": VIDEO["start_ms"] + i * 1000 // fps, "payload": payload.hex()})
            seq += 1
    header = {"kind": "stream", "codec": "vp8", "clock_rate": clock, "payload_type": VIDEO["pt"],
              "ssrc": VIDEO["ssrc"], "width": w, "height": h, "fps": fps, "frames": frames,
              "keyframe_interval": VIDEO["keyframe_interval"],
              "duration_ms": frames * 1000 // fps, "start_ms": VIDEO["start_ms"]}
    write("vp8-320x180.jsonl", header, sender_reports(clock, VIDEO["ts0"]), packets)


def main():
    os.makedirs(OUT, exist_ok=True)
    make_opus()
    make_vp8()
    return 0


if __name__ == "__main__":
    sys.exit(main())
