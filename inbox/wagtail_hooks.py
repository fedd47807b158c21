"""Wagtail registrations of the inbox: its URLs, menu items (with the inbox's count) and
the thread actions it offers itself. Other features append their own hooks at the end."""

from django.urls import include, path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.ui.sidebar import LinkMenuItem

from backoffice.correspondence.delegation_selectors import consultations_waiting_for
from backoffice.correspondence.inbox_selectors import (
    inbox_awaiting_count,
    reader_may_open_threads,
)
from backoffice.correspondence.models import Thread
from backoffice.organisation import access

from . import urls
from .actions import ThreadAction
from .permissions import thread_dispatchable, thread_writable
from .views.queue import user_dispatches


@hooks.register("register_admin_urls")
def register_inbox_urls():
    return [path("inbox/", include(urls, namespace="inbox"))]


class InboxMenuItem(MenuItem):
    """The inbox menu item, "Ma boîte (n)": n is the number of my threads awaiting a reply
    (short enough for the sidebar; the page itself is the "Boîte de réception")."""

    def is_shown(self, request):
        return bool(access.scope_for(request.user).counsellor_id) and reader_may_open_threads(
            user=request.user
        )

    def render_component(self, request):
        count = inbox_awaiting_count(counsellor_id=access.scope_for(request.user).counsellor_id)
        label = f"{self.label} ({count})" if count else str(self.label)
        component = super().render_component(request)
        component.label = label
        component.attrs = {**component.attrs, "data-inbox-count": str(count)}
        return component


class _ShownTo(MenuItem):
    def __init__(self, *args, shown, **kwargs):
        super().__init__(*args, **kwargs)
        self.shown = shown

    def is_shown(self, request):
        return self.shown(request.user)


@hooks.register("register_admin_menu_item")
def register_inbox_menu_item():
    return InboxMenuItem(
        _("Ma boîte"), reverse("inbox:index"), name="inbox", icon_name="mail", order=190
    )


@hooks.register("register_admin_menu_item")
def register_queue_menu_item():
    return _ShownTo(
        _("File de l'équipe"),
        reverse("inbox:queue"),
        name="inbox-queue",
        icon_name="group",
        order=200,
        shown=user_dispatches,
    )


@hooks.register("register_admin_menu_item")
def register_lookup_menu_item():
    return _ShownTo(
        _("Rechercher un DE"),
        reverse("inbox:lookup"),
        name="inbox-lookup",
        icon_name="search",
        order=210,
        shown=lambda user: reader_may_open_threads(user=user),
    )


@hooks.register("inbox_thread_actions")
def inbox_moves_actions(request, thread):
    actions = []
    if thread_dispatchable(request, thread):
        actions.append(
            ThreadAction(_("Réattribuer"), reverse("inbox:reassign", args=[thread.pk]), "user", 50)
        )
    if thread.status in (Thread.Status.AWAITING_REPLY, Thread.Status.TRIAGE) and thread_writable(
        request, thread
    ):
        actions.append(
            ThreadAction(
                _("Clore sans réponse"),
                reverse("inbox:close", args=[thread.pk]),
                "cross",
                90,
                "button-secondary",
            )
        )
    return actions


# [inbox] delegation: "Transférer" and "Consulter un expert" on the thread page, and the
# menu item of the consultations waiting for my answer (with their count).


@hooks.register("inbox_thread_actions")
def delegation_thread_actions(request, thread):
    from .views.delegation import user_counsellor

    user = request.user
    if thread.status == Thread.Status.CLOSED:
        return []  # nothing left to hand over or to ask about
    if not user.has_perm("correspondence.change_thread") or not access.can_write(user, thread):
        return []
    actions = [
        ThreadAction(
            label=_("Transférer"),
            url=reverse("inbox:transfer", args=[thread.pk]),
            icon="arrow-right-full",
            priority=300,
        )
    ]
    if user_counsellor(user) is not None:
        actions.append(
            ThreadAction(
                label=_("Consulter un expert"),
                url=reverse("inbox:consult", args=[thread.pk]),
                icon="help",
                priority=310,
            )
        )
    return actions


class ConsultationsMenuItem(MenuItem):
    """Shown to counsellors; the label carries how many questions wait for their answer."""

    def is_shown(self, request):
        return (
            request.user.has_perm("correspondence.view_consultation")
            and access.scope_for(request.user).counsellor_id is not None
        )

    def render_component(self, request):
        waiting = consultations_waiting_for(
            counsellor_id=access.scope_for(request.user).counsellor_id
        ).count()
        label = f"{self.label} ({waiting})" if waiting else self.label
        return LinkMenuItem(
            self.name,
            label,
            self.url,
            icon_name=self.icon_name,
            classname=self.classname,
            attrs={**self.attrs, "data-waiting": str(waiting)},
        )


@hooks.register("register_admin_menu_item")
def register_consultations_menu_item():
    return ConsultationsMenuItem(
        _("Consultations"),
        reverse("inbox:consultations"),
        name="inbox-consultations",
        icon_name="help",
        order=195,
    )


# --- [inbox] outgoing: "Répondre" on the thread page, proactive mail, upcoming contacts ---
class _WriterMenuItem(MenuItem):
    """Shown to a counsellor who may write mail (no query: the user's scope is cached).

    A counsellor without a public address sees it too and is told so by the screen."""

    def is_shown(self, request):
        return request.user.has_perm("correspondence.add_message") and bool(
            access.scope_for(request.user).counsellor_id
        )


@hooks.register("register_admin_menu_item")
def register_compose_menu_item():
    return _WriterMenuItem(
        _("Écrire à mes demandeurs d'emploi"),
        reverse("inbox:compose"),
        name="inbox-compose",
        icon_name="edit",
        order=196,
    )


@hooks.register("register_admin_menu_item")
def register_contacts_menu_item():
    return _WriterMenuItem(
        _("Mes prochains contacts"),
        reverse("inbox:contacts"),
        name="inbox-contacts",
        icon_name="date",
        order=197,
    )


@hooks.register("inbox_thread_actions")
def inbox_reply_action(request, thread):
    from .views.compose import thread_repliable

    if not thread_repliable(request.user, thread):
        return []
    return [ThreadAction(_("Répondre"), reverse("inbox:reply", args=[thread.pk]), "mail", 10)]
