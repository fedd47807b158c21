"""Wagtail registrations of the inbox: its URLs, menu items and thread actions."""

from django.urls import include, path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.ui.sidebar import LinkMenuItem

from backoffice.correspondence.delegation_selectors import consultations_waiting_for
from backoffice.correspondence.models import Thread
from backoffice.organisation import access

from . import urls
from .actions import ThreadAction


@hooks.register("register_admin_urls")
def register_inbox_urls():
    return [path("inbox/", include(urls, namespace="inbox"))]


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
