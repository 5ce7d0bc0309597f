"""HTTPS and WSS with --tls-cert/--tls-key, security headers, and the CORS allowlist.

- test_tls_serves_https_and_wss: a certificate made for 127.0.0.1 by the test; /healthz over
  HTTPS carries nosniff, X-Frame-Options, Referrer-Policy and HSTS; plain HTTP on that port gets
  no answer; a LiveKit signalling join over wss:// gets its JoinResponse (protobuf).
- test_cors_allowlist: an allowed origin's preflight gets 204 with the methods and headers WHIP
  needs, and its responses expose Location; any other origin's preflight gets 403 and no CORS
  headers. Without --cors-origin nothing is allowed.
"""
import asyncio
import datetime
import ipaddress
import ssl
import urllib.error
import urllib.request

import aiohttp
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from livekit.protocol import rtc as lk_rtc

from lk_raw import make_token

pytestmark = pytest.mark.filterwarnings("ignore:The HMAC key is")


def make_certificate(directory):
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


def request(url, method="GET", headers=None, context=None):
    req = urllib.request.Request(url, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=5, context=context) as resp:
            return resp.status, resp.headers
    except urllib.error.HTTPError as e:
        return e.code, e.headers


def test_tls_serves_https_and_wss(start_server, tmp_path):
    cert, key = make_certificate(tmp_path)
    server = start_server("--tls-cert", str(cert), "--tls-key", str(key))
    assert server.scheme == "https"
    context = ssl.create_default_context(cafile=str(cert))
    status, headers = request(f"https://127.0.0.1:{server.http_port}/healthz", context=context)
    assert status == 200
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "no-referrer"
    assert headers["Strict-Transport-Security"].startswith("max-age=")
    try:
        request(f"http://127.0.0.1:{server.http_port}/healthz")
        raise AssertionError("plain HTTP was answered on the TLS port")
    except (urllib.error.URLError, ConnectionError, OSError):
        pass

    async def join():
        url = f"wss://127.0.0.1:{server.http_port}/rtc?access_token={make_token('tls-alice', room='tls')}&protocol=16"
        async with aiohttp.ClientSession() as session:
            async with session.ws_connect(url, ssl=context, heartbeat=None) as ws:
                message = await asyncio.wait_for(ws.receive(), 10)
                assert message.type == aiohttp.WSMsgType.BINARY, message
                response = lk_rtc.SignalResponse()
                response.ParseFromString(message.data)
                assert response.WhichOneof("message") == "join"
                assert response.join.participant.identity == "tls-alice"
    asyncio.run(asyncio.wait_for(join(), 20))


def test_cors_allowlist(start_server):
    server = start_server("--cors-origin", "https://app.example.com")
    preflight = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization, content-type"}
    status, headers = request(server.url + "/whip/r1", "OPTIONS", {"Origin": "https://app.example.com", **preflight})
    assert status == 204
    assert headers["Access-Control-Allow-Origin"] == "https://app.example.com"
    assert "PATCH" in headers["Access-Control-Allow-Methods"] and "DELETE" in headers["Access-Control-Allow-Methods"]
    assert "Authorization" in headers["Access-Control-Allow-Headers"]
    status, headers = request(server.url + "/whip/r1", "OPTIONS", {"Origin": "https://evil.example", **preflight})
    assert status == 403 and "Access-Control-Allow-Origin" not in headers
    # An actual request: the allowed origin may read Location; nothing for another origin.
    status, headers = request(server.url + "/healthz", headers={"Origin": "https://app.example.com"})
    assert status == 200 and headers["Access-Control-Allow-Origin"] == "https://app.example.com"
    assert "Location" in headers["Access-Control-Expose-Headers"]
    status, headers = request(server.url + "/healthz", headers={"Origin": "https://evil.example"})
    assert status == 200 and "Access-Control-Allow-Origin" not in headers
    assert "Strict-Transport-Security" not in headers  # plain HTTP: no HSTS

    other = start_server()
    status, headers = request(other.url + "/whip/r1", "OPTIONS", {"Origin": "https://app.example.com", **preflight})
    assert status == 403 and "Access-Control-Allow-Origin" not in headers
