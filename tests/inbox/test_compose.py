"""[inbox] The reply screen: template chooser, editor, preview, send once; proactive mail;
upcoming contacts; the "Répondre" action. Real SMTP on loopback where mail leaves."""

import datetime as dt
import re

import pytest
from django.test import Client
from django.urls import reverse
from wagtail import hooks
from wagtail.admin.rich_text import DraftailRichTextArea

from backoffice.correspondence.models import Message, ScheduledContact, ThreadEvent
from inbox.forms_compose import REPLY_FEATURES
from inbox.views.compose import thread_url
from tests.answer_repository.factories import answer_template_create
from tests.correspondence.outgoing_helpers import thread_from_jobseeker
from tests.factories import AssignmentFactory, CounsellorFactory, JobseekerFactory, modality

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def draftail(html: str) -> str:
    """What the Draftail editor posts for `html` (its content state, as JSON)."""
    return DraftailRichTextArea(features=REPLY_FEATURES).format_value(html)


@pytest.fixture
def thread():
    return thread_from_jobseeker(subject="Question sur mon inscription")


@pytest.fixture
def templates():
    suggested = answer_template_create(
        title="Suivi de votre inscription",
        body="<p>Bonjour {{ prenom }},</p><p>Votre inscription est bien enregistrée.</p>",
        keywords="inscription",
    )
    other = answer_template_create(
        title="Attestation employeur",
        body="<p>Bonjour {{ prenom }}, voici la marche à suivre pour l'attestation.</p>",
        keywords="attestation employeur",
    )
    return suggested, other


def login(client, thread):
    client.force_login(thread.counsellor.user)
    return reverse("inbox:reply", args=[thread.pk])


def form_fields(html: str) -> dict:
    """The hidden fields of the preview page's form, as the browser would post them."""
    fields: dict[str, list[str]] = {}
    for match in re.finditer(r"<input([^>]*)>", html):
        attrs = dict(re.findall(r'(\w[\w-]*)="([^"]*)"', match.group(1)))
        if attrs.get("type") == "hidden" and "name" in attrs:
            fields.setdefault(attrs["name"], []).append(
                attrs.get("value", "")
                .replace("&quot;", '"')
                .replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&#x27;", "'")
                .replace("&amp;", "&")
            )
    return {name: values[0] if len(values) == 1 else values for name, values in fields.items()}


def compose_preview_and_send(client, data, *, times=1):
    """The proactive form through its preview, then "Envoyer à chacun" (`times` times)."""
    url = reverse("inbox:compose")
    preview = client.post(url, {**data, "action": "preview"})
    assert 'data-testid="send"' in preview.content.decode()
    fields = form_fields(preview.content.decode())
    if isinstance(fields.get("jobseekers"), str):
        fields["jobseekers"] = [fields["jobseekers"]]
    for _ in range(times):
        response = client.post(url, {**fields, "action": "send"})
    return preview, response


def test_the_reply_screen_lists_suggestions_first_and_searches_the_published_templates(
    client, thread, templates
):
    suggested, other = templates
    url = login(client, thread)
    response = client.get(url)
    assert response.status_code == 200
    page = response.content.decode()
    suggestions = page.split('data-testid="suggestions"')[1].split("</ul>")[0]
    assert suggested.title in suggestions and other.title not in suggestions
    page = client.get(url, {"q": "attestation"}).content.decode()
    results = page.split('data-testid="search-results"')[1].split("</ul>")[0]
    assert other.title in results


def test_picking_a_template_fills_the_editor_and_flags_the_gaps(client, thread, templates):
    template = answer_template_create(
        title="Rendez-vous", body="<p>Bonjour {{ prenom }}, rendez-vous le {{ date_rdv }}.</p>"
    )
    url = login(client, thread)
    response = client.get(url, {"template": template.pk})
    page = response.content.decode()
    assert thread.jobseeker.first_name in response.context["form"].initial["body"]
    assert "date_rdv" in page.split('data-testid="gaps"')[1].split("</p>")[0]


