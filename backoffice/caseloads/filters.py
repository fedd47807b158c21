"""django-filter FilterSets of the caseload screens."""

import django_filters
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext_lazy as _

from backoffice.organisation.models import Agency, Counsellor
from backoffice.organisation.scoped_admin import ScopedFilterSet as WagtailFilterSet

from .models import Assignment, AssignmentKind, Employer, Jobseeker, Modality


def _followed_by(party: str, **assignment_filter):
    return Exists(
        Assignment.objects.filter(
            **{party: OuterRef("pk")}, ends_on__isnull=True, **assignment_filter
        )
    )


class JobseekerFilterSet(WagtailFilterSet):
    modality = django_filters.ModelChoiceFilter(
        queryset=Modality.objects.all(), label=_("Modalité"), method="filter_modality"
    )
    counsellor = django_filters.ModelChoiceFilter(
        queryset=Counsellor.objects.select_related("user"),
        label=_("Conseiller référent"),
        method="filter_counsellor",
    )
    agency = django_filters.ModelChoiceFilter(
        queryset=Agency.objects.all(), label=_("Agence"), method="filter_agency"
    )

    class Meta:
        model = Jobseeker
        fields = []

    def filter_modality(self, queryset, name, value):
        return queryset.filter(_followed_by("jobseeker", modality=value))

    def filter_counsellor(self, queryset, name, value):
        return queryset.filter(_followed_by("jobseeker", counsellor=value))

    def filter_agency(self, queryset, name, value):
        return queryset.filter(_followed_by("jobseeker", counsellor__agency=value))


class EmployerFilterSet(WagtailFilterSet):
    counsellor = django_filters.ModelChoiceFilter(
        queryset=Counsellor.objects.select_related("user"),
        label=_("Conseiller"),
        method="filter_counsellor",
    )

    class Meta:
        model = Employer
        fields = []

    def filter_counsellor(self, queryset, name, value):
        return queryset.filter(_followed_by("employer", counsellor=value))


class AssignmentFilterSet(WagtailFilterSet):
    counsellor__agency = django_filters.ModelChoiceFilter(
        queryset=Agency.objects.all(), label=_("Agence")
    )
    counsellor = django_filters.ModelChoiceFilter(
        queryset=Counsellor.objects.select_related("user"), label=_("Conseiller")
    )
    modality = django_filters.ModelChoiceFilter(
        queryset=Modality.objects.all(), label=_("Modalité")
    )
    kind = django_filters.ChoiceFilter(choices=AssignmentKind.choices, label=_("Type"))
    open = django_filters.BooleanFilter(
        field_name="ends_on", lookup_expr="isnull", label=_("En cours")
    )
    starts_on = django_filters.DateFromToRangeFilter(label=_("Date d'affectation"))

    class Meta:
        model = Assignment
        fields = ["counsellor__agency", "counsellor", "modality", "kind", "open", "starts_on"]
