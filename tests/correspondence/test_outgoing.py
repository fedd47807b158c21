"""[inbox] Replies through a real SMTP server on loopback: headers, .ics, threading back."""

import datetime as dt
import hashlib
from email import message_from_bytes, policy
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from icalendar import Calendar

from backoffice.correspondence.models import (
    ArchiveEntry,
    Attachment,
    Message,
    ScheduledContact,
    Thread,
    ThreadEvent,
)
from backoffice.correspondence.services.archive import archive_entry_hash
from backoffice.correspondence.services.ingest import raw_mail_ingest, raw_mail_store
from backoffice.correspondence.services.outgoing import (
    Appointment,
    OutgoingFile,
    message_send_attempt,
    messages_send_pending,
    reply_queue,
)
from backoffice.correspondence.subjects import token_from_subject
from tests.correspondence.mails import mail_bytes
from tests.factories import AssignmentFactory, CounsellorFactory

from .outgoing_helpers import INCOMING_ID, thread_from_jobseeker

pytestmark = pytest.mark.django_db

BODY = "<p>Bonjour Camille,</p><p>Votre inscription est <b>validée</b>.</p><script>x()</script>"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def reply(thread, key="k1", **kwargs):
    kwargs.setdefault("body_html", BODY)
    kwargs.setdefault("attachments", [])
    return reply_queue(thread=thread, author=thread.counsellor.user, idempotency_key=key, **kwargs)


def test_a_reply_reaches_the_smtp_server_with_our_headers_and_threads_back(
    smtp_server, django_capture_on_commit_callbacks
):
    thread = thread_from_jobseeker()
    assert thread.status == Thread.Status.AWAITING_REPLY and thread.due_at is not None
    counsellor = thread.counsellor
    with django_capture_on_commit_callbacks(execute=True):
        message = reply(thread)

    (envelope,) = smtp_server.envelopes
    assert envelope.mail_from == counsellor.public_address
    assert envelope.rcpt_tos == [thread.jobseeker.email]
    message.refresh_from_db()
    # The bytes on the wire are the stored bytes, unchanged.
    assert envelope.content.rstrip(b"\r\n") == bytes(message.mime).rstrip(b"\r\n")
    received = message_from_bytes(envelope.content, policy=policy.default)
    assert received["From"].addresses[0].addr_spec == counsellor.public_address
    assert received["From"].addresses[0].display_name == (
        f"{counsellor.user.first_name} {counsellor.user.last_name} – {counsellor.agency.name}"
    )
    assert received["To"].addresses[0].addr_spec == thread.jobseeker.email
    assert received["Message-ID"] == message.message_id
    assert message.message_id.endswith("@mailnet.test>")
    assert received["In-Reply-To"] == INCOMING_ID
    assert received["References"].split() == ["<earlier@example.org>", INCOMING_ID]
    assert received["Subject"] == f"Re: Question sur mon inscription [#{thread.token}]"
    assert token_from_subject(received["Subject"]) == thread.token
    html = received.get_body(("html",)).get_content()
    assert "<b>validée</b>" in html and "<script>" not in html and "x()" not in html
    assert "Votre inscription est validée." in received.get_body(("plain",)).get_content()

    message.refresh_from_db()
    assert (message.send_state, message.send_attempts) == (Message.SendState.SENT, 1)
    assert message.sent_at is not None
    thread.refresh_from_db()
    assert (thread.status, thread.due_at) == (Thread.Status.ANSWERED, None)
    assert thread.events.filter(kind=ThreadEvent.Kind.REPLIED).count() == 1
    entry = ArchiveEntry.objects.get(kind=ArchiveEntry.Kind.SENT, object_id=message.pk)
    assert entry.content_sha256 == hashlib.sha256(bytes(message.mime)).hexdigest()
    assert entry.entry_hash == archive_entry_hash(
        previous_hash=entry.previous_hash,
        seq=entry.seq,
        kind=entry.kind,
        object_id=entry.object_id,
        content_sha256=entry.content_sha256,
    )

    # The jobseeker answers our mail (their client keeps In-Reply-To, drops the token).
    answer = mail_bytes(
        sender=thread.jobseeker.email,
        to=counsellor.public_address,
        subject="Re: ma question",
        body="Merci beaucoup !",
        message_id="<answer-2@example.org>",
        headers={
            "In-Reply-To": received["Message-ID"],
            "References": f"{received['References']} {received['Message-ID']}",
        },
    )
    raw, _ = raw_mail_store(data=answer, mailbox_name="m", source_ref="2", agency=None)
    result = raw_mail_ingest(raw_mail=raw)
    assert [m.thread_id for m in result.messages] == [thread.pk]
    assert Thread.objects.count() == 1
    thread.refresh_from_db()
    assert thread.status == Thread.Status.AWAITING_REPLY


