from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrganisationConfig(AppConfig):
    name = "backoffice.organisation"
    label = "organisation"
    verbose_name = _("Organisation")

    def ready(self):
        from django.db.models import Q

        from . import access
        from .models import Absence, Agency, ClosureDay, Counsellor, Region, RegionalPilot, Team

        access.scope_register(
            Region,
            agency=lambda ids: Q(pk__in=Agency.objects.filter(pk__in=ids).values("region_id")),
            region="pk",
        )
        access.scope_register(Agency, agency="pk", region="region_id")
        access.scope_register(Team, agency="agency_id", region="agency__region_id")
        access.scope_register(Counsellor, agency="agency_id", caseload="pk", personal=True)
        access.scope_register(
            Absence, agency="counsellor__agency_id", caseload="counsellor_id", personal=True
        )
        access.scope_register(RegionalPilot, personal=True)
        access.scope_register(ClosureDay, agency="agency_id", region="agency__region_id")
