"""[sla] Reads of the reply clock: due threads, history, notices and the manager's queue.

(A module of its own while [inbox] writes `selectors`; the lead may fold it in.)
"""

from __future__ import annotations

import datetime as dt

from django.db.models import QuerySet

from .models import ScheduledContact, SlaEvent, Thread


def threads_due_before(*, moment: dt.datetime) -> QuerySet[Thread]:
    """Awaiting threads due before `moment`, soonest first (served by a partial index)."""
    return (
        Thread.objects.filter(
            status=Thread.Status.AWAITING_REPLY, due_at__isnull=False, due_at__lt=moment
        )
        .select_related("agency", "counsellor__user", "jobseeker", "employer")
        .order_by("due_at")
    )


def thread_sla_history(*, thread: Thread) -> QuerySet[SlaEvent]:
    """The clock's history of one thread: deadlines set and cleared, warnings, notices."""
    return SlaEvent.objects.filter(thread_id=thread.pk).select_related("recipient__user")


def thread_scheduled_contacts(*, thread: Thread) -> QuerySet[ScheduledContact]:
    return ScheduledContact.objects.filter(thread_id=thread.pk).select_related("counsellor__user")


def sla_notices_for(*, counsellor_id: int, unread_only: bool = True) -> QuerySet[SlaEvent]:
    """A counsellor's (or manager's) persistent notices from the sweep, newest first."""
    queryset = SlaEvent.objects.filter(recipient_id=counsellor_id)
    if unread_only:
        queryset = queryset.filter(read_at__isnull=True)
    return queryset.select_related("thread").order_by("-at", "-pk")


def manager_breach_queue(*, agency_ids) -> QuerySet[Thread]:
    """Threads past their deadline and still awaiting, for the managers of these agencies."""
    return (
        Thread.objects.filter(
            agency_id__in=agency_ids,
            status=Thread.Status.AWAITING_REPLY,
            breached_at__isnull=False,
        )
        .select_related("agency", "counsellor__user", "jobseeker", "employer")
        .order_by("due_at")
    )
