"""[sla] The outbox against a real SMTP server on loopback: sent once, kept when SMTP fails."""

import datetime as dt
import socket
from email import message_from_bytes

import pytest
from aiosmtpd.controller import Controller

from backoffice.correspondence.models import OutboxMail
from backoffice.correspondence.services.outbox import (
    outbox_build,
    outbox_queue_many,
    outbox_send_pending,
)

from .sla_factories import ThreadFactory

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 11, 10, tzinfo=dt.UTC)


class Inbox:
    def __init__(self):
        self.received = []

    async def handle_DATA(self, server, session, envelope):
        self.received.append(message_from_bytes(envelope.content))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp_settings(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = free_port()
    settings.EMAIL_TIMEOUT = 5
    return settings


def queue(thread, key="holding:test"):
    outbox_queue_many(
        mails=[
            outbox_build(
                key=key,
                thread_id=thread.pk,
                kind=OutboxMail.Kind.HOLDING_NOTICE,
                to_address=thread.correspondent_address,
                subject="Votre message a bien été reçu",
                body="Bonjour,\n",
                now=NOW,
            )
        ]
    )


def test_queueing_the_same_key_twice_keeps_the_first_message_id():
    thread = ThreadFactory()
    queue(thread)
    first = OutboxMail.objects.get().message_id
    queue(thread)
    assert list(OutboxMail.objects.values_list("message_id", flat=True)) == [first]


def test_an_smtp_failure_keeps_the_mail_and_a_later_run_sends_it_once(smtp_settings):
    thread = ThreadFactory()
    queue(thread)
    assert outbox_send_pending() == 0, "nobody listens on the port yet"
    row = OutboxMail.objects.get()
    assert (row.state, row.attempts) == (OutboxMail.State.PENDING, 1)
    assert row.last_error

    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=smtp_settings.EMAIL_PORT)
    controller.start()
    try:
        assert outbox_send_pending() == 1
        assert outbox_send_pending() == 0
    finally:
        controller.stop()
    row.refresh_from_db()
    assert row.state == OutboxMail.State.SENT and row.sent_at is not None
    (received,) = inbox.received
    assert received["Message-ID"].strip() == row.message_id
    assert received["Auto-Submitted"] == "auto-generated"
    assert received["To"] == thread.correspondent_address
