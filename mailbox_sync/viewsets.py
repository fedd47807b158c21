"""Mailboxes in the Wagtail admin: list with the last poll, counts and error; "poll now".

Only the national administrator (or a superuser) reaches these screens.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView
from django_mailbox.models import Mailbox
from wagtail.admin.ui.tables import BooleanColumn, Column, DateColumn
from wagtail.admin.views import generic
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.admin.widgets.button import MenuItem
from wagtail.permission_policies import ModelPermissionPolicy

from backoffice.organisation import roles
from mailbox_sync.forms import MailboxForm
from mailbox_sync.selectors import mailboxes_with_state
from mailbox_sync.services import mailbox_add, mailbox_poll_queue, mailbox_update
from mailbox_sync.uris import uri_display

MAILBOXES = _("Boîtes relevées")


def is_national_admin(user) -> bool:
    if not (user and user.is_authenticated and user.is_active):
        return False
    return user.is_superuser or user.groups.filter(name=roles.NATIONAL_ADMIN).exists()


class NationalAdminPermissionPolicy(ModelPermissionPolicy):
    """Model permissions, and on top the national administrator's role (or superuser)."""

    def user_has_permission(self, user, action):
        return is_national_admin(user) and super().user_has_permission(user, action)

    def user_has_any_permission(self, user, actions):
        return is_national_admin(user) and super().user_has_any_permission(user, actions)


def _counts(mailbox: Mailbox) -> str:
    state = getattr(mailbox, "sync_state", None)
    if state is None:
        return ""
    return _("%(f)s relevés, %(s)s enregistrés, %(d)s doublons, %(t)s en tri, %(e)s en échec") % {
        "f": state.last_fetched,
        "s": state.last_stored,
        "d": state.last_duplicates,
        "t": state.last_triaged,
        "e": state.last_failed,
    }


class FrenchBreadcrumbsMixin:
    """django-mailbox has no French: its plural name is replaced by ours in the breadcrumbs."""

    def get_breadcrumbs_items(self):
        plural = capfirst(Mailbox._meta.verbose_name_plural)
        return [
            {**item, "label": MAILBOXES} if str(item.get("label")) == plural else item
            for item in super().get_breadcrumbs_items()
        ]


class MailboxIndexView(FrenchBreadcrumbsMixin, generic.IndexView):
    poll_url_name = None
    page_title = MAILBOXES
    add_item_label = _("Ajouter une boîte")

    def get_base_queryset(self):
        return mailboxes_with_state()

    def get_list_more_buttons(self, instance):
        buttons = super().get_list_more_buttons(instance)
        if self.permission_policy.user_has_permission(self.request.user, "change"):
            buttons.insert(
                0,
                MenuItem(
                    _("Relever maintenant"),
                    url=reverse(self.poll_url_name, args=[instance.pk]),
                    icon_name="download",
                    priority=5,
                ),
            )
        return buttons


class MailboxCreateView(FrenchBreadcrumbsMixin, generic.CreateView):
    page_title = _("Nouvelle boîte relevée")

    def save_instance(self):
        data = self.form.cleaned_data
        return mailbox_add(
            name=data["name"], uri=data["uri"], agency=data["agency"], active=data["active"]
        )


class MailboxEditView(FrenchBreadcrumbsMixin, generic.EditView):
    page_title = _("Boîte relevée")

    def save_instance(self):
        data = self.form.cleaned_data
        # The form already wrote the fields on the instance: reload to compare the old URI.
        mailbox = Mailbox.objects.get(pk=self.object.pk)
        return mailbox_update(
            mailbox=mailbox,
            name=data["name"],
            uri=data["uri"],
            agency=data["agency"],
            active=data["active"],
        )


class MailboxPollView(WagtailAdminTemplateMixin, TemplateView):
    """GET asks to confirm, POST queues one poll of the mailbox (django-q2, on commit)."""

    template_name = "mailbox_sync/poll_confirm.html"
    page_title = _("Relever maintenant")
    header_icon = "download"
    permission_policy = None
    index_url_name = None

    def dispatch(self, request, *args, **kwargs):
        if not self.permission_policy.user_has_permission(request.user, "change"):
            raise PermissionDenied
        self.object = get_object_or_404(Mailbox, pk=kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    def get_page_subtitle(self):
        return str(self.object)

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            object=self.object, index_url=reverse(self.index_url_name), **kwargs
        )

    def post(self, request, *args, **kwargs):
        mailbox_poll_queue(mailbox=self.object)
        messages.success(
            request,
            _("La relève de « %(name)s » est lancée ; rechargez la liste dans un instant.")
            % {"name": self.object.name},
        )
        return redirect(self.index_url_name)


class MailboxViewSet(ModelViewSet):
    model = Mailbox
    icon = "mail"
    menu_label = MAILBOXES
    menu_name = "mailboxes"
    add_to_settings_menu = True
    url_prefix = "mailboxes"
    name = "mailboxes"
    index_view_class = MailboxIndexView
    add_view_class = MailboxCreateView
    edit_view_class = MailboxEditView
    copy_view_enabled = False
    inspect_view_enabled = False
    search_fields = None
    list_per_page = 50
    form_fields = ["name", "uri", "active"]

    def get_form_class(self, for_update=False):
        return MailboxForm

    @property
    def list_display(self):
        return [
            "name",  # the title column, with the edit and "poll now" buttons
            Column("uri", label=_("Adresse"), accessor=lambda m: uri_display(m.uri)),
            Column("agency", label=_("Agence de tri"), accessor="sync_state.agency"),
            BooleanColumn("active", label=_("Active")),
            DateColumn("last_poll", label=_("Dernière relève"), accessor="sync_state.last_poll_at"),
            Column("counts", label=_("Dernière relève : décompte"), accessor=_counts),
            Column("last_error", label=_("Dernière erreur"), accessor="sync_state.last_error"),
        ]

    def get_index_view_kwargs(self, **kwargs):
        return super().get_index_view_kwargs(poll_url_name=self.get_url_name("poll"), **kwargs)

    @property
    def poll_view(self):
        return MailboxPollView.as_view(
            permission_policy=self.permission_policy,
            index_url_name=self.get_url_name("index"),
        )

    def get_urlpatterns(self):
        return [
            *super().get_urlpatterns(),
            path("poll/<int:pk>/", self.poll_view, name="poll"),
        ]
