"""Indicators over a period, grouped by one dimension, within a report scope.

Past days are read from the daily roll-up; today (and any past day not rolled up yet) is
computed live with `day_facts`, so the same definitions hold everywhere.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import statistics
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import NamedTuple

from django.db import connection
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from answer_repository.models import Motif
from backoffice.caseloads.models import Modality
from backoffice.organisation.models import Agency, Counsellor, Region, Team

from ..models import Audience, DailyRollup, RollupDay
from ..periods import Period
from .denominators import (
    CASELOAD_PATHS,
    COUNSELLOR_PATHS,
    active_counsellors,
    caseload_counts,
    narrow,
)
from .facts import COUNTERS, FLOW_COUNTERS, KEY_FIELDS, FactKey, Facts, day_facts
from .scope import ReportScope

GROUP_LABELS = {
    "region": _("Région"),
    "agency": _("Agence"),
    "team": _("Équipe"),
    "counsellor": _("Conseiller"),
    "modality": _("Modalité de suivi"),
    "motif_family": _("Famille de motifs"),
    "motif": _("Motif"),
    "audience": _("Public"),
    "day": _("Jour"),
    "total": _("Total"),
}
NOT_SET = _("non renseigné")


def motif_families() -> dict[int, int]:
    """Each motif's family: a precise motif's parent, a family itself (one small query)."""
    return {pk: parent or pk for pk, parent in Motif.objects.values_list("pk", "parent_id")}


def motif_family_members(family_id: int) -> list[int]:
    """The family and its precise motifs: what a filter on a family keeps."""
    return [pk for pk, family in motif_families().items() if family == family_id]


class FactRow(NamedTuple):
    """One (day, key) line of facts, from the roll-up or live (a tuple: cheap to make)."""

    day: dt.date
    key: FactKey
    facts: Facts
    # A day's total of roll-up rows that hold only a backlog (no activity): counted for the
    # "day" grouping only, so a month does not read every counsellor's row of every day.
    backlog_only: bool = False


@dataclass
class ReportRow:
    key: object
    label: str
    received: int = 0
    received_jobseekers: int = 0
    answered: int = 0
    answered_within: int = 0
    unanswered_end: int = 0
    holding_notices: int = 0
    breaches: int = 0
    new_contacts: int = 0
    ratings: int = 0
    rating_sum: int = 0
    response_hours: list[float] = field(default_factory=list, repr=False)
    caseload: int | None = None
    counsellors: int | None = None
    counsellors_answering: int | None = None

    @property
    def within_rate(self) -> float | None:
        return self.answered_within / self.answered if self.answered else None

    @property
    def median_hours(self) -> float | None:
        return round(statistics.median(self.response_hours), 2) if self.response_hours else None

    @property
    def p90_hours(self) -> float | None:
        """Nearest-rank 90th percentile: the smallest time at least 90 % of replies beat."""
        if not self.response_hours:
            return None
        ordered = sorted(self.response_hours)
        return round(ordered[math.ceil(0.9 * len(ordered)) - 1], 2)

    @property
    def per_100_jobseekers(self) -> float | None:
        if not self.caseload:
            return None
        return round(100 * self.received_jobseekers / self.caseload, 2)

    @property
    def adoption_rate(self) -> float | None:
        if not self.counsellors:
            return None
        return (self.counsellors_answering or 0) / self.counsellors

    @property
    def satisfaction(self) -> float | None:
        return round(self.rating_sum / self.ratings, 2) if self.ratings else None

    def add(self, day_row: FactRow, *, last_day: dt.date) -> None:
        # Spelled out rather than looped over COUNTERS: this runs once per roll-up row.
        facts = day_row.facts
        self.received += facts.received
        self.answered += facts.answered
        self.answered_within += facts.answered_within
        self.holding_notices += facts.holding_notices
        self.breaches += facts.breaches
        self.new_contacts += facts.new_contacts
        self.ratings += facts.ratings
        self.rating_sum += facts.rating_sum
        if day_row.key.audience == Audience.JOBSEEKERS:
            self.received_jobseekers += facts.received
        if day_row.day == last_day:
            self.unanswered_end += facts.unanswered_end
        if facts.response_hours:
            self.response_hours.extend(facts.response_hours)


# --- reading facts -----------------------------------------------------------------------

ROLLUP_FIELDS = (
    "day",
    "region_id",
    "agency_id",
    "team_id",
    "counsellor_id",
    "modality_id",
    "motif_id",
    "audience",
    *COUNTERS,
    "response_hours",
)


NO_KEY = FactKey(None, None, None, None, None, None, "")


def _rollup_rows(
    days: list[dt.date], last_day: dt.date, scope: ReportScope, extra: Q, daily_backlog: bool
) -> Iterator[FactRow]:
    """Rows with activity of every day, every row of the last day, and (`daily_backlog`)
    one backlog total per other day: backlog-only rows are most rows of a day, and only the
    last day's count for a period; the days' totals only serve the "day" grouping."""
    if not days:
        return
    scoped = DailyRollup.objects.filter(scope.rollup_filter()).filter(extra)
    # Two reads rather than one with an OR: each follows its index (flow rows by day, a day).
    earlier = [d for d in days if d != last_day]
    parts = [scoped.filter(day=last_day)] if last_day in days else []
    if earlier:
        parts.insert(0, scoped.filter(flow=True, day__in=earlier))
    for qs in parts:
        for values in _raw_values(qs.values_list(*ROLLUP_FIELDS)):
            day, *key_values = values[:8]
            if isinstance(day, str):  # SQLite hands dates back as text
                day = dt.date.fromisoformat(day)
            hours = values[-1]
            # Decoded only where there are some: most rows hold "[]" (or a decoded list).
            if isinstance(hours, str):
                hours = json.loads(hours) if hours != "[]" else []
            yield FactRow(day, FactKey(*key_values), Facts(*values[8:-1], response_hours=hours))
    if not daily_backlog or not earlier:
        return
    backlog = (
        scoped.filter(flow=False, day__in=earlier)
        .values_list("day")
        .annotate(total=Sum("unanswered_end"))
        .order_by()
    )
    for day, total in backlog:
        yield FactRow(day, NO_KEY, Facts(unanswered_end=total or 0), backlog_only=True)


def _raw_values(qs, chunk: int = 20_000) -> Iterator[tuple]:
    """The rows of a values_list queryset straight from the cursor, without the ORM's
    per-row converters (a month of a region is some 60,000 roll-up rows, a third of the
    time of a report screen); the caller converts the two columns that need it."""
    sql, params = qs.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        while batch := cursor.fetchmany(chunk):
            yield from batch


def _key_filters(filters: dict) -> tuple[Q, Callable[[FactKey], bool]]:
    """The key filters as a Q on the roll-up and as a test of a live key. `motif_family_id`
    keeps the family and its precise motifs; every other name is a key field's value."""
    equal = {k: v for k, v in filters.items() if k != "motif_family_id"}
    members = None
    if filters.get("motif_family_id"):
        members = set(motif_family_members(filters["motif_family_id"]))
    q = Q(**equal) & (Q(motif_id__in=members) if members is not None else Q())

    def matches(key: FactKey) -> bool:
        if members is not None and key.motif_id not in members:
            return False
        return all(getattr(key, name) == value for name, value in equal.items())

    return q, matches


