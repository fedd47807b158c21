"""django-filter FilterSets of the inbox and the team queue."""

from __future__ import annotations

import django_filters
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from answer_repository.models import Motif
from backoffice.caseloads.models import Assignment, AssignmentKind, Modality
from backoffice.correspondence.models import Thread
from backoffice.correspondence.services.deadlines import agency_calendar
from backoffice.correspondence.sla import BusinessCalendar, business_deadline
from backoffice.organisation import access
from backoffice.organisation.models import Agency
from backoffice.organisation.scoped_admin import ScopedFilterSet

DUE_SOON_HOURS = 24


class InboxStatus:
    AWAITING = Thread.Status.AWAITING_REPLY.value
    ANSWERED = Thread.Status.ANSWERED.value
    CLOSED = Thread.Status.CLOSED.value
    ALL = "all"
    CHOICES = [
        (AWAITING, Thread.Status.AWAITING_REPLY.label),
        (ANSWERED, Thread.Status.ANSWERED.label),
        (CLOSED, Thread.Status.CLOSED.label),
        (ALL, _("tous")),
    ]


def _current_modality_is(value):
    return Exists(
        Assignment.objects.filter(
            jobseeker_id=OuterRef("jobseeker_id"),
            kind=AssignmentKind.REFERENT,
            ends_on__isnull=True,
            modality=value,
        )
    )


class _ThreadFilterSet(ScopedFilterSet):
    motif = django_filters.ModelChoiceFilter(
        queryset=Motif.objects.select_related("parent"), label=_("Motif"), field_name="motif"
    )
    modality = django_filters.ModelChoiceFilter(
        queryset=Modality.objects.all(), label=_("Modalité"), method="filter_modality"
    )
    deadline = django_filters.ChoiceFilter(
        choices=[
            ("overdue", _("délai dépassé")),
            ("soon", _("moins de 24 h ouvrées")),
        ],
        label=_("Échéance"),
        method="filter_deadline",
    )

    class Meta:
        model = Thread
        fields = []

    def filter_modality(self, queryset, name, value):
        return queryset.filter(_current_modality_is(value))

    def filter_deadline(self, queryset, name, value):
        now = timezone.now()
        if value == "overdue":
            return queryset.filter(due_at__lt=now)
        # "Soon" is counted in business hours, in the calendar of the reader's agency (or,
        # for an administrator, of the metropolitan calendar).
        agency = Agency.objects.filter(pk__in=access.scope_for(self.request.user).agency_ids)
        agency = agency.first()
        calendar = agency_calendar(agency=agency) if agency else BusinessCalendar()
        limit = business_deadline(now, DUE_SOON_HOURS, calendar)
        return queryset.filter(due_at__gte=now, due_at__lt=limit)


class InboxFilterSet(_ThreadFilterSet):
    """My threads: awaiting a reply unless another status is asked for."""

    status = django_filters.ChoiceFilter(
        choices=InboxStatus.CHOICES,
        label=_("Statut"),
        method="filter_status",
        empty_label=None,
    )

    def filter_status(self, queryset, name, value):
        return queryset  # the view applies `status_value` to its base queryset

    @property
    def status_value(self) -> str:
        """The status asked for; awaiting by default (and when the form is invalid, so that
        a bad filter never widens the list)."""
        value = self.data.get("status") if self.data else None
        return value if value in dict(InboxStatus.CHOICES) else InboxStatus.AWAITING


class QueueSection:
    TRIAGE = "triage"
    UNASSIGNED = "unassigned"
    ABSENT = "absent"
    CHOICES = [
        (TRIAGE, _("à trier (expéditeur inconnu)")),
        (UNASSIGNED, _("sans conseiller")),
        (ABSENT, _("conseiller absent")),
    ]


class TeamQueueFilterSet(_ThreadFilterSet):
    section = django_filters.ChoiceFilter(
        choices=QueueSection.CHOICES, label=_("Catégorie"), method="filter_section"
    )
    agency = django_filters.ModelChoiceFilter(
        queryset=Agency.objects.all(), label=_("Agence"), field_name="agency"
    )

    def __init__(self, *args, absent_ids=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.absent_ids = list(absent_ids)
        if not access.scope_for(getattr(self.request, "user", None)).everything:
            del self.filters["agency"]

    def filter_section(self, queryset, name, value):
        if value == QueueSection.TRIAGE:
            return queryset.filter(status=Thread.Status.TRIAGE)
        if value == QueueSection.UNASSIGNED:
            return queryset.filter(status=Thread.Status.AWAITING_REPLY, counsellor__isnull=True)
        return queryset.filter(
            status=Thread.Status.AWAITING_REPLY, counsellor_id__in=self.absent_ids
        )
