"""Webhooks checked by livekit-api's own receiver: `switchboard serve --webhook-url ...` POSTs
LiveKit WebhookEvents that `livekit.api.WebhookReceiver(TokenVerifier("devkey", "secret"))`
verifies (JWT signed with the key's secret, sha256 claim over the exact body) and parses.

- The livekit Python SDK joins a room, publishes a tone, leaves; the room closes after its
  departure timeout (1 s, from a config file). The receiver sees room_started,
  participant_joined, track_published, track_unpublished, participant_left, room_finished,
  in that order, each exactly once, all for that room.
- An outage: nothing listens on the webhook port while the same happens; the events wait in
  the outbox (retries show in /metrics), and once a receiver listens they all arrive, in order.
"""
import asyncio
import http.server
import re
import socket
import threading
import time
import urllib.request

import pytest
from livekit import api, rtc

from lk_sdk import Session, ToneSource, wait_until

pytestmark = pytest.mark.filterwarnings("ignore:The HMAC key is")

ROOM = "hooks"
EXPECTED = ["room_started", "participant_joined", "track_published", "track_unpublished",
            "participant_left", "room_finished"]


class WebhookSink:
    """An HTTP server on 127.0.0.1 that verifies every POST with livekit-api's WebhookReceiver
    and keeps the events (or the reason a POST was refused)."""

    def __init__(self, port=0):
        receiver = api.WebhookReceiver(api.TokenVerifier("devkey", "secret"))
        sink = self
        self.events, self.errors, self.content_types = [], [], []

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0"))).decode()
                sink.content_types.append(self.headers.get("Content-Type"))
                try:
                    sink.events.append(receiver.receive(body, self.headers.get("Authorization", "")))
                    status = 200
                except Exception as e:  # a bad signature or body: refuse it, remember why
                    sink.errors.append(repr(e))
                    status = 401
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}/hook"

    def names(self):
        return [e.event for e in self.events]

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_with_hooks(start_server, tmp_path, url):
    config = tmp_path / "hooks.yaml"
    config.write_text("room:\n  departure_timeout: 1\n  empty_timeout: 5\n")
    return start_server("--config", str(config), "--bind", "127.0.0.1", "--webhook-url", url)


async def join_publish_leave(s):
    """The SDK joins ROOM, publishes a 48 kHz tone until it is announced, and leaves."""
    room = await s.join("alice", room=ROOM)
    tone = ToneSource()
    s.spawn(tone.run())
    mic = rtc.LocalAudioTrack.create_audio_track("mic", tone.source)
    publication = await asyncio.wait_for(room.local_participant.publish_track(
        mic, rtc.TrackPublishOptions(source=rtc.TrackSource.SOURCE_MICROPHONE)), 15)
    await asyncio.sleep(1)  # media flows for a moment
    await asyncio.wait_for(room.disconnect(), 10)
    return publication.sid


def metric(server, name):
    with urllib.request.urlopen(server.url + "/metrics", timeout=5) as r:
        m = re.search(rf"^{name} (\d+)$", r.read().decode(), re.M)
    return int(m.group(1)) if m else None


def check_events(sink, track_sid):
    assert sink.errors == [], f"WebhookReceiver refused posts: {sink.errors}"
    assert sink.names() == EXPECTED, f"events {sink.names()}"
    assert set(sink.content_types) == {"application/webhook+json"}
    assert all(e.room.name == ROOM for e in sink.events)
    assert len({e.room.sid for e in sink.events}) == 1
    assert len({e.id for e in sink.events}) == len(EXPECTED), "every event has its own id"
    assert all(e.id.startswith("EV_") and e.created_at > 1_700_000_000 for e in sink.events)
    by_name = {e.event: e for e in sink.events}
    for name in ("participant_joined", "track_published", "track_unpublished", "participant_left"):
        assert by_name[name].participant.identity == "alice", name
    assert by_name["track_published"].track.sid == track_sid
    assert by_name["track_unpublished"].track.sid == track_sid
    assert by_name["track_published"].track.type == 0  # AUDIO


def test_room_lifecycle_events_verify_with_livekit_api(start_server, tmp_path):
    sink = WebhookSink()
    try:
        server = start_with_hooks(start_server, tmp_path, sink.url)

        async def body(s):
            track_sid = await join_publish_leave(s)
            await wait_until(lambda: "room_finished" in sink.names(), 30, f"room_finished (have {sink.names()})")
            return track_sid

        track_sid = asyncio.run(asyncio.wait_for(_session(server, body), 90))
        time.sleep(0.5)  # nothing more may arrive
        check_events(sink, track_sid)
        assert metric(server, "switchboard_webhook_delivered_total") == len(EXPECTED)
        assert metric(server, "switchboard_webhook_pending") == 0
    finally:
        sink.stop()


def test_events_wait_out_an_outage_and_arrive_in_order(start_server, tmp_path):
    port = free_port()
    server = start_with_hooks(start_server, tmp_path, f"http://127.0.0.1:{port}/hook")
    sink = None
    try:
        async def body(s):
            track_sid = await join_publish_leave(s)
            # Nobody listens: the events wait in the outbox and are retried.
            await wait_until(lambda: (metric(server, "switchboard_webhook_retries_total") or 0) >= 1, 15,
                             "a failed delivery attempt")
            await wait_until(lambda: metric(server, "switchboard_webhook_pending") == len(EXPECTED), 30,
                             "all events queued")
            return track_sid

        track_sid = asyncio.run(asyncio.wait_for(_session(server, body), 90))
        sink = WebhookSink(port)  # the endpoint comes back

        deadline = time.monotonic() + 60  # retries back off to at most 60 s
        while len(sink.events) < len(EXPECTED) and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(0.5)
        check_events(sink, track_sid)
        assert metric(server, "switchboard_webhook_pending") == 0
        assert metric(server, "switchboard_webhook_failed_total") == 0
    except BaseException:
        print("---- server log ----")
        print("\n".join(server.log_lines[-100:]))
        raise
    finally:
        if sink:
            sink.stop()


async def _session(server, body):
    """Runs `body(session)` in an SDK session (closed after); returns its result."""
    session = Session(server)
    try:
        return await body(session)
    finally:
        await session.close()
