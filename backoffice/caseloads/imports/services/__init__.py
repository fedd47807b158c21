"""Every write of caseload imports: upload, preview, apply (here), undo, retry, stale sweep.

Views, tasks and the `caseload_import` command call these; none of them writes itself.
The row work is in `engine` (any database) and `staging` (PostgreSQL).
"""

from __future__ import annotations

import logging
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.core.files.base import File
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from backoffice.organisation.access import scope_for

from ..engine import ApplyDrift
from ..models import ImportBatch, ImportStatus
from ..parsing import FileRefused, estimate_rows
from ..staging import engine_for
from .common import ImportRefused, file_sha256, import_task_queue, may_import
from .progress import _progress_callback, _progress_key, import_batch_notify, import_progress
from .recovery import import_batch_retry, import_batches_fail_stale, import_staged_rows_purge
from .undo import import_batch_start_undo, import_batch_undo, import_batch_undo_queued

__all__ = [
    "ImportRefused",
    "file_sha256",
    "import_batch_apply",
    "import_batch_create",
    "import_batch_notify",
    "import_batch_preview",
    "import_batch_retry",
    "import_batch_start_apply",
    "import_batch_start_preview",
    "import_batch_start_undo",
    "import_batch_undo",
    "import_batch_undo_queued",
    "import_batches_fail_stale",
    "import_progress",
    "import_staged_rows_purge",
    "may_import",
]

logger = logging.getLogger(__name__)


@transaction.atomic
def import_batch_create(*, uploaded_file, user) -> ImportBatch:
    """Keeps the uploaded file and opens its batch; the preview runs next (now or queued)."""
    if not may_import(user):
        raise ImportRefused(_("Vous n'avez pas le droit d'importer des affectations."))
    scope = scope_for(user)
    name = Path(getattr(uploaded_file, "name", "import")).name[:255]
    batch = ImportBatch(original_name=name, created_by=user)
    if not scope.everything:
        batch.agency_id = next(iter(scope.agency_ids))
    batch.file.save(name, File(uploaded_file), save=False)
    path = batch.file.path
    batch.size = Path(path).stat().st_size
    batch.sha256 = file_sha256(path)
    batch.total_rows = estimate_rows(path)
    batch.background = batch.total_rows > settings.MAILNET_IMPORT_BACKGROUND_ROWS
    batch.save()
    return batch


def import_batch_preview(*, batch: ImportBatch) -> ImportBatch:
    """Dry run: counts, errors and warnings row by row; nothing in the caseloads changes."""
    updated = ImportBatch.objects.filter(
        pk=batch.pk, status__in=[ImportStatus.UPLOADED, ImportStatus.FAILED]
    ).update(status=ImportStatus.PREVIEWING, heartbeat_at=timezone.now(), progress=0)
    if not updated:
        batch.refresh_from_db()
        return batch
    batch.refresh_from_db()
    try:
        outcome = engine_for(
            path=batch.file.path,
            scope=scope_for(batch.created_by),
            progress=_progress_callback(batch, apply=False),
            max_messages=settings.MAILNET_IMPORT_MAX_STORED_ERRORS,
            staged_path=_staged_path(batch),
        ).run()
    except FileRefused as refusal:
        _finish(batch, status=ImportStatus.REFUSED, message=refusal.message)
        return batch
    except Exception:
        logger.exception("caseload import %s: preview failed", batch.pk)
        _finish(batch, status=ImportStatus.FAILED, message=_("L'analyse a échoué ; réessayez."))
        return batch
    for name, value in outcome.counts().items():
        setattr(batch, name, value)
    batch.kind = outcome.kind
    batch.unknown_columns = outcome.unknown_columns
    batch.errors = outcome.messages
    batch.error_rows = sorted(outcome.error_rows)
    batch.staged_sha256 = outcome.staged_sha256
    batch.previewed_at = timezone.now()
    _finish(batch, status=ImportStatus.PREVIEWED, message="")
    return batch


def _staged_path(batch: ImportBatch) -> Path:
    """Where the preview keeps the cleaned rows for the apply (PostgreSQL), beside the file."""
    path = Path(batch.file.path)
    return path.with_name(f"{path.name}.staged")


def _finish(batch: ImportBatch, *, status: str, message: str) -> None:
    batch.status = status
    batch.message = message
    batch.progress = 100 if status in {ImportStatus.PREVIEWED, ImportStatus.APPLIED} else 0
    batch.heartbeat_at = timezone.now()
    batch.save()
    cache.delete(_progress_key(batch.pk))
    if status == ImportStatus.APPLIED:  # the kept rows served their purpose
        _staged_path(batch).unlink(missing_ok=True)


