"""Factories for the [sla] tests: threads awaiting an answer and their incoming mail."""

import datetime as dt

import factory
from django.contrib.auth.models import Group

from backoffice.correspondence.models import Message, Thread
from backoffice.organisation import roles
from tests.factories import AgencyFactory, CounsellorFactory, JobseekerFactory, TeamFactory


class ThreadFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Thread

    counsellor = factory.SubFactory(CounsellorFactory)
    agency = factory.LazyAttribute(
        lambda o: o.counsellor.agency if o.counsellor else AgencyFactory()
    )
    jobseeker = factory.SubFactory(JobseekerFactory)
    correspondent_address = factory.LazyAttribute(
        lambda o: o.jobseeker.email if o.jobseeker else "inconnu@example.org"
    )
    subject = factory.Sequence(lambda n: f"Question {n}")
    token = factory.Sequence(lambda n: f"T{n:010d}")
    status = Thread.Status.AWAITING_REPLY


class IncomingMessageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Message

    thread = factory.SubFactory(ThreadFactory)
    direction = Message.Direction.INCOMING
    kind = Message.Kind.NORMAL
    message_id = factory.Sequence(lambda n: f"<m{n}@example.org>")
    from_address = factory.LazyAttribute(lambda o: o.thread.correspondent_address)
    received_at = factory.LazyFunction(lambda: dt.datetime(2026, 3, 6, 14, 0, tzinfo=dt.UTC))
    subject = factory.LazyAttribute(lambda o: o.thread.subject)


def team_with_manager(agency=None):
    """A team whose manager is a counsellor in the manager group, and one counsellor."""
    agency = agency or AgencyFactory()
    manager = CounsellorFactory(agency=agency)
    manager.user.groups.add(Group.objects.get(name=roles.MANAGER))
    team = TeamFactory(agency=agency, manager=manager)
    manager.team = team
    manager.save()
    counsellor = CounsellorFactory(agency=agency, team=team)
    return team, manager, counsellor
