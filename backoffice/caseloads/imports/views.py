"""Wagtail admin screens of caseload imports: history, upload, preview, confirm, undo.

Views hold settings and call services; every write is in `services`.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.generic import TemplateView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from . import selectors, services
from .forms import ConfirmForm, UploadForm
from .models import ImportKind, ImportStatus
from .spreadsheets import errors_workbook, template_workbook

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SHOWN_MESSAGES = 200
SHOWN_CHANGES = 200


class ImportAccessMixin:
    def dispatch(self, request, *args, **kwargs):
        if not services.may_import(request.user):
            raise PermissionDenied
        services.import_batches_fail_stale()
        return super().dispatch(request, *args, **kwargs)

    def get_batch(self):
        return get_object_or_404(
            selectors.imports_for(user=self.request.user), pk=self.kwargs["pk"]
        )


class HistoryView(ImportAccessMixin, WagtailAdminTemplateMixin, TemplateView):
    page_title = _("Imports d'affectations")
    header_icon = "upload"
    template_name = "caseloads/imports/history.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        page = Paginator(selectors.imports_for(user=self.request.user), 50).get_page(
            self.request.GET.get("p")
        )
        context.update(page=page, form=kwargs.get("form") or UploadForm(), kinds=ImportKind)
        return context

    def post(self, request, *args, **kwargs):
        form = UploadForm(request.POST, request.FILES)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form))
        try:
            batch = services.import_batch_create(
                uploaded_file=form.cleaned_data["file"], user=request.user
            )
        except services.ImportRefused as refusal:
            messages.error(request, refusal.message)
            return redirect("caseload_imports:history")
        services.import_batch_start_preview(batch=batch)
        return redirect("caseload_imports:detail", pk=batch.pk)


class DetailView(ImportAccessMixin, WagtailAdminTemplateMixin, TemplateView):
    header_icon = "upload"
    template_name = "caseloads/imports/detail.html"

    def get_page_title(self):
        return _("Import n° %(n)s") % {"n": self.kwargs["pk"]}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        batch = self.get_batch()
        errors = [m for m in batch.errors if m[3] == "erreur"]
        warnings = [m for m in batch.errors if m[3] != "erreur"]
        context.update(
            batch=batch,
            progress=services.import_progress(batch),
            errors=errors[:SHOWN_MESSAGES],
            warnings=warnings[:SHOWN_MESSAGES],
            more_messages=max(0, len(batch.errors) - 2 * SHOWN_MESSAGES),
            changes=selectors.changes_of(batch=batch)[:SHOWN_CHANGES],
            change_count=batch.changes.count(),
            confirm_form=ConfirmForm(initial={"sha256": batch.sha256}),
            can_confirm=batch.status == ImportStatus.PREVIEWED,
            can_undo=batch.status == ImportStatus.APPLIED,
            can_retry=batch.status == ImportStatus.FAILED,
            statuses=ImportStatus,
        )
        return context


class StatusView(ImportAccessMixin, View):
    """The JSON the progress bar polls."""

    def get(self, request, pk):
        return JsonResponse(services.import_progress(self.get_batch()))


class ConfirmView(ImportAccessMixin, View):
    def post(self, request, pk):
        batch = self.get_batch()
        form = ConfirmForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("Confirmation incomplète."))
            return redirect("caseload_imports:detail", pk=pk)
        try:
            batch = services.import_batch_start_apply(
                batch=batch,
                user=request.user,
                sha256=form.cleaned_data["sha256"],
                skip_errors=form.cleaned_data["skip_errors"],
            )
        except services.ImportRefused as refusal:
            messages.error(request, refusal.message)
            return redirect("caseload_imports:detail", pk=pk)
        if batch.status == ImportStatus.APPLIED:
            messages.success(request, _("Import appliqué."))
        elif batch.status == ImportStatus.FAILED:
            messages.error(request, batch.message)
        else:
            messages.info(request, _("Application lancée en tâche de fond."))
        return redirect("caseload_imports:detail", pk=pk)


class UndoView(ImportAccessMixin, View):
    def post(self, request, pk):
        try:
            batch = services.import_batch_start_undo(batch=self.get_batch(), user=request.user)
        except services.ImportRefused as refusal:
            messages.error(request, refusal.message)
            return redirect("caseload_imports:detail", pk=pk)
        if batch.status == ImportStatus.UNDONE:
            messages.success(request, _("Import annulé : les affectations sont rétablies."))
        elif batch.status == ImportStatus.APPLIED:  # the task refused or failed: why is kept
            messages.error(request, batch.message)
        else:
            messages.info(request, _("Annulation lancée en tâche de fond."))
        return redirect("caseload_imports:detail", pk=pk)


class RetryView(ImportAccessMixin, View):
    def post(self, request, pk):
        try:
            batch = services.import_batch_retry(batch=self.get_batch(), user=request.user)
        except services.ImportRefused as refusal:
            messages.error(request, refusal.message)
            return redirect("caseload_imports:detail", pk=pk)
        if batch.status == ImportStatus.UPLOADED:
            services.import_batch_start_preview(batch=batch)
        else:
            messages.info(request, _("Vous pouvez confirmer à nouveau l'application."))
        return redirect("caseload_imports:detail", pk=pk)


class ErrorsDownloadView(ImportAccessMixin, View):
    def get(self, request, pk):
        batch = self.get_batch()
        response = HttpResponse(errors_workbook(batch.errors), content_type=XLSX)
        response["Content-Disposition"] = f'attachment; filename="erreurs-import-{batch.pk}.xlsx"'
        return response


class FileDownloadView(ImportAccessMixin, View):
    def get(self, request, pk):
        batch = self.get_batch()
        if not batch.file:
            raise Http404
        return FileResponse(batch.file.open("rb"), as_attachment=True, filename=batch.original_name)


class TemplateDownloadView(ImportAccessMixin, View):
    def get(self, request, kind):
        if kind not in ImportKind.values:
            raise Http404
        response = HttpResponse(template_workbook(kind), content_type=XLSX)
        name = "modele-affectations-" + ("entreprises" if kind == "employers" else "de")
        response["Content-Disposition"] = f'attachment; filename="{name}.xlsx"'
        return response


def detail_url(batch) -> str:
    return reverse("caseload_imports:detail", args=[batch.pk])
