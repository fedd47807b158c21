"""Wagtail registrations of the inbox: its URLs, menu items (with the inbox's count) and
the thread actions it offers itself. Other features append their own hooks at the end."""

from django.urls import include, path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from . import urls
from .actions import ThreadAction


@hooks.register("register_admin_urls")
def register_inbox_urls():
    return [path("inbox/", include(urls, namespace="inbox"))]


# --- [inbox] outgoing: "Répondre" on the thread page, proactive mail, upcoming contacts ---
class _WriterMenuItem(MenuItem):
    """Shown to a counsellor who may write mail (and has an address to write from)."""

    def is_shown(self, request):
        from .views.compose import writing_counsellor

        return request.user.has_perm("correspondence.add_message") and bool(
            writing_counsellor(request.user)
        )


@hooks.register("register_admin_menu_item")
def register_compose_menu_item():
    return _WriterMenuItem(
        _("Écrire à mes demandeurs d'emploi"),
        reverse("inbox:compose"),
        name="inbox-compose",
        icon_name="edit",
        order=195,
    )


@hooks.register("register_admin_menu_item")
def register_contacts_menu_item():
    return _WriterMenuItem(
        _("Mes prochains contacts"),
        reverse("inbox:contacts"),
        name="inbox-contacts",
        icon_name="date",
        order=196,
    )


@hooks.register("inbox_thread_actions")
def inbox_reply_action(request, thread):
    from .views.compose import thread_repliable

    if not thread_repliable(request.user, thread):
        return []
    return [ThreadAction(_("Répondre"), reverse("inbox:reply", args=[thread.pk]), "mail", 10)]
