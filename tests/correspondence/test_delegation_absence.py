"""Absence routing of new mail through ingest, and the return of threads afterwards."""

import datetime as dt

import pytest
import time_machine
from django.core.management import call_command
from django_q.models import Schedule

from backoffice.correspondence.models import Message, Thread, ThreadEvent
from backoffice.correspondence.services.delegation import (
    absences_return_apply,
    counsellor_for_new_mail,
)
from backoffice.correspondence.services.ingest import raw_mail_ingest, raw_mail_store
from backoffice.organisation.models import Absence
from tests.factories import AssignmentFactory, CounsellorFactory

from .factories import ThreadFactory
from .mails import mail_bytes

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 23, 10, tzinfo=dt.UTC)


def ingest(data: bytes, mailbox: str = "test"):
    raw, _ = raw_mail_store(data=data, mailbox_name=mailbox, source_ref="x", agency=None)
    return raw_mail_ingest(raw_mail=raw)


def absent(counsellor, *, delegate=None, starts=NOW - dt.timedelta(days=1), days=7):
    return Absence.objects.create(
        counsellor=counsellor,
        starts_at=starts,
        ends_at=starts + dt.timedelta(days=days),
        delegate=delegate,
    )


@pytest.fixture
def followed():
    assignment = AssignmentFactory()
    return assignment.counsellor, assignment.jobseeker


def test_a_present_counsellor_keeps_their_mail(followed):
    counsellor, _ = followed
    assert counsellor_for_new_mail(counsellor=counsellor, at=NOW) == (counsellor, None)


def test_an_absence_that_has_not_started_changes_nothing(followed):
    counsellor, _ = followed
    absent(counsellor, delegate=CounsellorFactory(), starts=NOW + dt.timedelta(hours=1))
    assert counsellor_for_new_mail(counsellor=counsellor, at=NOW) == (counsellor, None)


@time_machine.travel(NOW, tick=False)
def test_new_mail_of_an_absent_counsellor_goes_to_the_delegate(followed):
    counsellor, jobseeker = followed
    delegate = CounsellorFactory(agency=counsellor.agency)
    absent(counsellor, delegate=delegate)
    [message] = ingest(mail_bytes(sender=jobseeker.email, to=counsellor.public_address)).messages
    thread = Thread.objects.get(pk=message.thread_id)
    assert (thread.counsellor, thread.delegated_from) == (delegate, counsellor)
    assert thread.status == Thread.Status.AWAITING_REPLY and thread.due_at is not None
    [event] = ThreadEvent.objects.filter(thread=thread)
    assert (event.kind, event.actor, event.from_counsellor, event.to_counsellor) == (
        ThreadEvent.Kind.DELEGATED,
        None,
        counsellor,
        delegate,
    )


@time_machine.travel(NOW, tick=False)
def test_new_mail_goes_to_the_team_queue_without_a_delegate(followed):
    counsellor, jobseeker = followed
    absent(counsellor)
    [message] = ingest(mail_bytes(sender=jobseeker.email, to=counsellor.public_address)).messages
    thread = Thread.objects.get(pk=message.thread_id)
    assert (thread.counsellor, thread.delegated_from, thread.agency) == (
        None,
        counsellor,
        counsellor.agency,
    )
    event = ThreadEvent.objects.get(thread=thread)
    assert event.kind == ThreadEvent.Kind.DELEGATED and event.to_counsellor is None


@time_machine.travel(NOW, tick=False)
def test_an_absent_delegate_passes_the_mail_on_to_their_own_delegate(followed):
    counsellor, _ = followed
    first = CounsellorFactory(agency=counsellor.agency)
    second = CounsellorFactory(agency=counsellor.agency)
    absent(counsellor, delegate=first)
    absent(first, delegate=second)
    assert counsellor_for_new_mail(counsellor=counsellor, at=NOW) == (second, counsellor)


def test_delegates_absent_in_a_loop_send_the_mail_to_the_queue(followed):
    counsellor, _ = followed
    other = CounsellorFactory(agency=counsellor.agency)
    absent(counsellor, delegate=other)
    absent(other, delegate=counsellor)
    assert counsellor_for_new_mail(counsellor=counsellor, at=NOW) == (None, counsellor)


@time_machine.travel(NOW, tick=False)
def test_an_existing_thread_of_the_absent_counsellor_moves_with_the_new_mail(followed):
    counsellor, jobseeker = followed
    thread = ThreadFactory(
        counsellor=counsellor, jobseeker=jobseeker, correspondent_address=jobseeker.email
    )
    delegate = CounsellorFactory(agency=counsellor.agency)
    absent(counsellor, delegate=delegate)
    ingest(
        mail_bytes(
            sender=jobseeker.email,
            to=counsellor.public_address,
            subject=f"Re: Rendez-vous [#{thread.token}]",
        )
    )
    thread.refresh_from_db()
    assert thread.messages.count() == 1
    assert (thread.counsellor, thread.delegated_from) == (delegate, counsellor)
    assert thread.events.get().kind == ThreadEvent.Kind.DELEGATED


