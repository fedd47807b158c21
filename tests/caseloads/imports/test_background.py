"""Large files run as django-q2 tasks; a worker that dies applies nothing and can be retried."""

import datetime

import pytest
import time_machine
from django.core import mail

from backoffice.caseloads.imports import engine, services
from backoffice.caseloads.imports.models import ImportChange, ImportStatus
from backoffice.caseloads.models import Assignment, Jobseeker

from .conftest import apply, row, upload, xlsx_bytes

pytestmark = pytest.mark.django_db


class WorkerKilled(BaseException):
    """What a SIGKILL/SIGTERM looks like from inside the task: not an Exception."""


@pytest.fixture
def big(settings, monkeypatch):
    settings.MAILNET_IMPORT_BACKGROUND_ROWS = 3
    monkeypatch.setattr(engine, "CHUNK_ROWS", 2)
    return xlsx_bytes([row(f"{1000000 + i:07d}A") for i in range(7)])


def test_a_large_file_is_previewed_and_applied_by_tasks_with_a_notification(network, admin, big):
    batch = upload(admin, big)
    assert batch.background
    assert batch.status == ImportStatus.PREVIEWED  # the test cluster runs tasks synchronously
    assert batch.new_count == 7 and batch.progress == 100
    assert "Prêt à confirmer" in mail.outbox[-1].subject
    batch = apply(batch, admin)
    assert batch.status == ImportStatus.APPLIED
    assert Assignment.objects.count() == 7
    assert "Appliqué" in mail.outbox[-1].subject
    assert "transferts : 0" in mail.outbox[-1].body


def test_progress_is_reported_while_running(network, admin, big, monkeypatch):
    seen = []
    original = services._progress_callback

    def spying(batch, *, apply):
        report = original(batch, apply=apply)

        def wrapped(rows):
            report(rows)
            batch.refresh_from_db()
            seen.append(services.import_progress(batch)["percent"])

        return wrapped

    monkeypatch.setattr(services, "_progress_callback", spying)
    upload(admin, big)
    assert seen[0] < seen[-1] <= 99
    assert seen == sorted(seen)


def test_a_killed_apply_leaves_nothing_and_can_be_retried(network, admin, big, monkeypatch):
    batch = upload(admin, big)
    original = services._progress_callback

    def dying(batch, *, apply):
        report = original(batch, apply=apply)

        def wrapped(rows):
            report(rows)
            if apply and rows >= 4:
                raise WorkerKilled

        return wrapped

    monkeypatch.setattr(services, "_progress_callback", dying)
    with pytest.raises(WorkerKilled):
        apply(batch, admin)
    assert Assignment.objects.count() == 0
    assert Jobseeker.objects.count() == 0
    assert not ImportChange.objects.exists()
    batch.refresh_from_db()
    assert batch.status == ImportStatus.APPLYING

    later = datetime.datetime.now(tz=datetime.UTC) + datetime.timedelta(hours=3)
    with time_machine.travel(later, tick=False):
        assert services.import_batches_fail_stale() == 1
    batch.refresh_from_db()
    assert batch.status == ImportStatus.FAILED
    assert "rien n'a été appliqué" in batch.message

    monkeypatch.setattr(services, "_progress_callback", original)
    batch = services.import_batch_retry(batch=batch, user=admin)
    assert batch.status == ImportStatus.PREVIEWED
    batch = apply(batch, admin)
    assert batch.status == ImportStatus.APPLIED
    assert Assignment.objects.count() == 7


def test_a_running_import_is_not_failed_while_it_shows_signs_of_life(network, admin, big):
    batch = upload(admin, big)
    batch.status = ImportStatus.APPLYING
    batch.save()
    assert services.import_batches_fail_stale() == 0


def test_the_scheduled_check_fails_a_dead_import_without_anyone_opening_the_screen(
    network, admin, big
):
    from pydoc import locate

    from django_q.models import Schedule

    batch = upload(admin, big)
    batch.status = ImportStatus.APPLYING
    batch.save()
    schedule = Schedule.objects.get(name="mailnet-imports-fail-stale")
    assert schedule.minutes == 15 and schedule.repeats == -1
    later = datetime.datetime.now(tz=datetime.UTC) + datetime.timedelta(hours=3)
    with time_machine.travel(later, tick=False):
        assert locate(schedule.func)() == 1
    batch.refresh_from_db()
    assert batch.status == ImportStatus.FAILED
