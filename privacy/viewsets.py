"""Wagtail admin screens of the privacy package (menu "Données personnelles")."""

from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel, FieldRowPanel
from wagtail.admin.ui.tables import BooleanColumn, Column, DateColumn, TitleColumn
from wagtail.admin.viewsets.model import ModelViewSetGroup

from backoffice.correspondence.models import ThreadRead
from backoffice.organisation.scoped_admin import (
    ScopedCreateView,
    ScopedIndexView,
    ScopedModelViewSet,
)

from . import filters, views
from .models import AccessExport, ArchiveCheck, LegalHold, ReadAlert, RetentionRun


def user_label(user) -> str:
    if user is None:
        return ""
    full_name = user.get_full_name()
    return f"{full_name} ({user.get_username()})" if full_name else user.get_username()


class ReadOnlyIndexView(ScopedIndexView):
    """A log is only read: no add, edit or delete, even for a superuser."""

    def user_has_permission(self, permission):
        return permission == "view" and super().user_has_permission(permission)


class ReadOnlyViewSet(ScopedModelViewSet):
    index_view_class = ReadOnlyIndexView
    inspect_view_enabled = False
    extra_urls: list = []

    def get_common_view_kwargs(self, **kwargs):
        view_kwargs = super().get_common_view_kwargs(**kwargs)
        for name in ("add", "edit", "delete", "history", "usage", "copy"):
            view_kwargs[f"{name}_url_name"] = None
        return view_kwargs

    def get_urlpatterns(self):
        return [
            path("", self.index_view, name="index"),
            path("results/", self.index_results_view, name="index_results"),
            *self.extra_urlpatterns(),
        ]

    def extra_urlpatterns(self):
        return []


class ThreadReadViewSet(ReadOnlyViewSet):
    """Who opened which thread: administrators everywhere, managers their agency."""

    model = ThreadRead
    icon = "view"
    menu_label = _("Lectures des fils")
    page_title = _("Journal des lectures")
    filterset_class = filters.ThreadReadFilterSet
    list_select_related = (
        "user",
        "thread__agency",
        "thread__counsellor__user",
        "thread__jobseeker",
        "thread__employer",
    )
    list_display = [
        DateColumn("read_at", label=_("Lu le")),
        Column("user", label=_("Lecteur"), accessor=lambda r: user_label(r.user)),
        Column("thread_id", label=_("Fil")),
        Column("thread.correspondent", label=_("Personne concernée")),
        Column("thread.counsellor", label=_("Conseiller du fil")),
        Column("thread.agency", label=_("Agence")),
        Column("via", label=_("Accès"), accessor="get_via_display"),
        BooleanColumn("outside_caseload", label=_("Hors portefeuille")),
    ]
    list_export = [
        "read_at",
        "user.username",
        "user",
        "thread_id",
        "thread.correspondent",
        "thread.counsellor",
        "thread.agency",
        "get_via_display",
        "outside_caseload",
    ]
    export_headings = {
        "read_at": _("Lu le"),
        "user.username": _("Identifiant du lecteur"),
        "user": _("Lecteur"),
        "thread_id": _("Fil"),
        "thread.correspondent": _("Personne concernée"),
        "thread.counsellor": _("Conseiller du fil"),
        "thread.agency": _("Agence"),
        "get_via_display": _("Accès"),
        "outside_caseload": _("Hors portefeuille"),
    }
    export_filename = "mailnet-lectures"
    ordering = ["-read_at", "-pk"]
    list_per_page = 100


class ReadAlertViewSet(ReadOnlyViewSet):
    model = ReadAlert
    icon = "warning"
    menu_label = _("Alertes de lecture")
    filterset_class = filters.ReadAlertFilterSet
    list_select_related = ("user", "agency", "acknowledged_by")
    list_display = [
        DateColumn("day", label=_("Jour")),
        Column("user", label=_("Lecteur"), accessor=lambda a: user_label(a.user)),
        Column("agency", label=_("Agence du lecteur")),
        Column("threads", label=_("Fils hors portefeuille")),
        Column("threshold", label=_("Seuil")),
        DateColumn("acknowledged_at", label=_("Vue le")),
        TitleColumn(
            "acknowledge",
            label="",
            accessor=views.read_alert_acknowledge_button,
            get_url=lambda alert: (
                None
                if alert.acknowledged_at
                else reverse("privacy_read_alerts:acknowledge", args=[alert.pk])
            ),
        ),
    ]
    list_export = ["day", "user.username", "user", "agency", "threads", "threshold"]
    ordering = ["-day", "-threads"]

    def extra_urlpatterns(self):
        return [
            path(
                "<int:pk>/vue/",
                views.read_alert_acknowledge_view,
                name="acknowledge",
            )
        ]


