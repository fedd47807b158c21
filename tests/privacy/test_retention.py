"""Retention: the dry run changes nothing; applying erases contents, keeps reports as they
were, respects legal holds, and leaves the archive chain verifiable."""

import dataclasses
import datetime as dt
import hashlib
from types import SimpleNamespace

import pytest
import time_machine
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.urls import reverse

from backoffice.correspondence.models import (
    ArchiveEntry,
    Attachment,
    Message,
    RawMail,
    Thread,
    ThreadRead,
)
from backoffice.organisation import roles
from privacy.models import ErasedThread, LegalHold, RetentionRun
from privacy.services.archive import archive_verify
from privacy.services.retention import (
    RetentionRunRefused,
    legal_hold_place,
    retention_run_apply,
    retention_run_prepare,
    retention_scheduled,
)
from reports.periods import Period
from reports.selectors import ReportScope, report_rows
from tests.correspondence.sla_factories import ThreadFactory
from tests.factories import (
    AgencyFactory,
    AssignmentFactory,
    CounsellorFactory,
    EmployerFactory,
    JobseekerFactory,
    UserFactory,
    modality,
)
from tests.reports.factories import paris

from .conftest import raw_store, sent_store

pytestmark = pytest.mark.django_db
NOW = paris("2026-11-20 12:00")
FEBRUARY_2024 = Period(dt.date(2024, 2, 1), dt.date(2024, 2, 29), "month")
ENDED = dt.date(2024, 3, 31)


@pytest.fixture(autouse=True)
def _now_and_media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.MAILNET_RETENTION_MONTHS_AFTER_FOLLOWUP = 24
    settings.MAILNET_RETENTION_MONTHS_UNKNOWN = 12
    with time_machine.travel(NOW, tick=False):
        yield


def incoming_from_raw(thread, n, at):
    raw = raw_store(n, agency=thread.agency)
    return Message.objects.create(
        thread=thread,
        raw_mail=raw,
        direction=Message.Direction.INCOMING,
        message_id=f"<m{n}@example.org>",
        from_address=thread.correspondent_address,
        from_name="Camille Martin",
        to_addresses=thread.counsellor.public_address if thread.counsellor else "",
        received_at=at,
        subject=f"Question personnelle {n}",
        body_text=f"Mon numéro de sécurité sociale est {n}.",
        body_html=f"<p>Mon numéro est {n}.</p>",
    )


def attach(message, content: bytes, name="cv.pdf"):
    digest = hashlib.sha256(content).hexdigest()
    attachment = Attachment(
        message=message, name=name, content_type="application/pdf", size=len(content), sha256=digest
    )
    attachment.file.save(name, ContentFile(content), save=True)
    return attachment


