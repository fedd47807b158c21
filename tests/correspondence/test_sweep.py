"""The sweep: warning, holding notice and new contact, breach; once, never to a robot.

A thread received Friday 6 March 2026 15:00 in Paris is due Wednesday 11 March 15:00
(14:00 UTC). Time is moved with time-machine.
"""

import datetime as dt
from email import message_from_string
from io import StringIO

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from backoffice.correspondence.models import (
    Message,
    OutboxMail,
    ScheduledContact,
    SlaEvent,
    Thread,
)
from backoffice.correspondence.services.deadlines import (
    thread_deadline_clear,
    thread_deadline_start,
)
from backoffice.correspondence.services.outbox import outbox_send_pending
from backoffice.correspondence.services.sweep import sla_sweep_run
from backoffice.correspondence.sla_selectors import (
    manager_breach_queue,
    sla_notices_for,
    thread_sla_history,
)
from backoffice.organisation.models import Absence
from tests.factories import CounsellorFactory, JobseekerFactory

from .sla_factories import IncomingMessageFactory, ThreadFactory, team_with_manager

pytestmark = pytest.mark.django_db

RECEIVED = dt.datetime.fromisoformat("2026-03-06T15:00+01:00")
DUE = dt.datetime.fromisoformat("2026-03-11T15:00+01:00")
IN_WARNING_WINDOW = DUE - dt.timedelta(hours=23, minutes=30)
IN_HOLDING_WINDOW = DUE - dt.timedelta(hours=3, minutes=30)


def awaiting_thread(counsellor, **kwargs):
    thread = ThreadFactory(counsellor=counsellor, awaiting_since=RECEIVED, **kwargs)
    IncomingMessageFactory(thread=thread, received_at=RECEIVED)
    thread_deadline_start(thread=thread, received_at=RECEIVED)
    thread.refresh_from_db()
    assert thread.due_at == DUE
    return thread


@pytest.fixture
def team():
    return team_with_manager()


def sweep_at(moment):
    with time_machine.travel(moment, tick=False):
        report = sla_sweep_run()
        outbox_send_pending()
    return report


def sent(kind):
    return [m for m in mail.outbox if m.extra_headers.get("X-Mailnet-Kind") == kind]


def test_a_day_before_the_deadline_the_counsellor_is_warned_once(team):
    _, _, counsellor = team
    thread = awaiting_thread(counsellor)
    sweep_at(IN_WARNING_WINDOW)
    sweep_at(IN_WARNING_WINDOW + dt.timedelta(minutes=5))

    warnings = sent(OutboxMail.Kind.WARNING)
    assert [m.to for m in warnings] == [[counsellor.user.email]]
    assert "mercredi 11 mars 2026 à 15 h 00" in warnings[0].body
    notice = sla_notices_for(counsellor_id=counsellor.pk).get()
    assert (notice.kind, notice.thread) == (SlaEvent.Kind.WARNING, thread)
    thread.refresh_from_db()
    assert thread.warned_at == IN_WARNING_WINDOW
    assert not sent(OutboxMail.Kind.HOLDING_NOTICE), "no holding notice a day before"


def test_an_absent_counsellor_s_warning_goes_to_the_delegate(team):
    _, _, counsellor = team
    delegate = CounsellorFactory(agency=counsellor.agency)
    Absence.objects.create(
        counsellor=counsellor,
        starts_at=RECEIVED,
        ends_at=DUE + dt.timedelta(days=5),
        delegate=delegate,
    )
    awaiting_thread(counsellor)
    sweep_at(IN_WARNING_WINDOW)
    assert [m.to for m in sent(OutboxMail.Kind.WARNING)] == [[delegate.user.email]]
    assert sla_notices_for(counsellor_id=delegate.pk).count() == 1
    assert not sla_notices_for(counsellor_id=counsellor.pk).exists()


def test_an_absence_without_delegate_sends_the_warning_to_the_manager(team):
    _, manager, counsellor = team
    Absence.objects.create(counsellor=counsellor, starts_at=RECEIVED, ends_at=DUE + dt.timedelta(1))
    awaiting_thread(counsellor)
    sweep_at(IN_WARNING_WINDOW)
    assert [m.to for m in sent(OutboxMail.Kind.WARNING)] == [[manager.user.email]]


