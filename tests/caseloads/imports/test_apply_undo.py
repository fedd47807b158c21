"""Confirm applies exactly the previewed file in one go; undo restores the previous state."""

import datetime

import pytest

from backoffice.caseloads.imports import services
from backoffice.caseloads.imports.models import ImportChange, ImportStatus
from backoffice.caseloads.models import Assignment, AssignmentKind, Jobseeker
from tests.factories import AssignmentFactory, JobseekerFactory

from .conftest import EMPLOYER_HEADERS, HEADERS, apply, row, upload, xlsx_bytes

pytestmark = pytest.mark.django_db


def _state():
    return sorted(
        Assignment.objects.values_list(
            "id",
            "jobseeker__identifier",
            "counsellor__matricule",
            "kind",
            "modality__code",
            "starts_on",
            "ends_on",
        )
    ), sorted(Jobseeker.objects.values_list("identifier", "first_name", "last_name", "email"))


@pytest.fixture
def followed(network):
    moving = JobseekerFactory(identifier="2000001B")
    old = AssignmentFactory(
        jobseeker=moving, counsellor=network["bruno"], starts_on=datetime.date(2025, 6, 1)
    )
    return old


def test_apply_creates_new_and_closes_transferred_on_the_new_date(network, admin, followed):
    batch = upload(admin, xlsx_bytes([row("1000001A"), row("2000001B", day="10/01/2026")]))
    batch = apply(batch, admin)
    assert batch.status == ImportStatus.APPLIED
    followed.refresh_from_db()
    assert followed.ends_on == datetime.date(2026, 1, 10)
    current = Assignment.objects.get(jobseeker__identifier="2000001B", ends_on__isnull=True)
    assert current.counsellor == network["alice"]
    assert current.starts_on == datetime.date(2026, 1, 10)
    newcomer = Jobseeker.objects.get(identifier="1000001A")
    assert (newcomer.first_name, newcomer.last_name, newcomer.email) == (
        "Camille",
        "Martin",
        "camille@example.org",
    )
    assert newcomer.assignments.get().modality.code == "GUIDE"
    assert batch.changes.count() == 4  # one jobseeker created, one closed, two opened


def test_applying_a_file_with_errors_needs_the_managers_consent(network, admin):
    batch = upload(admin, xlsx_bytes([row("1000001A"), row("1000002A", matricule="NOPE")]))
    with pytest.raises(services.ImportRefused, match="erreur"):
        apply(batch, admin)
    assert Assignment.objects.count() == 0
    batch = apply(batch, admin, skip_errors=True)
    assert batch.status == ImportStatus.APPLIED
    assert list(Assignment.objects.values_list("jobseeker__identifier", flat=True)) == ["1000001A"]


def test_confirm_refuses_a_file_that_changed_since_the_preview(network, admin):
    batch = upload(admin, xlsx_bytes([row("1000001A")]))
    with open(batch.file.path, "ab") as f:
        f.write(b"tampered")
    with pytest.raises(services.ImportRefused, match="empreinte"):
        apply(batch, admin)
    with pytest.raises(services.ImportRefused, match="empreinte"):
        services.import_batch_apply(batch=batch, user=admin, sha256="0" * 64)
    assert Assignment.objects.count() == 0


def test_apply_is_all_or_nothing_when_the_database_moved_since_the_preview(network, admin):
    batch = upload(admin, xlsx_bytes([row("1000001A"), row("1000002A", matricule="BRUNO02")]))
    network["bruno"].is_active = False
    network["bruno"].save()
    batch = apply(batch, admin)
    assert batch.status == ImportStatus.FAILED
    assert "Rien n'a été appliqué" in batch.message
    assert Assignment.objects.count() == 0 and Jobseeker.objects.count() == 0
    assert not ImportChange.objects.exists()


def test_undo_restores_the_previous_state_exactly(network, admin, followed):
    AssignmentFactory(
        jobseeker=JobseekerFactory(identifier="3000001C"),
        counsellor=network["alice"],
        kind=AssignmentKind.BENEFITS,
        modality=None,
    )
    before = _state()
    batch = upload(
        admin,
        xlsx_bytes(
            [
                row("1000001A"),
                row("2000001B", day="10/01/2026"),
                {
                    **row("3000001C", matricule="BRUNO02", modalite=""),
                    "Type d'affectation": "indemnisation",
                },
            ],
            [*HEADERS, "Type d'affectation"],
        ),
    )
    assert (batch.new_count, batch.transfer_count) == (1, 2), batch.errors
    apply(batch, admin)
    assert _state() != before
    batch = services.import_batch_undo(batch=batch, user=admin)
    assert batch.status == ImportStatus.UNDONE
    assert _state() == before


def test_undo_is_refused_when_a_later_import_touched_the_same_rows(network, admin, followed):
    first = apply(upload(admin, xlsx_bytes([row("2000001B", day="10/01/2026")])), admin)
    second = apply(
        upload(
            admin,
            xlsx_bytes(
                [row("2000001B", matricule="BRUNO02", day="12/01/2026")],
            ),
            name="second.xlsx",
        ),
        admin,
    )
    with pytest.raises(services.ImportRefused, match=f"import n° {second.pk}"):
        services.import_batch_undo(batch=first, user=admin)
    services.import_batch_undo(batch=second, user=admin)
    services.import_batch_undo(batch=first, user=admin)
    followed.refresh_from_db()
    assert followed.ends_on is None
    assert Assignment.objects.count() == 1


def test_an_unrelated_later_import_does_not_block_undo(network, admin):
    first = apply(upload(admin, xlsx_bytes([row("1000001A")])), admin)
    apply(upload(admin, xlsx_bytes([row("1000002A")]), name="b.xlsx"), admin)
    services.import_batch_undo(batch=first, user=admin)
    assert list(Assignment.objects.values_list("jobseeker__identifier", flat=True)) == ["1000002A"]


def test_employers_file_with_siret(network, admin):
    rows = [
        {
            "SIRET": "73282932000074",
            "Raison sociale": "Acme",
            "Courriel": "rh@acme.example",
            "Matricule conseiller": "ALICE01",
            "Agence": "01234",
            "Date d'affectation": "05/01/2026",
        },
        {
            "SIRET": "73282932000075",
            "Raison sociale": "Bad",
            "Courriel": "",
            "Matricule conseiller": "ALICE01",
            "Agence": "01234",
            "Date d'affectation": "05/01/2026",
        },
    ]
    batch = upload(admin, xlsx_bytes(rows, EMPLOYER_HEADERS))
    assert batch.kind == "employers"
    assert batch.new_count == 1 and batch.error_count == 1
    assert batch.errors[0][1] == "SIRET" and "Luhn" in batch.errors[0][2]
    apply(batch, admin, skip_errors=True)
    employer = Assignment.objects.get().employer
    assert employer.siret == "73282932000074"
    assert employer.contacts.get().email == "rh@acme.example"