def _period_days(period: Period, today: dt.date) -> tuple[list[dt.date], list[dt.date]]:
    """(rolled-up days, live days) of the period up to today: days before today with a
    complete roll-up are read from it, the others (today first) are computed live."""
    days = [d for d in period.days if d <= today]
    rolled = set(
        RollupDay.objects.filter(day__in=[d for d in days if d < today]).values_list(
            "day", flat=True
        )
    )
    return sorted(rolled), [d for d in days if d not in rolled]


def _clean_filters(filters: dict | None) -> dict:
    return {k: v for k, v in (filters or {}).items() if v not in (None, "")}


def live_fact_rows(
    *, period: Period, scope: ReportScope, filters: dict | None = None, today=None
) -> list[FactRow]:
    """The facts of the period's days that are not rolled up (today, at least), computed
    from the raw records: what `report_rows` adds to the roll-up. Read it once when one
    screen groups the same period several ways."""
    filters = _clean_filters(filters)
    _key_q, key_matches = _key_filters(filters)
    _rolled, live_days = _period_days(period, today or timezone.localdate())
    if not live_days:
        return []
    agency_ids = scope.agency_ids_or_none()
    return [
        FactRow(day, key, facts)
        for day in live_days
        for key, facts in day_facts(day=day, agency_ids=agency_ids).items()
        if key_matches(key)
    ]


