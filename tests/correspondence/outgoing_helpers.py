"""[inbox] A thread as ingest makes it (a jobseeker wrote to their counsellor), for replies."""

import datetime as dt

from backoffice.correspondence.models import Thread
from backoffice.correspondence.services.ingest import raw_mail_ingest, raw_mail_store
from tests.factories import AssignmentFactory

from .mails import mail_bytes

INCOMING_ID = "<question-1@example.org>"


def thread_from_jobseeker(
    *, assignment=None, subject="Question sur mon inscription", message_id=INCOMING_ID, **kwargs
):
    """Ingests one real mail from a followed jobseeker; returns its (awaiting) thread."""
    assignment = assignment or AssignmentFactory(**kwargs)
    data = mail_bytes(
        sender=assignment.jobseeker.email,
        to=assignment.counsellor.public_address,
        subject=subject,
        body="Bonjour, je voudrais savoir où en est mon inscription. Merci.",
        message_id=message_id,
        headers={"References": "<earlier@example.org>"},
        date=dt.datetime(2026, 11, 23, 9, 30, tzinfo=dt.UTC),
    )
    raw, _ = raw_mail_store(data=data, mailbox_name="m", source_ref="1", agency=None)
    raw_mail_ingest(raw_mail=raw)
    return Thread.objects.select_related("counsellor__user", "counsellor__agency", "jobseeker").get(
        jobseeker=assignment.jobseeker
    )
