"""Hostile HTML mails in a real Chromium: nothing runs, nothing is fetched from outside."""

from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.urls import reverse

from backoffice.correspondence.models import Thread
from backoffice.correspondence.services.ingest import raw_mail_ingest, raw_mail_store
from tests.factories import AssignmentFactory

from .mails import mail_bytes

# Playwright's sync API keeps an event loop running in the test thread; the ORM calls made
# by the fixtures and the live server are still synchronous and safe.

HOSTILE = [
    "<script>alert('script')</script>",
    "<img src=x onerror=alert('onerror')>",
    "<body onload=alert('onload')>corps</body>",
    "<a href=\"javascript:alert('js-url')\" id=js>clic</a>",
    "<iframe src=\"javascript:alert('iframe')\"></iframe>",
    "<svg><script>alert('svg-script')</script></svg>",
    "<svg onload=alert('svg-onload')><circle r=5 /></svg>",
    '<base href="http://evil.example/"><img src="relative.png">',
    '<meta http-equiv="refresh" content="0;url=http://evil.example/refresh">',
    '<div style="background:url(http://evil.example/css-bg.png)">fond</div>',
    "<style>@import url(http://evil.example/import.css); p{background:url(http://evil.example/style.png)}</style><p>x</p>",
    "<noscript><p title=\"</noscript><img src=x onerror=alert('mxss-noscript')>\"></noscript>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert('mxss-math')>",
    '<img src="http://evil.example/pixel.gif" width="1" height="1">',
    '<object data="http://evil.example/object.swf"></object>',
    '<embed src="http://evil.example/embed">',
    '<form action="http://evil.example/form"><input autofocus onfocus="alert(\'focus\')"></form>',
    '<link rel="stylesheet" href="http://evil.example/link.css">',
    '<video poster="http://evil.example/poster.png" autoplay><source src="http://evil.example/v.mp4"></video>',
    '<img srcset="http://evil.example/srcset.png 1x" src="cid:none">',
    "<a href=\"data:text/html,<script>alert('data-url')</script>\">data</a>",
    '<table background="http://evil.example/table.png"><tr><td>t</td></tr></table>',
    '<img src="//evil.example/protocol-relative.png">',
    "<details open ontoggle=alert('toggle')><summary>s</summary></details>",
    '<img src="data:image/svg+xml,<svg xmlns=%22http://www.w3.org/2000/svg%22 onload=%22alert(1)%22/>">',
    '<p style="color:red;background-image:url(&quot;http://evil.example/entity.png&quot;)">e</p>',
    '<audio src="http://evil.example/a.mp3" autoplay></audio><track src="http://evil.example/t.vtt">',
    '<img src="x" onerror="fetch(\'http://evil.example/fetch\')">',
]


@pytest.fixture
def hostile_thread(reference_data, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    assignment = AssignmentFactory()
    counsellor, jobseeker = assignment.counsellor, assignment.jobseeker
    for index, html in enumerate(HOSTILE):
        data = mail_bytes(
            sender=jobseeker.email,
            to=counsellor.public_address,
            subject="Offre suspecte",
            body=f"Texte {index}",
            html=f"<html><body><p>Message {index}</p>{html}</body></html>",
        )
        raw, _ = raw_mail_store(data=data, mailbox_name="m", source_ref=str(index), agency=None)
        raw_mail_ingest(raw_mail=raw)
    cid_mail = (Path(__file__).parent.parent / "data/eml/html-cid-remote.eml").read_bytes()
    cid_mail = cid_mail.replace(b"conseiller.demo@mailnet.test", counsellor.public_address.encode())
    cid_mail = cid_mail.replace(b"jean.dupont@orange.fr", jobseeker.email.encode())
    cid_mail = cid_mail.replace(b"Inscription formation", b"Offre suspecte")
    raw, _ = raw_mail_store(data=cid_mail, mailbox_name="m", source_ref="cid", agency=None)
    raw_mail_ingest(raw_mail=raw)
    thread = Thread.objects.get()
    assert thread.messages.count() == len(HOSTILE) + 1
    return thread


def login(page, live_server, user):
    client = Client()
    client.force_login(user)
    cookie = client.cookies[django_settings.SESSION_COOKIE_NAME]
    page.context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_server.url}])


@pytest.mark.browser
def test_hostile_html_mails_run_nothing_and_fetch_nothing_outside_but_cid_images_show(
    hostile_thread, live_server, page
):
    requests: list[str] = []
    dialogs: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    login(page, live_server, hostile_thread.counsellor.user)
    page.goto(live_server.url + reverse("inbox:thread", args=[hostile_thread.pk]))
    frames = page.locator("iframe.mail-html")
    assert frames.count() == len(HOSTILE) + 1
    for index in range(frames.count()):
        frames.nth(index).scroll_into_view_if_needed()
    page.wait_for_load_state("networkidle")
    for frame in page.frames[1:]:
        frame.wait_for_load_state("load")
    # Clicking a javascript: link in a sandboxed frame must not run it either.
    page.frame_locator("iframe.mail-html").nth(3).locator("a").first.click()
    assert dialogs == []
    loopback = {"127.0.0.1", "localhost"}
    outside = [url for url in requests if urlsplit(url).hostname not in loopback]
    assert outside == []
    # The frame contents did load (the test would be vacuous otherwise).
    texts = [f.inner_text("body") for f in page.frames[1:] if f.url.endswith("/html/")]
    assert sum("Message" in t for t in texts) == len(HOSTILE)
    # Our own inline (cid:) image does show inside the sandboxed frame.
    frame_element = page.locator("iframe.mail-html").last
    frame_element.scroll_into_view_if_needed()
    page.wait_for_load_state("networkidle")
    width = frame_element.content_frame.locator("img[alt=logo]").evaluate("img => img.naturalWidth")
    assert width == 1