def test_an_appointment_carries_a_valid_invitation_in_the_agency_time_zone(
    smtp_server, django_capture_on_commit_callbacks
):
    assignment = AssignmentFactory(counsellor__agency__time_zone="Indian/Reunion")
    thread = thread_from_jobseeker(assignment=assignment)
    starts_at = dt.datetime(2026, 12, 3, 10, 30, tzinfo=ZoneInfo("Indian/Reunion"))
    with django_capture_on_commit_callbacks(execute=True):
        message = reply(
            thread,
            appointment=Appointment(
                channel=ScheduledContact.Channel.AGENCY,
                starts_at=starts_at,
                duration=dt.timedelta(minutes=45),
                location="12 rue de la Victoire, 97400 Saint-Denis",
            ),
        )
    received = smtp_server.messages()[0]
    calendars = [p for p in received.walk() if p.get_content_type() == "text/calendar"]
    assert len(calendars) == 1
    assert calendars[0].get_param("method") == "REQUEST"
    calendar = Calendar.from_ical(calendars[0].get_content())
    assert calendar["METHOD"] == "REQUEST"
    assert [tz["TZID"] for tz in calendar.walk("VTIMEZONE")] == ["Indian/Reunion"]
    (event,) = calendar.walk("VEVENT")
    start = event.decoded("DTSTART")
    assert start == starts_at and str(start.tzinfo) == "Indian/Reunion"
    assert event.decoded("DTEND") - start == dt.timedelta(minutes=45)
    assert str(event["ORGANIZER"]) == f"mailto:{thread.counsellor.public_address}"
    assert str(event["ATTENDEE"]) == f"mailto:{thread.jobseeker.email}"
    assert "Saint-Denis" in str(event["LOCATION"])
    ics_files = [p for p in received.iter_attachments() if p.get_filename() == "invitation.ics"]
    assert len(ics_files) == 1
    contact = ScheduledContact.objects.get()
    assert (contact.message, contact.ics_uid, contact.scheduled_for) == (
        message,
        str(event["UID"]),
        starts_at,
    )
    assert contact.counsellor == thread.counsellor and contact.jobseeker == thread.jobseeker
    assert "jeudi 3 décembre 2026 à 10 h 30" in received.get_body(("plain",)).get_content()


def test_attachments_are_sent_and_kept_for_the_thread(
    smtp_server, django_capture_on_commit_callbacks
):
    thread = thread_from_jobseeker()
    files = [OutgoingFile("attestation.pdf", "application/pdf", b"%PDF-1.4 test")]
    with django_capture_on_commit_callbacks(execute=True):
        message = reply(thread, attachments=files)
    received = smtp_server.messages()[0]
    (part,) = list(received.iter_attachments())
    assert (part.get_filename(), part.get_content()) == ("attestation.pdf", b"%PDF-1.4 test")
    stored = Attachment.objects.get(message=message)
    assert stored.file.read() == b"%PDF-1.4 test"


