"""The demo page (web/) in a real browser: headless Chromium (Debian `chromium` +
`chromium-driver`, driven by selenium) with fake camera and microphone, against a server started
by the `start_server` fixture with `--web-dir <repo>/web`.

- Three browser sessions join one room through the page (`/?room=…&name=…&autojoin=1`); each
  shows two remote tiles whose video plays, its subscriber connection decodes two video tracks
  and receives audio of two; muting a camera (its button) shows as muted in the other two; leaving
  (its button) removes the tile in the other two. A screenshot is kept as a test artifact.
- Recording: the Record button (token with roomRecord, `record=1`) starts a participant egress
  and both pages show the REC indicator (the room's activeRecording); Stop clears it. Then one
  page's WebSocket is dropped: the page rejoins by itself and media flows again both ways.
- A browser and a livekit Python SDK participant see each other's media.
- No page JavaScript error reaches the console (SEVERE entries) in either test.
- The page and /dev/token are served in --dev mode; a server without --dev answers 404 on
  /dev/token, and the page joins with a `token` URL parameter instead.

Every test runs under a deadline (SIGALRM) and quits every browser it started.
"""
import asyncio
import base64
import contextlib
import json
import os
import signal
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

from livekit import api

from conftest import ROOT
from lk_raw import ROOM, scrape_metric
from lk_sdk import Receiver, publish_camera_and_mic, run, wait_until

pytestmark = pytest.mark.filterwarnings("ignore:The HMAC key is")

WEB_DIR = os.path.join(ROOT, "web")
ARTIFACTS = os.environ.get("SWITCHBOARD_TEST_ARTIFACTS", os.path.join(os.path.dirname(__file__), "artifacts"))
CHROMIUM_FLAGS = ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--use-fake-ui-for-media-stream",
                  "--use-fake-device-for-media-stream", "--autoplay-policy=no-user-gesture-required",
                  "--allow-loopback-in-peer-connection", "--window-size=1280,800"]
MEDIA_TIMEOUT = 60  # 2 cores, three Chromiums and a debug server: frames may take a while


# Deadlines ---------------------------------------------------------------------------------------

class Deadline(Exception):
    pass


@contextlib.contextmanager
def time_limit(seconds):
    """Fails the enclosed block after `seconds`, whatever it is waiting on (SIGALRM, main thread)."""
    def expire(signum, frame):
        raise Deadline(f"test exceeded its {seconds} s deadline")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def wait_for(predicate, timeout, what, state=None, interval=0.5):
    """Polls `predicate` until it returns something truthy; after `timeout` fails, saying `state()`."""
    end = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() > end:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}; last state: {state() if state else result!r}")
        time.sleep(interval)


# Browsers ----------------------------------------------------------------------------------------

class Page:
    """One Chromium session on the demo page; keeps the console log it has read."""

    def __init__(self, url):
        options = webdriver.ChromeOptions()
        options.binary_location = "/usr/bin/chromium"
        for flag in CHROMIUM_FLAGS:
            options.add_argument(flag)
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        self.driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
        self.driver.set_script_timeout(20)
        self.driver.set_page_load_timeout(30)
        self.console = []
        self.last_state = None
        self.driver.get(url)

    def hook(self, expression):
        """Evaluates `window.__switchboard.<expression>` (awaited if it is a promise); null while the
        page is not that far (no hooks yet, no client yet)."""
        return self.driver.execute_async_script(
            "const done = arguments[arguments.length - 1]; let value = null;"
            f"try {{ value = window.__switchboard.{expression}; }} catch (e) {{ value = null; }}"
            "Promise.resolve(value).then(done, (e) => done({error: String(e)}));")

    def tiles(self):
        return self.hook("tiles()") or []

    def stats(self):
        return self.hook("stats()") or {"video": [], "audio": []}

    def click(self, element_id):
        self.driver.find_element(By.ID, element_id).click()

    def read_console(self):
        self.console += self.driver.get_log("browser")
        return self.console

    def severe(self):
        return [e for e in self.read_console() if e.get("level") == "SEVERE"]

    def quit(self):
        with contextlib.suppress(Exception):
            self.read_console()
        with contextlib.suppress(Exception):
            self.driver.quit()


@contextlib.contextmanager
def pages():
    """Opens pages on demand; quits every one of them at the end."""
    opened = []

    def open_page(url):
        page = Page(url)
        opened.append(page)
        return page

    try:
        yield open_page
    finally:
        for page in opened:
            page.quit()


def page_url(server, room, name, **extra):
    query = urllib.parse.urlencode({"room": room, "name": name, "autojoin": "1", **extra})
    return f"{server.url}/?{query}"