def test_preview_shows_the_final_mail_and_sends_nothing(client, thread, templates):
    url = login(client, thread)
    response = client.post(
        url,
        {
            "action": "preview",
            "body": draftail(f"<p>Bonjour {thread.jobseeker.first_name},</p><p>C'est fait.</p>"),
            "idempotency_key": "preview-key",
            "template": templates[0].pk,
        },
    )
    assert response.status_code == 200
    page = response.content.decode()
    counsellor = thread.counsellor
    assert f"&lt;{counsellor.public_address}&gt;" in page
    assert f"Re: Question sur mon inscription [#{thread.token}]" in page
    assert "C&#x27;est fait." in page and 'data-testid="send"' in page
    assert not Message.objects.filter(direction=Message.Direction.OUTGOING).exists()


def test_a_double_submitted_send_sends_once_and_records_the_template_use(
    client, thread, templates, smtp_server, django_capture_on_commit_callbacks
):
    url = login(client, thread)
    preview = client.post(
        url,
        {
            "action": "preview",
            "body": draftail("<p>Bonjour,</p><p>Votre dossier est complet.</p>"),
            "idempotency_key": "double-click",
            "template": templates[0].pk,
        },
    )
    fields = form_fields(preview.content.decode())
    assert fields["idempotency_key"] == "double-click"
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(url, {**fields, "action": "send"})
        assert response.status_code == 302
        assert response["Location"] == thread_url(thread.pk)
    assert len(smtp_server.envelopes) == 1
    message = Message.objects.get(direction=Message.Direction.OUTGOING)
    assert message.send_state == Message.SendState.SENT
    assert "Votre dossier est complet." in message.body_text
    # The satisfaction link of reports, signed for this very reply.
    from reports.services.ratings import rating_message_for

    token = re.search(r"/satisfaction/([^/\s]+)/", message.body_text).group(1)
    assert rating_message_for(token=token) == message
    assert templates[0].usages.count() == 1


def test_an_appointment_from_the_form_fills_date_rdv_and_is_listed_in_my_contacts(
    client, thread, smtp_server, django_capture_on_commit_callbacks, time_machine
):
    time_machine.move_to(dt.datetime(2026, 11, 24, 8, tzinfo=dt.UTC), tick=False)
    url = login(client, thread)
    data = {
        "body": draftail("<p>Rendez-vous le [[À COMPLÉTER : date_rdv]].</p>"),
        "idempotency_key": "with-appointment",
        "appointment_channel": "phone",
        "appointment_date": "2026-12-03",
        "appointment_time": "10:30",
        "appointment_duration": "30",
        "appointment_details": "06 11 22 33 44",
    }
    preview = client.post(url, {**data, "action": "preview"})
    page = preview.content.decode()
    assert "jeudi 3 décembre 2026 à 10 h 30" in page and 'data-testid="send"' in page
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {**form_fields(page), "action": "send"})
    contact = ScheduledContact.objects.get()
    assert contact.channel == "phone" and contact.scheduled_for == dt.datetime(
        2026, 12, 3, 9, 30, tzinfo=dt.UTC
    )
    mail = smtp_server.messages()[0]
    assert any(p.get_content_type() == "text/calendar" for p in mail.walk())
    listing = client.get(reverse("inbox:contacts")).content.decode()
    assert "06 11 22 33 44" in listing and thread.subject in listing
    colleague = CounsellorFactory(agency=thread.agency)
    client.force_login(colleague.user)
    assert "06 11 22 33 44" not in client.get(reverse("inbox:contacts")).content.decode()


def test_attachments_survive_the_preview_and_leave_with_the_mail(
    client, thread, smtp_server, django_capture_on_commit_callbacks
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    url = login(client, thread)
    preview = client.post(
        url,
        {
            "action": "preview",
            "body": draftail("<p>Voici le document.</p>"),
            "idempotency_key": "with-file",
            "attachments": [SimpleUploadedFile("liste.pdf", b"%PDF-1.4 x", "application/pdf")],
        },
    )
    page = preview.content.decode()
    assert "liste.pdf" in page
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {**form_fields(page), "action": "send"})
    (attachment,) = list(smtp_server.messages()[0].iter_attachments())
    assert (attachment.get_filename(), attachment.get_content()) == ("liste.pdf", b"%PDF-1.4 x")


