#!/usr/bin/env python3
"""Signalling event delivery benchmark: participant joined -> others notified.

Starts `switchboard serve --dev` itself on free ports, then for each room size N opens N-1
signalling-only participants (WebSocket to /rtc, binary protobuf, no WebRTC: offers are ignored)
and measures repeated joins of an N-th participant. For every join:

  t0         perf_counter_ns() just before the joiner opens its TCP connection and sends the
             WebSocket upgrade (GET /rtc, Authorization: Bearer <token>)
  t_join     the joiner's JoinResponse arrives
  t_recv[k]  existing participant k receives the ParticipantUpdate naming the joiner

and reports, as p50 / p99 / max:

  (a)  t_recv[k] - t0        upgrade sent -> participant k notified (one sample per recipient)
  (a*) max_k t_recv - t0     upgrade sent -> *all* N-1 notified (one sample per join)
  (b)  t_recv[k] - t_join    variant: from the joiner's JoinResponse receipt (can be negative:
                             the server queues the JoinResponse and the updates on different
                             connections, which are written independently)
  (b*) max_k t_recv - t_join
  (c)  max_k - min_k t_recv  fan-out spread, first recipient to last

The joiner then sends SignalRequest{leave}, and the next join starts only after every existing
participant has received the DISCONNECTED update for it, so the room stays at N-1 + 1.

All clients live in this one Python asyncio process and all times come from one clock
(time.perf_counter_ns, CLOCK_MONOTONIC). The numbers therefore include client-side work: the
event loop reads the N-1 sockets one after another, so the last recipient's time includes the
client's processing of the earlier ones (this inflates (a*) and (c) most). Two client
implementations are available:

  aiohttp  aiohttp's WebSocket client; time taken when `await ws.receive()` returns in the
           recipient's reader task (includes aiohttp frame parsing and a task wake-up)
  raw      a minimal RFC 6455 client on an asyncio.Protocol; time taken on entry to
           data_received(), i.e. right after the event loop's epoll_wait returned the socket
           (lower client overhead; a cross-check of how much of (a)/(c) is the client)

Usage:
  /work/main/.venv-test/bin/python Benchmarks/signalling/join_notify.py [--sizes 10,25,50]
      [--joins 200] [--warmup 10] [--clients aiohttp,raw] [--binary PATH] [--timeout 170]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import gc
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import warnings
from dataclasses import dataclass, field

warnings.filterwarnings("ignore", message=".*HMAC key.*")

import aiohttp  # noqa: E402
import numpy as np  # noqa: E402
from livekit import api  # noqa: E402
from livekit.protocol import models, rtc  # noqa: E402

API_KEY, API_SECRET = "devkey", "secret"  # `--dev` keys
DISCONNECTED = models.ParticipantInfo.State.DISCONNECTED
now_ns = time.perf_counter_ns

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


# --------------------------------------------------------------------------------------------
# Server


def pick_binary(explicit: str | None) -> str:
    if explicit:
        return explicit
    debug = os.path.join(REPO, ".build", "debug", "switchboard")
    release = os.path.join(REPO, ".build", "release", "switchboard")
    # Prefer release when present and at least as new as the debug binary.
    if os.path.exists(release) and (not os.path.exists(debug) or os.path.getmtime(release) >= os.path.getmtime(debug)):
        return release
    if os.path.exists(debug):
        return debug
    sys.exit("no switchboard binary under .build/{release,debug}")


class Server:
    """`switchboard serve --dev --port 0 --udp-port 0 --data-dir <tmp>`; output to a log file."""

    # The join rate limiter (default 20 burst, 2/s per client address) would refuse this
    # benchmark's ~250 joins a run from 127.0.0.1, so it is raised through the config file.
    # Nothing else is changed; the limiter's cost per join is the same either way.
    CONFIG = "limits:\n  join_burst: 1000000\n  joins_per_second: 1000000\n"

    def __init__(self, binary: str, log_level: str, tmp_base: str | None):
        self.binary = binary
        self.log_level = log_level
        self.tmp = tempfile.mkdtemp(prefix="switchboard-bench-", dir=tmp_base)
        self.proc: subprocess.Popen | None = None
        self.port: int | None = None

    def start(self, timeout: float = 30.0) -> int:
        config = os.path.join(self.tmp, "bench.yaml")
        with open(config, "w") as f:
            f.write(self.CONFIG)
        self.log_path = os.path.join(self.tmp, "server.log")
        log = open(self.log_path, "wb")
        self.command = [self.binary, "serve", "--dev", "--bind", "127.0.0.1", "--port", "0", "--udp-port", "0",
                        "--data-dir", os.path.join(self.tmp, "data"), "--config", config,
                        "--log-level", self.log_level]
        self.proc = subprocess.Popen(self.command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        log.close()
        ready = re.compile(rb"switchboard ready: open http://127\.0\.0\.1:(\d+)/")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with open(self.log_path, "rb") as f:
                m = ready.search(f.read())
            if m:
                self.port = int(m.group(1))
                return self.port
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        self.stop()
        sys.exit(f"server did not become ready; log:\n{open(self.log_path, errors='replace').read()[-4000:]}")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=5)
        if getattr(self, "keep_log", None) and os.path.exists(self.log_path):
            shutil.copyfile(self.log_path, self.keep_log)
        shutil.rmtree(self.tmp, ignore_errors=True)

    def warnings_in_log(self) -> list[str]:
        try:
            with open(self.log_path, errors="replace") as f:
                return [line.rstrip() for line in f if " warning " in line or " error " in line or "critical" in line]
        except OSError:
            return []


# --------------------------------------------------------------------------------------------
# Clients: connect, deliver each SignalResponse to a callback with its receipt time, send, close


class AiohttpConn:
    name = "aiohttp"

    def __init__(self, session: aiohttp.ClientSession, on_message):
        self.session = session
        self.on_message = on_message
        self.ws = None
        self.task = None

    async def connect(self, url: str, token: str):
        self.ws = await self.session.ws_connect(url, headers={"Authorization": f"Bearer {token}"},
                                                autoping=True, heartbeat=None, max_msg_size=0)
        self.task = asyncio.create_task(self._read())

    async def _read(self):
        ws = self.ws
        while True:
            msg = await ws.receive()
            t = now_ns()
            if msg.type == aiohttp.WSMsgType.BINARY:
                resp = rtc.SignalResponse()
                resp.ParseFromString(msg.data)
                self.on_message(self, resp, t)
            elif msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSING, aiohttp.WSMsgType.CLOSED,
                              aiohttp.WSMsgType.ERROR):
                return

    async def send(self, data: bytes):
        await self.ws.send_bytes(data)

    async def close(self):
        try:
            await asyncio.wait_for(self.ws.close(), 5)
        except (asyncio.TimeoutError, aiohttp.ClientError, ConnectionError):
            pass
        if self.task:
            self.task.cancel()


class RawWSProtocol(asyncio.Protocol):
    """Minimal RFC 6455 client: unmasked server frames in, masked client frames out."""

    def __init__(self, on_frame, on_lost):
        self.on_frame = on_frame
        self.on_lost = on_lost
        self.buf = bytearray()
        self.upgraded = asyncio.get_running_loop().create_future()
        self.transport = None
        self.fragments: bytearray | None = None

    def connection_made(self, transport):
        self.transport = transport

    def data_received(self, data):
        t = now_ns()  # as early as the client can know: right after epoll returned this socket
        self.buf += data
        if not self.upgraded.done():
            end = self.buf.find(b"\r\n\r\n")
            if end < 0:
                return
            head = bytes(self.buf[:end])
            del self.buf[:end + 4]
            status = head.split(b"\r\n", 1)[0]
            if b" 101 " not in status + b" ":
                self.upgraded.set_exception(ConnectionError(f"upgrade refused: {head.decode(errors='replace')}"))
                self.transport.close()
                return
            self.upgraded.set_result(None)
        buf = self.buf
        while len(buf) >= 2:
            b0, b1 = buf[0], buf[1]
            length, offset = b1 & 0x7F, 2
            if length == 126:
                if len(buf) < 4:
                    return
                length, offset = int.from_bytes(buf[2:4], "big"), 4
            elif length == 127:
                if len(buf) < 10:
                    return
                length, offset = int.from_bytes(buf[2:10], "big"), 10
            if b1 & 0x80:
                offset += 4  # servers must not mask; tolerate it anyway
                key = bytes(buf[offset - 4:offset])
            else:
                key = None
            if len(buf) < offset + length:
                return
            payload = bytes(buf[offset:offset + length])
            del buf[:offset + length]
            if key:
                payload = mask(payload, key)
            opcode, fin = b0 & 0x0F, b0 & 0x80
            if opcode == 0x0:
                if self.fragments is None:
                    continue
                self.fragments += payload
                if fin:
                    payload, self.fragments = bytes(self.fragments), None
                    self.on_frame(0x2, payload, t)
            elif opcode in (0x1, 0x2):
                if fin:
                    self.on_frame(opcode, payload, t)
                else:
                    self.fragments = bytearray(payload)
            elif opcode == 0x9:
                self.send_frame(0xA, payload)
            elif opcode == 0x8:
                self.send_frame(0x8, payload[:2])
                self.transport.close()
                return

    def connection_lost(self, exc):
        if not self.upgraded.done():
            self.upgraded.set_exception(exc or ConnectionError("closed before upgrade"))
        self.on_lost()

    def send_frame(self, opcode: int, payload: bytes):
        if self.transport is None or self.transport.is_closing():
            return
        n = len(payload)
        if n < 126:
            head = bytes((0x80 | opcode, 0x80 | n))
        elif n < 65536:
            head = bytes((0x80 | opcode, 0x80 | 126)) + n.to_bytes(2, "big")
        else:
            head = bytes((0x80 | opcode, 0x80 | 127)) + n.to_bytes(8, "big")
        key = os.urandom(4)
        self.transport.write(head + key + mask(payload, key))


def mask(payload: bytes, key: bytes) -> bytes:
    n = len(payload)
    if n == 0:
        return b""
    k = (key * (n // 4 + 1))[:n]
    return (int.from_bytes(payload, "big") ^ int.from_bytes(k, "big")).to_bytes(n, "big")


class RawConn:
    name = "raw"

    def __init__(self, session, on_message):
        self.on_message = on_message
        self.proto: RawWSProtocol | None = None
        self.closed = asyncio.get_running_loop().create_future()

    async def connect(self, url: str, token: str):
        m = re.match(r"ws://([^:/]+):(\d+)(/.*)", url)
        host, port, path = m.group(1), int(m.group(2)), m.group(3)
        loop = asyncio.get_running_loop()
        _, self.proto = await loop.create_connection(lambda: RawWSProtocol(self._frame, self._lost), host, port)
        key = base64.b64encode(os.urandom(16)).decode()
        request = (f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                   f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
                   f"Authorization: Bearer {token}\r\n\r\n")
        self.proto.transport.write(request.encode())
        await self.proto.upgraded

    def _frame(self, opcode, payload, t):
        if opcode == 0x2:
            resp = rtc.SignalResponse()
            resp.ParseFromString(payload)
            self.on_message(self, resp, t)

    def _lost(self):
        if not self.closed.done():
            self.closed.set_result(None)

    async def send(self, data: bytes):
        self.proto.send_frame(0x2, data)

    async def close(self):
        if self.proto and self.proto.transport and not self.proto.transport.is_closing():
            self.proto.send_frame(0x8, (1000).to_bytes(2, "big"))
            try:
                await asyncio.wait_for(asyncio.shield(self.closed), 5)
            except asyncio.TimeoutError:
                self.proto.transport.close()


CLIENTS = {"aiohttp": AiohttpConn, "raw": RawConn}


# --------------------------------------------------------------------------------------------
# The measurement


@dataclass
class JoinSample:
    t0: int
    t_join: int
    recv: list[int] = field(default_factory=list)


class Room:
    """Routes the existing participants' ParticipantUpdates to the join being measured."""

    def __init__(self, recipients: int):
        self.recipients = recipients
        self.identity: str | None = None
        self.joined: dict[int, int] = {}
        self.left: set[int] = set()
        self.all_joined = asyncio.Event()
        self.all_left = asyncio.Event()

    def expect(self, identity: str):
        self.identity = identity
        self.joined = {}
        self.left = set()
        self.all_joined.clear()
        self.all_left.clear()

    def on_update(self, index: int, update, t: int):
        for p in update.participants:
            if p.identity != self.identity:
                continue
            if p.state == DISCONNECTED:
                self.left.add(index)
                if len(self.left) == self.recipients:
                    self.all_left.set()
            elif index not in self.joined:
                self.joined[index] = t
                if len(self.joined) == self.recipients:
                    self.all_joined.set()


