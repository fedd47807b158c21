"""Admin URLs and the "Pilotage" menu, shown only to users with a report scope."""

from django.urls import include, path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import Menu, MenuItem, SubmenuMenuItem

from .selectors.scope import report_scope_for
from .views import admin as report_views
from .views import exports as export_views

report_patterns = [
    path("", report_views.IndicatorsReportView.as_view(), name="indicators"),
    path(
        "resultats/",
        report_views.IndicatorsReportView.as_view(results_only=True),
        name="indicators_results",
    ),
    path("a-accompagner/", report_views.CounsellorsToSupportView.as_view(), name="support"),
    path(
        "a-accompagner/resultats/",
        report_views.CounsellorsToSupportView.as_view(results_only=True),
        name="support_results",
    ),
    path("classeur/", report_views.workbook_view, name="workbook"),
]
export_patterns = [
    path("", export_views.exports_index, name="index"),
    path("<int:pk>/telecharger/", export_views.exports_download, name="download"),
]


@hooks.register("register_admin_urls")
def register_report_urls():
    return [
        path("pilotage/", include((report_patterns, "reports"), namespace="reports")),
        path(
            "exports/", include((export_patterns, "reports_exports"), namespace="reports_exports")
        ),
    ]


class ScopedMenuItem(MenuItem):
    def __init__(self, *args, counsellor_level: bool = False, **kwargs):
        self.counsellor_level = counsellor_level
        super().__init__(*args, **kwargs)

    def is_shown(self, request):
        scope = report_scope_for(request.user)
        return scope.counsellor_level if self.counsellor_level else scope.allowed


class ScopedSubmenu(SubmenuMenuItem):
    def is_shown(self, request):
        return report_scope_for(request.user).allowed


@hooks.register("register_admin_menu_item")
def register_reports_menu():
    menu = Menu(
        items=[
            ScopedMenuItem(
                _("Indicateurs"), reverse("reports:indicators"), icon_name="table", order=100
            ),
            ScopedMenuItem(
                _("Conseillers à accompagner"),
                reverse("reports:support"),
                icon_name="user",
                order=200,
                counsellor_level=True,
            ),
            ScopedMenuItem(
                _("Exports"), reverse("reports_exports:index"), icon_name="download", order=300
            ),
        ]
    )
    return ScopedSubmenu(_("Pilotage"), menu, icon_name="table", order=700)
