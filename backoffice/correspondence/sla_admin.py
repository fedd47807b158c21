"""[sla] Admin screens: territory and agency calendars, closure days, notices, thread panel.

Registered from `wagtail_hooks`. Views hold settings and reads; writes go through services.
"""

from __future__ import annotations

import django_filters
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView, View
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.panels import FieldPanel
from wagtail.admin.ui.components import Component
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from backoffice.organisation import access, roles
from backoffice.organisation.models import Agency, ClosureDay, Territory
from backoffice.organisation.scoped_admin import ScopedModelViewSet

from .models import SlaEvent
from .sla import TERRITORY_TIME_ZONES, territory_holidays
from .sla_selectors import manager_breach_queue, sla_notices_for


class ClosureDayFilterSet(WagtailFilterSet):
    agency = django_filters.ModelChoiceFilter(
        queryset=Agency.objects.all(), label=_("agence"), field_name="agency"
    )
    year = django_filters.NumberFilter(field_name="day", lookup_expr="year", label=_("année"))

    class Meta:
        model = ClosureDay
        fields = ["agency", "year"]


class ClosureDayViewSet(ScopedModelViewSet):
    model = ClosureDay
    icon = "date"
    menu_label = _("Jours de fermeture")
    url_prefix = "sla/closure-days"
    name = "closure_days"
    list_display = ["day", "agency", "reason"]
    list_select_related = ("agency",)
    filterset_class = ClosureDayFilterSet
    panels = [FieldPanel("agency"), FieldPanel("day"), FieldPanel("reason")]


closure_day_viewset = ClosureDayViewSet()


def _year(request) -> int:
    try:
        return int(request.GET.get("year", ""))
    except ValueError:
        return timezone.localdate().year


class TerritoryCalendarView(WagtailAdminTemplateMixin, TemplateView):
    """The public holidays of every territory (or one) for a year."""

    template_name = "correspondence/sla/calendar.html"
    page_title = _("Calendriers des territoires")
    header_icon = "date"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        year = _year(self.request)
        wanted = self.request.GET.get("territory") or ""
        territories = [
            (value, label) for value, label in Territory.choices if not wanted or value == wanted
        ]
        agencies = access.scope_queryset(Agency.objects.all(), self.request.user)
        context.update(
            year=year,
            years=[year - 1, year, year + 1],
            territory=wanted,
            territory_choices=Territory.choices,
            calendars=[
                {
                    "value": value,
                    "label": label,
                    "time_zone": TERRITORY_TIME_ZONES[value],
                    "holidays": sorted(territory_holidays(value, year).items()),
                }
                for value, label in territories
            ],
            agencies=agencies.order_by("code"),
        )
        return context


class AgencyCalendarView(WagtailAdminTemplateMixin, TemplateView):
    """One agency's working calendar: its territory's holidays and its own closure days."""

    template_name = "correspondence/sla/agency_calendar.html"
    header_icon = "date"

    def get_agency(self) -> Agency:
        agency = get_object_or_404(Agency, pk=self.kwargs["pk"])
        if not access.can_read(self.request.user, agency):
            raise Http404
        return agency

    def get_page_title(self):
        return _("Calendrier de l'agence %(agency)s") % {"agency": self.agency}

    def can_edit(self) -> bool:
        user = self.request.user
        if not closure_day_viewset.permission_policy.user_has_permission(user, "add"):
            return False
        scope = access.scope_for(user)
        return scope.writes == "all" or (
            scope.writes == "agency" and self.agency.pk in scope.agency_ids
        )

    def get(self, request, *args, **kwargs):
        self.agency = self.get_agency()
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        year = _year(self.request)
        closures = ClosureDay.objects.filter(agency=self.agency, day__year=year).order_by("day")
        days = [
            {"day": day, "name": name, "closure": None}
            for day, name in territory_holidays(self.agency.territory, year).items()
        ]
        days += [{"day": c.day, "name": c.reason or _("Fermeture"), "closure": c} for c in closures]
        days.sort(key=lambda d: d["day"])
        context.update(
            agency=self.agency,
            year=year,
            years=[year - 1, year, year + 1],
            days=days,
            can_edit=self.can_edit(),
            add_url=reverse(closure_day_viewset.get_url_name("add")),
            closures_url=reverse(closure_day_viewset.get_url_name("index"))
            + f"?agency={self.agency.pk}",
        )
        return context


class NoticeReadView(View):
    """Marks one of the user's own notices as read (POST)."""

    def post(self, request, pk: int):
        counsellor_id = access.scope_for(request.user).counsellor_id
        with transaction.atomic():
            SlaEvent.objects.filter(pk=pk, recipient_id=counsellor_id, read_at=None).update(
                read_at=timezone.now()
            )
        return redirect(request.POST.get("next") or "wagtailadmin_home")


class SlaNoticesPanel(Component):
    """Dashboard panel: the user's unread deadline notices, and the breach queue for managers."""

    name = "sla_notices"
    template_name = "correspondence/sla/notices_panel.html"
    order = 50

    def get_context_data(self, parent_context):
        request = parent_context["request"]
        scope = access.scope_for(request.user)
        context = super().get_context_data(parent_context)
        notices = []
        if scope.counsellor_id:
            notices = list(sla_notices_for(counsellor_id=scope.counsellor_id)[:20])
        breaches = []
        if scope.role in (roles.MANAGER, roles.NATIONAL_ADMIN) and scope.agency_ids:
            breaches = list(manager_breach_queue(agency_ids=scope.agency_ids)[:20])
        context.update(
            notices=notices,
            breaches=breaches,
            request=request,
            csrf_token=parent_context.get("csrf_token"),
            now=timezone.now(),
        )
        return context


def admin_urls():
    return [
        path("sla/calendar/", TerritoryCalendarView.as_view(), name="sla_calendar"),
        path(
            "sla/calendar/agency/<int:pk>/",
            AgencyCalendarView.as_view(),
            name="sla_agency_calendar",
        ),
        path("sla/notices/<int:pk>/read/", NoticeReadView.as_view(), name="sla_notice_read"),
    ]
