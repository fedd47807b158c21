"""Shared pieces of the privacy tests: a small archive chain and ways to tamper with it."""

import datetime as dt
from types import SimpleNamespace

import pytest
from django.db import connection

from backoffice.correspondence.models import ArchiveEntry, Message, ThreadRead
from backoffice.correspondence.services.archive import archive_append
from backoffice.correspondence.services.ingest import raw_mail_store
from backoffice.organisation import roles
from tests.correspondence.sla_factories import ThreadFactory
from tests.factories import UserFactory

UTC = dt.UTC


def mail_bytes(n: int, subject: str = "Question") -> bytes:
    return (
        f"From: de{n}@example.org\r\nTo: conseiller@mailnet.test\r\n"
        f"Message-ID: <m{n}@example.org>\r\nSubject: {subject} {n}\r\n\r\n"
        f"Bonjour, ceci est le courriel {n}.\r\n"
    ).encode()


def raw_store(n: int, agency=None):
    raw, _created = raw_mail_store(
        data=mail_bytes(n), mailbox_name="test", source_ref=f"uid:{n}", agency=agency
    )
    return raw


def sent_store(thread, n: int, *, at=None) -> Message:
    mime = (
        f"From: {thread.counsellor.public_address}\r\nTo: {thread.correspondent_address}\r\n"
        f"Message-ID: <reply-{n}@mailnet.test>\r\nSubject: Re: réponse {n}\r\n\r\n"
        f"Réponse {n}.\r\n"
    ).encode()
    message = Message.objects.create(
        thread=thread,
        direction=Message.Direction.OUTGOING,
        message_id=f"<reply-{n}@mailnet.test>",
        from_address=thread.counsellor.public_address,
        to_addresses=thread.correspondent_address,
        received_at=at or dt.datetime(2026, 3, 9, 10, tzinfo=UTC),
        subject=f"Re: réponse {n}",
        body_text=f"Réponse {n}.",
        send_state=Message.SendState.SENT,
        mime=mime,
    )
    archive_append(kind=ArchiveEntry.Kind.SENT, object_id=message.pk, data=mime)
    return message


def tamper(sql: str, params=()) -> None:
    """Changes stored rows behind the application's back, as an intruder with database access
    would (on PostgreSQL, with the no-update triggers switched off, as a superuser can)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = replica")
        try:
            cursor.execute(sql, params)
        finally:
            if connection.vendor == "postgresql":
                cursor.execute("SET session_replication_role = DEFAULT")


@pytest.fixture
def chain(db):
    """Six entries: raw, raw, sent, raw, sent, raw (seq 1..6)."""
    thread = ThreadFactory()
    raws = [raw_store(1), raw_store(2)]
    sent = [sent_store(thread, 1)]
    raws.append(raw_store(3))
    sent.append(sent_store(thread, 2))
    raws.append(raw_store(4))
    return SimpleNamespace(thread=thread, raws=raws, sent=sent)


@pytest.fixture
def admin_user(db):
    return UserFactory(role=roles.NATIONAL_ADMIN, email="admin.national@mailnet.test")


def read(thread, user, at, *, outside=True):
    return ThreadRead.objects.create(
        thread=thread, user=user, read_at=at, outside_caseload=outside, via="lookup"
    )
