"""The PostgreSQL staging engine and the row engine give the same preview and the same
writes on the same file: counts, errors (row, column, French text), warnings, changes."""

import datetime
from pathlib import Path

import pytest
from django.db import connection, transaction

from backoffice.caseloads.imports.engine import Engine
from backoffice.caseloads.imports.models import ImportBatch, ImportChange, ImportStatus
from backoffice.caseloads.imports.services import import_staged_rows_purge
from backoffice.caseloads.imports.staging import StagedEngine, engine_for
from backoffice.caseloads.models import Assignment, AssignmentKind, Jobseeker
from backoffice.organisation.access import scope_for
from tests.factories import AssignmentFactory, JobseekerFactory

from .conftest import HEADERS, apply, csv_bytes, row, upload, xlsx_bytes

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="the staging engine runs on PostgreSQL only"
    ),
    pytest.mark.django_db,
]


@pytest.fixture
def followed(network):
    """Jobseekers already followed: by Bruno (home), by Olga (other agency), by Alice."""
    for identifier, counsellor, starts_on in [
        ("2000001B", "bruno", datetime.date(2025, 6, 1)),
        ("2000002B", "olga", datetime.date(2025, 6, 1)),
        ("2000003B", "alice", datetime.date(2025, 6, 1)),
        ("2000004B", "bruno", datetime.date(2026, 2, 1)),
    ]:
        AssignmentFactory(
            jobseeker=JobseekerFactory(identifier=identifier),
            counsellor=network[counsellor],
            starts_on=starts_on,
        )
    AssignmentFactory(
        jobseeker=Jobseeker.objects.get(identifier="2000003B"),
        counsellor=network["bruno"],
        kind=AssignmentKind.BENEFITS,
        modality=None,
    )


def _mixed_rows():
    """Every outcome a row can have, in one file."""
    return [
        row("1000001A"),  # new
        row("1000002A", agency=1234),  # new, agency repaired (warning)
        row("2000001B", day="10/01/2026"),  # transfer from Bruno
        row("2000002B", matricule="OLGA03", agency="75001", day="10/01/2026"),  # transfer
        row("2000002B", day="10/01/2026"),  # followed by another agency (for a manager)
        row("2000003B"),  # unchanged (same counsellor, same modality)
        row("2000003B", modalite="Renforcé"),  # in-file conflict? no: same counsellor, dup
        row("2000004B", day="10/01/2026"),  # before the current start: error
        row("1000003A"),
        row("1000003A", matricule="BRUNO02"),  # in-file conflict: both rows wrong
        row("1000004A", matricule="ZZZ999"),  # unknown counsellor
        row("1000005A", courriel="pas-un-courriel"),
        row("1000006A", matricule="OLGA03"),  # counsellor of another agency
        row("1000007A", day="31/02/2026"),
        row("12345"),
        {
            **row("3000001C", matricule="BRUNO02", modalite=""),
            "Type d'affectation": "indemnisation",
        },
        {**row("1000008A", modalite=""), "Type d'affectation": "Indemnisation"},
        {**row("1000009A", modalite=""), "Type d'affectation": ""},  # modality required
        row("1000010A", courriel=" Camille.Martin+x@Example.ORG "),
        row("1000011A", courriel="zoé@exämple.fr"),  # IDN: Django's validator decides
        row("1000001A"),  # duplicate of the first row, same counsellor: warning
    ]


def _run(engine_class, path, user, **kwargs):
    return engine_class(path=path, scope=scope_for(user), **kwargs).run()


def _same(first, second):
    assert first.counts() == second.counts()
    assert first.messages == second.messages
    assert first.error_rows == second.error_rows
    assert (first.new, first.transfers, first.unchanged) == (
        second.new,
        second.transfers,
        second.unchanged,
    )


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
@pytest.mark.parametrize("who", ["admin", "manager"])
def test_both_engines_preview_a_file_the_same(network, followed, tmp_path, fmt, who):
    user = network["admin"] if who == "admin" else network["manager"].user
    rows = _mixed_rows()
    headers = [*HEADERS, "Type d'affectation"]
    path = tmp_path / f"mixed.{fmt}"
    path.write_bytes(xlsx_bytes(rows, headers) if fmt == "xlsx" else csv_bytes(rows, headers))
    generic = _run(Engine, path, user)
    staged = _run(StagedEngine, path, user)
    _same(generic, staged)
    assert generic.new and generic.transfers and generic.unchanged and generic.warnings
    assert len(generic.error_rows) >= 8


def _state():
    assignments = sorted(
        Assignment.objects.values_list(
            "jobseeker__identifier",
            "counsellor__matricule",
            "kind",
            "modality__code",
            "starts_on",
            "ends_on",
        ),
        key=str,
    )
    jobseekers = sorted(Jobseeker.objects.values_list("identifier", "first_name", "email"))
    changes = sorted(
        ImportChange.objects.values_list(
            "row", "action", "party_key", "kind", "counsellor__matricule", "on_date"
        ),
        key=str,
    )
    return assignments, jobseekers, changes


