"""Wagtail registrations of correspondence: threads, triage, calendars, closure days, notices."""

from django.urls import include, path, reverse, reverse_lazy
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from . import sla_admin, urls


@hooks.register("register_admin_urls")
def register_correspondence_urls():
    return [path("correspondence/", include(urls, namespace="correspondence"))]


class _PermMenuItem(MenuItem):
    def __init__(self, *args, perm: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.perm = perm

    def is_shown(self, request):
        return request.user.has_perm(self.perm)


@hooks.register("register_admin_menu_item")
def register_threads_menu_item():
    return _PermMenuItem(
        _("Fils"),
        reverse_lazy("correspondence:thread_index"),
        icon_name="mail",
        order=200,
        perm="correspondence.view_thread",
    )


@hooks.register("register_admin_menu_item")
def register_triage_menu_item():
    return _PermMenuItem(
        _("Tri du courrier"),
        reverse_lazy("correspondence:triage"),
        icon_name="warning",
        order=210,
        perm="correspondence.view_thread",
    )


@hooks.register("register_admin_viewset")
def register_closure_days():
    return sla_admin.closure_day_viewset


@hooks.register("register_admin_urls")
def register_sla_urls():
    return sla_admin.admin_urls()


@hooks.register("register_admin_menu_item")
def register_calendar_menu_item():
    return MenuItem(
        _("Calendriers"), reverse("sla_calendar"), icon_name="date", name="sla-calendar", order=900
    )


@hooks.register("construct_homepage_panels")
def add_sla_notices_panel(request, panels):
    panels.insert(0, sla_admin.SlaNoticesPanel())