class ArchiveCheckViewSet(ReadOnlyViewSet):
    model = ArchiveCheck
    icon = "lock"
    menu_label = _("Contrôles de l'archive")
    index_template_name = "privacy/archive_checks.html"
    list_display = [
        DateColumn("started_at", label=_("Commencé le")),
        BooleanColumn("ok", label=_("Chaîne intacte")),
        Column("entries", label=_("Entrées vérifiées")),
        Column("head_seq", label=_("Dernier rang")),
        Column("head_hash", label=_("Empreinte de tête")),
        Column("problem", label=_("Anomalie")),
        Column("triggered_by", label=_("Lancé par")),
    ]
    ordering = ["-started_at", "-pk"]

    def extra_urlpatterns(self):
        return [path("verifier/", views.archive_check_start_view, name="start")]


class RetentionRunViewSet(ReadOnlyViewSet):
    model = RetentionRun
    icon = "bin"
    menu_label = _("Conservation")
    page_title = _("Passes de conservation")
    index_template_name = "privacy/retention_index.html"
    list_select_related = ("created_by", "applied_by")
    list_display = [
        TitleColumn(
            "created_at",
            label=_("Préparée le"),
            url_name="privacy_retention:detail",
            accessor=lambda run: f"{run.created_at:%d/%m/%Y %H:%M}",
        ),
        Column("state", label=_("État"), accessor="get_state_display"),
        Column("threads", label=_("Fils concernés")),
        Column("messages", label=_("Messages")),
        Column("raw_mails", label=_("Courriels bruts")),
        Column("held_threads", label=_("Fils gelés")),
        Column("erased_threads", label=_("Fils effacés")),
        Column("applied_by", label=_("Appliquée par")),
    ]
    ordering = ["-created_at", "-pk"]

    def extra_urlpatterns(self):
        return [
            path("preparer/", views.retention_prepare_view, name="prepare"),
            path("<int:pk>/", views.retention_detail_view, name="detail"),
        ]


class LegalHoldCreateView(ScopedCreateView):
    def save_instance(self):
        self.form.instance.created_by = self.request.user
        return super().save_instance()


class LegalHoldViewSet(ScopedModelViewSet):
    model = LegalHold
    icon = "pick"
    menu_label = _("Gels juridiques")
    add_view_class = LegalHoldCreateView
    list_select_related = ("jobseeker", "employer", "created_by")
    list_display = ["person", "reason", "since", "until", "created_by"]
    list_export = ["person", "reason", "since", "until", "created_by"]
    search_fields = [
        "jobseeker__identifier",
        "jobseeker__last_name",
        "employer__siret",
        "employer__name",
    ]
    ordering = ["-since", "-pk"]
    panels = [
        FieldRowPanel([FieldPanel("jobseeker"), FieldPanel("employer")]),
        FieldPanel("reason"),
        FieldRowPanel([FieldPanel("since"), FieldPanel("until")]),
    ]


class AccessExportViewSet(ReadOnlyViewSet):
    """The log of right-of-access exports, and the screen that makes one."""

    model = AccessExport
    icon = "download"
    menu_label = _("Droit d'accès")
    page_title = _("Exports au titre du droit d'accès")
    index_template_name = "privacy/access_index.html"
    list_select_related = ("requested_by",)
    list_display = [
        DateColumn("created_at", label=_("Exporté le")),
        Column("person_label", label=_("Personne")),
        Column("requested_by", label=_("Exporté par")),
        Column("threads", label=_("Fils")),
        Column("messages", label=_("Messages")),
        Column("sha256", label=_("SHA-256 du zip")),
    ]
    list_export = ["created_at", "person_label", "requested_by", "threads", "messages", "sha256"]
    ordering = ["-created_at", "-pk"]

    def extra_urlpatterns(self):
        return [path("nouveau/", views.access_export_view, name="new")]


class PrivacyViewSetGroup(ModelViewSetGroup):
    menu_label = _("Données personnelles")
    menu_icon = "lock"
    menu_order = 800
    items = (
        ThreadReadViewSet("privacy_reads"),
        ReadAlertViewSet("privacy_read_alerts"),
        AccessExportViewSet("privacy_access"),
        LegalHoldViewSet("privacy_holds"),
        RetentionRunViewSet("privacy_retention"),
        ArchiveCheckViewSet("privacy_archive"),
    )
