"""Wagtail report screens: indicators by period and grouping, counsellors to support, the
full workbook. Scoped by `report_scope_for`: pilots never see a counsellor."""

from __future__ import annotations

import io

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from wagtail.admin.ui.tables import Column
from wagtail.admin.views.reports import ReportView

from backoffice.organisation.models import Agency, Region
from backoffice.spreadsheets import neutralise_formula

from ..charts import bar_chart, line_chart
from ..excel import workbook_filename, workbook_write
from ..forms import ReportFilterSet
from ..models import DailyRollup
from ..selectors.indicators import (
    GROUP_LABELS,
    counsellors_to_support,
    live_fact_rows,
    report_rows,
)
from ..selectors.scope import report_scope_for
from ..services.exports import export_job_request


class PercentColumn(Column):
    def get_value(self, instance):
        value = super().get_value(instance)
        return "–" if value is None else f"{value:.1%}".replace(".", ",")


class NumberColumn(Column):
    def get_value(self, instance):
        value = super().get_value(instance)
        if value is None:
            return "–"
        return f"{value:n}" if isinstance(value, int) else f"{value:.2f}".replace(".", ",")


class ScopedReportMixin:
    """Only users with a report scope; the scope is computed once per request."""

    def dispatch(self, request, *args, **kwargs):
        if not report_scope_for(request.user).allowed:
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    @cached_property
    def report_scope(self):
        return report_scope_for(self.request.user)


class IndicatorsReportView(ScopedReportMixin, ReportView):
    page_title = _("Indicateurs de la relation par courriel")
    header_icon = "table"
    template_name = "reports/indicators.html"
    results_template_name = "reports/indicators_results.html"
    index_url_name = "reports:indicators"
    index_results_url_name = "reports:indicators_results"
    filterset_class = ReportFilterSet
    model = DailyRollup
    paginate_by = None
    any_permission_required = []
    permission_policy = None
    list_export = [
        "label",
        "received",
        "answered",
        "answered_within",
        "within_rate",
        "unanswered_end",
        "median_hours",
        "p90_hours",
        "holding_notices",
        "breaches",
        "new_contacts",
        "caseload",
        "per_100_jobseekers",
        "counsellors",
        "counsellors_answering",
        "adoption_rate",
        "ratings",
        "satisfaction",
    ]
    export_headings = {
        "label": _("Libellé"),
        "received": _("Courriels reçus"),
        "answered": _("Réponses"),
        "answered_within": _("Réponses dans le délai"),
        "within_rate": _("Dans le délai (%)"),
        "unanswered_end": _("En attente en fin de période"),
        "median_hours": _("Délai médian (h ouvrées)"),
        "p90_hours": _("Délai 90e centile (h ouvrées)"),
        "holding_notices": _("Messages d'attente"),
        "breaches": _("Délais dépassés"),
        "new_contacts": _("Nouveaux contacts"),
        "caseload": _("DE en portefeuille"),
        "per_100_jobseekers": _("Courriels pour 100 DE"),
        "counsellors": _("Conseillers"),
        "counsellors_answering": _("Conseillers ayant répondu"),
        "adoption_rate": _("Adoption (%)"),
        "ratings": _("Notes reçues"),
        "satisfaction": _("Satisfaction (sur 5)"),
    }

    def user_has_permission(self, permission):
        return True

    @cached_property
    def parameters(self):
        return self.filters.report_parameters()

    @cached_property
    def live_list(self):
        """The facts of the days not rolled up (today), computed once for the table and the
        chart; the database groups the rolled-up days for each."""
        period, _group_by, filters = self.parameters
        return live_fact_rows(period=period, scope=self.report_scope, filters=filters)

    def get_queryset(self):
        return DailyRollup.objects.none()

    def get_filtered_queryset(self):
        period, group_by, filters = self.parameters
        return report_rows(
            period=period,
            group_by=group_by,
            scope=self.report_scope,
            filters=filters,
            live_rows=self.live_list,
        )

    @cached_property
    def columns(self):
        _period, group_by, _filters = self.parameters
        columns = [Column("label", label=GROUP_LABELS[group_by])]
        for name in self.list_export[1:]:
            cls = PercentColumn if name.endswith("rate") else NumberColumn
            columns.append(cls(name, label=self.export_headings[name]))
        return columns

    def get_filename(self):
        period, group_by, _filters = self.parameters
        return f"mailnet-indicateurs_{self.report_scope.slug}_{group_by}_{period.slug}"

    def preprocess_field_value(self, field, value, export_format):
        return neutralise_formula(super().preprocess_field_value(field, value, export_format))

    def get_context_data(self, *args, **kwargs):
        context = super().get_context_data(*args, **kwargs)
        period, group_by, filters = self.parameters
        rows = context["object_list"]
        days = report_rows(
            period=period,
            group_by="day",
            scope=self.report_scope,
            filters=filters,
            live_rows=self.live_list,
            volumes_only=True,  # the chart shows received mail and replies only
        )
        context["period"] = period
        context["scope"] = self.report_scope
        context["volume_chart"] = line_chart(
            title=str(_("Courriels reçus et réponses par jour")),
            labels=[f"{r.key:%d/%m}" for r in days],
            series=[
                (str(_("Reçus")), [r.received for r in days]),
                (str(_("Réponses")), [r.answered for r in days]),
            ],
        )
        context["rate_chart"] = bar_chart(
            title=str(
                _("Réponses dans le délai par %(group)s")
                % {"group": str(GROUP_LABELS[group_by]).lower()}
            ),
            items=[(r.label, r.within_rate) for r in rows if r.answered],
        )
        context["workbook_url"] = reverse("reports:workbook") + "?" + self.request.GET.urlencode()
        return context


