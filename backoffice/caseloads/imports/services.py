"""Every write of caseload imports: upload, preview, apply, undo, retry, stale sweep.

Views, tasks and the `caseload_import` command call these; none of them writes itself.
"""

from __future__ import annotations

import datetime
import hashlib
import logging
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.core.files.base import File
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from backoffice.caseloads.models import Assignment, Employer, Jobseeker
from backoffice.organisation import roles
from backoffice.organisation.access import scope_for

from .engine import ApplyDrift
from .models import ChangeAction, ImportBatch, ImportChange, ImportStatus
from .parsing import FileRefused, estimate_rows
from .staging import engine_for

logger = logging.getLogger(__name__)


class ImportRefused(Exception):
    """The action is not possible now; the message says why, in French."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def may_import(user) -> bool:
    """A team manager (for their agency) or the national administrator."""
    scope = scope_for(user)
    return scope.writes == "all" or (scope.role == roles.MANAGER and bool(scope.agency_ids))


def file_sha256(path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1024 * 1024), b""):
            digest.update(chunk)
    return digest.hexdigest()


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
    batch.previewed_at = timezone.now()
    _finish(batch, status=ImportStatus.PREVIEWED, message="")
    return batch


def _finish(batch: ImportBatch, *, status: str, message: str) -> None:
    batch.status = status
    batch.message = message
    batch.progress = 100 if status in {ImportStatus.PREVIEWED, ImportStatus.APPLIED} else 0
    batch.heartbeat_at = timezone.now()
    batch.save()
    cache.delete(_progress_key(batch.pk))


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


def _undo_blocker(batch: ImportBatch) -> ImportBatch | None:
    """The first later applied import that touched one of the same jobseekers/employers."""
    later = (
        ImportChange.objects.filter(
            batch_id__gt=batch.pk,
            batch__status=ImportStatus.APPLIED,
        )
        .filter(
            Exists(
                ImportChange.objects.filter(
                    batch_id=batch.pk, party_key=OuterRef("party_key"), kind=OuterRef("kind")
                )
            )
        )
        .order_by("batch_id")
        .values_list("batch_id", flat=True)
        .first()
    )
    return ImportBatch.objects.get(pk=later) if later else None


@transaction.atomic
def import_batch_undo(*, batch: ImportBatch, user) -> ImportBatch:
    """Reverses an applied import: removes what it created, reopens what it closed.

    Refused when a later import touched the same rows (it is named) or the assignments
    were changed since.
    """
    batch = ImportBatch.objects.select_for_update().get(pk=batch.pk)
    if batch.status != ImportStatus.APPLIED:
        raise ImportRefused(_("Seul un import appliqué peut être annulé."))
    blocker = _undo_blocker(batch)
    if blocker:
        raise ImportRefused(
            _(
                "Annulation impossible : l'import n° %(n)s (« %(name)s », du %(d)s) a modifié "
                "depuis les mêmes lignes. Annulez-le d'abord."
            )
            % {
                "n": blocker.pk,
                "name": blocker.original_name,
                "d": timezone.localtime(blocker.applied_at or blocker.created_at).strftime(
                    "%d/%m/%Y %H:%M"
                ),
            }
        )
    changes = batch.changes.all()
    created = list(
        changes.filter(action=ChangeAction.CREATED).values_list("assignment_id", flat=True)
    )
    closed = list(
        changes.filter(action=ChangeAction.CLOSED).values_list("assignment_id", "on_date")
    )
    parties = changes.filter(action=ChangeAction.PARTY_CREATED)
    step = 5000
    for start in range(0, len(created), step):
        ids = created[start : start + step]
        still_open = Assignment.objects.filter(id__in=ids, ends_on__isnull=True).count()
        if still_open != len(ids):
            raise ImportRefused(
                _(
                    "Annulation impossible : des affectations créées par cet import ont été "
                    "modifiées ou supprimées depuis."
                )
            )
        Assignment.objects.filter(id__in=ids).delete()
    by_date: dict[datetime.date, list[int]] = {}
    for assignment_id, on_date in closed:
        by_date.setdefault(on_date, []).append(assignment_id)
    try:
        with transaction.atomic():
            for on_date, ids in by_date.items():
                for start in range(0, len(ids), step):
                    part = ids[start : start + step]
                    reopened = Assignment.objects.filter(id__in=part, ends_on=on_date).update(
                        ends_on=None
                    )
                    if reopened != len(part):
                        raise ImportRefused(
                            _(
                                "Annulation impossible : des affectations clôturées par cet "
                                "import ont été modifiées depuis."
                            )
                        )
    except IntegrityError:
        raise ImportRefused(
            _(
                "Annulation impossible : une autre affectation a été ouverte depuis pour une "
                "personne de cet import."
            )
        ) from None
    for model, field in ((Jobseeker, "jobseeker_id"), (Employer, "employer_id")):
        ids = [i for i in parties.values_list(field, flat=True) if i]
        for start in range(0, len(ids), step):
            # A party that has mail or other assignments since is kept.
            model.objects.filter(
                id__in=ids[start : start + step], assignments__isnull=True, threads__isnull=True
            ).delete()
    batch.status = ImportStatus.UNDONE
    batch.undone_at = timezone.now()
    batch.undone_by = user
    batch.save(update_fields=["status", "undone_at", "undone_by"])
    return batch


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
    """Marks as failed the imports whose worker died (no sign of life for too long)."""
    now = now or timezone.now()
    limit = now - datetime.timedelta(seconds=settings.MAILNET_IMPORT_STALE_SECONDS)
    failed = 0
    for batch in ImportBatch.objects.filter(
        status__in=[ImportStatus.PREVIEWING, ImportStatus.APPLYING]
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
        if last < limit:
            failed += ImportBatch.objects.filter(pk=batch.pk, status=batch.status).update(
                status=ImportStatus.FAILED,
                message=_(
                    "Le traitement s'est interrompu : rien n'a été appliqué. Vous pouvez réessayer."
                ),
                progress=0,
            )
    return failed


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


def import_batch_start_preview(*, batch: ImportBatch) -> ImportBatch:
    """Runs the preview now, or queues it when the file is large."""
    if not batch.background:
        return import_batch_preview(batch=batch)
    from django_q.tasks import async_task

    async_task(
        "backoffice.caseloads.imports.tasks.import_preview_task",
        batch.pk,
        task_name=f"caseload-import-{batch.pk}-preview",
        timeout=settings.MAILNET_IMPORT_TASK_TIMEOUT,
    )
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
    from django_q.tasks import async_task

    async_task(
        "backoffice.caseloads.imports.tasks.import_apply_task",
        batch.pk,
        user.pk,
        sha256,
        skip_errors,
        task_name=f"caseload-import-{batch.pk}-apply",
        timeout=settings.MAILNET_IMPORT_TASK_TIMEOUT,
    )
    batch.refresh_from_db()
    return batch
