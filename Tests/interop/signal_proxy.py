"""A LiveKit signalling proxy for tests: puts an unmodified client (the livekit SDK, Chromium)
behind a UDP relay for its *subscriber* connection.

The client connects to the proxy's ws://127.0.0.1:PORT instead of the server; the proxy opens
the same /rtc request upstream (query string and Authorization header as given) and passes
frames both ways. In the server's subscriber offers and in its trickled candidates for the
subscriber connection, the server's address is replaced by the relay's (the relay learns the
real one), so the client sends its subscriber media and RTCP through the relay, and with
ICE-lite the server answers whatever address reaches it. The publisher connection is left
alone. Every SignalResponse the server sent is kept in `responses` as (monotonic time, message),
so a test can read connection_quality and stream_state_update without SDK support for them.
"""
import asyncio
import json
import time

import aiohttp
from aiohttp import web
from livekit.protocol import rtc as lk_rtc

from lk_raw import candidate_addresses, via_relay

SUBSCRIBER = lk_rtc.SignalTarget.SUBSCRIBER


class SignalProxy:
    def __init__(self, upstream_port, relay):
        self.upstream = f"ws://127.0.0.1:{upstream_port}"
        self.relay = relay
        self.rewrite_sdp = via_relay(relay)
        self.responses = []
        self.rewritten = {"offers": 0, "candidates": 0}
        self._runner = None
        self.port = None

    @property
    def ws_url(self):
        return f"ws://127.0.0.1:{self.port}"

    async def start(self):
        app = web.Application()
        app.router.add_get("/rtc", self._handle)
        app.router.add_get("/rtc/validate", self._validate)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]
        return self

    async def close(self):
        if self._runner is not None:
            await self._runner.cleanup()

    def _upstream_url(self, request, path):
        http = self.upstream.replace("ws://", "http://")
        return (self.upstream if path == "/rtc" else http) + path + ("?" + request.query_string if request.query_string else "")

    async def _validate(self, request):
        headers = {k: v for k, v in request.headers.items() if k.lower() == "authorization"}
        async with aiohttp.ClientSession() as http:
            async with http.get(self._upstream_url(request, "/rtc/validate"), headers=headers) as resp:
                return web.Response(status=resp.status, text=await resp.text())

    def _rewrite(self, data):
        response = lk_rtc.SignalResponse()
        response.ParseFromString(data)
        self.responses.append((time.monotonic(), response))
        kind = response.WhichOneof("message")
        if kind == "offer":
            response.offer.sdp = self.rewrite_sdp(response.offer.sdp)
            self.rewritten["offers"] += 1
            return response.SerializeToString()
        if kind == "trickle" and response.trickle.target == SUBSCRIBER:
            init = json.loads(response.trickle.candidateInit)
            line = "a=" + init.get("candidate", "") if not init.get("candidate", "").startswith("a=") else init["candidate"]
            addresses = candidate_addresses(line)
            if addresses and addresses[0][0].count(".") == 3:
                if self.relay.upstream is None:
                    self.relay.upstream = addresses[0]
                host, port = self.relay.address
                parts = init["candidate"].split(" ")
                parts[4], parts[5] = host, str(port)
                init["candidate"] = " ".join(parts)
                response.trickle.candidateInit = json.dumps(init)
                self.rewritten["candidates"] += 1
                return response.SerializeToString()
            if addresses:
                return None  # IPv6 candidates would bypass the relay
        return data

    async def _handle(self, request):
        headers = {k: v for k, v in request.headers.items() if k.lower() == "authorization"}
        client = web.WebSocketResponse(max_msg_size=0)
        async with aiohttp.ClientSession() as http:
            try:
                server = await http.ws_connect(self._upstream_url(request, "/rtc"), headers=headers, max_msg_size=0)
            except aiohttp.WSServerHandshakeError as e:
                return web.Response(status=e.status, text=e.message)
            await client.prepare(request)

            async def down():
                async for msg in server:
                    if msg.type == aiohttp.WSMsgType.BINARY:
                        out = self._rewrite(msg.data)
                        if out is not None:
                            await client.send_bytes(out)
                    elif msg.type == aiohttp.WSMsgType.TEXT:
                        await client.send_str(msg.data)
                await client.close()

            async def up():
                async for msg in client:
                    if msg.type == aiohttp.WSMsgType.BINARY:
                        await server.send_bytes(msg.data)
                    elif msg.type == aiohttp.WSMsgType.TEXT:
                        await server.send_str(msg.data)
                await server.close()

            tasks = [asyncio.ensure_future(down()), asyncio.ensure_future(up())]
            try:
                await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for t in tasks:
                    t.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)
                await server.close()
        return client
