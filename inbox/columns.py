"""Table columns of the inbox and the team queue, and the business time left on a page."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from wagtail.admin.ui.tables import BaseColumn, Column, TitleColumn

from backoffice.correspondence.models import Thread
from backoffice.correspondence.services.deadlines import agency_calendars
from backoffice.correspondence.sla import business_time_between

DUE_SOON = dt.timedelta(hours=24)


@dataclass(frozen=True)
class TimeLeft:
    """Business time from now to the deadline (negative once overdue)."""

    delta: dt.timedelta

    @property
    def overdue(self) -> bool:
        return self.delta < dt.timedelta()

    @property
    def soon(self) -> bool:
        return not self.overdue and self.delta < DUE_SOON

    @property
    def hours(self) -> int:
        return int(abs(self.delta) // dt.timedelta(hours=1))

    @property
    def minutes(self) -> int:
        return int(abs(self.delta) // dt.timedelta(minutes=1)) % 60


def deadlines_annotate(threads: list, *, now: dt.datetime) -> None:
    """Sets `time_left` (a TimeLeft, or None without a deadline) on each loaded thread,
    counted in its agency's calendar; one query for all the agencies' closure days (and one
    for the agencies themselves unless loaded with the threads)."""
    if not threads:
        return
    if all(Thread.agency.is_cached(thread) for thread in threads):
        calendars = agency_calendars(agencies={t.agency for t in threads})
    else:
        calendars = agency_calendars(agency_ids={t.agency_id for t in threads})
    for thread in threads:
        thread.time_left = (
            TimeLeft(business_time_between(now, thread.due_at, calendars[thread.agency_id]))
            if thread.due_at
            else None
        )


def correspondent_label(thread) -> str:
    if thread.jobseeker_id:
        return f"{thread.jobseeker.first_name} {thread.jobseeker.last_name}"
    if thread.employer_id:
        return thread.employer.name
    return thread.correspondent_address


def thread_url(thread, via: str) -> str:
    return reverse("inbox:thread", args=[thread.pk]) + f"?via={via}"


class SubjectColumn(TitleColumn):
    def __init__(self, *, via: str, **kwargs):
        super().__init__(
            "subject",
            label=_("Objet"),
            get_url=lambda thread: thread_url(thread, via),
            accessor=lambda thread: thread.subject or _("(sans objet)"),
            **kwargs,
        )


class CorrespondentColumn(Column):
    cell_template_name = "inbox/cells/correspondent.html"

    def __init__(self, **kwargs):
        super().__init__("correspondent", label=_("Correspondant"), accessor=correspondent_label)


class TimeLeftColumn(Column):
    cell_template_name = "inbox/cells/time_left.html"

    def __init__(self, **kwargs):
        super().__init__(
            "time_left", label=_("Temps ouvré restant"), accessor="time_left", **kwargs
        )


class ReceivedColumn(Column):
    cell_template_name = "inbox/cells/datetime.html"

    def __init__(self, **kwargs):
        super().__init__("last_incoming_at", label=_("Reçu le"), accessor="last_incoming_at")


class CheckboxColumn(BaseColumn):
    """A checkbox per row that belongs to the bulk-action form (by its `form` attribute)."""

    cell_template_name = "inbox/cells/checkbox.html"
    header_template_name = "inbox/cells/checkbox_header.html"

    def __init__(self, form_id: str, **kwargs):
        super().__init__("selected", label=_("Choisir"), **kwargs)
        self.form_id = form_id

    def get_cell_context_data(self, instance, parent_context):
        context = super().get_cell_context_data(instance, parent_context)
        context["form_id"] = self.form_id
        return context

    def get_header_context_data(self, parent_context):
        context = super().get_header_context_data(parent_context)
        context["form_id"] = self.form_id
        return context
