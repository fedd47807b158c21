"""The preview (dry run): counts, row/column errors in French, and nothing written."""

import datetime

import pytest
from django.apps import apps

from backoffice.caseloads.imports.models import ImportStatus
from backoffice.caseloads.models import Assignment, Jobseeker
from tests.factories import AssignmentFactory, JobseekerFactory

from .conftest import HEADERS, csv_bytes, messages_of, row, upload, xlsx_bytes

pytestmark = pytest.mark.django_db


def _table_counts():
    return {
        model._meta.label: model._default_manager.count()
        for model in apps.get_models()
        if model._meta.app_label in {"caseloads", "organisation", "auth"}
        and model._meta.model_name not in {"importbatch"}
    }


def test_preview_counts_new_transfers_and_unchanged(network, admin):
    moving = JobseekerFactory(identifier="2000001B")
    AssignmentFactory(
        jobseeker=moving, counsellor=network["bruno"], starts_on=datetime.date(2025, 1, 1)
    )
    staying = JobseekerFactory(identifier="2000002C")
    AssignmentFactory(
        jobseeker=staying, counsellor=network["alice"], starts_on=datetime.date(2025, 1, 1)
    )
    content = xlsx_bytes(
        [
            row("1000001A"),
            row("2000001B"),
            row("2000002C"),
        ]
    )
    batch = upload(admin, content)
    assert batch.status == ImportStatus.PREVIEWED
    assert (batch.new_count, batch.transfer_count, batch.unchanged_count, batch.error_count) == (
        1,
        1,
        1,
        0,
    )


def test_dry_run_changes_no_table(network, admin):
    JobseekerFactory(identifier="2000001B")
    before = _table_counts()
    batch = upload(admin, xlsx_bytes([row("1000001A"), row("2000001B", matricule="NOPE")]))
    assert batch.status == ImportStatus.PREVIEWED
    assert _table_counts() == before


def test_headers_ignore_case_accents_spaces_and_title_rows(network, admin):
    headers = [
        "IDENTIFIANT  de",
        "nom",
        "PRENOM",
        "courriel",
        "modalite",
        "Matricule Conseiller",
        "agence",
        "date d’affectation",
        "Commentaire",
    ]
    values = [
        {
            "IDENTIFIANT  de": "  1000001a ",
            "nom": " Martin ",
            "PRENOM": "Camille",
            "courriel": "",
            "modalite": "renforce",
            "Matricule Conseiller": "alice01",
            "agence": "01234",
            "date d’affectation": datetime.datetime(2026, 1, 5),
            "Commentaire": "x",
        }
    ]
    batch = upload(
        admin, xlsx_bytes(values, headers, title="Export SI du 05/01/2026", blank_rows=2)
    )
    assert batch.status == ImportStatus.PREVIEWED, batch.message
    assert batch.new_count == 1
    assert batch.unknown_columns == ["Commentaire"]


@pytest.mark.parametrize(
    ("values", "column", "fragment"),
    [
        ({"matricule": "ZZZ999"}, "Matricule conseiller", "inconnu"),
        ({"courriel": "pas-un-courriel"}, "Courriel", "invalide"),
        ({"day": "31/02/2026"}, "Date d'affectation", "impossible"),
        ({"day": "01/01/2099"}, "Date d'affectation", "futur"),
        ({"modalite": "Très intensif"}, "Modalité", "inconnue"),
        ({"identifier": "12345"}, "Identifiant DE", "mal formé"),
        ({"nom": "  "}, "Nom", "obligatoire vide"),
        ({"agency": "99999"}, "Agence", "inconnue"),
    ],
)
def test_each_wrong_cell_is_reported_with_row_column_and_french_message(
    network, admin, values, column, fragment
):
    kwargs = dict(values)
    args = {k: kwargs.pop(k) for k in ("identifier", "matricule", "agency", "day") if k in kwargs}
    args.setdefault("identifier", "1000002A")
    batch = upload(admin, xlsx_bytes([row("1000001A"), row(**args, **kwargs)]))
    assert batch.error_count == 1
    errors = messages_of(batch)
    assert len(errors) == 1
    assert errors[0][0] == 3 and errors[0][1] == column
    assert fragment in errors[0][2]
    assert batch.new_count == 1


def test_same_jobseeker_twice_with_different_counsellors_is_wrong_on_both_rows(network, admin):
    batch = upload(
        admin,
        xlsx_bytes([row("1000001A"), row("1000002A"), row("1000001A", matricule="BRUNO02")]),
    )
    assert sorted(r for r, _c, _m in messages_of(batch)) == [2, 4]
    assert batch.new_count == 1 and batch.error_count == 2


def test_modality_by_code_or_name_and_benefits_kind(network, admin):
    rows = [
        row("1000001A", modalite="GLOBAL"),
        row("1000002A", modalite="accompagnement GLOBAL"),
        row("1000003A", modalite="aij"),
        {**row("1000004A", modalite=""), "Type d'affectation": "Indemnisation"},
    ]
    batch = upload(admin, xlsx_bytes(rows, [*HEADERS, "Type d'affectation"]))
    assert batch.error_count == 0, batch.errors
    assert batch.new_count == 4


def test_agency_code_without_its_leading_zero_is_repaired_with_a_warning(network, admin):
    content = xlsx_bytes([row("1000001A", agency=1234)])
    batch = upload(admin, content)
    assert batch.error_count == 0
    assert batch.new_count == 1
    warnings = messages_of(batch, "avertissement")
    assert warnings[0][1] == "Agence" and "01234" in warnings[0][2]


def test_dates_iso_french_and_excel_serial(network, admin):
    rows = [
        row("1000001A", day="2026-01-05"),
        row("1000002A", day="5/1/2026"),
        row("1000003A", day=46027),
    ]
    batch = upload(admin, xlsx_bytes(rows))
    assert batch.error_count == 0, batch.errors
    assert batch.new_count == 3


@pytest.mark.parametrize(
    ("encoding", "delimiter"), [("utf-8", ";"), ("utf-8-sig", ","), ("cp1252", ";")]
)
def test_csv_encodings_and_delimiters_are_detected(network, admin, encoding, delimiter):
    content = csv_bytes(
        [row("1000001A", nom="Lefèvre", prenom="Zoé")], delimiter=delimiter, encoding=encoding
    )
    batch = upload(admin, content, name="affectations.csv")
    assert batch.status == ImportStatus.PREVIEWED, batch.message
    assert batch.new_count == 1 and batch.error_count == 0


def test_preview_writes_no_jobseeker_even_for_new_ones(network, admin):
    upload(admin, csv_bytes([row("1000001A")]), name="a.csv")
    assert not Jobseeker.objects.filter(identifier="1000001A").exists()
    assert Assignment.objects.count() == 0
