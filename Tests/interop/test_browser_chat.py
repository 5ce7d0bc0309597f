"""The demo page's chat panel in headless Chromium, with a livekit SDK participant alongside.

- Two browser sessions exchange messages through the panel (ChatMessage packets over the
  browser's own data channels); each sees the other's message and a "Read by" mark when the
  other has read it.
- An SDK participant's `send_text(topic="lk.chat")` (a text stream, compressed by the SDK when
  long) shows in both pages.
- A browser deletes its own message: it disappears from the other page and from the store.
- A third page joining later shows the history: every message still there, in order.
"""
import asyncio
import json
import time
import urllib.request

import pytest
from livekit import api
from selenium.webdriver.common.by import By

from lk_raw import API_KEY, API_SECRET, ROOM
from lk_sdk import run
from test_browser import WEB_DIR, assert_no_console_errors, page_url, pages, time_limit, wait_for

pytestmark = pytest.mark.filterwarnings("ignore:The HMAC key is")


def say(page, text):
    field = page.driver.find_element(By.ID, "chat-input")
    field.send_keys(text)
    page.click("chat-send")


def texts(page):
    return [(m["sender"], m["text"]) for m in page.hook("chat()") or []]


def stored(server):
    token = api.AccessToken(API_KEY, API_SECRET).with_grants(api.VideoGrants(room=ROOM, room_admin=True)).to_jwt()
    request = urllib.request.Request(
        f"http://127.0.0.1:{server.http_port}/twirp/switchboard.ChatService/ListMessages",
        data=json.dumps({"room": ROOM}).encode(), method="POST",
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())["messages"]


def test_pages_chat_with_each_other_and_an_sdk_and_keep_history(start_server):
    server = start_server("--web-dir", WEB_DIR)
    long_text = "lang " * 2000

    async def body(s):
        with pages() as open_page:
            ann = await asyncio.to_thread(open_page, page_url(server, ROOM, "ann", publish="0"))
            ben = await asyncio.to_thread(open_page, page_url(server, ROOM, "ben", publish="0"))
            for page in (ann, ben):
                await asyncio.to_thread(wait_for, lambda p=page: p.hook("state()") == "connected", 20, "page connected")
            # Both must have their data channels up before the first message (a message sent
            # while a page connects would be missed by nobody: it would come as history).
            await asyncio.to_thread(say, ann, "hello from ann")
            await asyncio.to_thread(wait_for, lambda: ("ann", "hello from ann") in texts(ben), 15, "ann's message at ben")
            await asyncio.to_thread(say, ben, "hi ann")
            await asyncio.to_thread(wait_for, lambda: ("ben", "hi ann") in texts(ann), 15, "ben's message at ann")
            assert texts(ann)[0] == ("You", "hello from ann")
            # Each page marks what it saw as read; the other shows it.
            await asyncio.to_thread(wait_for, lambda: any(m["read"] == "Read by ben" for m in ann.hook("chat()")), 15,
                                    "ben's read receipt at ann")

            sdk = await s.join("sdk-bot")
            await sdk.local_participant.send_text(long_text, topic="lk.chat")
            for page in (ann, ben):
                await asyncio.to_thread(wait_for, lambda p=page: ("Sdk-Bot", long_text.strip()) in
                                        [(a, b.strip()) for a, b in texts(p)], 15, "the SDK's text stream in the page")

            # ann deletes her message: gone at ben and in the store (a tombstone).
            first = ann.hook("chat()")[0]
            await asyncio.to_thread(lambda: ann.driver.find_element(
                By.CSS_SELECTOR, f'li[data-id="{first["id"]}"] button.delete').click())
            await asyncio.to_thread(wait_for, lambda: ("ann", "hello from ann") not in texts(ben), 15, "the deletion at ben")
            await asyncio.to_thread(wait_for, lambda: [m["deleted"] for m in stored(server)] == [True, False, False], 10,
                                    "the deletion in the store")

            # A late page gets the history.
            cid = await asyncio.to_thread(open_page, page_url(server, ROOM, "cid", publish="0"))
            await asyncio.to_thread(wait_for, lambda: len(texts(cid)) == 2, 20, "history at the late page")
            assert [(a, b.strip()) for a, b in texts(cid)] == [("ben", "hi ann"), ("Sdk-Bot", long_text.strip())]
            await asyncio.to_thread(assert_no_console_errors, ann, ben, cid)

    with time_limit(150):
        run(server, body, 130)