def test_a_placeholder_left_blocks_the_send(client, thread):
    url = login(client, thread)
    data = {
        "body": draftail("<p>Bonjour [[À COMPLÉTER : prenom]]</p>"),
        "idempotency_key": "gap",
    }
    page = client.post(url, {**data, "action": "preview"}).content.decode()
    assert 'data-testid="preview-problems"' in page and 'data-testid="send"' not in page
    response = client.post(url, {**form_fields(page), "action": "send"})
    assert response.status_code == 200
    errors = response.content.decode().split('data-testid="form-errors"')[1].split("</div>")[0]
    assert "prenom" in errors
    assert "[[À COMPLÉTER : prenom]]" in response.context["form"].initial["body"]
    assert not Message.objects.filter(direction=Message.Direction.OUTGOING).exists()


def test_modifier_goes_back_to_the_editor_with_the_text_and_the_files(client, thread):
    from django.core.files.uploadedfile import SimpleUploadedFile

    url = login(client, thread)
    preview = client.post(
        url,
        {
            "action": "preview",
            "body": draftail("<p>Premier jet.</p>"),
            "idempotency_key": "edit-again",
            "attachments": [SimpleUploadedFile("cv.pdf", b"%PDF", "application/pdf")],
        },
    )
    response = client.post(url, {**form_fields(preview.content.decode()), "action": "edit"})
    assert "Premier jet." in response.context["form"].initial["body"]
    assert [f["name"] for f in response.context["files"]] == ["cv.pdf"]
    assert response.context["form"].initial["idempotency_key"] == "edit-again"


def test_a_counsellor_cannot_open_or_post_the_reply_screen_of_another_counsellor(client, thread):
    colleague = CounsellorFactory(agency=thread.agency)
    client.force_login(colleague.user)
    url = reverse("inbox:reply", args=[thread.pk])
    refused = client.get(url)  # Wagtail turns PermissionDenied into a redirect home
    assert (refused.status_code, refused["Location"]) == (302, reverse("wagtailadmin_home"))
    response = client.post(
        url, {"action": "send", "body": "<p>Intrus</p>", "idempotency_key": "intrus"}
    )
    assert (response.status_code, response["Location"]) == (302, reverse("wagtailadmin_home"))
    assert not Message.objects.filter(direction=Message.Direction.OUTGOING).exists()


def test_the_reply_action_is_offered_to_who_may_reply_only(rf, thread):
    def actions(user):
        request = rf.get("/")
        request.user = user
        return [
            action
            for hook in hooks.get_hooks("inbox_thread_actions")
            for action in hook(request, thread) or []
            if action.url == reverse("inbox:reply", args=[thread.pk])
        ]

    (action,) = actions(thread.counsellor.user)
    assert action.label == "Répondre"
    assert actions(CounsellorFactory(agency=thread.agency).user) == []


