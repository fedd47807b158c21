"""Constraints live in the database, not only in forms."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from backoffice.caseloads.models import (
    Assignment,
    AssignmentKind,
    Jobseeker,
    luhn_valid,
    validate_siret,
)
from backoffice.caseloads.services import assignment_open, jobseeker_create
from tests.factories import (
    AssignmentFactory,
    CounsellorFactory,
    EmployerFactory,
    JobseekerFactory,
    modality,
)

pytestmark = pytest.mark.django_db


def test_database_refuses_two_open_referent_assignments_for_one_jobseeker():
    first = AssignmentFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Assignment.objects.create(
            jobseeker=first.jobseeker,
            counsellor=CounsellorFactory(),
            kind=AssignmentKind.REFERENT,
            starts_on=datetime.date(2026, 2, 1),
        )


def test_a_referent_and_a_benefits_counsellor_can_both_be_open():
    first = AssignmentFactory()
    Assignment.objects.create(
        jobseeker=first.jobseeker,
        counsellor=CounsellorFactory(handles_benefits=True),
        kind=AssignmentKind.BENEFITS,
        starts_on=datetime.date(2026, 2, 1),
    )
    assert first.jobseeker.assignments.filter(ends_on__isnull=True).count() == 2


def test_database_refuses_an_assignment_to_nobody_or_to_both():
    counsellor = CounsellorFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Assignment.objects.create(counsellor=counsellor, starts_on=datetime.date(2026, 1, 1))
    with pytest.raises(IntegrityError), transaction.atomic():
        Assignment.objects.create(
            counsellor=counsellor,
            jobseeker=JobseekerFactory(),
            employer=EmployerFactory(),
            starts_on=datetime.date(2026, 1, 1),
        )


def test_database_refuses_a_malformed_jobseeker_identifier():
    with pytest.raises(IntegrityError), transaction.atomic():
        Jobseeker.objects.create(identifier="123456AB", first_name="A", last_name="B")


def test_siret_luhn_check():
    assert luhn_valid("73282932000074")
    validate_siret("73282932000074")
    with pytest.raises(ValidationError):
        validate_siret("73282932000075")
    with pytest.raises(ValidationError):
        validate_siret("7328293200007")


def test_transfer_closes_the_previous_assignment_on_the_new_date():
    old = AssignmentFactory(starts_on=datetime.date(2026, 1, 5))
    new_counsellor = CounsellorFactory()
    new = assignment_open(
        counsellor=new_counsellor,
        jobseeker=old.jobseeker,
        modality=modality("RENFORCE"),
        starts_on=datetime.date(2026, 3, 2),
    )
    old.refresh_from_db()
    assert old.ends_on == datetime.date(2026, 3, 2)
    assert new.is_open and new.counsellor == new_counsellor


def test_reassigning_to_the_same_counsellor_changes_nothing():
    old = AssignmentFactory()
    same = assignment_open(
        counsellor=old.counsellor,
        jobseeker=old.jobseeker,
        modality=old.modality,
        starts_on=datetime.date(2026, 4, 1),
    )
    assert same.pk == old.pk
    assert Assignment.objects.count() == 1


def test_a_new_jobseeker_comes_with_their_referent():
    counsellor = CounsellorFactory()
    jobseeker = jobseeker_create(
        identifier="1234567K",
        first_name="Inès",
        last_name="Moreau",
        email="Ines.Moreau@Example.org ",
        counsellor=counsellor,
        modality=modality("SUIVI"),
        starts_on=datetime.date(2026, 5, 4),
    )
    assert jobseeker.email == "ines.moreau@example.org"
    assert jobseeker.assignments.get().counsellor == counsellor


def test_modalities_are_seeded():
    from backoffice.caseloads.models import Modality

    assert set(Modality.objects.values_list("name", flat=True)) == {
        "Suivi",
        "Guidé",
        "Renforcé",
        "Accompagnement global",
        "CVE",
        "AIJ",
    }
