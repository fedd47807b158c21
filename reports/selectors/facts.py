"""The facts of one day, computed from the raw records: the single source of every figure.

The nightly roll-up stores exactly what `day_facts` returns, and the reports compute today
with the same function, so a past day and today can never disagree on a definition.

Definitions (also written in the workbooks' definitions sheet):
- a day is the agency's local calendar day (its time zone);
- a *received mail* is an incoming message that is neither an auto-reply nor a bounce;
- a *wait* starts with the first received mail after the thread's last reply; a *reply*
  is the first outgoing normal message that ends a wait (other outgoing mail is not a
  reply); its *response time* is the business hours of the agency's calendar from the
  start of the wait to the reply; it is *within the commitment* when it is at most
  MAILNET_SLA_HOURS;
- *unanswered at the end of the day*: threads whose last received mail before the end of
  the day came after their last reply;
- a thread is counted for its current counsellor (and their current team), its agency and
  region, and its current motif; its *modality* is the modality of the jobseeker's referent
  assignment that was open on the day of the fact (none for employers and unknown senders);
- holding notices and breaches are the SLA sweep's events of the day; new contacts are the
  contacts created that day; ratings are the satisfaction ratings given that day.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import NamedTuple
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Q

from backoffice.caseloads.models import Assignment, AssignmentKind
from backoffice.correspondence.models import Message, ScheduledContact, SlaEvent, Thread
from backoffice.correspondence.sla import BusinessCalendar, business_hours_between
from backoffice.organisation.models import Agency, ClosureDay, Counsellor

from ..models import Audience, Rating
from .backlog import backlog_counts

# The fact key's field for each grouping of the reports.
KEY_FIELDS = {
    "region": "region_id",
    "agency": "agency_id",
    "team": "team_id",
    "counsellor": "counsellor_id",
    "modality": "modality_id",
    "motif": "motif_id",
    "audience": "audience",
}

UTC = dt.UTC
IN_NORMAL = Q(direction=Message.Direction.INCOMING, kind=Message.Kind.NORMAL)
OUT_NORMAL = Q(direction=Message.Direction.OUTGOING, kind=Message.Kind.NORMAL)

# The counters of a day's flow (what happened that day), summed over any period.
FLOW_COUNTERS = (
    "received",
    "answered",
    "answered_within",
    "holding_notices",
    "breaches",
    "new_contacts",
    "ratings",
    "rating_sum",
)
COUNTERS = (*FLOW_COUNTERS[:3], "unanswered_end", *FLOW_COUNTERS[3:])


class FactKey(NamedTuple):
    """The dimensions of a fact (a tuple: made and hashed by the hundred thousand)."""

    region_id: int | None
    agency_id: int | None
    team_id: int | None
    counsellor_id: int | None
    modality_id: int | None
    motif_id: int | None
    audience: str


@dataclass(slots=True)
class Facts:
    received: int = 0
    answered: int = 0
    answered_within: int = 0
    unanswered_end: int = 0
    holding_notices: int = 0
    breaches: int = 0
    new_contacts: int = 0
    ratings: int = 0
    rating_sum: int = 0
    response_hours: list[float] = field(default_factory=list)


@dataclass(frozen=True)
class AgencyInfo:
    id: int
    region_id: int
    calendar: BusinessCalendar

    @property
    def tz(self) -> ZoneInfo:
        return self.calendar.tz

    def day_of(self, moment: dt.datetime) -> dt.date:
        return moment.astimezone(self.calendar.tz).date()

    def end_of(self, day: dt.date) -> dt.datetime:
        return self.calendar.midnight(day + dt.timedelta(days=1))


def agencies_info(agency_ids=None) -> dict[int, AgencyInfo]:
    """Every (or the given) agency with its business calendar, in two queries."""
    agencies = Agency.objects.all()
    closures = ClosureDay.objects.all()
    if agency_ids is not None:
        agencies = agencies.filter(pk__in=agency_ids)
        closures = closures.filter(agency_id__in=agency_ids)
    closed: dict[int, set[dt.date]] = defaultdict(set)
    for agency_id, day in closures.values_list("agency_id", "day"):
        closed[agency_id].add(day)
    return {
        pk: AgencyInfo(
            pk,
            region_id,
            BusinessCalendar(territory=territory, time_zone=tz, closure_days=frozenset(closed[pk])),
        )
        for pk, region_id, territory, tz in agencies.values_list(
            "pk", "region_id", "territory", "time_zone"
        )
    }


def _window(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """A UTC window wide enough for `day` in every time zone (local days are then checked)."""
    start = dt.datetime.combine(day - dt.timedelta(days=1), dt.time(), tzinfo=UTC)
    return start, start + dt.timedelta(days=3)


class _ModalityIndex:
    """The modality of a jobseeker's referent assignment open on a given day."""

    def __init__(self, jobseeker_ids):
        self._by_jobseeker: dict[int, list[tuple]] = defaultdict(list)
        rows = Assignment.objects.filter(
            jobseeker_id__in=set(jobseeker_ids), kind=AssignmentKind.REFERENT
        ).values_list("jobseeker_id", "starts_on", "ends_on", "modality_id")
        for jobseeker_id, starts_on, ends_on, modality_id in rows:
            self._by_jobseeker[jobseeker_id].append((starts_on, ends_on, modality_id))
        for spans in self._by_jobseeker.values():
            spans.sort(key=lambda span: span[0], reverse=True)

    def at(self, jobseeker_id: int | None, day: dt.date) -> int | None:
        if jobseeker_id is None:
            return None
        for starts_on, ends_on, modality_id in self._by_jobseeker.get(jobseeker_id, ()):
            if starts_on <= day and (ends_on is None or ends_on >= day):
                return modality_id
        return None


