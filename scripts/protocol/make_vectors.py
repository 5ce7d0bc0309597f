#!/usr/bin/env python3
"""Print the livekit-protocol (Python) encodings embedded in
Tests/LiveKitProtocolTests/ProtocolCompatibilityTests.swift.

The Swift test decodes these bytes with the generated Swift types, so it checks
wire compatibility with the reference implementation without needing Python in CI.
Re-run after regenerating and paste the output into the test if messages changed.
"""
from google.protobuf import json_format
from livekit.protocol import models, rtc

SDP = "v=0\r\no=- 4611731400430051336 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"


def vectors():
    offer = rtc.SignalRequest(offer=rtc.SessionDescription(type="offer", sdp=SDP, id=7))
    add_track = rtc.SignalRequest(add_track=rtc.AddTrackRequest(
        cid="mic-1", name="microphone", type=models.AUDIO, source=models.MICROPHONE,
        disable_red=True,
        audio_features=[models.TF_NO_DTX, models.TF_ECHO_CANCELLATION]))
    trickle = rtc.SignalRequest(trickle=rtc.TrickleRequest(
        candidateInit='{"candidate":"candidate:1 1 udp 2122260223 10.0.0.2 50000 typ host","sdpMid":"0","sdpMLineIndex":0}',
        target=rtc.SUBSCRIBER))
    join = rtc.SignalResponse(join=rtc.JoinResponse(
        room=models.Room(sid="RM_abc", name="lobby", empty_timeout=300, max_participants=10,
                         creation_time=1700000000),
        participant=models.ParticipantInfo(
            sid="PA_alice", identity="alice", state=models.ParticipantInfo.ACTIVE,
            joined_at=1700000001, name="Alice",
            permission=models.ParticipantPermission(can_subscribe=True, can_publish=True,
                                                    can_publish_data=True),
            attributes={"role": "host"}),
        ice_servers=[rtc.ICEServer(urls=["stun:stun.example.org:3478"])],
        subscriber_primary=True,
        ping_timeout=15, ping_interval=5,
        server_info=models.ServerInfo(edition=models.ServerInfo.Standard, version="1.9.0",
                                      protocol=16, region="local", node_id="ND_1")))
    return [("offerRequest", offer), ("addTrackRequest", add_track),
            ("trickleRequest", trickle), ("joinResponse", join)]


if __name__ == "__main__":
    for name, msg in vectors():
        print(f"// {name} ({msg.DESCRIPTOR.full_name})")
        print(f'static let {name}Hex = "{msg.SerializeToString(deterministic=True).hex()}"')
    print(f"// joinResponse as JSON (json_format.MessageToJson, compact)")
    print(json_format.MessageToJson(vectors()[3][1], indent=None))
