"""The sandboxed HTML frame, attachments, remote images and the undistributed raw mails.

The thread page is the inbox's now (`inbox:thread`, tests in tests/inbox/); what it showed
here is checked on it below so nothing is lost.
"""

import datetime as dt

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from backoffice.correspondence.models import Attachment, Message, RawMail, RemoteImagesConsent
from backoffice.organisation import roles
from tests.factories import AgencyFactory, CounsellorFactory, RegionalPilotFactory, UserFactory

from .factories import ThreadFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def incoming(thread, n=0, **kwargs):
    return Message.objects.create(
        thread=thread,
        direction=Message.Direction.INCOMING,
        message_id=f"<m{n}-{thread.pk}@example.org>",
        from_address=thread.correspondent_address,
        received_at=dt.datetime(2026, 11, 20, 9, n % 60, tzinfo=dt.UTC),
        subject=thread.subject,
        body_text=kwargs.pop("body_text", "Bonjour"),
        **kwargs,
    )


def attach(message, name, content_type, data=b"data"):
    attachment = Attachment(
        message=message, name=name, content_type=content_type, size=len(data), sha256="ab" * 32
    )
    attachment.file.save(name, ContentFile(data), save=False)
    attachment.save()
    return attachment


def test_a_counsellor_reads_a_thread_of_their_caseload(client):
    thread = ThreadFactory()
    incoming(thread, body_text="Je voudrais un rendez-vous mardi.")
    client.force_login(thread.counsellor.user)
    response = client.get(reverse("inbox:thread", args=[thread.pk]))
    assert response.status_code == 200
    assert "Je voudrais un rendez-vous mardi." in response.content.decode()


def test_a_colleague_of_the_same_agency_reads_it_only_by_looking_the_person_up(client):
    thread = ThreadFactory()
    client.force_login(CounsellorFactory(agency=thread.agency).user)
    assert client.get(reverse("inbox:thread", args=[thread.pk])).status_code == 404


def test_a_thread_of_another_agency_is_not_found(client):
    thread = ThreadFactory()
    client.force_login(CounsellorFactory().user)
    assert client.get(reverse("inbox:thread", args=[thread.pk])).status_code == 404


def test_a_regional_pilot_never_reads_mail(client):
    thread = ThreadFactory()
    client.force_login(RegionalPilotFactory(region=thread.agency.region).user)
    response = client.get(reverse("inbox:thread", args=[thread.pk]))
    # Wagtail's admin answers a permission refusal with a redirect to its dashboard.
    assert (response.status_code, response["Location"]) == (302, "/admin/")


def test_html_is_shown_in_a_sandboxed_frame_under_a_strict_csp(client):
    thread = ThreadFactory()
    message = incoming(thread, body_html="<p>Bonjour <b>Madame</b></p>")
    client.force_login(thread.counsellor.user)
    page = client.get(reverse("inbox:thread", args=[thread.pk])).content.decode()
    assert 'sandbox=""' in page and "allow-scripts" not in page
    frame = client.get(reverse("correspondence:message_html", args=[message.pk]))
    csp = frame["Content-Security-Policy"]
    assert csp.startswith(
        "default-src 'none'; img-src http://testserver/admin/correspondence/attachments/ data:;"
    )
    assert "script-src" not in csp and "; sandbox" in csp
    assert frame["X-Content-Type-Options"] == "nosniff"
    assert "<b>Madame</b>" in frame.content.decode()


def test_remote_images_load_only_after_the_reader_asks_and_the_choice_is_logged(client):
    thread = ThreadFactory()
    message = incoming(
        thread,
        body_html="<p>x</p>",
        body_html_with_remote_images='<p>x</p><img src="https://t.example/p.gif">',
        has_remote_images=True,
    )
    client.force_login(thread.counsellor.user)
    frame_url = reverse("correspondence:message_html", args=[message.pk])
    assert "t.example" not in client.get(frame_url).content.decode()
    thread_page = reverse("inbox:thread", args=[thread.pk])
    response = client.post(
        reverse("correspondence:thread_remote_images", args=[thread.pk]), {"next": thread_page}
    )
    assert (response.status_code, response["Location"]) == (302, thread_page)
    consent = RemoteImagesConsent.objects.get()
    assert (consent.thread, consent.user) == (thread, thread.counsellor.user)
    assert consent.created_at is not None
    frame = client.get(frame_url)
    assert "t.example/p.gif" in frame.content.decode()
    assert "https: http:" in frame["Content-Security-Policy"]


