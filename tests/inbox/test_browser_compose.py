"""[inbox] In Chromium: a counsellor writes to their caseload; the preview lists who will be
skipped for lack of an address; each of the others gets their own mail (real SMTP)."""

import re

import pytest
from django.test import Client
from django.urls import reverse
from playwright.sync_api import expect

from tests.factories import AssignmentFactory, CounsellorFactory, JobseekerFactory


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_counsellor_writes_to_their_caseload_one_mail_each(
    page, live_server, smtp_server, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path / "media"
    counsellor = CounsellorFactory()
    jobseekers = [
        AssignmentFactory(counsellor=counsellor, jobseeker=JobseekerFactory(email=email)).jobseeker
        for email in ["a@example.org", "b@example.org", ""]
    ]
    client = Client()
    client.force_login(counsellor.user)
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )
    page.goto(live_server.url + reverse("inbox:compose") + "?modality=")
    page.fill("#id_subject", "Atelier CV jeudi")
    page.locator(".public-DraftEditor-content").first.click()
    page.keyboard.type("Bonjour, un atelier CV a lieu jeudi à l'agence.")
    expect(page.locator("input[name='body']")).to_have_value(re.compile("atelier"))
    page.get_by_role("button", name="Prévisualiser").click()

    expect(page.get_by_test_id("preview-skipped")).to_contain_text(jobseekers[2].identifier)
    expect(page.get_by_test_id("preview-recipients").locator("li")).to_have_count(2)
    preview = page.frame_locator("iframe.mail-html").locator("body")
    expect(preview).to_contain_text("un atelier CV a lieu jeudi")
    page.wait_for_load_state("load")
    assert smtp_server.envelopes == []
    send = page.get_by_test_id("send")
    send.scroll_into_view_if_needed()  # the button sits at the fold: click it once in view
    expect(send).to_be_in_viewport()
    send.click()

    # Sending runs in the request here (synchronous django-q2): allow a loaded machine time.
    expect(page.get_by_test_id("sent").locator("li")).to_have_count(2, timeout=30_000)
    expect(page.get_by_test_id("skipped")).to_contain_text(jobseekers[2].identifier)
    assert sorted(e.rcpt_tos for e in smtp_server.envelopes) == [
        ["a@example.org"],
        ["b@example.org"],
    ]
