"""Wagtail registrations of correspondence: its URLs, calendars, closure days, notices.

The thread screens (inbox, team queue with the triage, thread page) are the inbox app's.
"""

from django.urls import include, path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from . import sla_admin, urls


@hooks.register("register_admin_urls")
def register_correspondence_urls():
    return [path("correspondence/", include(urls, namespace="correspondence"))]


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
