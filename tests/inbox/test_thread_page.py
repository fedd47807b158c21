"""The thread page: messages, attachments, correspondent card, history, consultations,
actions from the hook, the motif, and the read log written on every opening."""

import datetime as dt

import pytest
import time_machine
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from wagtail import hooks

from answer_repository.models import Motif
from backoffice.correspondence.models import (
    Attachment,
    Consultation,
    Message,
    SlaEvent,
    Thread,
    ThreadEvent,
    ThreadRead,
)
from backoffice.correspondence.services.deadlines import thread_deadline_start
from inbox.actions import ThreadAction
from tests.factories import AssignmentFactory, JobseekerFactory

from .inbox_helpers import (
    NOW,
    CounsellorFactory,
    admin_user,
    followed_thread,
    incoming,
    manager_of,
    outgoing,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def frozen_clock(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def me():
    return CounsellorFactory()


def attach(message, name, content_type="application/pdf", data=b"%PDF-1.4"):
    attachment = Attachment(
        message=message, name=name, content_type=content_type, size=len(data), sha256="ab" * 32
    )
    attachment.file.save(name, ContentFile(data), save=False)
    attachment.save()
    return attachment


def open_thread(client, user, thread, **params):
    client.force_login(user)
    return client.get(reverse("inbox:thread", args=[thread.pk]), params)


def test_messages_in_order_incoming_and_outgoing_with_their_send_state(client, me):
    thread = followed_thread(me)
    incoming(thread, 1, body_text="Première question")
    outgoing(thread, 1, body_text="Réponse envoyée", send_state="sent", sent_at=NOW)
    outgoing(thread, 2, body_text="Réponse en file", send_state="queued")
    outgoing(
        thread,
        3,
        body_text="Réponse en échec",
        send_state="failed",
        send_error="550 boîte inconnue",
    )
    page = open_thread(client, me.user, thread).content.decode()
    positions = [
        page.index(text)
        for text in ("Première question", "Réponse envoyée", "Réponse en file", "Réponse en échec")
    ]
    assert positions == sorted(positions)
    assert page.count('data-direction="in"') == 1 and page.count('data-direction="out"') == 3
    assert 'data-state="sent"' in page and 'data-state="queued"' in page
    assert 'data-state="failed"' in page and "550 boîte inconnue" in page


def test_html_goes_to_the_sandboxed_frame_and_attachments_download(client, me):
    thread = followed_thread(me)
    message = incoming(thread, body_html="<p>Bonjour <b>Madame</b></p>")
    attachment = attach(message, "cv.pdf")
    page = open_thread(client, me.user, thread).content.decode()
    assert 'sandbox=""' in page and "allow-scripts" not in page
    assert reverse("correspondence:message_html", args=[message.pk]) in page
    assert f'href="{reverse("correspondence:attachment", args=[attachment.pk])}" download' in page
    frame = client.get(reverse("correspondence:message_html", args=[message.pk]))
    assert "<b>Madame</b>" in frame.content.decode()
    download = client.get(reverse("correspondence:attachment", args=[attachment.pk]))
    assert download["Content-Disposition"].startswith("attachment;")


def test_the_correspondent_card_shows_identifier_modality_referent_and_earlier_threads(client, me):
    thread = followed_thread(me, modality_code="RENFORCE", subject="Question du jour")
    jobseeker = thread.jobseeker
    earlier = followed_thread(
        me, jobseeker=jobseeker, subject="Ancienne question", status=Thread.Status.ANSWERED
    )
    elsewhere = followed_thread(
        CounsellorFactory(), jobseeker=jobseeker, subject="Dans une autre agence"
    )
    page = open_thread(client, me.user, thread).content.decode()
    card = page.split('data-testid="correspondent-card"', 1)[1]
    assert jobseeker.identifier in card and jobseeker.last_name in card
    assert "Renforcé" in card and str(me) in card
    assert "Ancienne question" in card and "Dans une autre agence" in card
    assert f'href="{reverse("inbox:thread", args=[earlier.pk])}"' in card
    # Another caseload's thread opens only as a (logged) lookup.
    assert f"{reverse('inbox:thread', args=[elsewhere.pk])}?via=lookup&amp;lookup=" in card


def test_history_merges_moves_and_clock_steps_in_time_order(client, me):
    thread = followed_thread(me, due_at=None)
    incoming(thread)
    with time_machine.travel(NOW - dt.timedelta(hours=2), tick=False):
        thread_deadline_start(thread=thread, received_at=NOW - dt.timedelta(hours=2))
    ThreadEvent.objects.create(
        thread=thread,
        kind=ThreadEvent.Kind.DELEGATED,
        at=NOW - dt.timedelta(hours=1),
        to_counsellor=me,
        note="absence",
    )
    page = open_thread(client, me.user, thread).content.decode()
    history = page.split('data-testid="thread-history"', 1)[1].split("</ol>", 1)[0]
    assert history.index("échéance fixée") < history.index("confié pendant une absence")
    assert "absence" in history


def test_consultations_are_listed_with_their_answers(client, me):
    thread = followed_thread(me)
    expert = CounsellorFactory(agency=me.agency)
    Consultation.objects.create(
        thread=thread,
        asked_by=me,
        expert=expert,
        question="Droits ARE ?",
        asked_at=NOW,
        answer="Oui, 6 mois.",
        answered_at=NOW,
    )
    page = open_thread(client, me.user, thread).content.decode()
    consultations = page.split('data-testid="consultations"', 1)[1]
    assert "Droits ARE ?" in consultations and "Oui, 6 mois." in consultations


def test_actions_come_from_the_inbox_thread_actions_hook(client, me):
    thread = followed_thread(me)

    def reply_action(request, thread):
        return [ThreadAction("Répondre", f"/reply/{thread.pk}/", "mail", 10)]

    with hooks.register_temporarily("inbox_thread_actions", reply_action):
        page = open_thread(client, me.user, thread).content.decode()
    actions = page.split('data-testid="thread-actions"', 1)[1].split("</ul>", 1)[0]
    assert f'href="/reply/{thread.pk}/"' in actions and "Répondre" in actions
    assert actions.index("Répondre") < actions.index("Clore sans réponse")
    assert "Réattribuer" not in actions, "a counsellor does not dispatch"


def test_a_manager_gets_the_reassign_action_and_uses_it(client, me):
    thread = followed_thread(me, due_in=dt.timedelta(hours=30))
    manager = manager_of(me.agency)
    other = CounsellorFactory(agency=me.agency)
    page = open_thread(client, manager.user, thread).content.decode()
    assert reverse("inbox:reassign", args=[thread.pk]) in page
    response = client.post(
        reverse("inbox:reassign", args=[thread.pk]), {"counsellor": other.pk, "note": "Charge"}
    )
    assert response.status_code == 302
    thread.refresh_from_db()
    assert thread.counsellor == other and thread.due_at == NOW + dt.timedelta(hours=30)
    page = open_thread(client, manager.user, thread).content.decode()
    assert str(other) in page.split('data-testid="thread-counsellor"', 1)[1][:300]
    assert "réattribué" in page and "Charge" in page


def test_the_counsellor_sets_the_motif_and_it_is_logged(client, me):
    thread = followed_thread(me)
    motif = Motif.objects.create(code="formation", name="Formation")
    page = open_thread(client, me.user, thread).content.decode()
    assert reverse("inbox:thread_motif", args=[thread.pk]) in page
    client.post(reverse("inbox:thread_motif", args=[thread.pk]), {"motif": motif.pk})
    thread.refresh_from_db()
    assert thread.motif == motif
    event = ThreadEvent.objects.get(thread=thread, kind=ThreadEvent.Kind.MOTIF_SET)
    assert event.actor == me.user and "Formation" in event.note


def test_a_colleague_can_neither_see_nor_set_the_motif(client, me):
    thread = followed_thread(me)
    motif = Motif.objects.create(code="formation", name="Formation")
    colleague = CounsellorFactory(agency=me.agency)
    client.force_login(colleague.user)
    response = client.post(reverse("inbox:thread_motif", args=[thread.pk]), {"motif": motif.pk})
    assert response.status_code == 404
    thread.refresh_from_db()
    assert thread.motif is None


def test_closing_from_the_page_needs_a_reason_and_stops_the_clock(client, me):
    thread = followed_thread(me, due_in=dt.timedelta(hours=10))
    client.force_login(me.user)
    url = reverse("inbox:close", args=[thread.pk])
    assert client.post(url, {"reason": ""}).status_code == 200
    thread.refresh_from_db()
    assert thread.status == Thread.Status.AWAITING_REPLY
    assert client.post(url, {"reason": "Message de remerciement"}).status_code == 302
    thread.refresh_from_db()
    assert (thread.status, thread.due_at) == (Thread.Status.CLOSED, None)
    assert thread.closed_reason == "Message de remerciement"


def test_every_opening_is_logged_with_who_when_and_how(client, me):
    thread = followed_thread(me)
    manager = manager_of(me.agency)
    admin = admin_user()
    open_thread(client, me.user, thread, via="inbox")
    open_thread(client, me.user, thread)
    open_thread(client, manager.user, thread, via="queue")
    open_thread(client, admin, thread, via="lookup")  # unsigned: not a lookup
    reads = list(ThreadRead.objects.filter(thread=thread).order_by("pk"))
    assert [(r.user, r.via, r.outside_caseload) for r in reads] == [
        (me.user, "inbox", False),
        (me.user, "other", False),
        (manager.user, "queue", False),
        (admin, "other", False),
    ]
    assert all(r.read_at == NOW for r in reads)


def test_the_counsellor_it_was_delegated_from_still_reads_it_inside_their_caseload(client, me):
    delegate = CounsellorFactory(agency=me.agency)
    thread = followed_thread(delegate, delegated_from=me)
    assert open_thread(client, me.user, thread).status_code == 200
    assert open_thread(client, delegate.user, thread).status_code == 200
    assert not ThreadRead.objects.filter(outside_caseload=True).exists()


def test_an_expert_consulted_reads_the_thread_while_the_question_is_open(client, me):
    thread = followed_thread(me)
    expert = CounsellorFactory()
    consultation = Consultation.objects.create(
        thread=thread, asked_by=me, expert=expert, question="?", asked_at=NOW
    )
    assert open_thread(client, expert.user, thread).status_code == 200
    consultation.answered_at = NOW
    consultation.save()
    assert open_thread(client, expert.user, thread).status_code == 404


def test_the_thread_page_runs_a_constant_number_of_queries(client, me):
    small, large = followed_thread(me), followed_thread(me)
    for thread, count in ((small, 3), (large, 30)):
        for n in range(count):
            message = incoming(thread, n, body_html="<p>x</p>")
            attach(message, f"a{n}.pdf")
            outgoing(thread, n, send_state="sent")
            ThreadEvent.objects.create(
                thread=thread, kind=ThreadEvent.Kind.MOTIF_SET, at=NOW, actor=me.user, note="m"
            )
            SlaEvent.objects.create(thread=thread, kind=SlaEvent.Kind.WARNING, at=NOW, recipient=me)
            Consultation.objects.create(
                thread=thread, asked_by=me, expert=me, question="?", asked_at=NOW
            )
            followed_thread(me, jobseeker=thread.jobseeker)
    client.force_login(me.user)
    client.get(reverse("inbox:thread", args=[small.pk]))  # warm caches
    counts = []
    for thread in (small, large):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("inbox:thread", args=[thread.pk])).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1], counts


