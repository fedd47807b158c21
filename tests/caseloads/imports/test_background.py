"""Large files run as django-q2 tasks; a worker that dies applies nothing and can be retried."""

import datetime

import pytest
import time_machine
from django.core import mail
from django.urls import reverse

from backoffice.caseloads.imports import engine, services, tasks
from backoffice.caseloads.imports.models import ImportChange, ImportStatus
from backoffice.caseloads.models import Assignment, Jobseeker

from .conftest import apply, row, tables_state, upload, xlsx_bytes

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


def _queued_tasks(monkeypatch) -> list[tuple]:
    """Keeps the queued tasks instead of running them (the test cluster runs them at once)."""
    queued = []
    monkeypatch.setattr("django_q.tasks.async_task", lambda *args, **kwargs: queued.append(args))
    return queued


def test_a_large_import_is_undone_by_a_task_with_a_notification(network, admin, big):
    batch = apply(upload(admin, big), admin)
    assert Assignment.objects.count() == 7
    batch = services.import_batch_start_undo(batch=batch, user=admin)
    assert batch.status == ImportStatus.UNDONE  # the test cluster runs tasks synchronously
    assert batch.undone_by == admin and batch.message == ""
    assert Assignment.objects.count() == 0 and Jobseeker.objects.count() == 0
    assert "Annulé" in mail.outbox[-1].subject


def test_while_the_undo_waits_for_its_worker_the_screen_shows_it_and_offers_no_second_undo(
    client, network, admin, big, monkeypatch
):
    batch = apply(upload(admin, big), admin)
    queued = _queued_tasks(monkeypatch)
    client.force_login(admin)
    undo = reverse("caseload_imports:undo", args=[batch.pk])

    page = client.post(undo, follow=True).content.decode()

    assert "Annulation lancée en tâche de fond." in page
    assert "Annulation en cours" in page and "data-import-progress" in page
    assert "Annuler cet import" not in page
    status = client.get(reverse("caseload_imports:status", args=[batch.pk])).json()
    assert status["status"] == ImportStatus.UNDOING and status["running"] is True
    page = client.post(undo, follow=True).content.decode()
    assert "L&#x27;annulation de cet import est déjà en cours." in page
    assert len(queued) == 1 and Assignment.objects.count() == 7

    assert tasks.import_undo_task(*queued[0][1:]) == ImportStatus.UNDONE
    assert Assignment.objects.count() == 0
    page = client.get(reverse("caseload_imports:detail", args=[batch.pk])).content.decode()
    assert "Annulé" in page and "data-import-progress" not in page


def test_a_refusal_found_by_the_undo_task_puts_the_import_back_to_applied_with_why(
    network, admin, big
):
    batch = apply(upload(admin, big), admin)
    Assignment.objects.filter(jobseeker__identifier="1000003A").update(
        ends_on=datetime.date(2026, 2, 1)
    )
    applied = tables_state()
    batch = services.import_batch_start_undo(batch=batch, user=admin)
    assert batch.status == ImportStatus.APPLIED
    assert "modifiées ou supprimées depuis" in batch.message
    assert tables_state() == applied
    assert "modifiées ou supprimées depuis" in mail.outbox[-1].body


def test_a_later_import_on_the_same_rows_refuses_the_undo_before_queueing_it(
    network, admin, big, monkeypatch
):
    first = apply(upload(admin, big), admin)
    moved = xlsx_bytes([row("1000003A", matricule="BRUNO02", day="12/01/2026")])
    second = apply(upload(admin, moved, name="moved.xlsx"), admin)
    queued = _queued_tasks(monkeypatch)
    with pytest.raises(services.ImportRefused, match=f"import n° {second.pk}"):
        services.import_batch_start_undo(batch=first, user=admin)
    first.refresh_from_db()
    assert first.status == ImportStatus.APPLIED and not queued


def test_a_killed_undo_leaves_everything_applied_and_can_be_undone_again(
    network, admin, big, monkeypatch
):
    from backoffice.caseloads.imports.services import undo

    batch = apply(upload(admin, big), admin)
    applied = tables_state()
    original = undo._progress_callback
    stages = []

    def dying(batch, *, apply):
        report = original(batch, apply=apply)

        def wrapped(rows):
            report(rows)
            stages.append(rows)
            if len(stages) == 3:  # killed halfway: the created jobseekers are deleted
                assert not Jobseeker.objects.exists()
                raise WorkerKilled

        return wrapped

    monkeypatch.setattr(undo, "_progress_callback", dying)
    with pytest.raises(WorkerKilled):
        services.import_batch_start_undo(batch=batch, user=admin)
    assert tables_state() == applied
    batch.refresh_from_db()
    assert batch.status == ImportStatus.UNDOING
    assert services.import_batches_fail_stale() == 0  # it showed signs of life

    later = datetime.datetime.now(tz=datetime.UTC) + datetime.timedelta(hours=3)
    with time_machine.travel(later, tick=False):
        assert services.import_batches_fail_stale() == 1
    batch.refresh_from_db()
    assert batch.status == ImportStatus.APPLIED
    assert "rien n'a été annulé" in batch.message

    monkeypatch.setattr(undo, "_progress_callback", original)
    batch = services.import_batch_start_undo(batch=batch, user=admin)
    assert batch.status == ImportStatus.UNDONE
    assert Assignment.objects.count() == 0 and Jobseeker.objects.count() == 0