def token_for(identity: str, room: str) -> str:
    return (api.AccessToken(API_KEY, API_SECRET).with_identity(identity).with_name(identity)
            .with_grants(api.VideoGrants(room_join=True, room=room)).to_jwt())


async def open_participant(cls, session, url, token, on_message):
    joined = asyncio.get_running_loop().create_future()

    def handler(conn, resp, t):
        kind = resp.WhichOneof("message")
        if kind == "join" and not joined.done():
            joined.set_result(t)
        elif on_message is not None:
            on_message(conn, resp, t)

    conn = cls(session, handler)
    await conn.connect(url, token)
    await asyncio.wait_for(joined, 10)
    return conn


def server_cpu_ns(pid: int) -> int:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * 1_000_000_000 // os.sysconf("SC_CLK_TCK")


async def run_size(cls, session, port: int, server_pid: int, n: int, joins: int, warmup: int, tag: str):
    room_name = f"bench-{tag}-{cls.name}-{n}-{os.getpid()}"
    url = f"ws://127.0.0.1:{port}/rtc"
    room = Room(n - 1)
    fillers = []
    for i in range(n - 1):
        idx = i

        def on_update(conn, resp, t, idx=idx):
            if resp.WhichOneof("message") == "update":
                room.on_update(idx, resp.update, t)

        fillers.append(await open_participant(cls, session, url, token_for(f"p{i}", room_name), on_update))
    await asyncio.sleep(0.2)  # let the room settle (offers, updates for the fillers' own joins)

    tokens = [token_for(f"joiner-{k}", room_name) for k in range(warmup + joins)]
    leave = rtc.SignalRequest(leave=rtc.LeaveRequest(reason=models.DisconnectReason.CLIENT_INITIATED,
                                                     action=rtc.LeaveRequest.Action.DISCONNECT)).SerializeToString()
    samples: list[JoinSample] = []
    gc.collect()
    gc.disable()
    cpu = {}
    try:
        for k in range(warmup + joins):
            if k == warmup:
                cpu = {"server": server_cpu_ns(server_pid), "client": time.process_time_ns(), "wall": now_ns()}
            room.expect(f"joiner-{k}")
            joined_at = asyncio.get_running_loop().create_future()

            conn = cls(session, lambda c, resp, t, fut=joined_at: (
                fut.set_result(t) if resp.WhichOneof("message") == "join" and not fut.done() else None))
            t0 = now_ns()
            await conn.connect(url, tokens[k])
            t_join = await asyncio.wait_for(joined_at, 10)
            await asyncio.wait_for(room.all_joined.wait(), 10)
            if k >= warmup:
                samples.append(JoinSample(t0, t_join, sorted(room.joined.values())))
            await conn.send(leave)
            await asyncio.wait_for(room.all_left.wait(), 10)
            await conn.close()
            await asyncio.sleep(0.002)
        cpu = {"server": server_cpu_ns(server_pid) - cpu["server"], "client": time.process_time_ns() - cpu["client"],
               "wall": now_ns() - cpu["wall"]}
    finally:
        gc.enable()
    # Leave cleanly: a bare close keeps each filler for a resume until the server's ping
    # timeout, and that later sweep would run during the next room's measurement.
    for f in fillers:
        await f.send(leave)
    await asyncio.sleep(0.2)
    for f in fillers:
        await f.close()
    return samples, cpu


