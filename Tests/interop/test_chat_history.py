"""Chat history with the official livekit SDK: `lk.chat` text streams are kept by the server.

- alice sends three messages (one long enough that the SDK compresses it) and edits the first
  (a new stream with the same id); bob marks the second read (a user packet on `lk.chat.read`).
- dave joins afterwards and receives the three messages, in order, from alice (the edit
  applied), and bob's read receipt, before anyone says anything new.
- The app backend lists the history with `switchboard.ChatService/ListMessages` and deletes a
  message with `DeleteMessages`; carol, joining after that, does not get it.
"""
import asyncio
import json
import urllib.error
import urllib.request

import pytest
from livekit import api, rtc

from lk_raw import API_KEY, API_SECRET, ROOM, make_token
from lk_sdk import run, wait_until

pytestmark = pytest.mark.filterwarnings("ignore:The HMAC key is")


def chat_api(server, method, body, room=ROOM):
    token = api.AccessToken(API_KEY, API_SECRET).with_grants(api.VideoGrants(room=room, room_admin=True)).to_jwt()
    request = urllib.request.Request(
        f"http://127.0.0.1:{server.http_port}/twirp/switchboard.ChatService/{method}",
        data=json.dumps(body).encode(), method="POST",
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def complete(texts, n):
    """`n` text streams started and every one of them read to its end."""
    return len(texts) == n and all(t[2] is not None for t in texts)


async def join_listening(session, identity):
    """Connects `identity` with chat and receipt handlers registered before the connection, so
    history sent as soon as the data channels open is not missed."""
    room = rtc.Room()
    session.rooms.append(room)
    texts, receipts = [], []

    async def read(reader, sender):
        # Listed in the order the streams start (the order the server sent them); a long one
        # finishes after a short one that started later.
        entry = [sender, reader.info.stream_id, None, dict(reader.info.attributes or {})]
        texts.append(entry)
        entry[2] = await reader.read_all()
    room.register_text_stream_handler("lk.chat", lambda reader, sender: session.spawn(read(reader, sender)))
    room.on("data_received", lambda p: receipts.append((p.participant.identity if p.participant else None,
                                                        bytes(p.data).decode())) if p.topic == "lk.chat.read" else None)
    await asyncio.wait_for(room.connect(session.ws_url, make_token(identity), rtc.RoomOptions(auto_subscribe=True)), 20)
    return room, texts, receipts


def test_late_joiner_gets_history_and_the_backend_manages_it(start_server):
    server = start_server()
    long_text = "Zeile " * 3000  # 18 kB: compressed and chunked by the SDK

    async def body(session):
        alice, _, _ = await join_listening(session, "alice")
        bob, at_bob, _ = await join_listening(session, "bob")
        sent = []
        for text in ("first, with a typo", long_text, "third"):
            info = await alice.local_participant.send_text(text, topic="lk.chat")
            sent.append(info.stream_id)
        await wait_until(lambda: complete(at_bob, 3), 15, "three messages at bob")
        # An edit: the same stream id again.
        writer = await alice.local_participant.stream_text(topic="lk.chat", stream_id=sent[0])
        await writer.write("first, corrected")
        await writer.aclose()
        await wait_until(lambda: complete(at_bob, 4), 15, "the edit at bob")
        await bob.local_participant.publish_data(sent[1].encode(), topic="lk.chat.read", reliable=True)

        def listed():
            return chat_api(server, "ListMessages", {"room": ROOM})
        await wait_until(lambda: len(listed()["receipts"]) == 1, 10, "bob's receipt stored")
        history = listed()
        assert [m["id"] for m in history["messages"]] == sent
        assert [m["message"] for m in history["messages"]] == ["first, corrected", long_text, "third"]
        assert all(m["sender_identity"] == "alice" and m["format"] == "text_stream" for m in history["messages"])
        assert history["messages"][0]["edited_at"] is not None
        assert history["receipts"] == [{"identity": "bob", "message_id": sent[1], "read_at": history["receipts"][0]["read_at"]}]

        dave, at_dave, receipts_at_dave = await join_listening(session, "dave")
        await wait_until(lambda: complete(at_dave, 3) and receipts_at_dave, 15, "history and the receipt at dave")
        assert [(s, i, t) for s, i, t, _ in at_dave] == [("alice", sent[0], "first, corrected"), ("alice", sent[1], long_text),
                                                        ("alice", sent[2], "third")]
        assert all(attrs.get("lk.chat.history") == "true" for *_, attrs in at_dave)
        assert receipts_at_dave == [("bob", sent[1])]

        # The backend deletes the second message: a tombstone in the store, gone for newcomers.
        assert chat_api(server, "DeleteMessages", {"room": ROOM, "ids": [sent[1]]}) == {"deleted": [sent[1]]}
        after = listed()["messages"]
        assert [(m["id"], m["deleted"], m["message"]) for m in after][1] == (sent[1], True, "")
        carol, at_carol, _ = await join_listening(session, "carol")
        await wait_until(lambda: complete(at_carol, 2), 15, "two messages at carol")
        await asyncio.sleep(0.5)
        assert [i for _, i, _, _ in at_carol] == [sent[0], sent[2]]

    run(server, body, timeout=90)


def test_chat_api_checks_the_token(start_server):
    server = start_server()
    token = make_token("mallory")  # a join token: no roomAdmin
    request = urllib.request.Request(
        f"http://127.0.0.1:{server.http_port}/twirp/switchboard.ChatService/ListMessages",
        data=json.dumps({"room": ROOM}).encode(), method="POST",
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    assert refused.value.code == 403
    assert json.loads(refused.value.read())["code"] == "permission_denied"
    with pytest.raises(urllib.error.HTTPError) as other_room:
        chat_api(server, "ListMessages", {"room": "elsewhere"}, room=ROOM)
    assert other_room.value.code == 403


def png_bytes(width=64, height=48):
    """A real PNG (zlib-compressed RGB rows), so the server's content check has a true file."""
    import struct
    import zlib

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    rows = b"".join(b"\x00" + bytes(v for x in range(width) for v in (x * 4 % 256, y * 5 % 256, 128))
                    for y in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def get_attachment(server, path, token):
    request = urllib.request.Request(f"http://127.0.0.1:{server.http_port}{path}",
                                     headers={"Authorization": f"Bearer {token}"} if token else {})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, response.headers, response.read()


def test_attachments_are_kept_checked_and_served_to_the_room(start_server, tmp_path):
    server = start_server()
    picture = tmp_path / "sunset.png"
    picture.write_bytes(png_bytes())
    fake = tmp_path / "fake.png"  # says PNG, is not
    fake.write_bytes(b"MZ\x90\x00" + bytes(5000))
    notes = tmp_path / "notes.bin"  # a type the chat does not keep
    notes.write_bytes(bytes(range(256)) * 4)

    async def body(session):
        alice = await session.join("alice")
        await session.join("bob")
        sent = await alice.local_participant.send_file(str(picture), topic="lk.chat")
        await alice.local_participant.send_file(str(fake), topic="lk.chat")
        await alice.local_participant.send_file(str(notes), topic="lk.chat")

        def attachments():
            return chat_api(server, "ListMessages", {"room": ROOM})["attachments"]
        await wait_until(lambda: attachments(), 15, "the picture stored")
        await asyncio.sleep(1)
        listed = attachments()
        assert [(a["id"], a["name"], a["mime_type"], a["size"], a["sender_identity"]) for a in listed] == [
            (sent.stream_id, "sunset.png", "image/png", len(picture.read_bytes()), "alice")]

        url = listed[0]["url"]
        status, headers, content = get_attachment(server, url, make_token("bob"))
        assert (status, headers["Content-Type"], content) == (200, "image/png", picture.read_bytes())
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Content-Disposition"] == 'attachment; filename="sunset.png"'
        for token, code in ((None, 401), ("not-a-jwt", 401), (make_token("eve", room="elsewhere"), 403)):
            with pytest.raises(urllib.error.HTTPError) as refused:
                get_attachment(server, url, token)
            assert refused.value.code == code
        with pytest.raises(urllib.error.HTTPError) as missing:
            get_attachment(server, f"/chat/attachments/{ROOM}/no-such-id", make_token("bob"))
        assert missing.value.code == 404

    run(server, body, timeout=60)
