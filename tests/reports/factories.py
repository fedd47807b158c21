"""Threads and messages made directly (ingest and the reply screen belong to other issues)."""

import datetime as dt
from zoneinfo import ZoneInfo

import factory

from backoffice.correspondence.models import Message, ScheduledContact, SlaEvent, Thread
from reports.models import Rating
from tests.factories import AgencyFactory

PARIS = ZoneInfo("Europe/Paris")


def paris(text: str) -> dt.datetime:
    """'2026-03-09 10:00' as an aware Paris datetime."""
    return dt.datetime.fromisoformat(text).replace(tzinfo=PARIS)


class ThreadFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Thread

    agency = factory.SubFactory(AgencyFactory)
    correspondent_address = factory.Sequence(lambda n: f"correspondant{n}@example.org")
    subject = factory.Sequence(lambda n: f"Question {n}")
    token = factory.Sequence(lambda n: f"T{n:010d}")


class MessageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Message

    thread = factory.SubFactory(ThreadFactory)
    direction = Message.Direction.INCOMING
    kind = Message.Kind.NORMAL
    message_id = factory.Sequence(lambda n: f"<m{n}@example.org>")
    from_address = "someone@example.org"
    received_at = factory.LazyFunction(lambda: paris("2026-03-09 10:00"))


def incoming(thread, when: str, kind=Message.Kind.NORMAL) -> Message:
    return MessageFactory(thread=thread, received_at=paris(when), kind=kind)


def reply(thread, when: str) -> Message:
    return MessageFactory(
        thread=thread, direction=Message.Direction.OUTGOING, received_at=paris(when)
    )


def sla_event(thread, kind: str, when: str) -> SlaEvent:
    return SlaEvent.objects.create(thread=thread, kind=kind, at=paris(when))


def contact(*, counsellor, jobseeker=None, when: str) -> ScheduledContact:
    made = ScheduledContact.objects.create(
        counsellor=counsellor, jobseeker=jobseeker, scheduled_for=paris(when)
    )
    ScheduledContact.objects.filter(pk=made.pk).update(created_at=paris(when))
    return made


def rating(message, score: int, when: str) -> Rating:
    return Rating.objects.create(message=message, score=score, created_at=paris(when))