def test_the_page_of_a_triage_thread_suggests_who_the_sender_may_be(client):
    agency_manager = manager_of(CounsellorFactory().agency)
    jobseeker = JobseekerFactory(last_name="Durand")
    AssignmentFactory(jobseeker=jobseeker, counsellor=agency_manager)
    thread = Thread.objects.create(
        agency=agency_manager.agency,
        correspondent_address="inconnu@example.org",
        subject="Qui suis-je",
        token="TRIAGE01",
        status=Thread.Status.TRIAGE,
    )
    Message.objects.create(
        thread=thread,
        direction="in",
        message_id="<t@x>",
        from_address="inconnu@example.org",
        from_name="Paul Durand",
        received_at=NOW,
    )
    page = open_thread(client, agency_manager.user, thread).content.decode()
    assert 'data-testid="suggestions"' in page and "Durand" in page


def test_the_reassign_and_close_forms_show_to_who_may_use_them_only(client, me):
    thread = followed_thread(me)
    colleague = CounsellorFactory(agency=me.agency)
    manager = manager_of(me.agency)
    client.force_login(manager.user)
    page = client.get(reverse("inbox:reassign", args=[thread.pk])).content.decode()
    assert str(colleague) in page and 'name="counsellor"' in page
    assert client.get(reverse("inbox:close", args=[thread.pk])).status_code == 200
    client.force_login(me.user)
    refused = client.get(reverse("inbox:reassign", args=[thread.pk]))
    # Wagtail's admin answers a permission refusal with a redirect to its dashboard.
    assert (refused.status_code, refused["Location"]) == (302, "/admin/")
    assert client.get(reverse("inbox:close", args=[thread.pk])).status_code == 200
    client.force_login(colleague.user)
    assert client.get(reverse("inbox:close", args=[thread.pk])).status_code == 404