def test_a_failed_reply_is_shown_on_the_reply_screen_and_can_be_sent_again(
    client, thread, smtp_server, django_capture_on_commit_callbacks
):
    failed = Message.objects.create(
        thread=thread,
        direction=Message.Direction.OUTGOING,
        message_id="<failed@mailnet.test>",
        from_address=thread.counsellor.public_address,
        received_at=dt.datetime(2026, 11, 23, 10, tzinfo=dt.UTC),
        send_state=Message.SendState.FAILED,
        send_error="Connection refused",
    )
    page = client.get(login(client, thread)).content.decode()
    assert "Connection refused" in page.split('data-testid="send-failed"')[1]
    resend = reverse("inbox:message_resend", args=[failed.pk])
    assert resend in page
    colleague = CounsellorFactory(agency=thread.agency)
    client.force_login(colleague.user)
    client.post(resend)
    assert Message.objects.get(pk=failed.pk).send_state == Message.SendState.FAILED
    client.force_login(thread.counsellor.user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(resend)
    assert response.status_code == 302
    failed.refresh_from_db()
    # This hand-made row has no stored bytes: the backend refuses it, it is counted again.
    assert failed.send_attempts == 1


def test_a_message_that_failed_is_sent_again_with_the_same_bytes(
    smtp_down, settings, thread, django_capture_on_commit_callbacks
):
    from aiosmtpd.controller import Controller

    from backoffice.correspondence.services.outgoing import reply_queue
    from tests.conftest import SmtpRecorder

    settings.MAILNET_OUTGOING_MAX_ATTEMPTS = 1
    with django_capture_on_commit_callbacks(execute=True):
        message = reply_queue(
            thread=thread,
            author=thread.counsellor.user,
            body_html="<p>Bonjour.</p>",
            attachments=[],
            idempotency_key="will-fail",
        )
    message.refresh_from_db()
    assert message.send_state == Message.SendState.FAILED
    recorder = SmtpRecorder()
    controller = Controller(recorder, hostname="127.0.0.1", port=settings.EMAIL_PORT)
    controller.start()
    try:
        client = Client()
        client.force_login(thread.counsellor.user)
        with django_capture_on_commit_callbacks(execute=True):
            client.post(reverse("inbox:message_resend", args=[message.pk]))
    finally:
        controller.stop()
    message.refresh_from_db()
    assert message.send_state == Message.SendState.SENT
    assert recorder.envelopes[0].content.rstrip(b"\r\n") == bytes(message.mime).rstrip(b"\r\n")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("inbox:message_resend", args=[message.pk]))
    assert len(recorder.envelopes) == 1, "a sent message is never sent again"


def test_proactive_mail_goes_to_each_selected_jobseeker_and_lists_the_skipped(
    client, smtp_server, django_capture_on_commit_callbacks
):
    counsellor = CounsellorFactory()
    guided = [
        AssignmentFactory(
            counsellor=counsellor,
            jobseeker=JobseekerFactory(email=email),
            modality=modality("GUIDE"),
        ).jobseeker
        for email in ["a@example.org", "b@example.org", ""]
    ]
    AssignmentFactory(counsellor=counsellor, modality=modality("RENFORCE"))
    client.force_login(counsellor.user)
    url = reverse("inbox:compose")
    page = client.get(url, {"modality": modality("GUIDE").pk})
    form = page.context["form"]
    assert sorted(form.initial["jobseekers"]) == sorted(j.pk for j in guided)
    data = {
        "jobseekers": [j.pk for j in guided],
        "subject": "Atelier CV",
        "body": draftail("<p>Bonjour, un atelier CV a lieu jeudi.</p>"),
        "idempotency_key": "atelier",
    }
    with django_capture_on_commit_callbacks(execute=True):
        # A resubmitted form sends nothing more.
        preview, response = compose_preview_and_send(client, data, times=2)
    skipped_before = preview.content.decode().split('data-testid="preview-skipped"')[1]
    assert guided[2].identifier in skipped_before
    page = response.content.decode()
    assert len(smtp_server.envelopes) == 2
    assert sorted(e.rcpt_tos[0] for e in smtp_server.envelopes) == [
        "a@example.org",
        "b@example.org",
    ]
    skipped = page.split('data-testid="skipped"')[1]
    assert guided[2].identifier in skipped
    assert ThreadEvent.objects.filter(kind=ThreadEvent.Kind.REPLIED).count() == 2


def test_proactive_mail_cannot_target_someone_else_s_caseload(client):
    counsellor = CounsellorFactory()
    stranger = AssignmentFactory(counsellor=CounsellorFactory(agency=counsellor.agency)).jobseeker
    client.force_login(counsellor.user)
    response = client.post(
        reverse("inbox:compose"),
        {
            "jobseekers": [stranger.pk],
            "subject": "x",
            "body": draftail("<p>x</p>"),
            "idempotency_key": "k",
        },
    )
    assert response.status_code == 200
    assert "jobseekers" in response.context["form"].errors
    assert not Message.objects.exists()


