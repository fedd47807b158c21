"""[inbox] Reads of the inbox, the team queue, the thread page and the person lookup.

Who may open a thread page (and its HTML frames and attachments) is decided here, once:

| reader        | threads                                                              |
|---------------|----------------------------------------------------------------------|
| administrator | all                                                                  |
| manager       | their agency's, their own, and those of a person they looked up      |
| counsellor    | theirs (assigned or delegated to them), those delegated away from     |
|               | them, those an open consultation asks them about, and those of a      |
|               | person they looked up                                                 |
| anyone else   | none                                                                  |

"Looked up" means opened from the lookup screen (a signed link, checked by the inbox) and
then readable for `LOOKUP_READ_WINDOW`, proven by the ThreadRead row that opening wrote.
(A module of its own, as `sla_selectors`, so the lead may fold it into `selectors`.)
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.utils import timezone

from backoffice.caseloads.models import Assignment, AssignmentKind, Jobseeker
from backoffice.organisation import access, roles
from backoffice.organisation.models import Absence, Counsellor

from .models import (
    Attachment,
    Consultation,
    Message,
    SlaEvent,
    Thread,
    ThreadEvent,
    ThreadRead,
)

LOOKUP_READ_WINDOW = dt.timedelta(hours=8)
READER_ROLES = (roles.COUNSELLOR, roles.MANAGER, roles.NATIONAL_ADMIN)


def reader_may_open_threads(*, user) -> bool:
    """Counsellors, managers and administrators read mail; pilots and editors never do."""
    scope = access.scope_for(user)
    return (
        scope.sees_persons
        and scope.role in READER_ROLES
        and user.has_perm("correspondence.view_thread")
    )


def _current_modality():
    return Subquery(
        Assignment.objects.filter(
            jobseeker_id=OuterRef("jobseeker_id"),
            kind=AssignmentKind.REFERENT,
            ends_on__isnull=True,
        )
        .order_by()
        .values("modality__name")[:1]
    )


def _last_incoming_at():
    return Subquery(
        Message.objects.filter(thread_id=OuterRef("pk"), direction=Message.Direction.INCOMING)
        .order_by("-received_at")
        .values("received_at")[:1]
    )


def _listing(queryset: QuerySet[Thread], *related: str) -> QuerySet[Thread]:
    # Few joins on purpose: the planning time of a wide join weighs on a page that must stay
    # fast; agencies (for the calendars) are read apart, for the page's rows only.
    return queryset.select_related("jobseeker", "employer", "motif__parent", *related).annotate(
        modality_name=_current_modality(), last_incoming_at=_last_incoming_at()
    )


def threads_readable_by(*, user, now: dt.datetime | None = None) -> QuerySet[Thread]:
    """The threads `user` may open by URL (see the table above)."""
    if not reader_may_open_threads(user=user):
        return Thread.objects.none()
    scope = access.scope_for(user)
    if scope.everything:
        return Thread.objects.all()
    now = now or timezone.now()
    me = scope.counsellor_id
    condition = (
        Q(counsellor_id=me)
        | Q(delegated_from_id=me)
        | Exists(
            Consultation.objects.filter(
                thread_id=OuterRef("pk"), expert_id=me, answered_at__isnull=True
            )
        )
        | Exists(
            ThreadRead.objects.filter(
                thread_id=OuterRef("pk"),
                user_id=user.pk,
                via=ThreadRead.Via.LOOKUP,
                read_at__gte=now - LOOKUP_READ_WINDOW,
            )
        )
    )
    if scope.role == roles.MANAGER:
        condition |= Q(agency_id__in=scope.agency_ids)
    return Thread.objects.filter(condition)


def inbox_for(*, counsellor_id: int) -> QuerySet[Thread]:
    """A counsellor's own threads (assigned or delegated to them), with the listing's joins.

    Served by the `thread_inbox` index (counsellor, status, due_at); the modality and the
    last incoming time are per-row subqueries on indexed columns, for the page's rows only.
    """
    return _listing(
        Thread.objects.filter(counsellor_id=counsellor_id), "delegated_from__user"
    ).exclude(status=Thread.Status.TRIAGE)


def inbox_awaiting_count(*, counsellor_id: int) -> int:
    """The menu badge: awaiting threads of one counsellor (an index-only count)."""
    return Thread.objects.filter(
        counsellor_id=counsellor_id, status=Thread.Status.AWAITING_REPLY
    ).count()


def absent_counsellor_ids(*, agency_ids=None, now: dt.datetime) -> list[int]:
    """Counsellors whose absence covers `now` (in these agencies, or everywhere)."""
    absences = Absence.objects.filter(starts_at__lte=now, ends_at__gt=now)
    if agency_ids is not None:
        absences = absences.filter(counsellor__agency_id__in=agency_ids)
    return list(absences.values_list("counsellor_id", flat=True).distinct())


def team_queue_for(
    *, user, now: dt.datetime | None = None, absent_ids: list[int] | None = None
) -> QuerySet[Thread]:
    """The manager's queue: triage, unassigned awaiting threads, and awaiting threads of
    counsellors absent now, in the manager's agency (everywhere for an administrator).
    `absent_ids`: those counsellors, when the caller already has them."""
    scope = access.scope_for(user)
    if scope.role not in (roles.MANAGER, roles.NATIONAL_ADMIN):
        return Thread.objects.none()
    now = now or timezone.now()
    agency_ids = None if scope.everything else scope.agency_ids
    absent = (
        absent_ids
        if absent_ids is not None
        else absent_counsellor_ids(agency_ids=agency_ids, now=now)
    )
    queryset = Thread.objects.filter(
        Q(status=Thread.Status.TRIAGE)
        | Q(status=Thread.Status.AWAITING_REPLY, counsellor__isnull=True)
        | Q(status=Thread.Status.AWAITING_REPLY, counsellor_id__in=absent)
    )
    if agency_ids is not None:
        queryset = queryset.filter(agency_id__in=agency_ids)
    return _listing(queryset, "counsellor__user", "agency", "delegated_from__user")


def dispatch_counsellors(*, user, agency_ids=None) -> QuerySet[Counsellor]:
    """The counsellors a manager may give threads to: active, of the manager's agency."""
    scope = access.scope_for(user)
    queryset = Counsellor.objects.filter(is_active=True).select_related("user", "agency")
    if not scope.everything:
        queryset = queryset.filter(agency_id__in=scope.agency_ids)
    elif agency_ids is not None:
        queryset = queryset.filter(agency_id__in=agency_ids)
    return queryset.order_by("agency__code", "user__last_name", "user__first_name")


