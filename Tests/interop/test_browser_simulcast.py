"""Simulcast from a real browser: headless Chromium publishes its fake camera at 1280x720 as three
VP8 layers (rid q/h/f via sendEncodings, the demo page's `simulcast=1`); two watch-only browser
subscribers ask for different sizes with LiveKit's `trackSetting` (320x180 and 1280x720), and
the server forwards each of them a different layer: their inbound-rtp frameWidth differs, the
small one at about a quarter of the large one's width.

Dynacast: when both ask for the small size, the server's subscribed_quality_update tells the
publisher that only the q layer is needed and the page switches h and f off at the encoder
(sender encodings inactive); when one asks for the large size again, they come back and that
subscriber is back on the full-size layer.
"""
import pytest

from test_browser import WEB_DIR, assert_no_console_errors, page_url, pages, time_limit, wait_for

pytestmark = pytest.mark.filterwarnings("ignore:The HMAC key is")

# Evaluated as `window.__switchboard.<expression>` by Page.hook.
CAMERA_TRACK = ("client?.participants && [...window.__switchboard.client.participants.values()]"
                ".flatMap((p) => p.info?.tracks || []).find((t) => t.type === 'VIDEO')?.sid")


ENCODINGS_ACTIVE = ("client?.localTracks && window.__switchboard.client.localTracks"
                    ".find((t) => t.track.kind === 'video')?.sender?.getParameters().encodings.map((e) => !!e.active)")


def set_size(page, track, width, height):
    page.hook(f"client.setTrackSettings('{track}', {{width: {width}, height: {height}}})")


def video_widths(page):
    return [v["frameWidth"] for v in page.stats().get("video", []) if v["framesDecoded"] > 0]


def test_two_subscribers_get_different_simulcast_layers(start_server):
    server = start_server("--web-dir", WEB_DIR)
    with time_limit(200), pages() as open_page:
        publisher = open_page(page_url(server, "simulcast", "pub", simulcast="1", video="1280x720"))
        small = open_page(page_url(server, "simulcast", "small", publish="0"))
        large = open_page(page_url(server, "simulcast", "large", publish="0"))
        for name, page in (("small", small), ("large", large)):
            wait_for(lambda: video_widths(page), 60, f"{name} decoding the publisher's video",
                     state=lambda: page.stats())
            track = wait_for(lambda: page.hook(CAMERA_TRACK), 10, f"{name} knowing the camera track's sid")
            set_size(page, track, *((320, 180) if page is small else (1280, 720)))

        # Chromium starts the upper layers once its bandwidth estimate allows; the server moves
        # each subscriber to its layer at that layer's next keyframe.
        def apart():
            s, l = video_widths(small), video_widths(large)
            return (s[0], l[0]) if s and l and s[0] <= 400 and l[0] >= 2 * s[0] else None

        widths = wait_for(apart, 60, "the small subscriber on a small layer and the large one on a larger layer",
                          state=lambda: {"small": small.stats(), "large": large.stats(),
                                         "publisher": publisher.stats().get("outbound")})
        print(f"frameWidth: small subscriber {widths[0]}, large subscriber {widths[1]}")

        # Dynacast: nobody needs h or f -> the publisher stops encoding them.
        set_size(large, track, 320, 180)
        wait_for(lambda: publisher.hook(ENCODINGS_ACTIVE) == [True, False, False], 15,
                 "the publisher switching off the h and f layers", state=lambda: publisher.hook(ENCODINGS_ACTIVE))
        # Asked for again -> back on, and the large subscriber returns to full size.
        set_size(large, track, 1280, 720)
        wait_for(lambda: publisher.hook(ENCODINGS_ACTIVE) == [True, True, True], 15,
                 "the publisher switching the h and f layers back on", state=lambda: publisher.hook(ENCODINGS_ACTIVE))
        wait_for(lambda: (video_widths(large) or [0])[0] >= 960, 30, "the large subscriber back on a large layer",
                 state=lambda: large.stats())
        assert_no_console_errors(publisher, small, large)
