"""Imports whose worker died: failed (or, for an undo, back to applied) by the scheduled
check, retried by the uploader."""

import datetime

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ..models import ImportBatch, ImportStatus
from .common import ImportRefused
from .progress import _progress_key

# A preview's cleaned rows (PostgreSQL) are kept this long for the apply; after that the
# apply reads the file again, as it does on any database.
STAGED_ROWS_KEPT = datetime.timedelta(days=2)


@transaction.atomic
def import_batch_retry(*, batch: ImportBatch, user) -> ImportBatch:
    """A failed import goes back to where it stopped: to preview again, or to apply again."""
    batch = ImportBatch.objects.select_for_update().get(pk=batch.pk)
    if batch.status != ImportStatus.FAILED:
        raise ImportRefused(_("Seul un import en échec peut être relancé."))
    if batch.previewed_at and batch.applied_by_id:
        batch.status = ImportStatus.PREVIEWED
    else:
        batch.status = ImportStatus.UPLOADED
    batch.message = ""
    batch.save(update_fields=["status", "message"])
    return batch


def import_batches_fail_stale(*, now: datetime.datetime | None = None) -> int:
    """Marks as failed the imports whose worker died (no sign of life for too long); an
    undo whose worker died goes back to applied (its transaction undid nothing), to be
    undone again. Returns how many were recovered."""
    now = now or timezone.now()
    limit = now - datetime.timedelta(seconds=settings.MAILNET_IMPORT_STALE_SECONDS)
    recovered = 0
    for batch in ImportBatch.objects.filter(
        status__in=[ImportStatus.PREVIEWING, ImportStatus.APPLYING, ImportStatus.UNDOING]
    ):
        cached = cache.get(_progress_key(batch.pk))
        last = max(
            filter(
                None,
                [
                    batch.heartbeat_at,
                    cached and datetime.datetime.fromtimestamp(cached["at"], tz=datetime.UTC),
                ],
            ),
            default=batch.created_at,
        )
        if last >= limit:
            continue
        if batch.status == ImportStatus.UNDOING:
            outcome = {
                "status": ImportStatus.APPLIED,
                "message": _(
                    "L'annulation s'est interrompue : rien n'a été annulé. Vous pouvez la relancer."
                ),
                "progress": 100,
            }
        else:
            outcome = {
                "status": ImportStatus.FAILED,
                "message": _(
                    "Le traitement s'est interrompu : rien n'a été appliqué. Vous pouvez réessayer."
                ),
                "progress": 0,
            }
        # the status in the filter: a worker that finished meanwhile is left alone
        recovered += ImportBatch.objects.filter(pk=batch.pk, status=batch.status).update(**outcome)
    return recovered


def import_staged_rows_purge(*, now: datetime.datetime | None = None) -> int:
    """Deletes the cleaned rows kept by previews that were not applied in time (the file
    itself stays, with the import's history). Returns how many were deleted."""
    from . import _staged_path

    limit = (now or timezone.now()) - STAGED_ROWS_KEPT
    purged = 0
    for batch in ImportBatch.objects.filter(previewed_at__lt=limit).exclude(staged_sha256=""):
        if batch.file:
            _staged_path(batch).unlink(missing_ok=True)
        purged += ImportBatch.objects.filter(pk=batch.pk).update(staged_sha256="")
    return purged