def fact_rows(
    *,
    period: Period,
    scope: ReportScope,
    filters: dict | None = None,
    today: dt.date | None = None,
    daily_backlog: bool = True,
) -> Iterator[FactRow]:
    """Every (day, key) of the period within the scope; `filters` maps key fields
    (region_id, agency_id, modality_id, motif_id, audience...) to the one value they must
    have, and `motif_family_id` to a family whose motifs are kept. Without `daily_backlog`,
    days before the last carry no backlog (only the "day" grouping shows one per day)."""
    filters = _clean_filters(filters)
    key_q, _key_matches = _key_filters(filters)
    today = today or timezone.localdate()
    rolled, _live = _period_days(period, today)
    last_day = min(period.end, today)
    yield from _rollup_rows(rolled, last_day, scope, key_q, daily_backlog)
    yield from live_fact_rows(period=period, scope=scope, filters=filters, today=today)


# --- grouping ----------------------------------------------------------------------------


def _labels(group_by: str, keys: Iterable) -> dict:
    ids = [k for k in keys if k is not None]
    if group_by == "region":
        return {r.pk: r.name for r in Region.objects.filter(pk__in=ids)}
    if group_by == "agency":
        return {a.pk: str(a) for a in Agency.objects.filter(pk__in=ids)}
    if group_by == "team":
        return {t.pk: str(t) for t in Team.objects.filter(pk__in=ids).select_related("agency")}
    if group_by == "counsellor":
        return {
            c.pk: f"{c.full_name} ({c.matricule})"
            for c in Counsellor.objects.filter(pk__in=ids).select_related("user")
        }
    if group_by == "modality":
        return {m.pk: m.name for m in Modality.objects.filter(pk__in=ids)}
    if group_by in ("motif", "motif_family"):
        return dict(Motif.objects.filter(pk__in=ids).values_list("pk", "name"))
    if group_by == "audience":
        return dict(Audience.choices)
    if group_by == "day":
        return {d: f"{d:%d/%m/%Y}" for d in ids}
    return {}


GROUP_COLUMNS = {**KEY_FIELDS, "motif_family": "motif_id", "day": "day", "total": None}


