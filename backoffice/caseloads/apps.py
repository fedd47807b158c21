from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CaseloadsConfig(AppConfig):
    name = "backoffice.caseloads"
    label = "caseloads"
    verbose_name = _("Portefeuilles")

    def ready(self):
        from django.db.models import Exists, OuterRef, Q

        from backoffice.organisation import access

        from .models import Assignment, Employer, Jobseeker, Modality

        def followed(party: str, counsellor_lookup: str):
            def build(ids):
                return Q(
                    Exists(
                        Assignment.objects.filter(
                            **{
                                party: OuterRef("pk"),
                                "ends_on__isnull": True,
                                f"{counsellor_lookup}__in": ids,
                            }
                        )
                    )
                )

            return build

        everything = lambda ids: Q()  # noqa: E731 reference data, read by every role
        access.scope_register(Modality, agency=everything, region=everything)
        access.scope_register(
            Jobseeker,
            agency=followed("jobseeker", "counsellor__agency_id"),
            caseload=followed("jobseeker", "counsellor_id"),
            personal=True,
        )
        access.scope_register(
            Employer,
            agency=followed("employer", "counsellor__agency_id"),
            caseload=followed("employer", "counsellor_id"),
            personal=True,
        )
        access.scope_register(
            Assignment, agency="counsellor__agency_id", caseload="counsellor_id", personal=True
        )