@pytest.fixture
def world(db):
    agency = AgencyFactory()
    counsellor = CounsellorFactory(agency=agency)
    guide = modality("GUIDE")

    def person_thread(jobseeker, n, *, status=Thread.Status.ANSWERED, employer=None):
        thread = ThreadFactory(
            agency=agency,
            counsellor=counsellor,
            jobseeker=jobseeker,
            employer=employer,
            correspondent_address=(jobseeker.email if jobseeker else "rh@entreprise.example"),
            status=status,
            subject=f"Sujet personnel {n}",
        )
        incoming = incoming_from_raw(thread, n, paris(f"2024-02-0{n} 10:00"))
        reply = sent_store(thread, n, at=paris(f"2024-02-0{n + 1} 11:00"))
        Thread.objects.filter(pk=thread.pk).update(last_message_at=reply.received_at)
        thread.refresh_from_db()
        return SimpleNamespace(thread=thread, incoming=incoming, reply=reply)

    ended = JobseekerFactory()
    AssignmentFactory(
        jobseeker=ended, counsellor=counsellor, modality=guide, starts_on=dt.date(2023, 6, 1),
        ends_on=ENDED,
    )  # fmt: skip
    followed = JobseekerFactory()
    AssignmentFactory(
        jobseeker=followed, counsellor=counsellor, modality=guide, starts_on=dt.date(2023, 6, 1)
    )
    held = JobseekerFactory()
    AssignmentFactory(
        jobseeker=held, counsellor=counsellor, modality=guide, starts_on=dt.date(2023, 6, 1),
        ends_on=ENDED,
    )  # fmt: skip
    employer = EmployerFactory()
    AssignmentFactory(
        jobseeker=None, employer=employer, counsellor=counsellor, modality=None,
        starts_on=dt.date(2023, 6, 1), ends_on=ENDED,
    )  # fmt: skip

    erased = person_thread(ended, 1)
    attachment = attach(erased.incoming, b"%PDF-1.4 curriculum vitae")
    kept = person_thread(followed, 2)
    kept_attachment = attach(kept.incoming, b"%PDF-1.4 autre cv")
    on_hold = person_thread(held, 3)
    company = person_thread(None, 4, employer=employer, status=Thread.Status.CLOSED)
    unknown = ThreadFactory(
        agency=agency, counsellor=None, jobseeker=None, correspondent_address="x@inconnu.example",
        status=Thread.Status.TRIAGE, subject="Inconnu",
    )  # fmt: skip
    unknown_in = incoming_from_raw(unknown, 5, paris("2025-01-10 09:00"))
    Thread.objects.filter(pk=unknown.pk).update(last_message_at=unknown_in.received_at)
    recent_unknown = ThreadFactory(
        agency=agency, counsellor=None, jobseeker=None, correspondent_address="y@inconnu.example",
        status=Thread.Status.TRIAGE,
    )  # fmt: skip
    recent_in = incoming_from_raw(recent_unknown, 6, paris("2026-10-01 09:00"))
    Thread.objects.filter(pk=recent_unknown.pk).update(last_message_at=recent_in.received_at)
    orphan = raw_store(7, agency=agency)
    RawMail.objects.filter(pk=orphan.pk).update(fetched_at=paris("2024-05-01 08:00"))
    admin = UserFactory(role=roles.NATIONAL_ADMIN)
    legal_hold_place(person=held, reason="Contentieux en cours", by=admin)
    ThreadRead.objects.create(thread=erased.thread, user=counsellor.user, read_at=NOW)
    return SimpleNamespace(
        agency=agency,
        counsellor=counsellor,
        admin=admin,
        ended=ended,
        erased=erased,
        attachment=attachment,
        kept=kept,
        kept_attachment=kept_attachment,
        on_hold=on_hold,
        company=company,
        unknown=unknown,
        recent_unknown=recent_unknown,
        orphan=orphan,
    )


def snapshot():
    """Everything retention could touch, as plain values."""
    return {
        "threads": list(Thread.objects.order_by("pk").values()),
        "messages": [
            {**row, "mime": bytes(row["mime"]) if row["mime"] is not None else None}
            for row in Message.objects.order_by("pk").values()
        ],
        "raw": [(pk, bytes(data)) for pk, data in RawMail.objects.values_list("pk", "data")],
        "attachments": list(Attachment.objects.order_by("pk").values()),
        "entries": list(ArchiveEntry.objects.order_by("seq").values()),
    }


def reports_now():
    scope = ReportScope.national()
    return {
        group: [dataclasses.asdict(row) for row in report_rows(
            period=FEBRUARY_2024, group_by=group, scope=scope
        )]
        for group in ("total", "audience", "modality", "agency", "counsellor", "day")
    }  # fmt: skip


def test_the_dry_run_counts_by_agency_and_changes_nothing(world):
    before = snapshot()

    run = retention_run_prepare(by=world.admin)

    assert snapshot() == before
    assert run.state == RetentionRun.State.DRY_RUN
    # ended jobseeker + employer + old unknown correspondent; not followed, held or recent.
    assert run.threads == 3
    assert run.messages == 5
    assert run.attachments == 1
    assert run.raw_mails == 4  # three incoming mails and the orphan
    assert run.held_threads == 1
    assert run.followup_cutoff == dt.date(2024, 11, 20)
    assert run.by_agency == {
        str(world.agency.pk): {
            "agency": f"{world.agency.code} {world.agency.name}",
            "threads": 3,
            "messages": 5,
        }
    }


