"""What every caseload import service shares: the refusal, the right to import, the hash,
the background task."""

import hashlib

from django.conf import settings

from backoffice.organisation import roles
from backoffice.organisation.access import scope_for


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


def import_task_queue(batch, step: str, *args) -> None:
    """Queues the django-q2 task `import_<step>_task` of `batch` (preview, apply, undo)."""
    from django_q.tasks import async_task

    async_task(
        f"backoffice.caseloads.imports.tasks.import_{step}_task",
        batch.pk,
        *args,
        task_name=f"caseload-import-{batch.pk}-{step}",
        timeout=settings.MAILNET_IMPORT_TASK_TIMEOUT,
    )