@time_machine.travel(NOW, tick=False)
def test_a_reply_on_a_delegated_thread_stays_with_the_delegate(followed):
    counsellor, jobseeker = followed
    delegate = CounsellorFactory(agency=counsellor.agency)
    absent(counsellor, delegate=delegate)
    [first] = ingest(mail_bytes(sender=jobseeker.email, to=counsellor.public_address)).messages
    ingest(
        mail_bytes(
            sender=jobseeker.email,
            to=counsellor.public_address,
            headers={"In-Reply-To": first.message_id},
        )
    )
    thread = Thread.objects.get()
    assert thread.messages.count() == 2
    assert (thread.counsellor, thread.delegated_from) == (delegate, counsellor)
    assert thread.events.count() == 1


@time_machine.travel(NOW, tick=False)
def test_the_same_mail_from_two_mailboxes_stays_one_message_during_an_absence(followed):
    counsellor, jobseeker = followed
    absent(counsellor, delegate=CounsellorFactory(agency=counsellor.agency))
    data = mail_bytes(sender=jobseeker.email, to=counsellor.public_address, message_id="<d@x>")
    ingest(b"Delivered-To: box-a@mailnet.test\r\n" + data, mailbox="a")
    ingest(b"Delivered-To: box-b@mailnet.test\r\n" + data, mailbox="b")
    assert Message.objects.count() == 1


@time_machine.travel(NOW, tick=False)
def test_an_auto_reply_does_not_move_a_thread(followed):
    counsellor, jobseeker = followed
    absent(counsellor, delegate=CounsellorFactory(agency=counsellor.agency))
    ingest(
        mail_bytes(
            sender=jobseeker.email,
            to=counsellor.public_address,
            headers={"Auto-Submitted": "auto-replied"},
        )
    )
    thread = Thread.objects.get()
    assert thread.counsellor == counsellor and thread.delegated_from is None
    assert not ThreadEvent.objects.exists()


def delegated_thread(owner, holder, status):
    return ThreadFactory(
        counsellor=holder,
        agency=owner.agency,
        delegated_from=owner,
        status=status,
        assignment=AssignmentFactory(counsellor=owner),
    )


def test_return_brings_back_unanswered_threads_only():
    owner = CounsellorFactory()
    delegate = CounsellorFactory(agency=owner.agency)
    absent(owner, delegate=delegate, starts=NOW - dt.timedelta(days=8), days=7)  # over
    awaiting = delegated_thread(owner, delegate, Thread.Status.AWAITING_REPLY)
    queued = delegated_thread(owner, None, Thread.Status.AWAITING_REPLY)
    answered = delegated_thread(owner, delegate, Thread.Status.ANSWERED)
    closed = delegated_thread(owner, None, Thread.Status.CLOSED)

    assert absences_return_apply(now=NOW) == {"returned": 2, "kept": 2}

    for thread in (awaiting, queued, answered, closed):
        thread.refresh_from_db()
        assert thread.delegated_from is None
    assert awaiting.counsellor == owner and queued.counsellor == owner
    assert answered.counsellor == delegate and closed.counsellor is None
    events = ThreadEvent.objects.filter(kind=ThreadEvent.Kind.RETURNED)
    assert {
        (e.thread_id, e.from_counsellor_id, e.to_counsellor_id, e.actor_id) for e in events
    } == {
        (awaiting.pk, delegate.pk, owner.pk, None),
        (queued.pk, None, owner.pk, None),
    }
    assert absences_return_apply(now=NOW) == {"returned": 0, "kept": 0}


def test_nothing_returns_while_the_absence_lasts():
    owner = CounsellorFactory()
    delegate = CounsellorFactory(agency=owner.agency)
    absent(owner, delegate=delegate)
    thread = delegated_thread(owner, delegate, Thread.Status.AWAITING_REPLY)
    assert absences_return_apply(now=NOW) == {"returned": 0, "kept": 0}
    thread.refresh_from_db()
    assert thread.counsellor == delegate


def test_a_thread_returns_to_the_agency_of_its_counsellor():
    owner = CounsellorFactory()
    delegate = CounsellorFactory()  # another agency
    thread = ThreadFactory(
        counsellor=delegate,
        agency=delegate.agency,
        delegated_from=owner,
        status=Thread.Status.AWAITING_REPLY,
    )
    absences_return_apply(now=NOW)
    thread.refresh_from_db()
    assert (thread.counsellor, thread.agency) == (owner, owner.agency)


def test_the_command_and_the_schedule(capsys):
    owner = CounsellorFactory()
    delegated_thread(owner, None, Thread.Status.AWAITING_REPLY)
    call_command("absences_return")
    assert "fils rendus : 1" in capsys.readouterr().out
    schedule = Schedule.objects.get(name="mailnet-absences-return")
    assert (schedule.func, schedule.schedule_type, schedule.minutes) == (
        "backoffice.correspondence.tasks.absences_return",
        Schedule.MINUTES,
        15,
    )
