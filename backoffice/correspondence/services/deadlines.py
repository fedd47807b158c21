"""[sla] Starting and stopping a thread's reply clock.

Ingest calls `thread_deadline_start` right after it marked a thread awaiting (status
awaiting, `awaiting_since`) for an incoming mail that is not an auto-reply or a bounce;
the reply service and the "needs no answer" close call `thread_deadline_clear`.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from backoffice.organisation.models import Agency, ClosureDay

from ..models import SlaEvent, Thread
from ..sla import BusinessCalendar, business_deadline


def agency_calendar(*, agency: Agency) -> BusinessCalendar:
    """The agency's calendar: its territory's holidays, its time zone, its closure days."""
    return agency_calendars(agencies=[agency])[agency.pk]


def agency_calendars(*, agencies=None, agency_ids=None) -> dict[int, BusinessCalendar]:
    """The business calendars of several agencies (objects, or ids: one more query), with
    their closure days in one query."""
    if agencies is None:
        agencies = Agency.objects.filter(pk__in=set(agency_ids or ())).only(
            "pk", "territory", "time_zone"
        )
    agencies = {agency.pk: agency for agency in agencies}
    closures = defaultdict(set)
    for agency_id, day in ClosureDay.objects.filter(agency_id__in=agencies).values_list(
        "agency_id", "day"
    ):
        closures[agency_id].add(day)
    return {
        pk: BusinessCalendar(
            territory=agency.territory,
            time_zone=agency.time_zone,
            closure_days=frozenset(closures[pk]),
        )
        for pk, agency in agencies.items()
    }


def deadline_fields(*, start: dt.datetime, calendar: BusinessCalendar) -> dict:
    """The fields a thread takes when its reply clock starts at `start`: due 72 business
    hours later in its agency's calendar, no warning or breach yet."""
    return {
        "due_at": business_deadline(start, settings.MAILNET_SLA_HOURS, calendar),
        "warned_at": None,
        "breached_at": None,
    }


@transaction.atomic
def thread_deadline_start(*, thread: Thread, received_at: dt.datetime) -> dt.datetime | None:
    """Sets `due_at` = awaiting_since (else `received_at`) + 72 business hours, once per wait.

    A thread whose clock already runs keeps its deadline (the oldest unanswered mail
    counts); a thread that is not awaiting (triage, closed) gets none. Returns `due_at`.
    """
    locked = (
        Thread.objects.select_for_update(of=("self",)).select_related("agency").get(pk=thread.pk)
    )
    if locked.status != Thread.Status.AWAITING_REPLY:
        return locked.due_at
    if locked.due_at is not None:
        thread.due_at = locked.due_at
        return locked.due_at
    start = locked.awaiting_since or received_at
    fields = deadline_fields(start=start, calendar=agency_calendar(agency=locked.agency))
    due_at = fields["due_at"]
    if locked.awaiting_since is None:
        fields["awaiting_since"] = start
    Thread.objects.filter(pk=locked.pk).update(**fields)
    for name, value in fields.items():
        setattr(thread, name, value)
    SlaEvent.objects.create(
        thread=locked, kind=SlaEvent.Kind.DEADLINE_SET, at=timezone.now(), due_at=due_at
    )
    return due_at


@transaction.atomic
def thread_deadline_clear(*, thread: Thread, reason: str | None = None) -> None:
    """Stops the clock: a reply was sent, or the thread was closed as needing no answer.

    Leaves the thread's status to the caller; records the reason in the thread's history.
    """
    locked = Thread.objects.select_for_update().get(pk=thread.pk)
    if locked.due_at is None:
        return
    Thread.objects.filter(pk=locked.pk).update(due_at=None)
    thread.due_at = None
    SlaEvent.objects.create(
        thread=locked,
        kind=SlaEvent.Kind.DEADLINE_CLEARED,
        at=timezone.now(),
        due_at=locked.due_at,
        detail=(reason or "")[:300],
    )
