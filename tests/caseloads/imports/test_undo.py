"""Undo is set-based: every affected table is as before, Django's on_delete rules hold for
what points at the parties the import created, and the statements do not grow with rows."""

import datetime

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.models.signals import post_delete
from django.urls import reverse
from wagtail.models import ReferenceIndex
from wagtail.signal_handlers import (
    connect_reference_index_signal_handlers_for_model,
    disconnect_reference_index_signal_handlers_for_model,
)

from backoffice.caseloads.imports import services
from backoffice.caseloads.imports.models import ImportStatus
from backoffice.caseloads.models import (
    Assignment,
    AssignmentKind,
    Employer,
    EmployerContact,
    Jobseeker,
)
from backoffice.correspondence.models import ScheduledContact, Thread
from privacy.models import AccessExport, LegalHold
from tests.correspondence.factories import ThreadFactory
from tests.factories import AssignmentFactory, EmployerContactFactory, JobseekerFactory

from .conftest import EMPLOYER_HEADERS, HEADERS, apply, row, tables_state, upload, xlsx_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _admin_registered():
    """As in a web worker: the admin's ViewSets have made Wagtail's reference index listen
    to the deletion of assignments and legal holds."""
    reverse("wagtailadmin_home")


@pytest.fixture(params=["web worker", "task worker"])
def worker(request):
    """Where the undo runs: a task worker need not have loaded the admin, and there no one
    listens to the deletion of assignments and legal holds (cascaded in set then)."""
    if request.param == "web worker":
        yield request.param
        return
    listened = [model for model in (Assignment, LegalHold) if post_delete.has_listeners(model)]
    for model in listened:
        disconnect_reference_index_signal_handlers_for_model(model)
    yield request.param
    for model in listened:
        connect_reference_index_signal_handlers_for_model(model)


def _rows_of(model, **filters) -> list[tuple]:
    return [tuple(values.values()) for values in model.objects.filter(**filters).values()]


def _employer_row(siret, name, email="", matricule="ALICE01"):
    return {
        "SIRET": siret,
        "Raison sociale": name,
        "Courriel": email,
        "Matricule conseiller": matricule,
        "Agence": "01234",
        "Date d'affectation": "05/01/2026",
    }


@pytest.fixture
def followed(network):
    """Before any import: a jobseeker followed by Bruno, one with a dedicated benefits
    counsellor and a legal hold (neither is the import's to delete)."""
    moving = AssignmentFactory(
        jobseeker=JobseekerFactory(identifier="2000001B"),
        counsellor=network["bruno"],
        starts_on=datetime.date(2025, 6, 1),
    )
    benefits = AssignmentFactory(
        jobseeker=JobseekerFactory(identifier="3000001C"),
        counsellor=network["alice"],
        kind=AssignmentKind.BENEFITS,
        modality=None,
    )
    LegalHold.objects.create(jobseeker=benefits.jobseeker, reason="Contentieux en cours")
    return moving


def _jobseekers_import(admin, identifiers):
    rows = [row(i, courriel=f"{i.lower()}@example.org") for i in identifiers]
    rows += [
        row("2000001B", day="10/01/2026"),
        {
            **row("3000001C", matricule="BRUNO02", modalite=""),
            "Type d'affectation": "indemnisation",
        },
    ]
    batch = upload(admin, xlsx_bytes(rows, [*HEADERS, "Type d'affectation"]))
    assert batch.new_count == len(identifiers) and batch.transfer_count == 2, batch.errors
    batch = apply(batch, admin)
    assert batch.status == ImportStatus.APPLIED
    return batch


def test_undo_restores_every_table_and_keeps_a_created_jobseeker_who_wrote_since(
    network, admin, followed, worker
):
    before = tables_state()
    batch = _jobseekers_import(admin, ["1000001A", "1000002A", "1000003A", "1000004A"])
    # Since the import: mail from one newcomer, a legal hold on another (cascaded with
    # them), a right-of-access export of a third (SET_NULL: the log stays).
    ThreadFactory(assignment=Assignment.objects.get(jobseeker__identifier="1000002A"))
    LegalHold.objects.create(
        jobseeker=Jobseeker.objects.get(identifier="1000003A"), reason="Réquisition"
    )
    export = AccessExport.objects.create(
        requested_by=admin,
        jobseeker=Jobseeker.objects.get(identifier="1000004A"),
        person_label="1000004A",
        sha256="0" * 64,
    )
    kept = _rows_of(Jobseeker, identifier="1000002A")
    thread = _rows_of(Thread)
    export_logged = {**AccessExport.objects.values().get(pk=export.pk), "jobseeker_id": None}

    batch = services.import_batch_undo(batch=batch, user=admin)

    assert batch.status == ImportStatus.UNDONE
    assert tables_state() == {
        **before,
        "jobseekers": sorted(before["jobseekers"] + kept),
        "threads": thread,
        "access exports": [tuple(export_logged.values())],
    }
    connection.check_constraints()


