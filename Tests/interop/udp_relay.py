"""A userspace UDP relay for impairing one client's path to the server (this kernel has no netem).

The client is given the relay's address instead of the server's (e.g. by rewriting the candidate
lines of the server's SDP); with ICE-lite the server answers whatever address its packets come
from, which is the relay's server-side socket. Everything stays on 127.0.0.1.

A rate cap per direction (`rate`, bit/s) drops what exceeds a 100 ms token bucket. Only RTP and
RTCP (first byte 128..191, RFC 7983) are dropped, with a seeded random generator per
direction: STUN and DTLS pass untouched, so the connection setup is not what gets measured.
"""
import asyncio
import random
import time


def _is_rtp_or_rtcp(data):
    return len(data) > 0 and 128 <= data[0] <= 191


class _Side(asyncio.DatagramProtocol):
    def __init__(self, on_datagram):
        self.on_datagram = on_datagram
        self.transport = None

    def connection_made(self, transport):
        self.transport = transport

    def datagram_received(self, data, addr):
        self.on_datagram(data, addr)


class LossyRelay:
    """Relays one client <-> `upstream` (host, port), dropping `loss` of the RTP/RTCP each way
    (`down_loss`, if given, towards the client instead)."""

    def __init__(self, upstream, loss=0.05, seed=4, down_loss=None):
        self.upstream = upstream
        self.loss = {"up": loss, "down": loss if down_loss is None else down_loss}
        # Rate cap per direction in bit/s (None: none): a token bucket of 100 ms; RTP/RTCP
        # beyond it is dropped, as a shaped link's full queue would.
        self.rate = {"up": None, "down": None}
        self._bucket = {"up": [0.0, 0.0], "down": [0.0, 0.0]}  # tokens (bits), last refill time
        self.rng = {"up": random.Random(seed), "down": random.Random(seed + 1)}
        self.stats = {d: {"forwarded": 0, "dropped": 0, "media": 0} for d in ("up", "down")}
        self.client_addr = None
        self._client_side = None
        self._server_side = None

    async def start(self):
        loop = asyncio.get_running_loop()
        self._client_side, _ = await loop.create_datagram_endpoint(
            lambda: _Side(self._from_client), local_addr=("127.0.0.1", 0))
        self._server_side, _ = await loop.create_datagram_endpoint(
            lambda: _Side(self._from_server), local_addr=("127.0.0.1", 0))
        return self

    @property
    def address(self):
        """Where the client should send: (host, port)."""
        return self._client_side.get_extra_info("sockname")[:2]

    def _drop(self, direction, data):
        if not _is_rtp_or_rtcp(data):
            return False
        self.stats[direction]["media"] += 1
        if self.rng[direction].random() < self.loss[direction]:
            self.stats[direction]["dropped"] += 1
            return True
        rate = self.rate[direction]
        if rate:
            bucket = self._bucket[direction]
            now = time.monotonic()
            bucket[0] = min(bucket[0] + (now - bucket[1]) * rate, rate * 0.1)
            bucket[1] = now
            bits = (len(data) + 28) * 8
            if bucket[0] < bits:
                self.stats[direction]["dropped"] += 1
                self.stats[direction].setdefault("rate_dropped", 0)
                self.stats[direction]["rate_dropped"] += 1
                return True
            bucket[0] -= bits
        return False

    async def media_rate(self, direction, seconds=2.0):
        """RTP/RTCP packets per second offered in `direction` ("up"/"down") over the next `seconds`."""
        start, t0 = self.stats[direction]["media"], time.monotonic()
        await asyncio.sleep(seconds)
        return (self.stats[direction]["media"] - start) / (time.monotonic() - t0)

    def _from_client(self, data, addr):
        self.client_addr = addr
        if not self._drop("up", data):
            self.stats["up"]["forwarded"] += 1
            self._server_side.sendto(data, self.upstream)

    def _from_server(self, data, addr):
        if addr[:2] != tuple(self.upstream) or self.client_addr is None:
            return
        if not self._drop("down", data):
            self.stats["down"]["forwarded"] += 1
            self._client_side.sendto(data, self.client_addr)

    def close(self):
        for t in (self._client_side, self._server_side):
            if t is not None:
                t.close()


class LossyNat(LossyRelay):
    """LossyRelay for a client with several sockets or candidates (libwebrtc): like a NAT, each
    client address gets a server-side socket of its own, so the server's replies go back to the
    address that sent the request, and `client_addr` never flips between a client's sockets.
    Loss and rate caps apply to all of them together."""

    def __init__(self, upstream=None, loss=0.0, seed=4, down_loss=None):
        super().__init__(upstream, loss=loss, seed=seed, down_loss=down_loss)
        self._mappings = {}  # client addr -> server-side transport (None while it is being made)
        self._pending = {}   # client addr -> datagrams that arrived before its socket existed
        self._tasks = set()

    def _from_client(self, data, addr):
        self.client_addr = addr
        if self._drop("up", data):
            return
        transport = self._mappings.get(addr)
        if transport is None:
            self._pending.setdefault(addr, []).append(data)
            if addr not in self._mappings:
                self._mappings[addr] = None
                task = asyncio.ensure_future(self._open_mapping(addr))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)
            return
        self.stats["up"]["forwarded"] += 1
        transport.sendto(data, self.upstream)

    async def _open_mapping(self, addr):
        loop = asyncio.get_running_loop()
        transport, _ = await loop.create_datagram_endpoint(
            lambda: _Side(lambda data, src: self._from_server_to(addr, data, src)), local_addr=("127.0.0.1", 0))
        self._mappings[addr] = transport
        for data in self._pending.pop(addr, []):
            self.stats["up"]["forwarded"] += 1
            transport.sendto(data, self.upstream)

    def _from_server_to(self, addr, data, src):
        if src[:2] != tuple(self.upstream):
            return
        if not self._drop("down", data):
            self.stats["down"]["forwarded"] += 1
            self._client_side.sendto(data, addr)

    def close(self):
        for task in self._tasks:
            task.cancel()
        for transport in self._mappings.values():
            if transport is not None:
                transport.close()
        super().close()
