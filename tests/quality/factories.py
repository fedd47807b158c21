"""Factories of the quality tests: teams with members who sent replies."""

import datetime as dt

from backoffice.correspondence.models import Message
from tests.correspondence.factories import OutgoingMessageFactory, ThreadFactory
from tests.factories import AssignmentFactory, CounsellorFactory

# Week 2026-W47 runs from Monday 16 to Monday 23 November 2026 (Paris).
WEEK = "2026-W47"
IN_WEEK = dt.datetime(2026, 11, 18, 10, tzinfo=dt.UTC)
MONDAY_AFTER = dt.datetime(2026, 11, 23, 5, tzinfo=dt.UTC)  # 06:00 in Paris


def member(team, **kwargs):
    return CounsellorFactory(agency=team.agency, team=team, **kwargs)


def sent_replies(counsellor, count, *, at=IN_WEEK):
    thread = ThreadFactory(assignment=AssignmentFactory(counsellor=counsellor))
    incoming = Message.objects.create(
        thread=thread,
        direction=Message.Direction.INCOMING,
        message_id=f"<in-{thread.pk}@example.org>",
        from_address=thread.correspondent_address,
        received_at=at - dt.timedelta(hours=2),
        subject="Ma formation",
        body_text="Bonjour, où en est ma demande de formation ?",
    )
    return [
        OutgoingMessageFactory(
            thread=thread,
            author=counsellor.user,
            send_state=Message.SendState.SENT,
            sent_at=at + dt.timedelta(minutes=i),
            received_at=at + dt.timedelta(minutes=i),
            in_reply_to=incoming.message_id,
            body_text=f"Votre dossier de formation est validé ({i}).",
        )
        for i in range(count)
    ]