def import_batch_apply(
    *, batch: ImportBatch, user, sha256: str, skip_errors: bool = False
) -> ImportBatch:
    """Applies exactly the previewed file (same hash) in one transaction, or nothing.

    With errors in the preview it refuses unless `skip_errors`: then the wrong rows are
    left out. Raises ImportRefused when the batch cannot be applied now.
    """
    with transaction.atomic():
        locked = ImportBatch.objects.select_for_update().get(pk=batch.pk)
        if locked.status != ImportStatus.PREVIEWED:
            raise ImportRefused(
                _("Cet import ne peut pas être appliqué (état : %(s)s).")
                % {"s": locked.get_status_display()}
            )
        if sha256 != locked.sha256 or file_sha256(locked.file.path) != locked.sha256:
            raise ImportRefused(
                _(
                    "Le fichier ne correspond plus à l'aperçu (empreinte différente) : rien n'est appliqué."
                )
            )
        if locked.error_count and not skip_errors:
            raise ImportRefused(
                _(
                    "Le fichier contient %(n)s ligne(s) en erreur : corrigez-le, ou confirmez "
                    "l'application sans les lignes en erreur."
                )
                % {"n": locked.error_count}
            )
        locked.status = ImportStatus.APPLYING
        locked.skip_errors = skip_errors
        locked.applied_by = user
        locked.heartbeat_at = timezone.now()
        locked.progress = 0
        locked.save()
    batch.refresh_from_db()
    skip_rows = frozenset(batch.error_rows)
    try:
        with transaction.atomic():
            outcome = engine_for(
                path=batch.file.path,
                scope=scope_for(batch.created_by),
                batch_id=batch.pk,
                apply=True,
                skip_rows=skip_rows,
                skip_errors=skip_errors,
                progress=_progress_callback(batch, apply=True),
                staged_path=_staged_path(batch),
                staged_sha256=batch.staged_sha256,
                staged_kind=batch.kind,
                staged_total=batch.total_rows,
            ).run()
            batch.applied_at = timezone.now()
            batch.new_count = outcome.new
            batch.transfer_count = outcome.transfers
            batch.unchanged_count = outcome.unchanged
            _finish(batch, status=ImportStatus.APPLIED, message="")
    except (ApplyDrift, FileRefused, IntegrityError) as error:
        text = getattr(error, "message", None) or str(error)
        batch.refresh_from_db()
        _finish(
            batch,
            status=ImportStatus.FAILED,
            message=_(
                "Rien n'a été appliqué : les données ont changé depuis l'aperçu (%(e)s). "
                "Relancez l'analyse."
            )
            % {"e": text[:300]},
        )
        batch.previewed_at = None
        batch.save(update_fields=["previewed_at"])
    except Exception:
        logger.exception("caseload import %s: apply failed", batch.pk)
        batch.refresh_from_db()
        _finish(
            batch,
            status=ImportStatus.FAILED,
            message=_("L'application a échoué : rien n'a été appliqué. Vous pouvez réessayer."),
        )
    return batch


def import_batch_start_preview(*, batch: ImportBatch) -> ImportBatch:
    """Runs the preview now, or queues it when the file is large."""
    if not batch.background:
        return import_batch_preview(batch=batch)
    import_task_queue(batch, "preview")
    batch.refresh_from_db()
    return batch


def import_batch_start_apply(
    *, batch: ImportBatch, user, sha256: str, skip_errors: bool = False
) -> ImportBatch:
    """Applies now, or queues the apply when the file is large (refusals are raised now)."""
    if not batch.background:
        return import_batch_apply(batch=batch, user=user, sha256=sha256, skip_errors=skip_errors)
    if batch.status != ImportStatus.PREVIEWED:
        raise ImportRefused(_("Cet import ne peut pas être appliqué dans son état actuel."))
    if batch.error_count and not skip_errors:
        raise ImportRefused(
            _(
                "Le fichier contient %(n)s ligne(s) en erreur : corrigez-le, ou confirmez "
                "l'application sans les lignes en erreur."
            )
            % {"n": batch.error_count}
        )
    import_task_queue(batch, "apply", user.pk, sha256, skip_errors)
    batch.refresh_from_db()
    return batch
