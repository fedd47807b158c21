"""Routing, identification, threading, de-duplication, auto-replies and bounces."""

import datetime as dt

import pytest
import time_machine

from backoffice.correspondence.models import Message, Thread
from backoffice.correspondence.services.ingest import (
    DUPLICATE,
    STORED,
    TRIAGED,
    raw_mail_ingest,
    raw_mail_store,
)
from tests.factories import (
    AgencyFactory,
    AssignmentFactory,
    CounsellorFactory,
    EmployerContactFactory,
    JobseekerFactory,
)

from .factories import OutgoingMessageFactory, ThreadFactory
from .mails import mail_bytes

pytestmark = pytest.mark.django_db


def ingest(data: bytes, mailbox: str = "test", agency=None):
    raw, _ = raw_mail_store(data=data, mailbox_name=mailbox, source_ref="x", agency=agency)
    return raw_mail_ingest(raw_mail=raw)


@pytest.fixture
def followed():
    assignment = AssignmentFactory()
    return assignment.counsellor, assignment.jobseeker


def test_a_mail_to_two_counsellors_reaches_both_once_each(followed):
    counsellor, jobseeker = followed
    other = CounsellorFactory(agency=counsellor.agency)
    result = ingest(
        mail_bytes(
            sender=jobseeker.email,
            to=counsellor.public_address,
            headers={"Cc": other.public_address.upper()},
        )
    )
    assert result.outcome == STORED
    assert {m.thread.counsellor for m in result.messages} == {counsellor, other}
    assert Message.objects.count() == 2


def test_a_catch_all_mailbox_routes_by_delivered_to(followed):
    counsellor, jobseeker = followed
    data = f"Delivered-To: {counsellor.public_address}\r\n".encode() + mail_bytes(
        sender=jobseeker.email, to="Undisclosed recipients:;"
    )
    [message] = ingest(data, mailbox="catchall").messages
    assert message.thread.counsellor == counsellor


def test_the_same_mail_fetched_from_two_mailboxes_is_one_message_per_counsellor(followed):
    counsellor, jobseeker = followed
    data = mail_bytes(sender=jobseeker.email, to=counsellor.public_address, message_id="<same@x>")
    first = ingest(b"Delivered-To: box-a@mailnet.test\r\n" + data, mailbox="a")
    second = ingest(b"Delivered-To: box-b@mailnet.test\r\n" + data, mailbox="b")
    assert (first.outcome, second.outcome) == (STORED, DUPLICATE)
    assert Message.objects.count() == 1


def test_an_employer_contact_is_identified(followed):
    counsellor, _ = followed
    contact = EmployerContactFactory()
    AssignmentFactory(jobseeker=None, employer=contact.employer, counsellor=counsellor)
    [message] = ingest(mail_bytes(sender=contact.email, to=counsellor.public_address)).messages
    assert message.thread.employer == contact.employer
    assert message.thread.status == Thread.Status.AWAITING_REPLY


def test_an_unknown_sender_lands_in_triage_with_suggestions(client, followed):
    counsellor, _ = followed
    homonym = JobseekerFactory(last_name="Dubreuil")
    result = ingest(
        mail_bytes(sender="Paul Dubreuil <paul.d@gmail.com>", to=counsellor.public_address)
    )
    assert result.outcome == TRIAGED
    thread = result.messages[0].thread
    assert thread.status == Thread.Status.TRIAGE
    assert thread.awaiting_since is None
    assert thread.agency == counsellor.agency
    from backoffice.correspondence.routing import triage_suggestions

    assert list(
        triage_suggestions(address="paul.d@gmail.com", name="Paul Dubreuil")["jobseekers"]
    ) == [homonym]


def test_a_reply_to_our_outgoing_message_joins_its_thread():
    ours = OutgoingMessageFactory()
    thread = ours.thread
    result = ingest(
        mail_bytes(
            sender=thread.jobseeker.email,
            to=thread.counsellor.public_address,
            subject="Tout autre chose",
            headers={"In-Reply-To": ours.message_id, "References": ours.message_id},
        )
    )
    assert result.messages[0].thread == thread
    thread.refresh_from_db()
    assert thread.status == Thread.Status.AWAITING_REPLY


