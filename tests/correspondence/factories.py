"""Factories of the correspondence tests (threads and our own outgoing messages)."""

import datetime as dt

import factory

from backoffice.correspondence.models import Message, Thread
from backoffice.correspondence.subjects import subject_normalise
from tests.factories import AssignmentFactory


class ThreadFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Thread

    class Params:
        assignment = factory.SubFactory(AssignmentFactory)

    counsellor = factory.LazyAttribute(lambda o: o.assignment.counsellor)
    agency = factory.LazyAttribute(lambda o: o.counsellor.agency)
    jobseeker = factory.LazyAttribute(lambda o: o.assignment.jobseeker)
    correspondent_address = factory.LazyAttribute(lambda o: o.jobseeker.email)
    subject = "Rendez-vous"
    normalised_subject = factory.LazyAttribute(lambda o: subject_normalise(o.subject))
    token = factory.Sequence(lambda n: f"TK{n:06d}"[:8].replace("0", "A").replace("1", "B"))
    status = Thread.Status.ANSWERED
    last_message_at = factory.LazyFunction(lambda: dt.datetime(2026, 11, 20, 9, tzinfo=dt.UTC))


class OutgoingMessageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Message

    thread = factory.SubFactory(ThreadFactory)
    direction = Message.Direction.OUTGOING
    message_id = factory.Sequence(lambda n: f"<reply-{n}@mailnet.test>")
    from_address = factory.LazyAttribute(lambda o: o.thread.counsellor.public_address)
    to_addresses = factory.LazyAttribute(lambda o: o.thread.correspondent_address)
    received_at = factory.LazyFunction(lambda: dt.datetime(2026, 11, 20, 9, tzinfo=dt.UTC))
    subject = factory.LazyAttribute(lambda o: f"{o.thread.subject} [#{o.thread.token}]")
    body_text = "Bonjour, votre rendez-vous est confirmé."
