"""Graceful shutdown on SIGTERM, seen by a client.

- test_sigterm_tells_participants_and_exits: a participant on LiveKit signalling gets a `leave`
  with reason SERVER_SHUTDOWN on its WebSocket (the rooms are drained while HTTP still runs),
  the store records the session's end, and the process exits 0 within 15 s.
"""
import asyncio
import signal
import sqlite3
import urllib.request

import pytest
from livekit.protocol import models as lk_models

from lk_raw import RawParticipant

pytestmark = pytest.mark.filterwarnings("ignore:The HMAC key is")


def test_sigterm_tells_participants_and_exits(start_server):
    server = start_server()
    with urllib.request.urlopen(server.url + "/readyz", timeout=5) as resp:
        assert resp.status == 200 and resp.read().decode().strip() == "ready"

    async def scenario():
        alice = RawParticipant(server.http_port, "alice")
        try:
            await alice.connect()
            left = alice.expect(lambda r: r.WhichOneof("message") == "leave")
            server.proc.send_signal(signal.SIGTERM)
            leave = (await asyncio.wait_for(left, 10)).leave
            assert leave.reason == lk_models.SERVER_SHUTDOWN, leave
        finally:
            await alice.close()

    asyncio.run(asyncio.wait_for(scenario(), 30))
    assert server.proc.wait(15) == 0
    assert server.log_contains(r"shutting down: closing rooms")
    db = sqlite3.connect(str(server.data_dir / "switchboard.sqlite"))
    try:
        reasons = [row[0] for row in db.execute("SELECT leave_reason FROM participant_session")]
    finally:
        db.close()
    assert reasons == ["server_shutdown"], reasons
