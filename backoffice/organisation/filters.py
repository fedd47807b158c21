"""django-filter FilterSets of the organisation screens."""

import django_filters
from django.utils.translation import gettext_lazy as _

from .models import Absence, Agency, Counsellor, Region, Team, Territory
from .scoped_admin import ScopedFilterSet as WagtailFilterSet


class AgencyFilterSet(WagtailFilterSet):
    region = django_filters.ModelChoiceFilter(queryset=Region.objects.all(), label=_("Région"))
    territory = django_filters.ChoiceFilter(choices=Territory.choices, label=_("Calendrier"))

    class Meta:
        model = Agency
        fields = ["region", "territory"]


class TeamFilterSet(WagtailFilterSet):
    agency__region = django_filters.ModelChoiceFilter(
        queryset=Region.objects.all(), label=_("Région")
    )
    agency = django_filters.ModelChoiceFilter(queryset=Agency.objects.all(), label=_("Agence"))

    class Meta:
        model = Team
        fields = ["agency__region", "agency"]


class CounsellorFilterSet(WagtailFilterSet):
    agency = django_filters.ModelChoiceFilter(queryset=Agency.objects.all(), label=_("Agence"))
    team = django_filters.ModelChoiceFilter(
        queryset=Team.objects.select_related("agency"), label=_("Équipe")
    )
    handles_employers = django_filters.BooleanFilter(label=_("Suit des entreprises"))
    handles_benefits = django_filters.BooleanFilter(label=_("Conseiller indemnisation"))

    class Meta:
        model = Counsellor
        fields = ["agency", "team", "is_active", "handles_employers", "handles_benefits"]


class AbsenceFilterSet(WagtailFilterSet):
    counsellor__agency = django_filters.ModelChoiceFilter(
        queryset=Agency.objects.all(), label=_("Agence")
    )
    current_on = django_filters.DateFilter(label=_("Absent le"), method="filter_current_on")

    class Meta:
        model = Absence
        fields = ["counsellor__agency"]

    def filter_current_on(self, queryset, name, value):
        return queryset.filter(starts_at__date__lte=value, ends_at__date__gte=value)