def stats(values) -> tuple[float, float, float]:
    a = np.asarray(values, dtype=np.float64) / 1e6  # ns -> ms
    return float(np.percentile(a, 50)), float(np.percentile(a, 99)), float(a.max())


def summarize(samples: list[JoinSample]) -> dict[str, tuple[float, float, float]]:
    per_recipient_a = [r - s.t0 for s in samples for r in s.recv]
    per_recipient_b = [r - s.t_join for s in samples for r in s.recv]
    return {
        "a": stats(per_recipient_a),
        "a_all": stats([s.recv[-1] - s.t0 for s in samples]),
        "b": stats(per_recipient_b),
        "b_all": stats([s.recv[-1] - s.t_join for s in samples]),
        "c": stats([s.recv[-1] - s.recv[0] for s in samples]),
        "join": stats([s.t_join - s.t0 for s in samples]),
    }


ROWS = [
    ("a", "(a) upgrade sent → participant notified, per recipient"),
    ("a_all", "(a\\*) upgrade sent → all N−1 notified, per join"),
    ("b", "(b) joiner's JoinResponse → participant notified, per recipient"),
    ("b_all", "(b\\*) joiner's JoinResponse → all N−1 notified, per join"),
    ("c", "(c) fan-out spread, first → last recipient, per join"),
    ("join", "upgrade sent → joiner's JoinResponse, per join"),
]


