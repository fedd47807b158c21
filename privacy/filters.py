"""django-filter FilterSets of the privacy screens."""

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from backoffice.correspondence.models import ThreadRead
from backoffice.organisation.models import Agency
from backoffice.organisation.scoped_admin import ScopedFilterSet

from .models import ReadAlert


class ThreadReadFilterSet(ScopedFilterSet):
    """The read log. People are searched by identifier or name (a select of every jobseeker,
    user or counsellor of the country would not fit in a page)."""

    person = django_filters.CharFilter(
        label=_("Personne concernée"),
        method="filter_person",
        help_text=_("Identifiant DE, SIRET, nom ou courriel."),
    )
    reader = django_filters.CharFilter(
        label=_("Lecteur"), method="filter_reader", help_text=_("Identifiant ou nom.")
    )
    counsellor = django_filters.CharFilter(
        label=_("Conseiller du fil"),
        method="filter_counsellor",
        help_text=_("Matricule ou nom."),
    )
    agency = django_filters.ModelChoiceFilter(
        field_name="thread__agency", queryset=Agency.objects.all(), label=_("Agence")
    )
    read_at = django_filters.DateFromToRangeFilter(
        label=_("Lu entre le"),
        widget=django_filters.widgets.DateRangeWidget(attrs={"type": "date"}),
    )
    outside_caseload = django_filters.BooleanFilter(label=_("Hors portefeuille"))
    via = django_filters.ChoiceFilter(choices=ThreadRead.Via.choices, label=_("Accès"))

    class Meta:
        model = ThreadRead
        fields = ["person", "reader", "counsellor", "agency", "read_at", "outside_caseload", "via"]

    def filter_person(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(thread__jobseeker__identifier__iexact=value)
            | Q(thread__jobseeker__email__iexact=value)
            | Q(thread__jobseeker__last_name__icontains=value)
            | Q(thread__employer__siret=value)
            | Q(thread__employer__name__icontains=value)
            | Q(thread__correspondent_address__iexact=value)
        )

    def filter_reader(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(user__username__iexact=value)
            | Q(user__last_name__icontains=value)
            | Q(user__email__iexact=value)
        )

    def filter_counsellor(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(thread__counsellor__matricule__iexact=value)
            | Q(thread__counsellor__user__last_name__icontains=value)
        )


class ReadAlertFilterSet(ScopedFilterSet):
    day = django_filters.DateFromToRangeFilter(
        label=_("Jour"), widget=django_filters.widgets.DateRangeWidget(attrs={"type": "date"})
    )
    agency = django_filters.ModelChoiceFilter(queryset=Agency.objects.all(), label=_("Agence"))
    acknowledged_at = django_filters.BooleanFilter(
        field_name="acknowledged_at", lookup_expr="isnull", exclude=True, label=_("Vue")
    )

    class Meta:
        model = ReadAlert
        fields = ["day", "agency", "acknowledged_at"]