def test_a_created_jobseeker_with_another_assignment_since_is_kept(network, admin, followed):
    before = tables_state()
    batch = _jobseekers_import(admin, ["1000001A", "1000002A"])
    newcomer = Jobseeker.objects.get(identifier="1000002A")
    later = AssignmentFactory(
        jobseeker=newcomer, counsellor=network["olga"], kind=AssignmentKind.BENEFITS
    )
    services.import_batch_undo(batch=batch, user=admin)
    assert tables_state() == {
        **before,
        "assignments": sorted(before["assignments"] + _rows_of(Assignment, pk=later.pk)),
        "jobseekers": sorted(before["jobseekers"] + _rows_of(Jobseeker, pk=newcomer.pk)),
    }
    connection.check_constraints()


def test_undo_of_employers_deletes_their_contacts_and_keeps_those_with_mail(network, admin, worker):
    EmployerContactFactory(employer__siret="73282932000074", email="rh@ancienne.example")
    before = tables_state()
    batch = upload(
        admin,
        xlsx_bytes(
            [
                _employer_row("55208111400019", "Durand SA", "rh@durand.example"),
                _employer_row("44306184100047", "Acme", "rh@acme.example"),
            ],
            EMPLOYER_HEADERS,
        ),
    )
    assert batch.kind == "employers" and batch.new_count == 2, batch.errors
    apply(batch, admin)
    assert EmployerContact.objects.count() == 3
    acme = Employer.objects.get(siret="44306184100047")
    ThreadFactory(
        assignment=acme.assignments.get(),
        jobseeker=None,
        employer=acme,
        correspondent_address="rh@acme.example",
    )
    kept = {
        "employers": _rows_of(Employer, pk=acme.pk),
        "contacts": _rows_of(EmployerContact, employer=acme),
        "threads": _rows_of(Thread),
    }

    services.import_batch_undo(batch=batch, user=admin)

    assert tables_state() == {
        **before,
        **{name: sorted(before[name] + rows) for name, rows in kept.items()},
    }
    connection.check_constraints()


def test_a_protected_relation_refuses_the_undo_and_changes_nothing(network, admin, followed):
    batch = _jobseekers_import(admin, ["1000001A", "1000002A"])
    ScheduledContact.objects.create(
        counsellor=network["alice"],
        jobseeker=Jobseeker.objects.get(identifier="1000002A"),
        scheduled_for=datetime.datetime(2026, 3, 2, 10, tzinfo=datetime.UTC),
    )
    applied = tables_state()
    with pytest.raises(services.ImportRefused, match="contacts programmés"):
        services.import_batch_undo(batch=batch, user=admin)
    assert tables_state() == applied
    batch.refresh_from_db()
    assert batch.status == ImportStatus.APPLIED


@pytest.mark.parametrize("size", [3, 240])
def test_undo_statements_do_not_grow_with_the_rows(
    network, admin, followed, size, django_assert_max_num_queries
):
    batch = _jobseekers_import(admin, [f"{1000000 + i:07d}A" for i in range(size)])
    # one party for each of the paths: cascaded, set to NULL, kept with mail
    LegalHold.objects.create(jobseeker=Jobseeker.objects.get(identifier="1000000A"), reason="x")
    AccessExport.objects.create(
        requested_by=admin,
        jobseeker=Jobseeker.objects.get(identifier="1000001A"),
        person_label="1000001A",
        sha256="0" * 64,
    )
    ThreadFactory(assignment=Assignment.objects.get(jobseeker__identifier="1000002A"))
    with django_assert_max_num_queries(30):
        batch = services.import_batch_undo(batch=batch, user=admin)
    assert batch.status == ImportStatus.UNDONE
    assert Jobseeker.objects.count() == 3  # the two followed before, the one with mail


def test_wagtails_reference_index_forgets_the_deleted_rows_and_only_them(network, admin, followed):
    batch = _jobseekers_import(admin, ["1000001A", "1000002A"])
    for assignment in Assignment.objects.all():  # as the admin's edit screens do on save
        ReferenceIndex.create_or_update_for_object(assignment)
    of_assignments = ReferenceIndex.objects.filter(
        base_content_type=ContentType.objects.get_for_model(Assignment)
    ).values_list("object_id", flat=True)
    assert len(set(of_assignments)) == 6

    services.import_batch_undo(batch=batch, user=admin)

    assert Assignment.objects.count() == 2  # those of before the import
    assert set(of_assignments.all()) == {
        str(pk) for pk in Assignment.objects.values_list("pk", flat=True)
    }


def test_another_listener_to_deletions_is_called_for_every_deleted_party(network, admin, followed):
    batch = _jobseekers_import(admin, ["1000001A", "1000002A"])
    seen = []

    def listener(sender, instance, **kwargs):
        seen.append(instance.identifier)

    post_delete.connect(listener, sender=Jobseeker)
    try:
        services.import_batch_undo(batch=batch, user=admin)
    finally:
        post_delete.disconnect(listener, sender=Jobseeker)
    assert sorted(seen) == ["1000001A", "1000002A"]