def receiving(page, n):
    """The page shows `n` remote tiles with playing video, and decodes n video and n audio tracks."""
    tiles, stats = page.tiles(), page.stats()
    videos = [v for v in stats.get("video", []) if v["framesDecoded"] > 0]
    audios = [a for a in stats.get("audio", []) if a["totalSamplesReceived"] > 0]
    ok = (len(tiles) == n and all(t["videoPlaying"] for t in tiles) and len(videos) >= n and len(audios) >= n)
    page.last_state = {"tiles": tiles, "stats": stats}
    return {"tiles": tiles, "videos": videos, "audios": audios} if ok else None


def assert_no_console_errors(*all_pages):
    errors = {i: p.severe() for i, p in enumerate(all_pages)}
    assert not any(errors.values()), f"console errors: {errors}"


def save_screenshot(page, name):
    os.makedirs(ARTIFACTS, exist_ok=True)
    path = os.path.join(ARTIFACTS, name)
    page.driver.save_screenshot(path)
    return path


def get(url):
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.status, response.headers.get("Content-Type", ""), response.read()


# Tests -------------------------------------------------------------------------------------------

def test_three_browsers_see_and_hear_each_other_mute_and_leave(start_server):
    server = start_server("--web-dir", WEB_DIR, "--log-level", "debug")
    names = ["alice", "bob", "carol"]
    try:
        with time_limit(300), pages() as open_page:
            sessions = {name: open_page(page_url(server, "browsers", name)) for name in names}

            for name, page in sessions.items():
                result = wait_for(lambda: receiving(page, 2), MEDIA_TIMEOUT, f"{name} receiving two participants",
                                  state=lambda: page.last_state)
                assert sorted(t["name"] for t in result["tiles"]) == sorted(n for n in names if n != name)
                assert all(t["micMuted"] is False and t["cameraMuted"] is False for t in result["tiles"])

            # Connection quality from the server's connection_quality updates: on loopback, every
            # remote tile's indicator says excellent (the first judgement comes within a window).
            for name, page in sessions.items():
                wait_for(lambda: all(t["quality"] == "excellent" for t in page.tiles()), 15,
                         f"{name}'s tiles showing excellent connection quality",
                         state=lambda: [(t["name"], t["quality"]) for t in page.tiles()])

            # Chromium negotiates RTX and sends transport-wide feedback, so each subscriber got a
            # padding probe on an RTX stream at the start (SubscriberEgress.sendProbe), and its
            # feedback measured it; the video above kept decoding through it.
            probes = scrape_metric(server.url, "switchboard_probe_packets_sent_total")
            assert probes and probes > 0, "no padding probes were sent to the browsers"
            wait_for(lambda: server.log_contains(r"probe measured \d+ bit/s"), 10, "a probe measured from feedback")
            print(f"{probes:.0f} probe packets; " + "; ".join(l.split("[SFU] ")[-1] for l in server.log_lines if "probe" in l))
            for name, page in sessions.items():
                result = wait_for(lambda: receiving(page, 2), MEDIA_TIMEOUT, f"{name} still receiving after the probes",
                                  state=lambda: page.last_state)

            # Alice mutes her camera: bob and carol see it, her own button says so.
            sessions["alice"].click("toggle-camera")
            assert sessions["alice"].driver.find_element(By.ID, "toggle-camera").get_attribute("aria-pressed") == "true"
            for name in ("bob", "carol"):
                wait_for(lambda: any(t["name"] == "alice" and t["cameraMuted"] and not t["micMuted"]
                                     for t in sessions[name].tiles()), 20, f"{name} seeing alice's camera muted")
            save_screenshot(sessions["bob"], "browser-three-participants.png")

            # Carol leaves: her tile goes away at alice and bob; her page shows the join form again.
            sessions["carol"].click("leave")
            for name in ("alice", "bob"):
                wait_for(lambda: [t["name"] for t in sessions[name].tiles()] == [n for n in ("alice", "bob") if n != name],
                         20, f"carol's tile gone at {name}")
            assert sessions["carol"].driver.find_element(By.ID, "join-form").is_displayed()
            assert sessions["carol"].hook("client.state") == "disconnected"

            assert_no_console_errors(*sessions.values())
    except BaseException:
        print("---- server log ----")
        print("\n".join(server.log_lines[-150:]))
        raise


