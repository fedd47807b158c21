"""django-q2 tasks of caseload imports: a few lines each, the work is in `services`."""

from django.contrib.auth import get_user_model

from .models import ImportBatch
from .services import (
    import_batch_apply,
    import_batch_notify,
    import_batch_preview,
    import_batch_undo_queued,
    import_batches_fail_stale,
    import_staged_rows_purge,
)


def import_preview_task(batch_id: int) -> str:
    batch = import_batch_preview(batch=ImportBatch.objects.get(pk=batch_id))
    import_batch_notify(batch=batch)
    return batch.status


def import_apply_task(batch_id: int, user_id: int, sha256: str, skip_errors: bool) -> str:
    user = get_user_model().objects.get(pk=user_id)
    batch = import_batch_apply(
        batch=ImportBatch.objects.get(pk=batch_id),
        user=user,
        sha256=sha256,
        skip_errors=skip_errors,
    )
    import_batch_notify(batch=batch)
    return batch.status


def import_undo_task(batch_id: int, user_id: int) -> str:
    user = get_user_model().objects.get(pk=user_id)
    batch = import_batch_undo_queued(batch=ImportBatch.objects.get(pk=batch_id), user=user)
    import_batch_notify(batch=batch)
    return batch.status


def imports_fail_stale_task() -> int:
    """Every 15 minutes: imports whose worker died are marked failed (nothing was applied)
    or, for an undo, applied again (nothing was undone), and the cleaned rows of previews
    left unapplied for two days are deleted."""
    import_staged_rows_purge()
    return import_batches_fail_stale()
