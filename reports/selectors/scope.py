"""Who may read which figures: the report scope of a user, a region, an agency or the nation.

Built on backoffice.organisation.access.scope_for: a national administrator reads
everything, a regional pilot their region down to team level (never a counsellor), a team
manager their agency down to the counsellor. Counsellors and other roles read no report.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q

from backoffice.organisation import roles
from backoffice.organisation.access import scope_for
from backoffice.organisation.models import Agency, Region

GROUPINGS_ALL = [
    "region",
    "agency",
    "team",
    "counsellor",
    "modality",
    "motif_family",
    "motif",
    "audience",
]


@dataclass(frozen=True)
class ReportScope:
    everything: bool = False
    region_ids: frozenset[int] = frozenset()
    agency_ids: frozenset[int] = frozenset()
    counsellor_level: bool = False
    label: str = ""
    slug: str = ""

    @property
    def allowed(self) -> bool:
        return self.everything or bool(self.region_ids) or bool(self.agency_ids)

    @property
    def groupings(self) -> list[str]:
        if self.counsellor_level:
            return list(GROUPINGS_ALL)
        return [g for g in GROUPINGS_ALL if g != "counsellor"]

    def agency_filter(self, path: str = "agency") -> Q:
        """A Q narrowing a model with a path to an agency ('': Agency itself) to this scope."""
        if self.everything:
            return Q()
        agency = f"{path}_id" if path else "pk"
        region = f"{path}__region_id" if path else "region_id"
        if self.agency_ids:
            return Q(**{f"{agency}__in": self.agency_ids})
        if self.region_ids:
            return Q(**{f"{region}__in": self.region_ids})
        return Q(pk__in=[])

    def rollup_filter(self) -> Q:
        """A Q narrowing the roll-up (or any model with region and agency columns) to this
        scope, on its own columns: no join to the agencies."""
        if self.everything:
            return Q()
        if self.agency_ids:
            return Q(agency_id__in=self.agency_ids)
        if self.region_ids:
            return Q(region_id__in=self.region_ids)
        return Q(pk__in=[])

    def agency_ids_or_none(self):
        """The agencies of the scope as a list (None: every agency)."""
        if self.everything:
            return None
        return list(Agency.objects.filter(self.agency_filter("")).values_list("pk", flat=True))

    @classmethod
    def national(cls) -> ReportScope:
        return cls(everything=True, counsellor_level=True, label="National", slug="national")

    @classmethod
    def for_region(cls, region: Region, *, counsellor_level: bool = False) -> ReportScope:
        return cls(
            region_ids=frozenset({region.pk}),
            counsellor_level=counsellor_level,
            label=region.name,
            slug=f"region-{region.code}",
        )

    @classmethod
    def for_agency(cls, agency: Agency) -> ReportScope:
        return cls(
            agency_ids=frozenset({agency.pk}),
            counsellor_level=True,
            label=str(agency),
            slug=f"agence-{agency.code}",
        )


NO_REPORTS = ReportScope()


def report_scope_for(user) -> ReportScope:
    """The figures `user` may read (NO_REPORTS for counsellors and unknown roles); computed
    once per request (cached on the user object, as `scope_for` does): the menu, the view
    and its filters all ask."""
    cached = getattr(user, "_mailnet_report_scope", None)
    if cached is not None:
        return cached
    report_scope = _report_scope_compute(user)
    if user is not None:
        user._mailnet_report_scope = report_scope
    return report_scope


def _report_scope_compute(user) -> ReportScope:
    scope = scope_for(user)
    if scope.everything:
        return ReportScope.national()
    if scope.role == roles.REGIONAL_PILOT and scope.region_ids:
        regions = list(Region.objects.filter(pk__in=scope.region_ids).order_by("code"))
        return ReportScope(
            region_ids=scope.region_ids,
            counsellor_level=False,
            label=", ".join(r.name for r in regions),
            slug="region-" + "-".join(r.code for r in regions),
        )
    if scope.role == roles.MANAGER and scope.agency_ids:
        agencies = list(Agency.objects.filter(pk__in=scope.agency_ids).order_by("code"))
        return ReportScope(
            agency_ids=scope.agency_ids,
            counsellor_level=True,
            label=", ".join(str(a) for a in agencies),
            slug="agence-" + "-".join(a.code for a in agencies),
        )
    return NO_REPORTS
