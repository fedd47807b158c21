"""[inbox] The same reply form posted twice at the same instant (two workers): one message,
one archive entry, one mail; two workers delivering one message send it once."""

import threading

import pytest
from django.db import connection, connections

from backoffice.correspondence.models import ArchiveEntry, Message
from backoffice.correspondence.services.outgoing import message_deliver, reply_queue

from .outgoing_helpers import thread_from_jobseeker


def run_together(work, count=2):
    barrier = threading.Barrier(count)
    results, errors = [], []

    def target():
        try:
            barrier.wait()
            results.append(work())
        except Exception as error:  # kept for the assertion below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=target) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, errors


@pytest.fixture
def postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL; SQLite serialises writers anyway")


def test_two_simultaneous_submissions_queue_one_reply(
    reference_data, postgresql_only, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path / "media"
    thread = thread_from_jobseeker()
    results, errors = run_together(
        lambda: (
            reply_queue(
                thread=thread,
                author=thread.counsellor.user,
                body_html="<p>Bonjour, c'est noté.</p>",
                attachments=[],
                idempotency_key="same-instant",
            ).pk
        )
    )
    assert errors == [] and len(set(results)) == 1
    assert Message.objects.filter(direction=Message.Direction.OUTGOING).count() == 1
    assert ArchiveEntry.objects.filter(kind=ArchiveEntry.Kind.SENT).count() == 1


def test_two_workers_delivering_one_message_send_it_once(
    reference_data, postgresql_only, smtp_server, settings, tmp_path
):
    from tests.conftest import _free_port

    settings.MEDIA_ROOT = tmp_path / "media"
    thread = thread_from_jobseeker()
    settings.EMAIL_PORT = _free_port()  # the send queued on commit fails: still queued
    message = reply_queue(
        thread=thread,
        author=thread.counsellor.user,
        body_html="<p>Bonjour.</p>",
        attachments=[],
        idempotency_key="deliver-twice",
    )
    assert Message.objects.get(pk=message.pk).send_state == Message.SendState.QUEUED
    settings.EMAIL_PORT = smtp_server.port
    results, errors = run_together(lambda: message_deliver(message=Message(pk=message.pk)))
    assert errors == []
    assert sorted(results) == [Message.SendState.SENT, Message.SendState.SENT]
    assert len(smtp_server.envelopes) == 1
    assert Message.objects.get(pk=message.pk).send_attempts == 2