def _audience(jobseeker_id, employer_id) -> str:
    if jobseeker_id:
        return Audience.JOBSEEKERS
    if employer_id:
        return Audience.EMPLOYERS
    return Audience.UNKNOWN


THREAD_FIELDS = ("agency_id", "counsellor_id", "jobseeker_id", "employer_id", "motif_id")


def day_facts(*, day: dt.date, agency_ids=None) -> dict[FactKey, Facts]:
    """Every counter of `day`, keyed by region, agency, team, counsellor, modality, motif and
    audience; `agency_ids` narrows to some agencies (None: the whole country).

    The day's activity (`day_flow_facts`) and the threads unanswered at its end
    (`backlog_counts`, grouped in the database) in a fixed number of queries.
    """
    agencies = agencies_info(agency_ids)
    facts = day_flow_facts(day=day, agency_ids=agency_ids, agencies=agencies)
    time_zones = {info.calendar.time_zone for info in agencies.values()}
    for *key, threads in backlog_counts(day=day, time_zones=time_zones, agency_ids=agency_ids):
        facts[FactKey(*key)].unanswered_end += threads
    return dict(facts)


def day_flow_facts(
    *, day: dt.date, agency_ids=None, agencies: dict[int, AgencyInfo] | None = None
) -> defaultdict[FactKey, Facts]:
    """The counters of what happened on `day` (mail received, replies, SLA events, ratings,
    new contacts): everything but the backlog at the end of the day.

    A fixed number of queries, each reading one day's worth of rows (the replies' thread
    histories apart); the rest is done in Python.
    """
    if agencies is None:
        agencies = agencies_info(agency_ids)
    lo, hi = _window(day)

    def in_scope(qs, path="thread__agency_id"):
        return qs if agency_ids is None else qs.filter(**{f"{path}__in": agency_ids})

    # Raw material, each as (thread id, moment[, extra]); mail of the window in one pass.
    received, replied_threads = [], set()
    for thread_id, direction, moment in in_scope(
        Message.objects.filter(IN_NORMAL | OUT_NORMAL, received_at__gte=lo, received_at__lt=hi)
    ).values_list("thread_id", "direction", "received_at"):
        if direction == Message.Direction.INCOMING:
            received.append((thread_id, moment))
        else:
            replied_threads.add(thread_id)
    events = in_scope(
        SlaEvent.objects.filter(
            kind__in=[SlaEvent.Kind.HOLDING_NOTICE, SlaEvent.Kind.BREACH], at__gte=lo, at__lt=hi
        )
    ).values_list("thread_id", "at", "kind")
    ratings = in_scope(
        Rating.objects.filter(created_at__gte=lo, created_at__lt=hi),
        "message__thread__agency_id",
    ).values_list("message__thread_id", "created_at", "score")
    contacts = in_scope(
        ScheduledContact.objects.filter(created_at__gte=lo, created_at__lt=hi),
        "counsellor__agency_id",
    ).values_list(
        "counsellor_id",
        "counsellor__agency_id",
        "jobseeker_id",
        "employer_id",
        "thread__motif_id",
        "created_at",
    )
    events, ratings, contacts = list(events), list(ratings), list(contacts)

    # Replies: walk each replied thread's history up to the end of the window.
    history: dict[int, list[tuple]] = defaultdict(list)
    for thread_id, direction, moment in (
        Message.objects.filter(IN_NORMAL | OUT_NORMAL, thread_id__in=replied_threads)
        .filter(received_at__lt=hi)
        .order_by("thread_id", "received_at", "pk")
        .values_list("thread_id", "direction", "received_at")
    ):
        history[thread_id].append((direction, moment))
    replies = []  # (thread_id, wait start, reply moment)
    for thread_id, items in history.items():
        wait_start = None
        for direction, moment in items:
            if direction == Message.Direction.INCOMING:
                wait_start = wait_start or moment
            elif wait_start is not None:
                if moment >= lo:
                    replies.append((thread_id, wait_start, moment))
                wait_start = None

    # Dimensions of every thread and counsellor touched, in two queries.
    thread_ids = (
        {t for t, _m in received}
        | {t for t, _s, _r in replies}
        | {t for t, _a, _k in events}
        | {t for t, _c, _s in ratings}
    )
    threads = {
        row[0]: row[1:]
        for row in Thread.objects.filter(pk__in=thread_ids).values_list("pk", *THREAD_FIELDS)
    }
    counsellor_ids = {t[1] for t in threads.values() if t[1]} | {c[0] for c in contacts}
    teams = dict(Counsellor.objects.filter(pk__in=counsellor_ids).values_list("pk", "team_id"))
    modalities = _ModalityIndex(
        {t[2] for t in threads.values() if t[2]} | {c[2] for c in contacts if c[2]}
    )

    facts: defaultdict[FactKey, Facts] = defaultdict(Facts)

    def key_for(agency_id, counsellor_id, jobseeker_id, employer_id, motif_id) -> FactKey:
        info = agencies[agency_id]
        return FactKey(
            info.region_id,
            agency_id,
            teams.get(counsellor_id),
            counsellor_id,
            modalities.at(jobseeker_id, day),
            motif_id,
            _audience(jobseeker_id, employer_id),
        )

    def thread_fact(thread_id, moment) -> Facts | None:
        agency_id, *rest = threads[thread_id]
        if agency_id not in agencies or agencies[agency_id].day_of(moment) != day:
            return None
        return facts[key_for(agency_id, *rest)]

    for thread_id, moment in received:
        if (fact := thread_fact(thread_id, moment)) is not None:
            fact.received += 1
    sla_hours = settings.MAILNET_SLA_HOURS
    for thread_id, wait_start, moment in replies:
        if (fact := thread_fact(thread_id, moment)) is not None:
            hours = business_hours_between(
                wait_start, moment, agencies[threads[thread_id][0]].calendar
            )
            fact.answered += 1
            fact.answered_within += hours <= sla_hours
            fact.response_hours.append(round(hours, 4))
    for thread_id, moment, kind in events:
        if (fact := thread_fact(thread_id, moment)) is not None:
            if kind == SlaEvent.Kind.HOLDING_NOTICE:
                fact.holding_notices += 1
            else:
                fact.breaches += 1
    for thread_id, moment, score in ratings:
        if (fact := thread_fact(thread_id, moment)) is not None:
            fact.ratings += 1
            fact.rating_sum += score
    for counsellor_id, agency_id, jobseeker_id, employer_id, motif_id, moment in contacts:
        if agency_id in agencies and agencies[agency_id].day_of(moment) == day:
            key = key_for(agency_id, counsellor_id, jobseeker_id, employer_id, motif_id)
            facts[key].new_contacts += 1
    return facts