def test_four_hours_before_the_correspondent_gets_one_holding_notice_and_a_contact(team):
    _, manager, counsellor = team
    thread = awaiting_thread(counsellor)
    sweep_at(IN_HOLDING_WINDOW)
    sweep_at(IN_HOLDING_WINDOW + dt.timedelta(minutes=5))

    notices = sent(OutboxMail.Kind.HOLDING_NOTICE)
    assert len(notices) == 1
    notice = notices[0]
    assert notice.to == [thread.correspondent_address]
    assert notice.from_email == counsellor.public_address
    assert notice.subject == f"Re: {thread.subject}"
    assert f"Bonjour {thread.jobseeker.first_name} {thread.jobseeker.last_name}," in notice.body
    assert "vous contactera le jeudi 12 mars 2026 à 10 h 00" in notice.body
    assert notice.extra_headers["Auto-Submitted"] == "auto-generated"
    assert notice.extra_headers["In-Reply-To"] == thread.messages.get().message_id
    row = OutboxMail.objects.get(kind=OutboxMail.Kind.HOLDING_NOTICE)
    parsed = message_from_string(notice.message().as_string())
    assert parsed["Message-ID"].strip() == row.message_id
    assert row.state == OutboxMail.State.SENT

    contact = ScheduledContact.objects.get(thread=thread)
    assert contact.counsellor == counsellor and contact.auto
    assert contact.jobseeker == thread.jobseeker
    assert contact.scheduled_for == dt.datetime.fromisoformat("2026-03-12T10:00+01:00")
    assert [m.to for m in sent(OutboxMail.Kind.MANAGER_HOLDING)] == [[manager.user.email]]
    assert (
        sla_notices_for(counsellor_id=manager.pk)
        .filter(kind=SlaEvent.Kind.MANAGER_INFORMED)
        .exists()
    )
    kinds = [e.kind for e in thread_sla_history(thread=thread)]
    assert kinds.count(SlaEvent.Kind.HOLDING_NOTICE) == 1
    assert kinds.count(SlaEvent.Kind.WARNING) == 1, "warned too, since never warned before"


def test_at_the_deadline_the_thread_is_breached_and_queued_for_the_manager(team):
    _, manager, counsellor = team
    thread = awaiting_thread(counsellor)
    report = sweep_at(DUE)
    sweep_at(DUE + dt.timedelta(minutes=5))
    assert report.breached == 1
    thread.refresh_from_db()
    assert thread.breached_at == DUE
    assert list(manager_breach_queue(agency_ids=[counsellor.agency_id])) == [thread]
    breach = sla_notices_for(counsellor_id=manager.pk).get(kind=SlaEvent.Kind.BREACH)
    assert breach.thread == thread
    assert not sent(OutboxMail.Kind.HOLDING_NOTICE), "no late holding notice after the deadline"


def test_an_answered_thread_is_left_alone(team):
    _, _, counsellor = team
    thread = awaiting_thread(counsellor)
    thread_deadline_clear(thread=thread, reason="Réponse envoyée")
    Thread.objects.filter(pk=thread.pk).update(status=Thread.Status.ANSWERED)
    report = sweep_at(DUE + dt.timedelta(hours=1))
    assert (report.warned, report.held, report.breached) == (0, 0, 0)
    assert mail.outbox == []


@pytest.mark.parametrize(
    ("kind", "reason"),
    [(Message.Kind.AUTO_REPLY, "réponse automatique"), (Message.Kind.BOUNCE, "non-remise")],
)
def test_no_holding_notice_to_an_auto_reply_or_a_bounce(team, kind, reason):
    _, _, counsellor = team
    thread = awaiting_thread(counsellor)
    IncomingMessageFactory(thread=thread, kind=kind, received_at=RECEIVED + dt.timedelta(hours=1))
    sweep_at(IN_HOLDING_WINDOW)
    assert not sent(OutboxMail.Kind.HOLDING_NOTICE)
    withheld = thread_sla_history(thread=thread).get(kind=SlaEvent.Kind.HOLDING_WITHHELD)
    assert reason in withheld.detail
    assert ScheduledContact.objects.filter(thread=thread).exists(), "the contact still stands"


