"""The privacy screens' actions: verify the archive, prepare and apply retention runs,
export a person's data, acknowledge a read alert. Views check who may act and call a
service; they hold no rule of their own."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_q.tasks import async_task

from backoffice.organisation import access

from .forms import access_export_form
from .models import ReadAlert, RetentionRun
from .services.access_export import access_export_build
from .services.read_audit import read_alert_acknowledge
from .services.retention import (
    RetentionRunRefused,
    retention_run_apply,
    retention_run_cancel,
    retention_run_prepare,
)


def _require_admin(request, permission: str) -> None:
    """National administrators (and superusers) holding `permission`, nobody else."""
    user = request.user
    if not (access.scope_for(user).everything and user.has_perm(permission)):
        raise PermissionDenied


# --- archive -----------------------------------------------------------------------------


@require_POST
def archive_check_start_view(request):
    _require_admin(request, "privacy.view_archivecheck")
    async_task(
        "privacy.services.archive.archive_check_run",
        triggered_by=request.user.get_username(),
        task_name="mailnet-archive-verify-now",
    )
    messages.success(request, _("La vérification de l'archive est lancée."))
    return redirect("privacy_archive:index")


# --- retention ---------------------------------------------------------------------------


@require_POST
def retention_prepare_view(request):
    _require_admin(request, "privacy.add_retentionrun")
    run = retention_run_prepare(by=request.user)
    messages.success(request, _("Simulation prête : rien n'a encore été effacé."))
    return redirect("privacy_retention:detail", run.pk)


def retention_detail_view(request, pk):
    _require_admin(request, "privacy.view_retentionrun")
    run = get_object_or_404(RetentionRun.objects.select_related("created_by", "applied_by"), pk=pk)
    if request.method == "POST":
        _require_admin(request, "privacy.change_retentionrun")
        action = request.POST.get("action")
        appliable = (RetentionRun.State.DRY_RUN, RetentionRun.State.APPLYING)
        if run.state not in appliable or (
            action == "cancel" and run.state != RetentionRun.State.DRY_RUN
        ):
            messages.error(request, _("Cette passe n'est plus une simulation."))
        elif action == "apply" and request.POST.get("confirm") == "on":
            try:
                run = retention_run_apply(run=run, by=request.user)
            except RetentionRunRefused:
                messages.error(request, _("Cette passe a déjà été appliquée ou abandonnée."))
                return redirect("privacy_retention:detail", run.pk)
            messages.success(
                request,
                _("Passe appliquée : %(threads)s fils et %(raw)s courriels bruts effacés.")
                % {"threads": run.erased_threads, "raw": run.erased_raw_mails},
            )
        elif action == "apply":
            messages.error(request, _("Cochez la case de confirmation pour appliquer la passe."))
        elif action == "cancel":
            retention_run_cancel(run=run)
            messages.success(request, _("Simulation abandonnée."))
        return redirect("privacy_retention:detail", run.pk)
    return TemplateResponse(
        request,
        "privacy/retention_detail.html",
        {
            "run": run,
            "title": _("Passe de conservation du %s") % f"{run.created_at:%d/%m/%Y %H:%M}",
            "can_apply": run.state in (RetentionRun.State.DRY_RUN, RetentionRun.State.APPLYING)
            and request.user.has_perm("privacy.change_retentionrun"),
            "index_url": reverse("privacy_retention:index"),
        },
    )


# --- right of access ---------------------------------------------------------------------


def access_export_view(request):
    _require_admin(request, "privacy.add_accessexport")
    form = access_export_form(request.POST or None, for_user=request.user)
    if request.method == "POST" and form.is_valid():
        export = access_export_build(person=form.person, by=request.user)
        return FileResponse(
            export.file,
            as_attachment=True,
            filename=export.filename,
            content_type="application/zip",
        )
    return TemplateResponse(
        request,
        "privacy/access_form.html",
        {"form": form, "title": _("Exporter les données d'une personne")},
    )


# --- read alerts -------------------------------------------------------------------------


def read_alert_acknowledge_button(alert: ReadAlert) -> str:
    return "" if alert.acknowledged_at else _("Marquer comme vue")


def read_alert_acknowledge_view(request, pk):
    _require_admin(request, "privacy.change_readalert")
    alert = get_object_or_404(ReadAlert.objects.select_related("user"), pk=pk)
    if request.method == "POST":
        read_alert_acknowledge(alert=alert, by=request.user)
        messages.success(request, _("Alerte marquée comme vue."))
        return redirect("privacy_read_alerts:index")
    return TemplateResponse(
        request,
        "privacy/read_alert_confirm.html",
        {"alert": alert, "title": _("Alerte de lecture")},
    )