def thread_page(*, queryset: QuerySet[Thread], pk: int) -> Thread:
    """One thread with everything its page shows, in a fixed number of queries whatever the
    number of messages, attachments, events and consultations."""
    return (
        queryset.select_related(
            "agency",
            "counsellor__user",
            "delegated_from__user",
            "jobseeker",
            "employer",
            "motif__parent",
        )
        .prefetch_related(
            Prefetch(
                "messages",
                queryset=Message.objects.defer("body_html_with_remote_images", "mime")
                .select_related("author")
                .prefetch_related(
                    Prefetch("attachments", queryset=Attachment.objects.order_by("pk"))
                ),
            ),
            Prefetch(
                "events",
                queryset=ThreadEvent.objects.select_related(
                    "actor", "from_counsellor__user", "to_counsellor__user"
                ),
            ),
            Prefetch("sla_events", queryset=SlaEvent.objects.select_related("recipient__user")),
            Prefetch(
                "consultations",
                queryset=Consultation.objects.select_related("asked_by__user", "expert__user"),
            ),
        )
        .get(pk=pk)
    )


def thread_history(*, thread: Thread) -> list:
    """The thread's moves (ThreadEvent) and clock steps (SlaEvent), oldest first; prefetched
    by `thread_page`."""
    entries = [("event", e.at, e.pk, e) for e in thread.events.all()]
    entries += [("sla", e.at, e.pk, e) for e in thread.sla_events.all()]
    entries.sort(key=lambda entry: (entry[1], entry[0], entry[2]))
    return [{"source": source, "at": at, "item": item} for source, at, _pk, item in entries]


def referent_assignment(*, thread: Thread) -> Assignment | None:
    """The correspondent's open referent assignment (who follows them, in which modality)."""
    if thread.jobseeker_id:
        party = Q(jobseeker_id=thread.jobseeker_id)
    elif thread.employer_id:
        party = Q(employer_id=thread.employer_id)
    else:
        return None
    return (
        Assignment.objects.filter(party, kind=AssignmentKind.REFERENT, ends_on__isnull=True)
        .select_related("counsellor__user", "counsellor__agency", "modality")
        .first()
    )


def correspondent_threads(*, thread: Thread, limit: int = 20) -> list[Thread]:
    """The correspondent's other threads, newest first, whatever the agency."""
    if thread.jobseeker_id:
        party = Q(jobseeker_id=thread.jobseeker_id)
    elif thread.employer_id:
        party = Q(employer_id=thread.employer_id)
    else:
        party = Q(correspondent_address=thread.correspondent_address)
    return list(
        Thread.objects.filter(party)
        .exclude(pk=thread.pk)
        .select_related("agency", "counsellor__user")
        .order_by("-last_message_at", "-pk")[:limit]
    )


def jobseekers_lookup(*, query: str) -> list[Jobseeker]:
    """Jobseekers matching an exact identifier or an exact e-mail address, nationwide."""
    query = (query or "").strip()
    if not query:
        return []
    if "@" in query:
        condition = Q(email=query.lower())
    else:
        condition = Q(identifier=query.upper())
    return list(Jobseeker.objects.filter(condition).order_by("last_name", "first_name")[:20])


def jobseeker_threads(*, jobseekers) -> QuerySet[Thread]:
    """Every thread of these jobseekers, any agency, newest first (the lookup's list)."""
    return (
        Thread.objects.filter(jobseeker__in=jobseekers)
        .select_related("agency", "counsellor__user", "jobseeker", "motif__parent")
        .order_by("-last_message_at", "-pk")
    )
