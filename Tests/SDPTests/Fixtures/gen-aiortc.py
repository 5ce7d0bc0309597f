import asyncio, sys
import aioice.ice
aioice.ice.get_host_addresses = lambda use_ipv4, use_ipv6: ["127.0.0.1"]
from aiortc import RTCPeerConnection, RTCConfiguration, RTCSessionDescription

async def offer():
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    pc.addTransceiver("audio")
    pc.addTransceiver("video")
    await pc.setLocalDescription(await pc.createOffer())
    sdp = pc.localDescription.sdp
    await pc.close()
    return sdp

async def answer(path):
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    @pc.on("track")
    def on_track(t): pass
    @pc.on("datachannel")
    def on_dc(c): pass
    offer = open(path, newline="").read()
    await pc.setRemoteDescription(RTCSessionDescription(sdp=offer, type="offer"))
    await pc.setLocalDescription(await pc.createAnswer())
    sdp = pc.localDescription.sdp
    await pc.close()
    return sdp

mode = sys.argv[1]
if mode == "offer":
    out = asyncio.run(offer())
else:
    out = asyncio.run(answer(sys.argv[2]))
sys.stdout.write(out)
