"""Two workers ingesting the same mail fetched from two mailboxes: one message, not two."""

import threading

import pytest
from django.db import connection, connections

from backoffice.correspondence.models import Message
from backoffice.correspondence.services.ingest import raw_mail_ingest, raw_mail_store
from tests.factories import AssignmentFactory

from .mails import mail_bytes


def test_concurrent_ingests_of_the_same_message_id_make_one_message(reference_data):
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL; SQLite serialises writers anyway")
    assignment = AssignmentFactory()
    data = mail_bytes(
        sender=assignment.jobseeker.email,
        to=assignment.counsellor.public_address,
        message_id="<twice@example.org>",
    )
    raws = [
        raw_mail_store(
            data=f"Delivered-To: box{n}@mailnet.test\r\n".encode() + data,
            mailbox_name=f"box{n}",
            source_ref="1",
            agency=None,
        )[0]
        for n in range(2)
    ]
    barrier = threading.Barrier(2)
    outcomes = []

    def work(raw):
        try:
            barrier.wait()
            outcomes.append(raw_mail_ingest(raw_mail=raw).outcome)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(raw,)) for raw in raws]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["duplicate", "stored"]
    assert Message.objects.count() == 1
