"""The denominators of the indicators: jobseekers in caseload on a day (from the nightly
snapshot, else counted live over the open referent assignments) and the active counsellors
adoption is measured on; and the filters both share."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Q, Sum

from backoffice.caseloads.models import Assignment, AssignmentKind
from backoffice.organisation.models import Counsellor

from ..models import CaseloadDay, RollupDay
from .facts import KEY_FIELDS
from .scope import ReportScope


def narrow(qs, filters: dict, agency_path: str, counsellors: bool = False):
    """`qs` narrowed by the report filters (region, agency, team, counsellor, modality);
    `agency_path` leads from its rows to their agency, `counsellors` when they are counsellors."""
    if filters.get("region_id"):
        qs = qs.filter(**{f"{agency_path}__region_id": filters["region_id"]})
    if filters.get("agency_id"):
        qs = qs.filter(**{f"{agency_path}_id": filters["agency_id"]})
    if filters.get("team_id"):
        qs = qs.filter(**{"team_id" if counsellors else "counsellor__team_id": filters["team_id"]})
    if filters.get("counsellor_id"):
        qs = qs.filter(**{"pk" if counsellors else "counsellor_id": filters["counsellor_id"]})
    if filters.get("modality_id") and not counsellors:
        qs = qs.filter(modality_id=filters["modality_id"])
    return qs


def _open_referent_assignments(end: dt.date, scope: ReportScope):
    return Assignment.objects.filter(
        Q(ends_on__isnull=True) | Q(ends_on__gte=end),
        kind=AssignmentKind.REFERENT,
        jobseeker__isnull=False,
        starts_on__lte=end,
    ).filter(scope.agency_filter("counsellor__agency"))


CASELOAD_PATHS = {
    "region": "counsellor__agency__region_id",
    "agency": "counsellor__agency_id",
    "team": "counsellor__team_id",
    "counsellor": "counsellor_id",
    "modality": "modality_id",
}
SNAPSHOT_COLUMNS = ("region_id", "agency_id", "team_id", "counsellor_id", "modality_id")


def caseload_counts(*, end: dt.date, scope: ReportScope, filters: dict, group_by: str) -> dict:
    """Jobseekers in caseload on `end` per value of `group_by` (or {"total": n}): from the
    nightly snapshot of that day when there is one, else over the assignments."""
    if RollupDay.objects.filter(day=end, caseload=True).exists():
        snapshot = CaseloadDay.objects.filter(day=end).filter(scope.rollup_filter())
        snapshot = snapshot.filter(**{k: filters[k] for k in SNAPSHOT_COLUMNS if filters.get(k)})
        if group_by == "total":
            return {"total": snapshot.aggregate(n=Sum("jobseekers"))["n"] or 0}
        column = KEY_FIELDS[group_by]
        return dict(snapshot.values_list(column).annotate(n=Sum("jobseekers")).order_by())
    caseloads = narrow(_open_referent_assignments(end, scope), filters, "counsellor__agency")
    path = CASELOAD_PATHS.get(group_by)
    if path is None:
        return {"total": caseloads.count()}
    return dict(caseloads.values_list(path).annotate(n=Count("*")).order_by())


COUNSELLOR_PATHS = {
    "region": "agency__region_id",
    "agency": "agency_id",
    "team": "team_id",
    "counsellor": "pk",
}


def active_counsellors(scope: ReportScope):
    """The counsellors adoption is measured on: active, with a public address, in scope."""
    return Counsellor.objects.filter(is_active=True, public_address__isnull=False).filter(
        scope.agency_filter()
    )
