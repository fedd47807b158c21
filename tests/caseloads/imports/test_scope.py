"""A manager imports for their own agency only; the national administrator for all."""

import datetime

import pytest

from backoffice.caseloads.imports import services
from backoffice.caseloads.imports.models import ImportStatus
from backoffice.caseloads.models import Assignment
from tests.factories import AssignmentFactory, JobseekerFactory, UserFactory

from .conftest import apply, messages_of, row, upload, xlsx_bytes

pytestmark = pytest.mark.django_db


def test_a_managers_rows_for_another_agency_are_refused_row_by_row(network, manager):
    batch = upload(
        manager,
        xlsx_bytes(
            [
                row("1000001A"),
                row("1000002A", matricule="OLGA03", agency="75001"),
                row("1000003A", matricule="BRUNO02"),
            ]
        ),
    )
    assert batch.agency == network["home"]
    assert batch.new_count == 2 and batch.error_count == 1
    ((line, column, message),) = messages_of(batch)
    assert (line, column) == (3, "Agence") and "périmètre" in message
    apply(batch, manager, skip_errors=True)
    assert set(Assignment.objects.values_list("counsellor__agency__code", flat=True)) == {"01234"}


def test_a_manager_cannot_take_a_jobseeker_followed_by_another_agency(network, manager):
    AssignmentFactory(
        jobseeker=JobseekerFactory(identifier="2000001B"),
        counsellor=network["olga"],
        starts_on=datetime.date(2025, 1, 1),
    )
    batch = upload(manager, xlsx_bytes([row("2000001B")]))
    assert batch.error_count == 1
    assert "75001" in messages_of(batch)[0][2]


def test_the_national_administrator_imports_for_every_agency(network, admin):
    batch = upload(
        admin, xlsx_bytes([row("1000001A"), row("1000002A", matricule="OLGA03", agency="75001")])
    )
    assert batch.status == ImportStatus.PREVIEWED
    assert batch.agency is None and batch.new_count == 2 and batch.error_count == 0


def test_a_counsellor_in_the_wrong_agency_column_is_an_error(network, admin):
    batch = upload(admin, xlsx_bytes([row("1000001A", matricule="OLGA03", agency="01234")]))
    assert "n'appartient pas" in messages_of(batch)[0][2]


def test_a_plain_counsellor_may_not_import(network):
    with pytest.raises(services.ImportRefused):
        upload(network["alice"].user, xlsx_bytes([row("1000001A")]))


def test_history_of_a_manager_shows_only_their_agency(network, manager, admin):
    from backoffice.caseloads.imports.selectors import imports_for
    from backoffice.organisation import roles
    from tests.factories import CounsellorFactory

    other_manager = CounsellorFactory(
        matricule="MGR0002", agency=network["other"], user=UserFactory(role=roles.MANAGER)
    ).user
    mine = upload(manager, xlsx_bytes([row("1000001A")]))
    theirs = upload(
        other_manager, xlsx_bytes([row("1000002A", matricule="OLGA03", agency="75001")])
    )
    assert list(imports_for(user=manager)) == [mine]
    assert set(imports_for(user=admin)) == {mine, theirs}
