"""What the uploader sees of a running import (the progress bar) and when it is done (a mail)."""

from django.conf import settings
from django.core.cache import cache
from django.core.mail import send_mail
from django.utils import timezone
from django.utils.translation import gettext as _

from ..models import ImportBatch, ImportStatus


def _progress_key(batch_id: int) -> str:
    return f"mailnet:caseload-import:{batch_id}:progress"


def import_progress(batch: ImportBatch) -> dict:
    """What the progress bar shows: percent and state, from the cache while running."""
    percent = batch.progress
    if batch.is_running:
        cached = cache.get(_progress_key(batch.pk))
        if cached:
            percent = cached["percent"]
    return {
        "id": batch.pk,
        "status": batch.status,
        "status_display": batch.get_status_display(),
        "percent": percent,
        # a queued background preview is waiting for a worker: keep polling
        "running": batch.is_running or (batch.background and batch.status == ImportStatus.UPLOADED),
        "message": batch.message,
    }


def _progress_callback(batch: ImportBatch, *, apply: bool):
    expected = max(batch.total_rows, 1)

    def report(rows_done: int) -> None:
        percent = min(99, rows_done * 100 // expected)
        cache.set(
            _progress_key(batch.pk),
            {"percent": percent, "at": timezone.now().timestamp()},
            timeout=settings.MAILNET_IMPORT_STALE_SECONDS,
        )
        if not apply:  # outside the apply transaction the row itself can move
            ImportBatch.objects.filter(pk=batch.pk).update(
                progress=percent, heartbeat_at=timezone.now()
            )

    return report


def import_batch_notify(*, batch: ImportBatch) -> None:
    """Tells the person who started a background import that it is done."""
    recipient = (batch.applied_by or batch.created_by).email
    if not recipient:
        return
    subject = _("Import n° %(n)s : %(s)s") % {"n": batch.pk, "s": batch.get_status_display()}
    body = _(
        "Votre import « %(name)s » est terminé : %(s)s.\n"
        "Nouvelles affectations : %(new)s ; transferts : %(tr)s ; inchangées : %(un)s ; "
        "lignes en erreur : %(err)s.\n%(msg)s\n%(url)s"
    ) % {
        "name": batch.original_name,
        "s": batch.get_status_display(),
        "new": batch.new_count,
        "tr": batch.transfer_count,
        "un": batch.unchanged_count,
        "err": batch.error_count,
        "msg": batch.message,
        "url": f"{settings.WAGTAILADMIN_BASE_URL}/admin/caseload-imports/{batch.pk}/",
    }
    send_mail(subject, body, None, [recipient], fail_silently=True)