def test_no_holding_notice_to_an_unknown_sender_or_a_robot_address(team):
    _, _, counsellor = team
    unknown = awaiting_thread(counsellor, jobseeker=None, correspondent_address="x@example.org")
    robot = awaiting_thread(counsellor, correspondent_address="no-reply@example.org")
    sweep_at(IN_HOLDING_WINDOW)
    assert not sent(OutboxMail.Kind.HOLDING_NOTICE)
    assert {e.thread_id for e in SlaEvent.objects.filter(kind=SlaEvent.Kind.HOLDING_WITHHELD)} == {
        unknown.pk,
        robot.pk,
    }


def test_the_daily_cap_stops_automatic_mails_to_one_address(team, settings):
    settings.MAILNET_SLA_DAILY_CAP_PER_ADDRESS = 1
    _, _, counsellor = team
    jobseeker = JobseekerFactory()
    first = awaiting_thread(counsellor, jobseeker=jobseeker)
    second = awaiting_thread(counsellor, jobseeker=jobseeker)
    report = sweep_at(IN_HOLDING_WINDOW)
    assert len(sent(OutboxMail.Kind.HOLDING_NOTICE)) == 1
    assert report.holding_withheld == 1
    capped = SlaEvent.objects.get(kind=SlaEvent.Kind.HOLDING_WITHHELD)
    assert capped.thread_id in {first.pk, second.pk}
    assert "plafond" in capped.detail


def test_at_most_one_holding_notice_per_thread_even_over_two_waits(team):
    _, _, counsellor = team
    thread = awaiting_thread(counsellor)
    sweep_at(IN_HOLDING_WINDOW)
    thread_deadline_clear(thread=thread, reason="Réponse envoyée")
    next_mail = dt.datetime.fromisoformat("2026-03-16T09:00+01:00")
    Thread.objects.filter(pk=thread.pk).update(awaiting_since=next_mail)
    thread_deadline_start(thread=thread, received_at=next_mail)
    thread.refresh_from_db()
    sweep_at(thread.due_at - dt.timedelta(hours=2))
    assert len(sent(OutboxMail.Kind.HOLDING_NOTICE)) == 1
    assert len(sent(OutboxMail.Kind.WARNING)) == 2, "each wait is warned"


def test_the_sweep_makes_as_many_queries_for_two_due_threads_as_for_eight(team):
    _, _, counsellor = team
    for _ in range(2):
        awaiting_thread(counsellor)
    with (
        time_machine.travel(IN_HOLDING_WINDOW, tick=False),
        CaptureQueriesContext(connection) as few,
    ):
        assert sla_sweep_run().held == 2
    for _ in range(8):
        awaiting_thread(counsellor)
    with (
        time_machine.travel(IN_HOLDING_WINDOW, tick=False),
        CaptureQueriesContext(connection) as many,
    ):
        assert sla_sweep_run().held == 8
    assert len(many.captured_queries) == len(few.captured_queries)


def test_sla_sweep_command_says_what_it_did(team):
    _, _, counsellor = team
    awaiting_thread(counsellor)
    out = StringIO()
    with time_machine.travel(IN_HOLDING_WINDOW, tick=False):
        call_command("sla_sweep", stdout=out)
    assert "messages d'attente : 1" in out.getvalue()
    assert "courriels envoyés : 3" in out.getvalue()


def test_the_holding_notice_uses_the_published_template_of_the_answer_repository(team):
    from tests.answer_repository.factories import answer_template_create

    answer_template_create(
        code="message-attente",
        title="Message d'attente",
        body="<p>Bonjour {{ prenom }},</p><p>{{ conseiller }} vous rappellera le {{ date_rdv }}.</p>",
    )
    _, _manager, counsellor = team
    thread = awaiting_thread(counsellor)
    sweep_at(IN_HOLDING_WINDOW)

    [notice] = sent(OutboxMail.Kind.HOLDING_NOTICE)
    assert f"Bonjour {thread.jobseeker.first_name}," in notice.body
    assert f"{counsellor.full_name} vous rappellera le jeudi 12 mars 2026 à 10 h 00" in notice.body
    assert "[[" not in notice.body
