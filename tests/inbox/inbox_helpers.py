"""Builders shared by the inbox-screen tests: people, threads with a deadline, messages."""

import datetime as dt

from django.contrib.auth.models import Group

from backoffice.caseloads.models import Assignment
from backoffice.correspondence.models import Message
from backoffice.organisation import roles
from backoffice.organisation.models import Absence
from tests.correspondence.sla_factories import ThreadFactory, team_with_manager
from tests.factories import (
    AgencyFactory,
    AssignmentFactory,
    CounsellorFactory,
    JobseekerFactory,
    UserFactory,
    modality,
)

# A Wednesday, 10:00 in Paris: 72 business hours from here end on Saturday 00:00.
NOW = dt.datetime(2026, 3, 4, 9, 0, tzinfo=dt.UTC)

__all__ = [
    "NOW",
    "AgencyFactory",
    "CounsellorFactory",
    "ThreadFactory",
    "UserFactory",
    "absent",
    "admin_user",
    "followed_thread",
    "incoming",
    "manager_of",
    "outgoing",
    "team_with_manager",
]


def admin_user():
    return UserFactory(role=roles.NATIONAL_ADMIN)


def manager_of(agency):
    manager = CounsellorFactory(agency=agency)
    manager.user.groups.add(Group.objects.get(name=roles.MANAGER))
    return manager


def followed_thread(counsellor, *, modality_code="GUIDE", due_in=None, jobseeker=None, **kwargs):
    """A thread of a jobseeker whom `counsellor` follows (open referent assignment)."""
    jobseeker = jobseeker or JobseekerFactory()
    if not Assignment.objects.filter(jobseeker=jobseeker, ends_on__isnull=True).exists():
        AssignmentFactory(
            jobseeker=jobseeker, counsellor=counsellor, modality=modality(modality_code)
        )
    if due_in is not None:
        kwargs.setdefault("due_at", NOW + due_in)
    kwargs.setdefault("last_message_at", NOW - dt.timedelta(hours=1))
    return ThreadFactory(
        counsellor=counsellor, agency=counsellor.agency, jobseeker=jobseeker, **kwargs
    )


def incoming(thread, n=0, *, at=None, **kwargs):
    return Message.objects.create(
        thread=thread,
        direction=Message.Direction.INCOMING,
        message_id=f"<in{n}-{thread.pk}@example.org>",
        from_address=thread.correspondent_address,
        received_at=at or (NOW - dt.timedelta(hours=2) + dt.timedelta(minutes=n)),
        subject=thread.subject,
        body_text=kwargs.pop("body_text", f"Bonjour {n}"),
        **kwargs,
    )


def outgoing(thread, n=0, **kwargs):
    return Message.objects.create(
        thread=thread,
        direction=Message.Direction.OUTGOING,
        message_id=f"<out{n}-{thread.pk}@mailnet.test>",
        from_address=thread.counsellor.public_address if thread.counsellor else "x@mailnet.test",
        to_addresses=thread.correspondent_address,
        received_at=kwargs.pop("at", NOW - dt.timedelta(minutes=30) + dt.timedelta(minutes=n)),
        subject=f"Re: {thread.subject}",
        body_text=kwargs.pop("body_text", f"Réponse {n}"),
        **kwargs,
    )


def absent(counsellor, *, delegate=None):
    return Absence.objects.create(
        counsellor=counsellor,
        starts_at=NOW - dt.timedelta(days=1),
        ends_at=NOW + dt.timedelta(days=7),
        delegate=delegate,
    )
