"""Data channels with the official livekit SDK (libwebrtc's SCTP on the client side).

alice, bob and carol join; each SDK opens `_reliable` and `_lossy` on its publisher connection,
and the server opens both on each subscriber connection (SCTP over DTLS with usrsctp, DCEP).

- publish_data, reliable and lossy, to the whole room and to one identity; the receiver sees
  the sender's identity as the server stamped it, and nothing reaches who was not named;
- send_text / register_text_stream_handler (a data stream: header, chunks, trailer) with a
  text of several chunks, and send_file / a byte stream handler;
- an RPC call round trip (request, ack, response);
- a participant without canPublishData: its packets are dropped (and counted in /metrics).
"""
import asyncio
import os
import urllib.request

import pytest
from livekit import rtc

from lk_sdk import run, wait_until

pytestmark = pytest.mark.filterwarnings("ignore:The HMAC key is")


def collect_data(room):
    """Every data_received on `room`, as (sender identity, payload, topic, kind)."""
    got = []
    room.on("data_received", lambda p: got.append(
        (p.participant.identity if p.participant else None, bytes(p.data), p.topic, p.kind)))
    return got


def metric(server, name):
    body = urllib.request.urlopen(f"http://127.0.0.1:{server.http_port}/metrics", timeout=5).read().decode()
    for line in body.splitlines():
        if line.startswith(name + " ") or line.startswith(name + "{"):
            return float(line.rsplit(" ", 1)[1])
    return None


def test_data_packets_text_streams_files_and_rpc(start_server, tmp_path):
    server = start_server()

    async def body(session):
        alice = await session.join("alice")
        bob = await session.join("bob")
        carol = await session.join("carol")
        at_bob, at_carol, at_alice = collect_data(bob), collect_data(carol), collect_data(alice)

        # Reliable to everyone: both others receive it once, from alice.
        await alice.local_participant.publish_data(b"hello room", reliable=True, topic="greeting")
        await wait_until(lambda: at_bob and at_carol, 15, "alice's reliable packet at bob and carol")
        assert at_bob[0][:3] == ("alice", b"hello room", "greeting")
        assert at_bob[0][3] == rtc.DataPacketKind.KIND_RELIABLE
        assert at_carol[0][:2] == ("alice", b"hello room")
        assert not at_alice, "a sender does not get its own packet back"

        # Reliable to one identity: only bob.
        await carol.local_participant.publish_data(b"for bob only", reliable=True, destination_identities=["bob"])
        await wait_until(lambda: any(d[1] == b"for bob only" for d in at_bob), 10, "carol's packet at bob")
        assert at_bob[-1][0] == "carol"
        await asyncio.sleep(0.5)
        assert not any(d[1] == b"for bob only" for d in at_alice + at_carol)

        # Lossy (unordered, sent once): on a clean local path they arrive.
        for i in range(20):
            await bob.local_participant.publish_data(f"lossy {i}".encode(), reliable=False, topic="pos")
        await wait_until(lambda: sum(1 for d in at_alice if d[2] == "pos") >= 18, 10, "bob's lossy packets at alice")
        lossy = [d for d in at_alice if d[2] == "pos"]
        assert all(d[0] == "bob" and d[3] == rtc.DataPacketKind.KIND_LOSSY for d in lossy)

        # Many reliable packets keep their order.
        for i in range(200):
            await alice.local_participant.publish_data(i.to_bytes(2, "big"), reliable=True, topic="seq")
        await wait_until(lambda: sum(1 for d in at_carol if d[2] == "seq") == 200, 15, "200 ordered packets at carol")
        assert [int.from_bytes(d[1], "big") for d in at_carol if d[2] == "seq"] == list(range(200))

        # A text stream of several chunks (the SDK splits at 15 kB), and a file.
        texts = []

        async def read_text(reader, identity):
            texts.append((identity, await reader.read_all()))
        bob.register_text_stream_handler("chat", lambda reader, identity: session.spawn(read_text(reader, identity)))
        long_text = "Grüße " * 8000  # ~56 kB of UTF-8
        await alice.local_participant.send_text(long_text, topic="chat")
        await wait_until(lambda: texts, 15, "alice's text stream at bob")
        assert texts[0] == ("alice", long_text)

        files = []

        async def read_file(reader, identity):
            chunks = [chunk async for chunk in reader]
            files.append((identity, reader.info.name, b"".join(chunks)))
        carol.register_byte_stream_handler("files", lambda reader, identity: session.spawn(read_file(reader, identity)))
        path = tmp_path / "notes.bin"
        content = os.urandom(100_000)
        path.write_bytes(content)
        await bob.local_participant.send_file(str(path), topic="files")
        await wait_until(lambda: files, 20, "bob's file at carol")
        assert files[0] == ("bob", "notes.bin", content)

        # RPC: carol calls bob's method; bob sees who called.
        calls = []

        async def greet(data: rtc.RpcInvocationData):
            calls.append((data.caller_identity, data.payload))
            return f"hi {data.caller_identity}, you said {data.payload}"
        bob.local_participant.register_rpc_method("greet", greet)
        answer = await asyncio.wait_for(carol.local_participant.perform_rpc(
            destination_identity="bob", method="greet", payload="ping"), 15)
        assert answer == "hi carol, you said ping"
        assert calls == [("carol", "ping")]

    run(server, body, timeout=120)
    assert metric(server, "switchboard_data_packets_received_total") >= 200


def test_participant_without_can_publish_data_is_refused(start_server):
    server = start_server()

    async def body(session):
        mallory = await session.join("mallory", can_publish_data=False)
        alice = await session.join("alice")
        at_alice = collect_data(alice)
        # The SDK does not check the grant itself: the packets reach the server, which drops them.
        for _ in range(3):
            await mallory.local_participant.publish_data(b"spoof", reliable=True)
        # alice's own packets still flow to mallory, proving the channels are up.
        at_mallory = collect_data(mallory)
        await alice.local_participant.publish_data(b"to mallory", reliable=True)
        await wait_until(lambda: at_mallory, 15, "alice's packet at mallory")
        await asyncio.sleep(1)
        assert not at_alice, f"mallory's packets were forwarded: {at_alice}"
        await wait_until(lambda: metric(server, 'switchboard_data_packets_dropped_total{reason="not_permitted"}') == 3,
                         10, "three packets counted as not permitted")

    run(server, body, timeout=60)
    # Nothing else was refused, and alice's packet counts as one delivery (to mallory).
    assert metric(server, 'switchboard_data_packets_dropped_total{reason="malformed"}') == 0
    assert metric(server, "switchboard_data_packets_delivered_total") == 1