def test_applying_erases_contents_and_keeps_the_statistical_trace(
    world, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        run = retention_run_apply(run=retention_run_prepare(by=world.admin), by=world.admin)

    assert (run.state, run.erased_threads, run.erased_raw_mails) == ("applied", 3, 4)
    thread = Thread.objects.get(pk=world.erased.thread.pk)
    assert (thread.jobseeker_id, thread.subject, thread.correspondent_address) == (None, "", "")
    assert (thread.agency_id, thread.counsellor_id, thread.status) == (
        world.agency.pk,
        world.counsellor.pk,
        Thread.Status.ANSWERED,
    )
    for message in Message.objects.filter(thread=thread):
        assert message.subject == message.body_text == message.body_html == ""
        assert message.from_address == message.to_addresses == message.from_name == ""
        assert message.received_at is not None and message.direction
    assert bytes(Message.objects.get(pk=world.erased.reply.pk).mime) == b""
    assert bytes(RawMail.objects.get(pk=world.erased.incoming.raw_mail_id).data) == b""
    assert bytes(RawMail.objects.get(pk=world.orphan.pk).data) == b""
    assert not Attachment.objects.filter(pk=world.attachment.pk).exists()
    assert not default_storage.exists(world.attachment.file.name)
    assert ErasedThread.objects.filter(run=run).count() == 3
    assert ThreadRead.objects.filter(thread=thread).exists()  # the read log stays
    erased_entries = ArchiveEntry.objects.filter(content_erased_at__isnull=False)
    assert erased_entries.count() == 4 + 2  # raw mails and the two sent replies


def test_a_run_interrupted_mid_way_is_resumed_and_erases_each_thread_once(world, monkeypatch):
    from privacy.services import retention

    monkeypatch.setattr(retention, "BATCH", 1)
    real_erase, calls = retention._erase_threads, []

    def erase_then_die(**kwargs):
        calls.append(kwargs["thread_ids"])
        if len(calls) == 2:
            raise RuntimeError("worker killed")
        real_erase(**kwargs)

    monkeypatch.setattr(retention, "_erase_threads", erase_then_die)
    run = retention_run_prepare(by=world.admin)
    with pytest.raises(RuntimeError):
        retention_run_apply(run=run, by=world.admin)
    run.refresh_from_db()
    assert (run.state, run.erased_threads) == (RetentionRun.State.APPLYING, 1)
    assert ErasedThread.objects.count() == 1

    monkeypatch.setattr(retention, "_erase_threads", real_erase)
    run = retention_run_apply(run=run, by=world.admin)  # the administrator resumes it
    assert (run.state, run.erased_threads, run.erased_raw_mails) == ("applied", 3, 4)
    assert ErasedThread.objects.filter(run=run).count() == 3
    assert archive_verify().ok


def test_an_applied_or_abandoned_run_cannot_be_applied_again(world):
    run = retention_run_apply(run=retention_run_prepare())
    with pytest.raises(RetentionRunRefused):
        retention_run_apply(run=run)
    assert RetentionRun.objects.get(pk=run.pk).erased_threads == 3


def test_applying_leaves_other_threads_untouched(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        retention_run_apply(run=retention_run_prepare())

    for kept in (world.kept, world.on_hold):
        thread = Thread.objects.get(pk=kept.thread.pk)
        assert thread.jobseeker_id is not None and thread.subject.startswith("Sujet personnel")
        assert Message.objects.get(pk=kept.incoming.pk).body_text.startswith("Mon numéro")
        assert bytes(Message.objects.get(pk=kept.reply.pk).mime)
    assert default_storage.exists(world.kept_attachment.file.name)
    assert Thread.objects.get(pk=world.recent_unknown.pk).correspondent_address


def test_a_legal_hold_stops_retention_until_it_ends(world):
    retention_run_apply(run=retention_run_prepare())
    assert Thread.objects.get(pk=world.on_hold.thread.pk).jobseeker_id is not None

    LegalHold.objects.update(since=dt.date(2026, 1, 5), until=dt.date(2026, 11, 19))
    run = retention_run_apply(run=retention_run_prepare())
    assert run.erased_threads == 1
    assert Thread.objects.get(pk=world.on_hold.thread.pk).jobseeker_id is None


def test_the_archive_chain_still_verifies_after_erasure(world):
    assert archive_verify().ok
    retention_run_apply(run=retention_run_prepare())
    report = archive_verify()
    assert report.ok, report.problems
    assert report.erased == 6


def test_reports_are_the_same_before_and_after(world):
    before = reports_now()
    assert before["total"][0]["received"] == 4
    assert {row["key"] for row in before["audience"]} == {"jobseekers", "employers"}

    retention_run_apply(run=retention_run_prepare())

    assert reports_now() == before


def test_the_schedule_only_prepares_unless_auto_apply(world, settings):
    settings.MAILNET_RETENTION_AUTO_APPLY = False
    run = retention_scheduled()
    assert run.state == RetentionRun.State.DRY_RUN
    assert Thread.objects.get(pk=world.erased.thread.pk).jobseeker_id is not None

    settings.MAILNET_RETENTION_AUTO_APPLY = True
    run = retention_scheduled()
    assert run.state == RetentionRun.State.APPLIED
    assert Thread.objects.get(pk=world.erased.thread.pk).jobseeker_id is None


def test_an_admin_prepares_then_confirms_a_run_on_the_screen(world, client):
    client.force_login(world.admin)
    assert client.get(reverse("privacy_retention:index")).status_code == 200
    response = client.post(reverse("privacy_retention:prepare"))
    run = RetentionRun.objects.get()
    assert response.url == reverse("privacy_retention:detail", args=[run.pk])
    page = client.get(response.url).content.decode()
    assert world.agency.name in page and "Appliquer la passe" in page

    client.post(response.url, {"action": "apply"})  # not confirmed: nothing happens
    run.refresh_from_db()
    assert run.state == RetentionRun.State.DRY_RUN

    client.post(response.url, {"action": "apply", "confirm": "on"})
    run.refresh_from_db()
    assert (run.state, run.applied_by, run.erased_threads) == ("applied", world.admin, 3)


@pytest.mark.parametrize("role", [roles.MANAGER, roles.COUNSELLOR])
def test_others_cannot_prepare_or_apply(world, client, role):
    user = CounsellorFactory(agency=world.agency, user__role=role).user
    run = retention_run_prepare()
    client.force_login(user)
    client.post(reverse("privacy_retention:prepare"))
    client.post(
        reverse("privacy_retention:detail", args=[run.pk]), {"action": "apply", "confirm": "on"}
    )
    assert RetentionRun.objects.get().state == RetentionRun.State.DRY_RUN


def test_a_raw_mail_shared_with_a_kept_thread_keeps_its_bytes(world):
    """One mail delivered to two counsellors: erased only with the last of its threads."""
    shared_raw = world.erased.incoming.raw_mail
    Message.objects.create(
        thread=world.kept.thread,
        raw_mail=shared_raw,
        direction=Message.Direction.INCOMING,
        message_id="<shared@example.org>",
        received_at=paris("2024-02-01 10:00"),
    )
    run = retention_run_prepare()
    assert run.raw_mails == 3  # not the shared one
    retention_run_apply(run=run)

    assert bytes(RawMail.objects.get(pk=shared_raw.pk).data)
    entry = ArchiveEntry.objects.get(kind="raw", object_id=shared_raw.pk)
    assert entry.content_erased_at is None
    assert archive_verify().ok


def test_an_admin_places_a_legal_hold_on_the_screen(world, client):
    client.force_login(world.admin)
    form = client.get(reverse("privacy_holds:add")).content.decode()
    assert 'data-chooser-url="/admin/jobseeker_chooser/"' in form  # never a select of everyone
    response = client.post(
        reverse("privacy_holds:add"),
        {"jobseeker": world.ended.pk, "reason": "Demande de la CNIL", "since": "2026-11-20"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    hold = LegalHold.objects.get(jobseeker=world.ended)
    assert hold.created_by == world.admin

    retention_run_apply(run=retention_run_prepare())
    assert Thread.objects.get(pk=world.erased.thread.pk).jobseeker_id == world.ended.pk


def test_a_manager_cannot_place_a_legal_hold(world, client):
    client.force_login(CounsellorFactory(agency=world.agency, user__role=roles.MANAGER).user)
    client.post(
        reverse("privacy_holds:add"),
        {"jobseeker": world.ended.pk, "reason": "Non", "since": "2026-11-20"},
    )
    assert not LegalHold.objects.filter(jobseeker=world.ended).exists()