def test_a_reply_carrying_only_the_thread_token_joins_its_thread():
    thread = ThreadFactory()
    [message] = ingest(
        mail_bytes(
            sender="autre.adresse@example.org",
            to=thread.counsellor.public_address,
            subject=f"Re: Rendez-vous [#{thread.token}]",
        )
    ).messages
    assert message.thread == thread


def test_same_correspondent_and_normalised_subject_within_30_days_joins_the_thread():
    thread = ThreadFactory(subject="Demande de formation")
    with time_machine.travel(dt.datetime(2026, 12, 1, tzinfo=dt.UTC)):
        [message] = ingest(
            mail_bytes(
                sender=thread.jobseeker.email,
                to=thread.counsellor.public_address,
                subject="RE : TR: demande de FORMATION",
            )
        ).messages
    assert message.thread == thread


def test_the_same_subject_after_30_days_starts_a_new_thread():
    thread = ThreadFactory(subject="Demande de formation")
    with time_machine.travel(dt.datetime(2027, 1, 15, tzinfo=dt.UTC)):
        [message] = ingest(
            mail_bytes(
                sender=thread.jobseeker.email,
                to=thread.counsellor.public_address,
                subject="Re: Demande de formation",
            )
        ).messages
    assert message.thread != thread
    assert message.thread.jobseeker == thread.jobseeker


def test_an_auto_reply_is_recorded_but_never_starts_the_clock():
    ours = OutgoingMessageFactory()
    thread = ours.thread
    [message] = ingest(
        mail_bytes(
            sender=thread.jobseeker.email,
            to=thread.counsellor.public_address,
            subject="Absence",
            headers={"Auto-Submitted": "auto-replied", "In-Reply-To": ours.message_id},
        )
    ).messages
    assert message.kind == Message.Kind.AUTO_REPLY
    thread.refresh_from_db()
    assert thread.status == Thread.Status.ANSWERED
    assert thread.awaiting_since is None


def test_an_auto_reply_without_a_thread_opens_a_closed_one(followed):
    counsellor, jobseeker = followed
    [message] = ingest(
        mail_bytes(
            sender=jobseeker.email, to=counsellor.public_address, headers={"X-Autoreply": "yes"}
        )
    ).messages
    assert message.thread.status == Thread.Status.CLOSED
    assert message.thread.awaiting_since is None


def test_a_bounce_of_our_reply_marks_it_undelivered_on_its_thread():
    ours = OutgoingMessageFactory()
    raw = (
        (pytest.importorskip("pathlib").Path(__file__).parent.parent / "data/eml/bounce-dsn.eml")
        .read_bytes()
        .replace(b"<reply-42@mailnet.test>", ours.message_id.encode())
        .replace(b"conseiller.demo@mailnet.test", b"bounces@mailnet.test")
    )
    result = ingest(raw)
    [message] = result.messages
    assert message.kind == Message.Kind.BOUNCE
    assert message.thread == ours.thread
    ours.refresh_from_db()
    assert ours.undelivered
    ours.thread.refresh_from_db()
    assert ours.thread.status == Thread.Status.ANSWERED


def test_a_mail_to_nobody_we_know_is_triaged_to_the_mailbox_agency():
    agency = AgencyFactory()
    result = ingest(mail_bytes(to="inconnu@mailnet.test"), agency=agency)
    assert result.outcome == TRIAGED
    assert result.raw_mail.agency == agency


def test_a_copy_of_our_own_outgoing_mail_is_not_a_new_incoming_message():
    ours = OutgoingMessageFactory()
    result = ingest(
        mail_bytes(
            sender=ours.thread.counsellor.public_address,
            to=ours.thread.correspondent_address,
            headers={"Bcc": ours.thread.counsellor.public_address},
            message_id=ours.message_id,
        )
    )
    assert result.outcome == DUPLICATE
    assert Message.objects.count() == 1