def test_the_reply_screen_costs_the_same_queries_with_a_long_thread(
    client, thread, templates, django_assert_max_num_queries
):
    from tests.correspondence.sla_factories import IncomingMessageFactory

    url = login(client, thread)
    client.get(url)  # warm the suggestion index and the session
    with django_assert_max_num_queries(40) as short:
        client.get(url)
    IncomingMessageFactory.create_batch(30, thread=thread)
    with django_assert_max_num_queries(len(short.captured_queries)):
        client.get(url)


def test_a_template_s_legal_texts_are_linked_and_an_expired_one_is_flagged(client, thread):
    from tests.answer_repository.factories import legal_page_create

    expired = legal_page_create(title="Ancien barème", effective_to=dt.date(2020, 1, 1))
    template = answer_template_create(
        title="Allocation", body="<p>Bonjour {{ prenom }}.</p>", legal_pages=[expired]
    )
    page = client.get(login(client, thread), {"template": template.pk}).content.decode()
    legal = page.split('data-testid="legal-pages"')[1].split("</p>")[0]
    assert "Ancien barème" in legal and "plus en vigueur" in legal


def test_a_workshop_proposed_to_a_selection_gives_each_their_own_invitation(
    client, smtp_server, django_capture_on_commit_callbacks, time_machine
):
    from icalendar import Calendar

    time_machine.move_to(dt.datetime(2026, 11, 24, 8, tzinfo=dt.UTC), tick=False)
    counsellor = CounsellorFactory()
    jobseekers = [
        AssignmentFactory(counsellor=counsellor, jobseeker=JobseekerFactory(email=e)).jobseeker
        for e in ["a@example.org", "b@example.org"]
    ]
    client.force_login(counsellor.user)
    with django_capture_on_commit_callbacks(execute=True):
        compose_preview_and_send(
            client,
            {
                "jobseekers": [j.pk for j in jobseekers],
                "subject": "Atelier CV",
                "body": draftail("<p>Bonjour, je vous invite à l'atelier CV.</p>"),
                "idempotency_key": "workshop",
                "appointment_channel": "agency",
                "appointment_date": "2026-12-10",
                "appointment_time": "14:00",
                "appointment_duration": "90",
                "appointment_location": "Salle 2, 10 rue du Port",
            },
        )
    uids = set()
    for mail in smtp_server.messages():
        (part,) = [p for p in mail.walk() if p.get_content_type() == "text/calendar"]
        (event,) = Calendar.from_ical(part.get_content()).walk("VEVENT")
        assert str(event["ATTENDEE"]) == f"mailto:{mail['To'].addresses[0].addr_spec}"
        assert str(event["LOCATION"]) == "Salle 2, 10 rue du Port"
        uids.add(str(event["UID"]))
    assert len(uids) == 2
    assert ScheduledContact.objects.filter(counsellor=counsellor).count() == 2


def test_the_thread_page_offers_répondre_to_its_counsellor(client, thread):
    from django.urls import NoReverseMatch

    try:
        url = reverse("inbox:thread", args=[thread.pk])
    except NoReverseMatch:
        pytest.skip("the inbox's thread page is another feature's")
    client.force_login(thread.counsellor.user)
    page = client.get(url).content.decode()
    assert reverse("inbox:reply", args=[thread.pk]) in page


def test_the_compose_screen_costs_the_same_queries_for_10_or_100_jobseekers(
    client, django_assert_max_num_queries
):
    counsellor = CounsellorFactory()
    AssignmentFactory.create_batch(10, counsellor=counsellor)
    client.force_login(counsellor.user)
    url = reverse("inbox:compose")
    client.get(url, {"modality": ""})
    with django_assert_max_num_queries(40) as few:
        client.get(url, {"modality": ""})
    AssignmentFactory.create_batch(90, counsellor=counsellor)
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get(url, {"modality": ""}).content.decode()
    assert page.count('name="jobseekers"') == 100