def test_both_engines_apply_a_file_the_same(network, followed, admin, tmp_path):
    rows = _mixed_rows()
    path = tmp_path / "mixed.csv"
    path.write_bytes(csv_bytes(rows, [*HEADERS, "Type d'affectation"]))
    preview = _run(Engine, path, admin)
    batch = ImportBatch.objects.create(created_by=admin, original_name="mixed.csv")
    outcomes, states = _apply_twice(path, admin, batch, preview)
    _same(*outcomes)
    assert states[0] == states[1]
    assignments, _jobseekers, changes = states[1]
    assert len(assignments) > 5 and {c[1] for c in changes} == {"party", "closed", "created"}


def _apply_twice(path, admin, batch, preview, **staged):
    """The row engine's apply and the staging engine's, each rolled back: both states."""
    outcomes, states = [], []
    for engine_class, options in ((Engine, {}), (StagedEngine, staged)):
        with transaction.atomic():
            outcomes.append(
                _run(
                    engine_class,
                    path,
                    admin,
                    batch_id=batch.pk,
                    apply=True,
                    skip_rows=frozenset(preview.error_rows),
                    skip_errors=True,
                    **options,
                )
            )
            states.append(_state())
            transaction.set_rollback(True)
    return outcomes, states


@pytest.mark.parametrize("kept", ["kept", "tampered"])
def test_the_apply_uses_the_rows_the_preview_kept_or_reads_the_file_again(
    network, followed, admin, tmp_path, kept
):
    path = tmp_path / "mixed.xlsx"
    path.write_bytes(xlsx_bytes(_mixed_rows(), [*HEADERS, "Type d'affectation"]))
    staged_path = tmp_path / "mixed.xlsx.staged"
    preview = _run(StagedEngine, path, admin, staged_path=staged_path)
    assert staged_path.exists() and len(preview.staged_sha256) == 64
    if kept == "tampered":
        staged_path.write_bytes(staged_path.read_bytes()[:-40])
    batch = ImportBatch.objects.create(created_by=admin, original_name="mixed.xlsx")
    outcomes, states = _apply_twice(path, admin, batch, preview, **_staged(preview, staged_path))
    assert (outcomes[0].new, outcomes[0].transfers, outcomes[0].unchanged) == (
        outcomes[1].new,
        outcomes[1].transfers,
        outcomes[1].unchanged,
    )
    assert states[0] == states[1]


def _staged(preview, staged_path) -> dict:
    """The StagedEngine options that point an apply at the rows `preview` kept."""
    return {
        "staged_path": staged_path,
        "staged_sha256": preview.staged_sha256,
        "staged_kind": preview.kind,
        "staged_total": preview.total_rows,
    }


def test_rows_kept_at_preview_are_checked_again_at_apply(network, followed, admin, tmp_path):
    """A counsellor who left since the preview stops the apply, with the file's message."""
    path = tmp_path / "two.csv"
    path.write_bytes(csv_bytes([row("1000001A"), row("1000002A", matricule="BRUNO02")]))
    staged_path = tmp_path / "two.csv.staged"
    preview = _run(StagedEngine, path, admin, staged_path=staged_path)
    network["bruno"].is_active = False
    network["bruno"].save()
    batch = ImportBatch.objects.create(created_by=admin, original_name="two.csv")
    outcomes, states = _apply_twice(path, admin, batch, preview, **_staged(preview, staged_path))
    assert outcomes[0].messages == outcomes[1].messages
    assert outcomes[1].messages == [
        [3, "Matricule conseiller", "Le conseiller « BRUNO02 » n'est plus actif.", "erreur"]
    ]
    assert states[0] == states[1]


def test_postgresql_uses_the_staging_engine(network, admin, tmp_path):
    path = tmp_path / "one.csv"
    path.write_bytes(csv_bytes([row("1000001A")]))
    assert isinstance(engine_for(path=path, scope=scope_for(admin)), StagedEngine)


def test_the_preview_keeps_its_rows_beside_the_file_until_the_apply(network, admin):
    batch = upload(admin, csv_bytes([row("1000001A"), row("1000002A")]), name="a.csv")
    staged = Path(f"{batch.file.path}.staged")
    assert staged.exists() and len(batch.staged_sha256) == 64
    batch = apply(batch, admin)
    assert batch.status == ImportStatus.APPLIED and batch.new_count == 2
    assert not staged.exists()


def test_rows_kept_by_a_preview_left_unapplied_are_purged_and_the_apply_reads_the_file(
    network, admin
):
    batch = upload(admin, csv_bytes([row("1000001A"), row("1000002A")]), name="b.csv")
    staged = Path(f"{batch.file.path}.staged")
    assert staged.exists()
    assert import_staged_rows_purge() == 0  # a fresh preview keeps its rows
    later = batch.previewed_at + datetime.timedelta(days=3)
    assert import_staged_rows_purge(now=later) == 1
    batch.refresh_from_db()
    assert not staged.exists() and batch.staged_sha256 == ""
    assert Path(batch.file.path).exists()  # the file itself stays
    batch = apply(batch, admin)
    assert batch.status == ImportStatus.APPLIED and batch.new_count == 2
