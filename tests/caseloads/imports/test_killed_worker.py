"""A real worker process killed (SIGKILL) in the middle of an apply leaves nothing applied.

PostgreSQL only: the worker is a separate `manage.py caseload_import` process on the test
database, killed while its apply transaction is open.
"""

import datetime
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import time_machine
from django.conf import settings as django_settings
from django.db import connection

from backoffice.caseloads.imports import services
from backoffice.caseloads.imports.models import ImportBatch, ImportChange, ImportStatus
from backoffice.caseloads.models import Assignment, Jobseeker

from .conftest import apply, row, tables_state, upload, xlsx_bytes

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="kills a real worker process on PostgreSQL"
    ),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]
ROOT = Path(__file__).resolve().parents[3]


def _wait_for(predicate, what: str, process, limit=300.0):
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if predicate():
            return
        if process.poll() is not None:
            pytest.fail(f"the worker ended before {what}: {process.stdout.read()}")
        time.sleep(0.05)
    pytest.fail(f"never saw {what}")


# What a worker runs: `call`, held inside its transaction right after the first statement
# starting with `prefix`, so that the kill lands there whatever the machine's speed.
WORKER = """
import time
from pathlib import Path

from django.db import connection

{imports}


def hold(execute, sql, params, many, context):
    result = execute(sql, params, many, context)
    if sql.startswith({prefix!r}):
        Path({marker!r}).touch()
        time.sleep(600)
    return result


with connection.execute_wrapper(hold):
    {call}
"""


def _worker_killed(tmp_path, *, imports: str, call: str, prefix: str, what: str, started=None):
    """Runs `call` in a separate `manage.py shell` on the test database and kills it
    (SIGKILL) once it has run its first `prefix` statement (after `started()`, if given)."""
    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "backoffice.settings.test",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "MAILNET_VAR_DIR": str(tmp_path / "var"),
    }
    marker = tmp_path / "holding"
    script = WORKER.format(imports=imports, prefix=prefix, marker=str(marker), call=call)
    worker = subprocess.Popen(
        [sys.executable, "manage.py", "shell", "-c", script],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        if started:
            _wait_for(started, f"the {what} starting", worker)
        _wait_for(marker.exists, f"the {what} writing", worker)
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=30)
    finally:
        if worker.poll() is None:
            worker.kill()
    assert worker.returncode == -signal.SIGKILL


def _stale_check_later() -> int:
    """The scheduled stale check, run once the worker's last sign of life is too old."""
    later = datetime.datetime.now(tz=datetime.UTC) + datetime.timedelta(
        seconds=django_settings.MAILNET_IMPORT_STALE_SECONDS + 60
    )
    with time_machine.travel(later, tick=False):
        return services.import_batches_fail_stale()


def test_a_worker_killed_during_apply_applies_nothing_and_can_be_retried(
    network, admin, tmp_path, settings
):
    path = tmp_path / "big.xlsx"
    path.write_bytes(xlsx_bytes([row(f"{1000000 + i:07d}A") for i in range(3000)]))
    settings.MEDIA_ROOT = tmp_path / "var" / "media"  # where the worker keeps the file
    _worker_killed(
        tmp_path,
        imports="from django.core.management import call_command",
        call=f"call_command('caseload_import', {str(path)!r}, user={admin.username!r})",
        prefix="INSERT INTO caseloads_assignment",  # the new assignments written
        what="apply",
        started=lambda: ImportBatch.objects.filter(status=ImportStatus.APPLYING).exists(),
    )
    assert Assignment.objects.count() == 0
    assert Jobseeker.objects.count() == 0
    assert ImportChange.objects.count() == 0
    batch = ImportBatch.objects.get()
    assert batch.status == ImportStatus.APPLYING

    assert _stale_check_later() == 1
    batch.refresh_from_db()
    assert batch.status == ImportStatus.FAILED
    batch = services.import_batch_retry(batch=batch, user=admin)
    batch = services.import_batch_apply(batch=batch, user=admin, sha256=batch.sha256)
    assert batch.status == ImportStatus.APPLIED
    assert Assignment.objects.count() == 3000


def test_a_worker_killed_during_undo_undoes_nothing_and_can_undo_again(
    network, admin, tmp_path, settings, monkeypatch
):
    settings.MAILNET_IMPORT_BACKGROUND_ROWS = 100
    batch = upload(admin, xlsx_bytes([row(f"{1000000 + i:07d}A") for i in range(300)]))
    batch = apply(batch, admin)
    assert batch.status == ImportStatus.APPLIED and Assignment.objects.count() == 300
    applied = tables_state()
    queued = []
    monkeypatch.setattr("django_q.tasks.async_task", lambda *args, **kwargs: queued.append(args))
    batch = services.import_batch_start_undo(batch=batch, user=admin)
    assert batch.status == ImportStatus.UNDOING
    assert queued == [("backoffice.caseloads.imports.tasks.import_undo_task", batch.pk, admin.pk)]

    _worker_killed(
        tmp_path,
        imports="from backoffice.caseloads.imports.tasks import import_undo_task",
        call=f"import_undo_task({batch.pk}, {admin.pk})",
        prefix="DELETE",  # the created assignments gone, for it
        what="undo",
    )
    assert tables_state() == applied
    batch.refresh_from_db()
    assert batch.status == ImportStatus.UNDOING

    assert _stale_check_later() == 1
    batch.refresh_from_db()
    assert batch.status == ImportStatus.APPLIED
    batch = services.import_batch_undo(batch=batch, user=admin)
    assert batch.status == ImportStatus.UNDONE
    assert Assignment.objects.count() == 0 and Jobseeker.objects.count() == 0
