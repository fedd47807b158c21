import pytest

from backoffice.correspondence.models import Message, RawMail, Thread
from backoffice.correspondence.services.ingest import (
    DUPLICATE,
    FAILED,
    STORED,
    TRIAGED,
    raw_mail_ingest,
    raw_mail_store,
    raw_mails_ingest_pending,
)
from tests.factories import AgencyFactory, AssignmentFactory

from .mails import mail_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture
def followed():
    """A counsellor and a jobseeker they follow."""
    assignment = AssignmentFactory()
    return assignment.counsellor, assignment.jobseeker


def store_and_ingest(data: bytes, agency=None, mailbox="test"):
    raw, _created = raw_mail_store(data=data, mailbox_name=mailbox, source_ref="x", agency=agency)
    return raw_mail_ingest(raw_mail=raw)


def test_a_mail_from_a_followed_jobseeker_lands_on_a_new_awaiting_thread(followed):
    counsellor, jobseeker = followed
    result = store_and_ingest(mail_bytes(sender=jobseeker.email, to=counsellor.public_address))
    assert result.outcome == STORED
    [message] = result.messages
    thread = message.thread
    assert thread.counsellor == counsellor
    assert thread.jobseeker == jobseeker
    assert thread.status == Thread.Status.AWAITING_REPLY
    assert thread.awaiting_since == message.received_at
    assert thread.due_at is not None  # the 72-business-hour clock has started
    assert result.raw_mail.state == RawMail.State.INGESTED


def test_raw_bytes_are_kept_exactly_and_once(followed):
    counsellor, jobseeker = followed
    data = mail_bytes(sender=jobseeker.email, to=counsellor.public_address).replace(b"\n", b"\r\n")
    raw, created = raw_mail_store(data=data, mailbox_name="a", source_ref="1", agency=None)
    again, created_again = raw_mail_store(data=data, mailbox_name="b", source_ref="2", agency=None)
    assert created and not created_again and again.pk == raw.pk
    raw.refresh_from_db()
    assert bytes(raw.data) == data


def test_ingesting_twice_creates_nothing_the_second_time(followed):
    counsellor, jobseeker = followed
    raw, _ = raw_mail_store(
        data=mail_bytes(sender=jobseeker.email, to=counsellor.public_address),
        mailbox_name="m",
        source_ref="1",
        agency=None,
    )
    assert raw_mail_ingest(raw_mail=raw).outcome == STORED
    assert raw_mail_ingest(raw_mail=raw).outcome == DUPLICATE
    assert Message.objects.count() == 1


def test_no_counsellor_matched_triages_the_raw_mail_to_the_mailbox_agency():
    agency = AgencyFactory()
    result = store_and_ingest(mail_bytes(to="personne@mailnet.test"), agency=agency)
    assert result.outcome == TRIAGED
    assert result.raw_mail.state == RawMail.State.TRIAGED
    assert result.raw_mail.agency == agency
    assert not Message.objects.exists()


def test_pending_mails_are_ingested_in_order_and_a_broken_one_is_retried_then_quarantined(
    followed, monkeypatch
):
    counsellor, jobseeker = followed
    from backoffice.correspondence import mailparse

    good = mail_bytes(sender=jobseeker.email, to=counsellor.public_address, subject="Bon")
    bad = mail_bytes(sender=jobseeker.email, to=counsellor.public_address, subject="BOOM")
    raw_bad, _ = raw_mail_store(data=bad, mailbox_name="m", source_ref="1", agency=None)
    raw_mail_store(data=good, mailbox_name="m", source_ref="2", agency=None)
    real_parse = mailparse.mail_parse

    def parse(data):
        if b"BOOM" in data:
            raise ValueError("unparsable on purpose")
        return real_parse(data)

    monkeypatch.setattr(mailparse, "mail_parse", parse)
    counts = raw_mails_ingest_pending()
    assert counts[STORED] == 1 and counts[FAILED] == 1
    raw_bad.refresh_from_db()
    assert raw_bad.state == RawMail.State.PENDING and raw_bad.attempts == 1
    raw_mails_ingest_pending()
    raw_mails_ingest_pending()
    raw_bad.refresh_from_db()
    assert raw_bad.state == RawMail.State.FAILED
    assert raw_bad.attempts == 3
    assert "unparsable on purpose" in raw_bad.last_error
    assert raw_mails_ingest_pending() == {STORED: 0, DUPLICATE: 0, TRIAGED: 0, FAILED: 0}


def test_an_incoming_mail_starts_the_72_business_hour_clock_once(settings, tmp_path):
    """Received Friday 15:00 in Paris: due Wednesday 15:00; a second mail does not move it."""
    import datetime as dt

    import time_machine

    from tests.factories import AssignmentFactory, CounsellorFactory

    settings.MEDIA_ROOT = tmp_path
    counsellor = CounsellorFactory(public_address="lea.martin@mailnet.test")
    jobseeker = AssignmentFactory(counsellor=counsellor).jobseeker
    paris = dt.timezone(dt.timedelta(hours=1))

    def mail(subject, message_id):
        return (
            f"From: {jobseeker.email}\r\nTo: lea.martin@mailnet.test\r\nSubject: {subject}\r\n"
            f"Message-ID: <{message_id}@example.org>\r\n\r\nBonjour\r\n"
        ).encode()

    with time_machine.travel(dt.datetime(2026, 11, 27, 15, 0, tzinfo=paris), tick=False):
        raw, _created = raw_mail_store(
            data=mail("Formation", "a1"), mailbox_name="t", source_ref="1", agency=None
        )
        raw_mail_ingest(raw_mail=raw)
    with time_machine.travel(dt.datetime(2026, 11, 30, 9, 0, tzinfo=paris), tick=False):
        raw, _created = raw_mail_store(
            data=mail("Re: Formation", "a2"), mailbox_name="t", source_ref="2", agency=None
        )
        raw_mail_ingest(raw_mail=raw)
    thread = Thread.objects.get()
    assert thread.messages.count() == 2
    assert thread.due_at == dt.datetime(2026, 12, 2, 15, 0, tzinfo=paris)