def test_the_same_form_submitted_twice_sends_once(smtp_server, django_capture_on_commit_callbacks):
    thread = thread_from_jobseeker()
    with django_capture_on_commit_callbacks(execute=True):
        first = reply(thread, key="same-key")
    with django_capture_on_commit_callbacks(execute=True):
        second = reply(thread, key="same-key")
    assert first.pk == second.pk
    assert len(smtp_server.envelopes) == 1
    assert Message.objects.filter(direction=Message.Direction.OUTGOING).count() == 1
    assert ArchiveEntry.objects.filter(kind=ArchiveEntry.Kind.SENT).count() == 1


def test_smtp_down_retries_with_back_off_then_fails_on_the_thread(
    smtp_down, settings, django_capture_on_commit_callbacks
):
    from django_q.models import Schedule

    settings.MAILNET_OUTGOING_MAX_ATTEMPTS = 3
    thread = thread_from_jobseeker()
    with django_capture_on_commit_callbacks(execute=True):
        message = reply(thread)
    message.refresh_from_db()
    assert (message.send_state, message.send_attempts) == (Message.SendState.QUEUED, 1)
    assert message.send_error
    retry = Schedule.objects.get(name=f"mailnet-send-retry-{message.pk}")
    assert retry.schedule_type == Schedule.ONCE and retry.func.endswith("tasks.message_send")
    bytes_before = bytes(message.mime)

    assert message_send_attempt(message_id=message.pk) == "retry"
    assert message_send_attempt(message_id=message.pk) == Message.SendState.FAILED
    message.refresh_from_db()
    assert (message.send_state, message.send_attempts) == (Message.SendState.FAILED, 3)
    assert bytes(message.mime) == bytes_before
    event = thread.events.get(kind=ThreadEvent.Kind.SEND_FAILED)
    assert event.note == message.send_error
    assert not Schedule.objects.filter(name__startswith="mailnet-send-retry-").exists()
    # A failed message is not tried again by anyone.
    assert message_send_attempt(message_id=message.pk) == Message.SendState.FAILED
    assert Message.objects.get(pk=message.pk).send_attempts == 3


def test_a_retry_after_smtp_comes_back_sends_the_same_bytes(
    smtp_down, settings, django_capture_on_commit_callbacks
):
    thread = thread_from_jobseeker()
    with django_capture_on_commit_callbacks(execute=True):
        message = reply(thread)
    from aiosmtpd.controller import Controller

    from tests.conftest import SmtpRecorder

    recorder = SmtpRecorder()
    controller = Controller(recorder, hostname="127.0.0.1", port=settings.EMAIL_PORT)
    controller.start()
    try:
        assert message_send_attempt(message_id=message.pk) == Message.SendState.SENT
    finally:
        controller.stop()
    message.refresh_from_db()
    assert recorder.envelopes[0].content.rstrip(b"\r\n") == bytes(message.mime).rstrip(b"\r\n")
    assert (message.send_state, message.send_attempts) == (Message.SendState.SENT, 2)


def test_the_sweep_sends_what_a_crash_left_queued_and_never_a_sent_message(
    smtp_server, time_machine
):
    time_machine.move_to(dt.datetime(2026, 11, 24, 9, tzinfo=dt.UTC), tick=False)
    thread = thread_from_jobseeker()
    message = reply(thread)  # no on-commit callback: the worker "crashed"
    assert messages_send_pending() == 0, "too recent: the queued task goes first"
    time_machine.move_to(dt.datetime(2026, 11, 24, 9, 5, tzinfo=dt.UTC), tick=False)
    assert messages_send_pending() == 1
    assert messages_send_pending() == 0
    assert len(smtp_server.envelopes) == 1
    message.refresh_from_db()
    assert message.send_state == Message.SendState.SENT


