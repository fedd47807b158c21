"""The PostgreSQL staging engine and the row engine give the same preview and the same
writes on the same file: counts, errors (row, column, French text), warnings, changes."""

import datetime

import pytest
from django.db import connection, transaction

from backoffice.caseloads.imports.engine import Engine
from backoffice.caseloads.imports.models import ImportBatch, ImportChange
from backoffice.caseloads.imports.staging import StagedEngine, engine_for
from backoffice.caseloads.models import Assignment, AssignmentKind, Jobseeker
from backoffice.organisation.access import scope_for
from tests.factories import AssignmentFactory, JobseekerFactory

from .conftest import HEADERS, csv_bytes, row, xlsx_bytes

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
    outcomes, states = [], []
    for engine_class in (Engine, StagedEngine):
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
                )
            )
            states.append(_state())
            transaction.set_rollback(True)
    _same(*outcomes)
    assert states[0] == states[1]
    assignments, _jobseekers, changes = states[1]
    assert len(assignments) > 5 and {c[1] for c in changes} == {"party", "closed", "created"}


def test_postgresql_uses_the_staging_engine(network, admin, tmp_path):
    path = tmp_path / "one.csv"
    path.write_bytes(csv_bytes([row("1000001A")]))
    assert isinstance(engine_for(path=path, scope=scope_for(admin)), StagedEngine)