class CounsellorsToSupportView(ScopedReportMixin, ReportView):
    """Managers and the administrator only: counsellors who answered nothing in the period."""

    page_title = _("Conseillers à accompagner")
    header_icon = "user"
    index_url_name = "reports:support"
    index_results_url_name = "reports:support_results"
    filterset_class = ReportFilterSet
    model = DailyRollup
    paginate_by = None
    permission_policy = None
    list_export = [
        "counsellor",
        "counsellor.matricule",
        "agency",
        "team",
        "received",
        "unanswered_end",
    ]
    export_headings = {
        "counsellor": _("Conseiller"),
        "counsellor.matricule": _("Matricule"),
        "agency": _("Agence"),
        "team": _("Équipe"),
        "received": _("Courriels reçus"),
        "unanswered_end": _("En attente en fin de période"),
    }
    columns = [
        Column("counsellor", label=_("Conseiller")),
        Column("counsellor.matricule", label=_("Matricule")),
        Column("agency", label=_("Agence")),
        Column("team", label=_("Équipe")),
        Column("received", label=_("Courriels reçus")),
        Column("unanswered_end", label=_("En attente en fin de période")),
    ]

    def dispatch(self, request, *args, **kwargs):
        if not report_scope_for(request.user).counsellor_level:
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def user_has_permission(self, permission):
        return True

    def get_queryset(self):
        return DailyRollup.objects.none()

    def get_filtered_queryset(self):
        period, _group_by, _filters = self.filters.report_parameters()
        return counsellors_to_support(period=period, scope=self.report_scope)

    def preprocess_field_value(self, field, value, export_format):
        return neutralise_formula(super().preprocess_field_value(field, value, export_format))


def workbook_view(request):
    """The full workbook of the screen's period and scope: at once when small, else as an
    export job (progress in the Exports screen, an e-mail when ready)."""
    scope = report_scope_for(request.user)
    if not scope.allowed:
        raise PermissionDenied
    filterset = ReportFilterSet(request.GET, DailyRollup.objects.none(), request=request)
    period, _group_by, _filters = filterset.report_parameters()
    size = (
        DailyRollup.objects.filter(day__gte=period.start, day__lte=period.end)
        .filter(scope.rollup_filter())
        .count()
    )
    region = agency = None
    if len(scope.agency_ids) == 1:
        agency = Agency.objects.get(pk=next(iter(scope.agency_ids)))
    elif len(scope.region_ids) == 1:
        region = Region.objects.get(pk=next(iter(scope.region_ids)))
    # A job names one region, one agency or the nation: other scopes are built at once.
    job_fits_scope = scope.everything or agency is not None or region is not None
    if size > settings.MAILNET_REPORTS_SYNC_EXPORT_MAX_ROWS and job_fits_scope:
        job = export_job_request(
            requested_by=request.user,
            period=period,
            region=region,
            agency=agency,
            with_counsellors=scope.counsellor_level,
        )
        messages.success(
            request,
            _("Le classeur « %(name)s » est en préparation ; vous recevrez un courriel.")
            % {"name": job.filename},
        )
        return redirect("reports_exports:index")
    buffer = io.BytesIO()
    workbook_write(output=buffer, scope=scope, period=period)
    buffer.seek(0)
    return FileResponse(
        buffer, as_attachment=True, filename=workbook_filename(scope=scope, period=period)
    )