def _rolled_groups(
    grouped: dict,
    answering: dict,
    *,
    days: list[dt.date],
    last_day: dt.date,
    group_by: str,
    scope: ReportScope,
    key_q: Q,
    families: dict,
    volumes_only: bool = False,
) -> None:
    """Adds the rolled-up `days` to `grouped` (ReportRow per key) and `answering`
    (counsellors who answered, per key), grouped by the database: sums per key, the
    backlog of the last day (of each day for "day"), then the response times and the
    answering counsellors of the rows that hold replies."""
    if not days:
        return
    column = GROUP_COLUMNS[group_by]
    scoped = DailyRollup.objects.filter(scope.rollup_filter()).filter(key_q)
    flows = scoped.filter(flow=True, day__in=days)

    def row_for(value) -> ReportRow:
        if group_by == "total":
            key = "total"
        elif group_by == "motif_family":
            key = families.get(value)
        else:
            key = value
        if isinstance(key, str) and group_by == "day":  # SQLite hands dates back as text
            key = dt.date.fromisoformat(key)
        row = grouped.get(key)
        if row is None:
            row = grouped[key] = ReportRow(key=key, label="")
        return row

    # Named apart from the columns they add up (the ORM refuses an aggregate over itself).
    sums = {f"sum_{name}": Sum(name) for name in FLOW_COUNTERS}
    sums["sum_received_jobseekers"] = Sum("received", filter=Q(audience=Audience.JOBSEEKERS))

    def grouped_sums(qs, **aggregates):
        if column is None:
            return [qs.aggregate(**aggregates)]
        return qs.values(column).annotate(**aggregates).order_by()

    for values in grouped_sums(flows, **sums):
        if column is None and values["sum_received"] is None:
            break  # no row at all
        row = row_for(values.get(column) if column else None)
        for name in (*FLOW_COUNTERS, "received_jobseekers"):
            setattr(row, name, getattr(row, name) + (values[f"sum_{name}"] or 0))
    daily = group_by == "day" and not volumes_only
    backlog_days = days if daily else [d for d in days if d == last_day]
    if backlog_days:
        backlog = scoped.filter(day__in=backlog_days, unanswered_end__gt=0)
        for values in grouped_sums(backlog, backlog=Sum("unanswered_end")):
            if values["backlog"]:
                row = row_for(values.get(column) if column else None)
                row.unanswered_end += values["backlog"]
    if volumes_only:
        return
    replies = flows.filter(answered__gt=0)
    for value, hours in _raw_values(replies.values_list(column or "day", "response_hours")):
        if isinstance(hours, str):
            hours = json.loads(hours)
        row_for(value if column else None).response_hours.extend(hours)
    if group_by in COUNSELLOR_PATHS or group_by == "total":
        pairs = replies.filter(counsellor_id__isnull=False).values_list(
            column or "day", "counsellor_id"
        )
        for value, counsellor_id in pairs.distinct().order_by():
            answering[row_for(value if column else None).key].add(counsellor_id)


