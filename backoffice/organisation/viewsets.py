"""Wagtail admin screens of the agency network (menu "Organisation")."""

from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel
from wagtail.admin.ui.tables import BooleanColumn, Column, TitleColumn
from wagtail.admin.viewsets.model import ModelViewSetGroup

from . import access, filters, services
from .models import Absence, Agency, Counsellor, Region, RegionalPilot, Team
from .scoped_admin import (
    ScopedCreateView,
    ScopedEditView,
    ScopedIndexView,
    ScopedModelViewSet,
)


class RegionViewSet(ScopedModelViewSet):
    model = Region
    icon = "globe"
    menu_label = _("Régions")
    list_display = ["name", "code"]
    list_export = ["code", "name"]
    search_fields = ["name", "code"]
    ordering = ["name"]
    panels = [FieldPanel("code"), FieldPanel("name")]


class AgencyViewSet(ScopedModelViewSet):
    model = Agency
    icon = "home"
    menu_label = _("Agences")
    list_display = ["code", "name", "region", "territory", "time_zone"]
    list_export = ["code", "name", "region", "territory", "time_zone"]
    export_headings = {"code": _("Code agence"), "region": _("Région")}
    list_select_related = ("region",)
    filterset_class = filters.AgencyFilterSet
    search_fields = ["code", "name"]
    ordering = ["code"]
    panels = [
        FieldRowPanel([FieldPanel("code"), FieldPanel("name")]),
        FieldPanel("region"),
        FieldRowPanel([FieldPanel("territory"), FieldPanel("time_zone")]),
    ]


class TeamIndexView(ScopedIndexView):
    """A team's manager is a person: shown only to those who see persons (not pilots)."""

    @cached_property
    def columns(self):
        columns = super().columns
        if access.scope_for(self.request.user).sees_persons:
            return columns
        return [column for column in columns if column.name != "manager"]

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        if not access.scope_for(request.user).sees_persons:
            self.list_export = [field for field in self.list_export if field != "manager"]


class TeamViewSet(ScopedModelViewSet):
    model = Team
    index_view_class = TeamIndexView
    inspect_view_fields = ["name", "agency"]
    icon = "group"
    menu_label = _("Équipes")
    list_display = ["name", "agency", Column("manager", label=_("Responsable"))]
    list_export = ["name", "agency", "manager"]  # narrowed per reader by TeamIndexView
    list_select_related = ("agency", "manager__user")
    filterset_class = filters.TeamFilterSet
    search_fields = ["name", "agency__name", "agency__code"]
    ordering = ["agency__code", "name"]
    panels = [FieldPanel("agency"), FieldPanel("name"), FieldPanel("manager")]


class CounsellorViewSet(ScopedModelViewSet):
    model = Counsellor
    icon = "user"
    menu_label = _("Conseillers")
    list_display = [
        TitleColumn(
            "full_name", label=_("Nom"), sort_key="user__last_name", url_name="counsellors:edit"
        ),
        "matricule",
        "public_address",
        "agency",
        "team",
        BooleanColumn("is_active", label=_("Actif")),
    ]
    list_export = ["matricule", "full_name", "public_address", "agency", "team", "is_active"]
    export_headings = {"full_name": _("Nom")}
    list_select_related = ("user", "agency", "team__agency")
    filterset_class = filters.CounsellorFilterSet
    search_fields = ["matricule", "public_address", "user__last_name", "user__first_name"]
    ordering = ["user__last_name", "user__first_name"]
    panels = [
        FieldPanel("user"),
        FieldRowPanel([FieldPanel("matricule"), FieldPanel("public_address")]),
        FieldRowPanel([FieldPanel("agency"), FieldPanel("team")]),
        MultiFieldPanel(
            [
                FieldPanel("handles_jobseekers"),
                FieldPanel("handles_employers"),
                FieldPanel("handles_benefits"),
            ],
            heading=_("Spécialités"),
        ),
        FieldPanel("is_active"),
    ]


class AbsenceCreateView(ScopedCreateView):
    def save_instance(self):
        data = self.form.cleaned_data
        instance = services.absence_create(
            counsellor=data["counsellor"],
            starts_at=data["starts_at"],
            ends_at=data["ends_at"],
            delegate=data.get("delegate"),
            reason=data.get("reason", ""),
        )
        self.form.instance = instance
        return super_check_write(self, instance)


class AbsenceEditView(ScopedEditView):
    def save_instance(self):
        data = self.form.cleaned_data
        instance = services.absence_update(
            absence=self.form.instance,
            counsellor=data["counsellor"],
            starts_at=data["starts_at"],
            ends_at=data["ends_at"],
            delegate=data.get("delegate"),
            reason=data.get("reason", ""),
        )
        return super_check_write(self, instance)


def super_check_write(view, instance):
    from django.core.exceptions import PermissionDenied

    from .access import can_write

    if not can_write(view.request.user, instance):
        raise PermissionDenied
    return instance


class AbsenceViewSet(ScopedModelViewSet):
    model = Absence
    icon = "date"
    menu_label = _("Absences")
    add_view_class = AbsenceCreateView
    edit_view_class = AbsenceEditView
    list_display = ["counsellor", "starts_at", "ends_at", "delegate", "reason"]
    list_export = ["counsellor", "starts_at", "ends_at", "delegate", "reason"]
    list_select_related = ("counsellor__user", "delegate__user")
    filterset_class = filters.AbsenceFilterSet
    search_fields = ["counsellor__user__last_name", "counsellor__matricule", "reason"]
    ordering = ["-starts_at"]
    panels = [
        FieldPanel("counsellor"),
        FieldRowPanel([FieldPanel("starts_at"), FieldPanel("ends_at")]),
        FieldPanel("delegate"),
        FieldPanel("reason"),
    ]


class RegionalPilotViewSet(ScopedModelViewSet):
    model = RegionalPilot
    icon = "view"
    menu_label = _("Pilotes régionaux")
    list_display = ["user", "region"]
    list_select_related = ("user", "region")
    search_fields = ["user__last_name", "user__username"]
    panels = [FieldPanel("user"), FieldPanel("region")]


class OrganisationViewSetGroup(ModelViewSetGroup):
    menu_label = _("Organisation")
    menu_icon = "site"
    menu_order = 300
    items = (
        RegionViewSet("regions"),
        AgencyViewSet("agencies"),
        TeamViewSet("teams"),
        CounsellorViewSet("counsellors"),
        AbsenceViewSet("absences"),
        RegionalPilotViewSet("regional_pilots"),
    )
