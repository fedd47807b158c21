"""Who opens which thread: own caseload by URL, any person's exchanges only by looking the
person up (logged as such), pilots and editors never; the HTML frames and attachments
follow the same rule."""

import datetime as dt
import re

import pytest
import time_machine
from django.core.files.base import ContentFile
from django.urls import reverse

from backoffice.correspondence.models import Attachment, ThreadRead
from backoffice.organisation import roles
from tests.factories import RegionalPilotFactory

from .inbox_helpers import (
    NOW,
    CounsellorFactory,
    UserFactory,
    admin_user,
    followed_thread,
    incoming,
    manager_of,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def frozen_clock(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    with time_machine.travel(NOW, tick=True):
        yield


@pytest.fixture
def thread():
    thread = followed_thread(CounsellorFactory(), subject="Demande de formation")
    message = incoming(thread, body_html="<p>Corps <b>HTML</b></p>")
    attachment = Attachment(
        message=message, name="cv.pdf", content_type="application/pdf", size=3, sha256="a" * 64
    )
    attachment.file.save("cv.pdf", ContentFile(b"pdf"), save=False)
    attachment.save()
    return thread


def thread_url(thread):
    return reverse("inbox:thread", args=[thread.pk])


def frame_and_attachment(client, thread):
    message = thread.messages.get()
    frame = client.get(reverse("correspondence:message_html", args=[message.pk]))
    download = client.get(reverse("correspondence:attachment", args=[message.attachments.get().pk]))
    return frame.status_code, download.status_code


def lookup_links(client, query) -> list[str]:
    page = client.get(reverse("inbox:lookup"), {"q": query}).content.decode()
    table = page.split('data-testid="lookup-threads"', 1)[1].split("</table>", 1)[0]
    return [link.replace("&amp;", "&") for link in re.findall(r'href="([^"]+)"', table)]


@pytest.mark.parametrize("same_agency", [True, False])
def test_a_counsellor_cannot_open_another_caseload_s_thread_by_url(client, thread, same_agency):
    other = CounsellorFactory(agency=thread.agency) if same_agency else CounsellorFactory()
    client.force_login(other.user)
    assert client.get(thread_url(thread)).status_code == 404
    assert frame_and_attachment(client, thread) == (404, 404)
    assert not ThreadRead.objects.exists()


def test_a_counsellor_reads_another_caseload_s_thread_through_the_lookup_and_it_is_logged(
    client, thread
):
    other = CounsellorFactory()  # another agency, anywhere in the country
    client.force_login(other.user)
    (link,) = lookup_links(client, thread.jobseeker.identifier.lower())
    assert link.startswith(thread_url(thread) + "?via=lookup&lookup=")
    response = client.get(link)
    assert response.status_code == 200
    assert "Demande de formation" in response.content.decode()
    read = ThreadRead.objects.get()
    assert (read.user, read.via, read.outside_caseload) == (other.user, "lookup", True)
    # The page's frames and attachments open for that reader now.
    assert frame_and_attachment(client, thread) == (200, 200)
    assert (
        "<b>HTML</b>"
        in client.get(
            reverse("correspondence:message_html", args=[thread.messages.get().pk])
        ).content.decode()
    )


def test_the_lookup_finds_by_exact_email_too_and_never_by_part_of_a_name(client, thread):
    client.force_login(CounsellorFactory().user)
    assert len(lookup_links(client, thread.jobseeker.email.upper())) == 1
    page = client.get(reverse("inbox:lookup"), {"q": thread.jobseeker.last_name[:4]})
    assert 'data-testid="lookup-empty"' in page.content.decode()


def test_a_lookup_link_is_for_its_reader_and_thread_only(client, thread):
    first, second = CounsellorFactory(), CounsellorFactory()
    client.force_login(first.user)
    (link,) = lookup_links(client, thread.jobseeker.identifier)
    client.force_login(second.user)
    assert client.get(link).status_code == 404, "another reader's signed link"
    client.force_login(first.user)
    tampered = re.sub(r"lookup=[^&]+", "lookup=forged", link)
    assert client.get(tampered).status_code == 404
    assert not ThreadRead.objects.exists()


def test_the_lookup_reading_window_closes(client, thread):
    other = CounsellorFactory()
    client.force_login(other.user)
    (link,) = lookup_links(client, thread.jobseeker.identifier)
    assert client.get(link).status_code == 200
    with time_machine.travel(NOW + dt.timedelta(hours=9), tick=False):
        client.force_login(other.user)  # a new session: the idle one has expired
        assert client.get(link).status_code == 404
        assert frame_and_attachment(client, thread) == (404, 404)


def test_a_manager_reads_their_agency_s_threads_not_another_agency_s(client, thread):
    client.force_login(manager_of(thread.agency).user)
    assert client.get(thread_url(thread)).status_code == 200
    assert frame_and_attachment(client, thread) == (200, 200)
    client.force_login(manager_of(CounsellorFactory().agency).user)
    assert client.get(thread_url(thread)).status_code == 404


def test_an_administrator_reads_everything(client, thread):
    client.force_login(admin_user())
    assert client.get(thread_url(thread)).status_code == 200
    assert frame_and_attachment(client, thread) == (200, 200)


@pytest.mark.parametrize("role", [roles.REGIONAL_PILOT, roles.CONTENT_EDITOR, roles.MODERATOR])
def test_pilots_and_editors_never_read_mail(client, thread, role):
    if role == roles.REGIONAL_PILOT:
        user = RegionalPilotFactory(region=thread.agency.region).user
    else:
        user = UserFactory(role=role)
    client.force_login(user)
    for url in (thread_url(thread), reverse("inbox:lookup") + "?q=x", reverse("inbox:queue")):
        response = client.get(url)
        # Wagtail's admin answers a permission refusal with a redirect to its dashboard.
        assert (response.status_code, response["Location"]) == (302, "/admin/"), url
    message = thread.messages.get()
    assert client.get(reverse("correspondence:message_html", args=[message.pk])).status_code in (
        302,
        404,
    )
    assert not ThreadRead.objects.exists()