def test_a_counsellor_cannot_reply_on_another_counsellors_thread(smtp_server):
    thread = thread_from_jobseeker()
    colleague = CounsellorFactory(agency=thread.agency)
    with pytest.raises(PermissionDenied):
        reply_queue(
            thread=thread,
            author=colleague.user,
            body_html=BODY,
            attachments=[],
            idempotency_key="intruder",
        )
    assert not Message.objects.filter(direction=Message.Direction.OUTGOING).exists()
    assert smtp_server.envelopes == []


def test_a_reply_with_a_placeholder_left_to_fill_is_refused():
    thread = thread_from_jobseeker()
    with pytest.raises(ValidationError):
        reply(thread, body_html="<p>Rendez-vous le [[À COMPLÉTER : date_rdv]]</p>")
    assert not Message.objects.filter(direction=Message.Direction.OUTGOING).exists()


def test_the_django_q_scheduler_runs_the_retry_once_its_back_off_is_over(
    smtp_down, settings, django_capture_on_commit_callbacks, time_machine
):
    from aiosmtpd.controller import Controller
    from django_q.models import Schedule
    from django_q.scheduler import scheduler

    from tests.conftest import SmtpRecorder

    time_machine.move_to(dt.datetime(2026, 11, 24, 9, tzinfo=dt.UTC), tick=False)
    settings.MAILNET_OUTGOING_RETRY_MINUTES = [3, 10]
    thread = thread_from_jobseeker()
    with django_capture_on_commit_callbacks(execute=True):
        message = reply(thread)
    retry = Schedule.objects.get(name=f"mailnet-send-retry-{message.pk}")
    assert retry.next_run == dt.datetime(2026, 11, 24, 9, 3, tzinfo=dt.UTC)

    recorder = SmtpRecorder()
    controller = Controller(recorder, hostname="127.0.0.1", port=settings.EMAIL_PORT)
    controller.start()
    try:
        time_machine.move_to(dt.datetime(2026, 11, 24, 9, 2, tzinfo=dt.UTC), tick=False)
        scheduler()
        assert recorder.envelopes == [], "the back-off is not over yet"
        time_machine.move_to(dt.datetime(2026, 11, 24, 9, 4, tzinfo=dt.UTC), tick=False)
        scheduler()
    finally:
        controller.stop()
    assert len(recorder.envelopes) == 1
    message.refresh_from_db()
    assert (message.send_state, message.send_attempts) == (Message.SendState.SENT, 2)
    assert not Schedule.objects.filter(name__startswith="mailnet-send-retry-").exists()


def test_the_development_file_backend_writes_the_stored_bytes(
    settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = tmp_path / "sent-mail"
    thread = thread_from_jobseeker()
    with django_capture_on_commit_callbacks(execute=True):
        message = reply(thread)
    message.refresh_from_db()
    assert message.send_state == Message.SendState.SENT
    (written,) = (tmp_path / "sent-mail").iterdir()
    assert message.message_id.encode() in written.read_bytes()


def test_the_sweep_stops_after_three_failures_in_a_row(smtp_down, time_machine):
    from django_q.models import Schedule

    time_machine.move_to(dt.datetime(2026, 11, 24, 9, tzinfo=dt.UTC), tick=False)
    threads = [thread_from_jobseeker(message_id=f"<q{n}@example.org>") for n in range(5)]
    messages = [reply(thread, key=f"k{n}") for n, thread in enumerate(threads)]
    time_machine.move_to(dt.datetime(2026, 11, 24, 9, 10, tzinfo=dt.UTC), tick=False)
    assert messages_send_pending() == 0
    attempts = sorted(Message.objects.get(pk=m.pk).send_attempts for m in messages)
    assert attempts == [0, 0, 1, 1, 1]
    # Each failed one has its own retry planned; the next sweep takes the two left.
    assert Schedule.objects.filter(name__startswith="mailnet-send-retry-").count() == 3
    messages_send_pending()
    assert sorted(Message.objects.get(pk=m.pk).send_attempts for m in messages) == [1] * 5