def report_rows(
    *,
    period: Period,
    group_by: str,
    scope: ReportScope,
    filters: dict | None = None,
    today: dt.date | None = None,
    rows: list[FactRow] | None = None,
    live_rows: list[FactRow] | None = None,
    volumes_only: bool = False,
) -> list[ReportRow]:
    """The indicators of `period` in `scope`, one row per value of `group_by` (or "total",
    or "day"), sorted by label. Raises PermissionError for a grouping the scope may not see.

    `rows`: every fact of the period already read (`fact_rows`), grouped here (a workbook
    reads them once for all its sheets). Otherwise the database groups the rolled-up days
    and only the live days are grouped here (`live_rows` when the caller has them);
    `volumes_only` (a chart) skips their response times, answering counsellors and the
    backlog of each day.
    """
    if group_by == "counsellor" and not scope.counsellor_level:
        raise PermissionError("counsellor-level figures are not in this scope")
    today = today or timezone.localdate()
    last_day = min(period.end, today)
    families = motif_families() if group_by == "motif_family" else {}
    grouped: dict[object, ReportRow] = {}
    answering: dict[object, set] = defaultdict(set)
    if rows is None:
        rolled, _live = _period_days(period, today)
        key_q, _matches = _key_filters(_clean_filters(filters))
        _rolled_groups(
            grouped,
            answering,
            days=rolled,
            last_day=last_day,
            group_by=group_by,
            scope=scope,
            key_q=key_q,
            families=families,
            volumes_only=volumes_only,
        )
        if live_rows is None:
            live_rows = live_fact_rows(period=period, scope=scope, filters=filters, today=today)
        rows = live_rows
    for row in rows:
        if row.backlog_only:
            if group_by == "day":
                day_row = grouped.setdefault(row.day, ReportRow(key=row.day, label=""))
                day_row.unanswered_end += row.facts.unanswered_end
            continue
        if group_by == "total":
            key = "total"
        elif group_by == "day":
            key = row.day
        elif group_by == "motif_family":
            key = families.get(row.key.motif_id)
        else:
            key = getattr(row.key, KEY_FIELDS[group_by])
        report_row = grouped.get(key)
        if report_row is None:
            report_row = grouped[key] = ReportRow(key=key, label="")
        report_row.add(row, last_day=row.day if group_by == "day" else last_day)
        if row.facts.answered and row.key.counsellor_id:
            answering[key].add(row.key.counsellor_id)

    # Denominators: caseloads and counsellors, one grouped query each.
    filters = filters or {}
    wants_caseload = group_by in CASELOAD_PATHS or group_by == "total"
    if wants_caseload and filters.get("audience") in (None, "", Audience.JOBSEEKERS):
        counts = caseload_counts(end=period.end, scope=scope, filters=filters, group_by=group_by)
        for key, count in counts.items():
            if count and key not in grouped and group_by != "modality":
                grouped[key] = ReportRow(key=key, label="")
            if key in grouped:
                grouped[key].caseload = count
    if group_by in COUNSELLOR_PATHS or group_by == "total":
        members = narrow(active_counsellors(scope), filters, "agency", counsellors=True)
        per_group: dict[object, set] = defaultdict(set)
        for pk, group in members.values_list("pk", COUNSELLOR_PATHS.get(group_by, "pk")):
            per_group["total" if group_by == "total" else group].add(pk)
        for key, ids in per_group.items():
            if key not in grouped:
                grouped[key] = ReportRow(key=key, label="")
            grouped[key].counsellors = len(ids)
            grouped[key].counsellors_answering = len(ids & answering.get(key, set()))

    labels = _labels(group_by, grouped)
    for key, row in grouped.items():
        if group_by == "total":
            row.label = str(GROUP_LABELS["total"])
        else:
            row.label = str(labels.get(key, NOT_SET))
    if group_by == "day":
        return [grouped[k] for k in sorted(grouped)]
    return sorted(grouped.values(), key=lambda r: (r.key is None, r.label))


def report_totals(**kwargs) -> ReportRow:
    """The indicators of the whole period and scope, as one row."""
    rows = report_rows(group_by="total", **kwargs)
    return rows[0] if rows else ReportRow(key="total", label=str(GROUP_LABELS["total"]))


def counsellors_to_support(
    *,
    period: Period,
    scope: ReportScope,
    rows: list[FactRow] | None = None,
    today=None,
    counsellor_rows: list[ReportRow] | None = None,
) -> list[dict]:
    """Active counsellors in scope who answered no mail in the period, with what they
    received and still have waiting. Never for a scope without counsellor-level figures.
    `counsellor_rows`: the period's rows by counsellor when the caller has them already."""
    if not scope.counsellor_level:
        raise PermissionError("counsellor-level figures are not in this scope")
    if counsellor_rows is None:
        counsellor_rows = report_rows(
            period=period, group_by="counsellor", scope=scope, rows=rows, today=today
        )
    by_counsellor = {r.key: r for r in counsellor_rows}
    result = []
    for counsellor in active_counsellors(scope).select_related("user", "agency", "team__agency"):
        row = by_counsellor.get(counsellor.pk)
        if row is None or not row.answered:
            result.append(
                {
                    "counsellor": counsellor,
                    "agency": counsellor.agency,
                    "team": counsellor.team,
                    "received": row.received if row else 0,
                    "unanswered_end": row.unanswered_end if row else 0,
                }
            )
    result.sort(key=lambda d: (-d["received"], str(d["counsellor"])))
    return result