def test_recording_buttons_and_rejoin_after_signal_loss(start_server):
    server = start_server("--web-dir", WEB_DIR)
    try:
        with time_limit(200), pages() as open_page:
            alice = open_page(page_url(server, "rejoin", "alice", record="1"))
            bob = open_page(page_url(server, "rejoin", "bob"))
            for name, page in (("alice", alice), ("bob", bob)):
                wait_for(lambda: receiving(page, 1), MEDIA_TIMEOUT, f"{name} receiving", state=lambda: page.last_state)

            # Recording: only alice's token has roomRecord; both see the room's activeRecording.
            assert not bob.driver.find_element(By.ID, "start-recording").is_displayed()
            alice.click("start-recording")
            for page in (alice, bob):
                wait_for(lambda: page.driver.find_element(By.ID, "recording").is_displayed(), 20, "the REC indicator")
            alice.click("stop-recording")
            for page in (alice, bob):
                wait_for(lambda: not page.driver.find_element(By.ID, "recording").is_displayed(), 20, "REC gone")

            # Bob's WebSocket drops (as on a network blip): the page rejoins by itself, and media flows
            # again both ways over the new connections.
            old_sid = bob.hook("client.localParticipant.sid")
            bob.driver.execute_script("window.__switchboard.client.signal.ws.close(4001, 'test: network blip')")
            wait_for(lambda: bob.hook("client.localParticipant.sid") not in (None, old_sid)
                     and bob.hook("client.state") == "connected", 30, "bob rejoined")
            for name, page in (("alice", alice), ("bob", bob)):
                wait_for(lambda: receiving(page, 1), MEDIA_TIMEOUT, f"{name} receiving after the rejoin",
                         state=lambda: page.last_state)
            assert [t["name"] for t in alice.tiles()] == ["bob"]
            # The rejoin logs a warning (not an error).
            assert_no_console_errors(alice, bob)
    except BaseException:
        print("---- server log ----")
        print("\n".join(server.log_lines[-150:]))
        raise


def test_browser_and_livekit_sdk_exchange_media(start_server):
    server = start_server("--web-dir", WEB_DIR)

    async def body(s):
        sdk = await s.join("sdk-bot")
        rx = Receiver(sdk, s)
        await publish_camera_and_mic(s, sdk, 320, 240, 15)

        with pages() as open_page:
            page = await asyncio.to_thread(open_page, page_url(server, ROOM, "webby"))
            result = None
            end = time.monotonic() + MEDIA_TIMEOUT
            while time.monotonic() < end:
                result = await asyncio.to_thread(receiving, page, 1)
                if result:
                    break
                await asyncio.sleep(0.5)
            assert result, f"the browser never decoded the SDK's media: {page.last_state!r}"
            assert result["tiles"][0]["name"] == "Sdk-Bot"
            assert result["videos"][0]["frameWidth"] > 0

            await wait_until(lambda: len(rx.video) > 10 and len(rx.audio) > 10, MEDIA_TIMEOUT,
                             f"the SDK receiving the browser's media (events {rx.events})")
            widths = {w for _, w, _ in rx.video}
            assert widths and max(widths) > 0
            assert {p.identity.split("-")[0] for p in sdk.remote_participants.values()} == {"webby"}
            await asyncio.to_thread(assert_no_console_errors, page)

    with time_limit(200):
        run(server, body, 180)


def test_page_and_dev_token_served_and_absent_without_dev(start_server):
    with time_limit(60):
        check_page_and_dev_token(start_server)


def check_page_and_dev_token(start_server):
    server = start_server("--web-dir", WEB_DIR)
    status, content_type, html = get(server.url + "/")
    assert status == 200 and content_type.startswith("text/html")
    assert b'<script type="module" src="app.js">' in html
    for name in ("app.js", "switchboard-client.js", "signal-connection.js", "tiles.js"):
        status, content_type, _ = get(f"{server.url}/{name}")
        assert status == 200 and content_type.startswith("text/javascript"), name
    status, content_type, _ = get(server.url + "/style.css")
    assert status == 200 and content_type.startswith("text/css")

    status, content_type, body = get(server.url + "/dev/token?room=demo&identity=ann-x1&name=Ann&record=1")
    assert status == 200 and content_type.startswith("application/json")
    claims_part = json.loads(body)["token"].split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(claims_part + "=" * (-len(claims_part) % 4)))
    assert claims["sub"] == "ann-x1" and claims["name"] == "Ann"
    assert claims["video"]["room"] == "demo" and claims["video"]["roomJoin"] is True
    assert claims["video"].get("roomRecord") is True
    server.stop()

    production = start_server("--web-dir", WEB_DIR, "--bind", "127.0.0.1",
                              "--keys", "prodkey: 0123456789abcdef0123456789abcdef", dev=False)
    assert get(production.url + "/")[0] == 200
    with pytest.raises(urllib.error.HTTPError) as refused:
        get(production.url + "/dev/token?room=demo&identity=ann")
    assert refused.value.code == 404

    # The page joins with a token from the URL, as an app's backend would hand it out.
    token = (api.AccessToken("prodkey", "0123456789abcdef0123456789abcdef").with_identity("ann").with_name("Ann")
             .with_grants(api.VideoGrants(room_join=True, room="demo")).to_jwt())
    with pages() as open_page:
        page = open_page(f"{production.url}/?autojoin=1&token={token}")
        wait_for(lambda: page.hook("client.state") == "connected", 20, "the page joining with the URL token",
                 state=lambda: page.hook("client.state"))
        assert page.hook("client.localParticipant.identity") == "ann"
        assert page.hook("client.room.name") == "demo"
        assert_no_console_errors(page)