def markdown(results) -> str:
    lines = ["| client | N | joins | metric | p50 ms | p99 ms | max ms |",
             "| --- | ---: | ---: | --- | ---: | ---: | ---: |"]
    for (client, n, joins), summary in results:
        for key, label in ROWS:
            p50, p99, mx = summary[key]
            lines.append(f"| {client} | {n} | {joins} | {label} | {p50:.3f} | {p99:.3f} | {mx:.3f} |")
    return "\n".join(lines)


async def main_async(args, port: int, server_pid: int):
    results, usage, raw = [], [], []
    timeout = aiohttp.ClientTimeout(total=None, connect=10)
    connector = aiohttp.TCPConnector(limit=0, force_close=True)
    async with aiohttp.ClientSession(timeout=timeout, connector=connector) as session:
        for client in args.clients:
            cls = CLIENTS[client]
            for n in args.sizes:
                t = time.monotonic()
                samples, cpu = await run_size(cls, session, port, server_pid, n, args.joins, args.warmup, args.tag)
                summary = summarize(samples)
                results.append(((client, n, len(samples)), summary))
                usage.append((client, n, len(samples), cpu))
                raw.append({"client": client, "n": n, "cpu_ns": cpu,
                            "joins": [{"t0": x.t0, "t_join": x.t_join, "recv": x.recv} for x in samples]})
                a, c = summary["a"], summary["c"]
                print(f"# {client} N={n}: {len(samples)} joins in {time.monotonic() - t:.1f}s; "
                      f"(a) p50 {a[0]:.3f} p99 {a[1]:.3f} ms, spread p99 {c[1]:.3f} ms", file=sys.stderr, flush=True)
    if args.json:
        import json
        with open(args.json, "w") as f:
            json.dump({"sizes": args.sizes, "runs": raw}, f)
    return results, usage


