"""The team queue of managers: triage, unassigned threads, threads of absent counsellors,
with bulk actions (reassign, set motif, close as needing no answer with a reason)."""

from __future__ import annotations

from django.contrib import messages as flash
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import F
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views import View
from wagtail.admin.ui.tables import Column
from wagtail.admin.widgets.button import HeaderButton

from backoffice.correspondence.inbox_selectors import (
    absent_counsellor_ids,
    dispatch_counsellors,
    team_queue_for,
)
from backoffice.correspondence.services.moves import (
    threads_close,
    threads_motif_set,
    threads_reassign,
)
from backoffice.organisation import access, roles

from ..columns import (
    CheckboxColumn,
    CorrespondentColumn,
    ReceivedColumn,
    SubjectColumn,
    TimeLeftColumn,
)
from ..filters import TeamQueueFilterSet
from ..forms import QueueBulkForm
from .listing import ThreadListingView

BULK_FORM_ID = "queue-bulk"


def user_dispatches(user) -> bool:
    """Managers and administrators holding `change_thread` see and dispatch the queue."""
    scope = access.scope_for(user)
    return scope.role in (roles.MANAGER, roles.NATIONAL_ADMIN) and user.has_perm(
        "correspondence.change_thread"
    )


class CounsellorColumn(Column):
    cell_template_name = "inbox/cells/counsellor.html"

    def __init__(self, absent_ids, **kwargs):
        super().__init__("counsellor", label=gettext_lazy("Conseiller"), accessor="counsellor")
        self.absent_ids = set(absent_ids)

    def get_cell_context_data(self, instance, parent_context):
        context = super().get_cell_context_data(instance, parent_context)
        context["absent"] = instance.counsellor_id in self.absent_ids
        return context


class TeamQueueView(ThreadListingView):
    page_title = gettext_lazy("File de l'équipe")
    header_icon = "group"
    index_url_name = "inbox:queue"
    index_results_url_name = "inbox:queue_results"
    filterset_class = TeamQueueFilterSet
    template_name = "inbox/queue.html"
    verbose_name = gettext_lazy("fil")
    verbose_name_plural = gettext_lazy("fils")

    def dispatch(self, request, *args, **kwargs):
        if not user_dispatches(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    @cached_property
    def now(self):
        return timezone.now()

    @cached_property
    def scope(self):
        return access.scope_for(self.request.user)

    @cached_property
    def absent_ids(self) -> list[int]:
        agency_ids = None if self.scope.everything else self.scope.agency_ids
        return absent_counsellor_ids(agency_ids=agency_ids, now=self.now)

    def get_filterset_kwargs(self):
        return {**super().get_filterset_kwargs(), "absent_ids": self.absent_ids}

    @cached_property
    def columns(self):
        columns = [
            CheckboxColumn(BULK_FORM_ID),
            SubjectColumn(via="queue"),
            CorrespondentColumn(),
            CounsellorColumn(self.absent_ids),
        ]
        if self.scope.everything:
            columns.append(Column("agency", label=gettext_lazy("Agence"), accessor="agency"))
        return [
            *columns,
            Column("modality_name", label=gettext_lazy("Modalité")),
            Column("motif", label=gettext_lazy("Motif"), accessor="motif"),
            ReceivedColumn(),
            TimeLeftColumn(),
            Column("status", label=gettext_lazy("Statut"), accessor="get_status_display"),
        ]

    def get_base_queryset(self):
        return team_queue_for(user=self.request.user, now=self.now, absent_ids=self.absent_ids)

    def order_queryset(self, queryset):
        return queryset.order_by(
            F("due_at").asc(nulls_last=True), F("last_message_at").asc(nulls_last=True), "pk"
        )

    @cached_property
    def header_buttons(self):
        buttons = []
        if self.request.user.has_perm("correspondence.view_rawmail"):
            buttons.append(
                HeaderButton(
                    _("Courriels non distribués"),
                    url=reverse("correspondence:triage"),
                    icon_name="warning",
                )
            )
        return buttons

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        threads = context["object_list"]
        agency_ids = (
            None if not self.scope.everything else ({t.agency_id for t in threads} or {None})
        )
        counsellors = dispatch_counsellors(user=self.request.user, agency_ids=agency_ids)
        context["bulk_form"] = QueueBulkForm(user=self.request.user, counsellors=counsellors)
        context["bulk_form_id"] = BULK_FORM_ID
        context["bulk_next"] = self.request.get_full_path()
        return context


class QueueBulkView(View):
    """POST of the queue's bulk form; all the selected threads move, or none does."""

    http_method_names = ["post"]

    def post(self, request):
        if not user_dispatches(request.user):
            raise PermissionDenied
        form = QueueBulkForm(
            request.POST,
            user=request.user,
            counsellors=dispatch_counsellors(user=request.user),
        )
        next_url = request.POST.get("next", "")
        if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
            next_url = reverse("inbox:queue")
        if not form.is_valid():
            for errors in form.errors.values():
                for error in errors:
                    flash.error(request, error)
            return redirect(next_url)
        data = form.cleaned_data
        threads = list(data["threads"])
        try:
            if data["action"] == QueueBulkForm.REASSIGN:
                threads_reassign(
                    threads=threads,
                    to_counsellor=data["counsellor"],
                    by=request.user,
                    note=data["note"],
                )
                message = ngettext(
                    "%(count)d fil réattribué à %(name)s.",
                    "%(count)d fils réattribués à %(name)s.",
                    len(threads),
                ) % {"count": len(threads), "name": data["counsellor"]}
            elif data["action"] == QueueBulkForm.MOTIF:
                threads_motif_set(threads=threads, motif=data["motif"], by=request.user)
                message = ngettext(
                    "Motif renseigné sur %(count)d fil.",
                    "Motif renseigné sur %(count)d fils.",
                    len(threads),
                ) % {"count": len(threads)}
            else:
                threads_close(threads=threads, by=request.user, reason=data["reason"])
                message = ngettext(
                    "%(count)d fil clos sans réponse.",
                    "%(count)d fils clos sans réponse.",
                    len(threads),
                ) % {"count": len(threads)}
        except ValidationError as error:
            for text in error.messages:
                flash.error(request, text)
            return redirect(next_url)
        flash.success(request, message)
        return redirect(next_url)
