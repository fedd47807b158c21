"""The counsellor's inbox: my threads, what is due first (a Wagtail listing view)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import F
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from wagtail.admin.ui.tables import Column
from wagtail.admin.views import generic
from wagtail.permission_policies import ModelPermissionPolicy

from backoffice.correspondence.inbox_selectors import inbox_for, reader_may_open_threads
from backoffice.correspondence.models import Thread
from backoffice.organisation import access

from ..columns import (
    CorrespondentColumn,
    ReceivedColumn,
    SubjectColumn,
    TimeLeftColumn,
    deadlines_annotate,
)
from ..filters import InboxFilterSet, InboxStatus

SEARCH_FIELDS = [
    "subject",
    "correspondent_address",
    "jobseeker__last_name",
    "jobseeker__first_name",
    "jobseeker__identifier",
    "employer__name",
]


class ThreadListingView(generic.IndexView):
    """What the inbox and the team queue share: permissions, deadlines, search."""

    model = Thread
    permission_policy = ModelPermissionPolicy(Thread)
    any_permission_required = ["view"]
    search_fields = SEARCH_FIELDS
    search_backend_name = None
    paginate_by = 25  # Wagtail lists 20 a page; what is due first is at the top
    header_icon = "mail"
    default_ordering = None

    def dispatch(self, request, *args, **kwargs):
        if not reader_may_open_threads(user=request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_valid_orderings(self):
        return []  # the order is the point of these screens (and what the index serves)

    def paginate_queryset(self, queryset, page_size):
        paginator, page, object_list, is_paginated = super().paginate_queryset(queryset, page_size)
        threads = list(object_list)
        page.object_list = threads
        deadlines_annotate(threads, now=timezone.now())
        return paginator, page, threads, is_paginated


class InboxIndexView(ThreadListingView):
    page_title = _("Boîte de réception")
    index_url_name = "inbox:index"
    index_results_url_name = "inbox:index_results"
    filterset_class = InboxFilterSet
    verbose_name = _("fil")
    verbose_name_plural = _("fils")

    @cached_property
    def counsellor_id(self):
        return access.scope_for(self.request.user).counsellor_id

    @cached_property
    def columns(self):
        return [
            SubjectColumn(via="inbox"),
            CorrespondentColumn(),
            Column("modality_name", label=_("Modalité")),
            Column("motif", label=_("Motif"), accessor="motif"),
            ReceivedColumn(),
            TimeLeftColumn(),
            Column("status", label=_("Statut"), accessor="get_status_display"),
        ]

    @cached_property
    def status(self) -> str:
        return self.filters.status_value if self.filters else InboxStatus.AWAITING

    def get_base_queryset(self):
        if not self.counsellor_id:
            return Thread.objects.none()
        queryset = inbox_for(counsellor_id=self.counsellor_id)
        if self.status != InboxStatus.ALL:
            queryset = queryset.filter(status=self.status)
        return queryset

    def order_queryset(self, queryset):
        if self.status == InboxStatus.AWAITING:
            return queryset.order_by(F("due_at").asc(nulls_last=True), "pk")
        return queryset.order_by(F("last_message_at").desc(nulls_last=True), "-pk")

    @cached_property
    def no_results_message(self):
        if not self.counsellor_id:
            return _("Votre compte n'est pas celui d'un conseiller : vous n'avez pas de fils.")
        return _("Aucun fil ici.")