@pytest.mark.parametrize(
    "name,content_type",
    [("image.svg", "image/svg+xml"), ("page.html", "text/html"), ("cv.pdf", "application/pdf")],
)
def test_attachments_download_never_inline(client, name, content_type):
    thread = ThreadFactory()
    attachment = attach(incoming(thread), name, content_type, b"<svg onload=alert(1)>")
    client.force_login(thread.counsellor.user)
    for query in ("", "?inline=1"):
        response = client.get(reverse("correspondence:attachment", args=[attachment.pk]) + query)
        assert response["Content-Disposition"].startswith("attachment;")
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Content-Type"] == "application/octet-stream"


def test_a_raster_image_may_be_inline_for_the_frame(client):
    thread = ThreadFactory()
    attachment = attach(incoming(thread), "logo.png", "image/png")
    client.force_login(thread.counsellor.user)
    response = client.get(reverse("correspondence:attachment", args=[attachment.pk]) + "?inline=1")
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"].startswith("inline;")
    assert response["X-Content-Type-Options"] == "nosniff"


def test_the_remote_images_choice_never_redirects_outside(client):
    thread = ThreadFactory()
    client.force_login(thread.counsellor.user)
    response = client.post(
        reverse("correspondence:thread_remote_images", args=[thread.pk]),
        {"next": "https://evil.example/"},
    )
    assert response["Location"] == reverse("wagtailadmin_home")


def test_the_undistributed_raw_mails_show_the_managers_agency_only(client):
    thread = ThreadFactory(status="triage", subject="Qui suis-je ?")
    RawMail.objects.create(
        sha256="1" * 64, data=b"x", size=1, agency=thread.agency, state="failed", last_error="Boom"
    )
    RawMail.objects.create(
        sha256="2" * 64,
        data=b"y",
        size=1,
        agency=AgencyFactory(),
        state="failed",
        last_error="Loin",
    )
    manager = UserFactory(role=roles.MANAGER)
    CounsellorFactory(user=manager, agency=thread.agency)
    client.force_login(manager)
    page = client.get(reverse("correspondence:triage")).content.decode()
    assert "Boom" in page and "Loin" not in page
    # The triage threads themselves are in the team queue, category "à trier".
    queue = client.get(reverse("inbox:queue"), {"section": "triage"}).content.decode()
    assert "Qui suis-je ?" in queue
    assert reverse("correspondence:triage") in queue, "the queue links to the raw mails"


def test_counsellors_do_not_see_the_raw_mails(client):
    thread = ThreadFactory()
    client.force_login(thread.counsellor.user)
    response = client.get(reverse("correspondence:triage"))
    assert (response.status_code, response["Location"]) == (302, "/admin/")


def test_the_frame_and_attachments_run_a_constant_number_of_queries(client):
    thread = ThreadFactory()
    small = incoming(thread, 1, body_html="<p>x</p>")
    large = incoming(thread, 2, body_html="<p>y</p>")
    for n in range(10):
        attach(large, f"a{n}.pdf", "application/pdf")
    attach(small, "a.pdf", "application/pdf")
    client.force_login(thread.counsellor.user)
    client.get(reverse("correspondence:message_html", args=[small.pk]))  # warm caches
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        client.get(reverse("correspondence:message_html", args=[small.pk]))
    with CaptureQueriesContext(connection) as many:
        client.get(reverse("correspondence:message_html", args=[large.pk]))
    assert len(many) == len(few)
