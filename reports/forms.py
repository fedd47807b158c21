"""The report filters (a django-filter FilterSet whose values the view reads) and the
public rating form."""

from __future__ import annotations

import datetime as dt

import django_filters
from django import forms
from django.forms.utils import flatatt
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from wagtail.admin.filters import WagtailFilterSet

from answer_repository.models import Motif
from backoffice.caseloads.models import Modality
from backoffice.organisation.models import Agency, Region, Team

from .models import Audience, DailyRollup
from .periods import PERIOD_KINDS, Period
from .selectors.indicators import GROUP_LABELS
from .selectors.scope import ReportScope, report_scope_for


class PlainSelect(forms.Select):
    """A select whose options are written in Python instead of through one template each:
    a region has a thousand teams, and the template per option cost a third of a second
    on every report screen. Same markup as Django's select, without option groups."""

    def render(self, name, value, attrs=None, renderer=None):
        widget = self.get_context(name, value, attrs)["widget"]
        options = format_html_join(
            "",
            '<option value="{}"{}>{}</option>',
            (
                (option["value"], SELECTED if option["selected"] else "", option["label"])
                for _group, group_options, _index in widget["optgroups"]
                for option in group_options
            ),
        )
        return format_html(
            '<select name="{}"{}>{}</select>', widget["name"], flatatt(widget["attrs"]), options
        )


SELECTED = mark_safe(" selected")


def _keep(queryset, name, value):
    # Filters only carry values: the view turns them into a period, a grouping and keys.
    return queryset


class ReportFilterSet(WagtailFilterSet):
    period = django_filters.ChoiceFilter(
        label=_("Période"), choices=PERIOD_KINDS, empty_label=None, method=_keep
    )
    day = django_filters.DateFilter(
        label=_("Jour (ou début)"), method=_keep, widget=forms.DateInput(attrs={"type": "date"})
    )
    until = django_filters.DateFilter(
        label=_("Fin (personnalisée)"), method=_keep, widget=forms.DateInput(attrs={"type": "date"})
    )
    group_by = django_filters.ChoiceFilter(
        label=_("Regrouper par"), choices=[], empty_label=None, method=_keep
    )
    region = django_filters.ModelChoiceFilter(
        label=_("Région"), queryset=Region.objects.none(), method=_keep, widget=PlainSelect
    )
    agency = django_filters.ModelChoiceFilter(
        label=_("Agence"), queryset=Agency.objects.none(), method=_keep, widget=PlainSelect
    )
    team = django_filters.ModelChoiceFilter(
        label=_("Équipe"), queryset=Team.objects.none(), method=_keep, widget=PlainSelect
    )
    modality = django_filters.ModelChoiceFilter(
        label=_("Modalité"), queryset=Modality.objects.all(), method=_keep
    )
    motif_family = django_filters.ModelChoiceFilter(
        label=_("Famille de motifs"),
        queryset=Motif.objects.filter(parent__isnull=True).order_by("name"),
        method=_keep,
    )
    motif = django_filters.ModelChoiceFilter(
        label=_("Motif"),
        queryset=Motif.objects.filter(parent__isnull=False).select_related("parent"),
        method=_keep,
    )
    audience = django_filters.ChoiceFilter(
        label=_("Public"), choices=Audience.choices, method=_keep
    )

    class Meta:
        model = DailyRollup
        fields = []

    def __init__(self, data=None, queryset=None, *, request=None, prefix=None):
        super().__init__(data, queryset, request=request, prefix=prefix)
        scope: ReportScope = report_scope_for(request.user) if request else ReportScope()
        self.report_scope = scope
        fields = self.form.fields
        fields["group_by"].choices = [(g, GROUP_LABELS[g]) for g in scope.groupings]
        fields["group_by"].initial = "agency" if not scope.everything else "region"
        fields["period"].initial = "month"
        fields["region"].queryset = (
            Region.objects.filter(
                **({} if scope.everything else {"pk__in": scope.region_ids or [0]})
            )
            if scope.everything or scope.region_ids
            else Region.objects.none()
        )
        fields["agency"].queryset = Agency.objects.filter(scope.agency_filter("")).select_related(
            "region"
        )
        fields["team"].queryset = Team.objects.filter(scope.agency_filter()).select_related(
            "agency"
        )
        if not scope.everything and not scope.region_ids:
            del fields["region"]

    def report_parameters(self) -> tuple[Period, str, dict]:
        """(period, grouping, key filters) from the valid form, with the defaults."""
        data = self.form.cleaned_data if self.is_valid() else {}
        today = timezone.localdate()
        kind = data.get("period") or "month"
        day = data.get("day") or today
        until = data.get("until") or day
        if kind == "custom" and until < day:
            day, until = until, day
        if kind == "custom" and (until - day).days > 366:
            until = day + dt.timedelta(days=366)
        period = Period.of_kind(kind, day, until)
        group_by = data.get("group_by") or self.form.fields["group_by"].initial
        if group_by not in self.report_scope.groupings:
            group_by = self.form.fields["group_by"].initial
        filters = {
            "region_id": data["region"].pk if data.get("region") else None,
            "agency_id": data["agency"].pk if data.get("agency") else None,
            "team_id": data["team"].pk if data.get("team") else None,
            "modality_id": data["modality"].pk if data.get("modality") else None,
            "motif_family_id": data["motif_family"].pk if data.get("motif_family") else None,
            "motif_id": data["motif"].pk if data.get("motif") else None,
            "audience": data.get("audience") or None,
        }
        return period, group_by, {k: v for k, v in filters.items() if v}


class RatingForm(forms.Form):
    score = forms.TypedChoiceField(
        label=_("Votre note"),
        choices=[(n, str(n)) for n in range(1, 6)],
        coerce=int,
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("Un commentaire ? (facultatif)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