def machine() -> str:
    model = "?"
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
        model = next((l.split(":", 1)[1].strip() for l in out.splitlines() if l.startswith("Model name")), "?")
    except OSError:
        pass
    return (f"nproc={os.cpu_count()}, CPU {model!r}, kernel {platform.release()}, "
            f"Python {platform.python_version()}, aiohttp {aiohttp.__version__}, loadavg {os.getloadavg()}")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sizes", default="10,25,50", help="room sizes N (comma separated)")
    p.add_argument("--joins", type=int, default=200, help="measured joins per N")
    p.add_argument("--warmup", type=int, default=10, help="unmeasured joins per N first")
    p.add_argument("--clients", default="aiohttp,raw", help="client implementations: aiohttp, raw")
    p.add_argument("--binary", help="switchboard binary (default: .build/release if newer, else .build/debug)")
    p.add_argument("--keep-log", help="copy the server's log to this path when it stops")
    p.add_argument("--log-level", default="info", help="server --log-level (default info, the server default)")
    p.add_argument("--timeout", type=float, default=170, help="hard limit for the whole run, seconds")
    p.add_argument("--tmp-base", help="where the server's temporary --data-dir goes (default: $TMPDIR or /tmp)")
    p.add_argument("--json", help="also write every raw sample (ns) to this JSON file")
    p.add_argument("--tag", default="r", help="room name tag")
    args = p.parse_args()
    args.sizes = [int(x) for x in args.sizes.split(",")]
    args.clients = [c.strip() for c in args.clients.split(",")]
    for c in args.clients:
        if c not in CLIENTS:
            p.error(f"unknown client {c}")

    binary = pick_binary(args.binary)
    kind = "release" if "/release/" in binary else ("debug" if "/debug/" in binary else "?")
    server = Server(binary, args.log_level, args.tmp_base)
    server.keep_log = args.keep_log

    def hard_timeout(*_):
        server.stop()
        os._exit(3)

    signal.signal(signal.SIGALRM, hard_timeout)
    signal.alarm(int(args.timeout) + 15)
    try:
        port = server.start()
        print(f"# server: {binary} ({kind} build), pid {server.proc.pid}, port {port}", file=sys.stderr, flush=True)
        print(f"# {' '.join(server.command)}", file=sys.stderr, flush=True)
        print(f"# machine: {machine()}", file=sys.stderr, flush=True)
        started = time.monotonic()
        results, usage = asyncio.run(asyncio.wait_for(main_async(args, port, server.proc.pid), args.timeout))
        elapsed = time.monotonic() - started
        problems = server.warnings_in_log()
    finally:
        server.stop()
        signal.alarm(0)
    print(f"Server: `{os.path.relpath(binary, REPO)}` ({kind} build), --log-level {args.log_level}. "
          f"Machine: {machine()}. Measured in {elapsed:.0f} s.\n")
    print(markdown(results))
    print("\nCPU during the measured joins (server: /proc utime+stime at 10 ms tick resolution; client: "
          "this Python process; both per join, including the leave):\n")
    print("| client | N | wall ms / join | server CPU ms / join | client CPU ms / join |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for client, n, joins, cpu in usage:
        print(f"| {client} | {n} | {cpu['wall'] / joins / 1e6:.2f} | {cpu['server'] / joins / 1e6:.2f} | "
              f"{cpu['client'] / joins / 1e6:.2f} |")
    if problems:
        print("\nServer log warnings/errors:\n" + "\n".join("    " + l for l in problems[:20]))


if __name__ == "__main__":
    main()
