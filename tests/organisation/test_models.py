import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from backoffice.organisation import roles
from backoffice.organisation.models import Agency
from backoffice.organisation.services import absence_create, counsellor_absence_at
from tests.factories import AgencyFactory, CounsellorFactory

pytestmark = pytest.mark.django_db
PARIS = datetime.timezone(datetime.timedelta(hours=1))


def at(day, hour=9):
    return datetime.datetime(2026, 12, day, hour, tzinfo=PARIS)


def test_public_address_is_stored_lower_case():
    counsellor = CounsellorFactory(public_address="  Marie.Dupont@Mailnet.TEST ")
    counsellor.refresh_from_db()
    assert counsellor.public_address == "marie.dupont@mailnet.test"


def test_public_address_is_unique_whatever_the_case():
    CounsellorFactory(public_address="marie.dupont@mailnet.test")
    with pytest.raises(IntegrityError), transaction.atomic():
        CounsellorFactory(public_address="MARIE.DUPONT@mailnet.test")


def test_database_refuses_an_agency_code_that_is_not_five_digits():
    region = AgencyFactory().region
    with pytest.raises(IntegrityError), transaction.atomic():
        Agency.objects.create(code="7501", name="X", region=region)


def test_overlapping_absence_is_refused_with_a_clear_message():
    counsellor = CounsellorFactory()
    absence_create(counsellor=counsellor, starts_at=at(7), ends_at=at(11))
    with pytest.raises(ValidationError) as error:
        absence_create(counsellor=counsellor, starts_at=at(10), ends_at=at(14))
    assert "chevauche" in str(error.value)
    assert "07/12/2026" in str(error.value)


def test_absence_must_end_after_it_starts():
    counsellor = CounsellorFactory()
    with pytest.raises(ValidationError):
        absence_create(counsellor=counsellor, starts_at=at(9), ends_at=at(9))
    from backoffice.organisation.models import Absence

    with pytest.raises(IntegrityError), transaction.atomic():
        Absence.objects.create(counsellor=counsellor, starts_at=at(9), ends_at=at(8))


def test_absence_covering_a_moment_gives_the_delegate():
    counsellor = CounsellorFactory()
    delegate = CounsellorFactory(agency=counsellor.agency)
    absence_create(counsellor=counsellor, starts_at=at(7), ends_at=at(11), delegate=delegate)
    assert counsellor_absence_at(counsellor=counsellor, moment=at(8)).delegate == delegate
    assert counsellor_absence_at(counsellor=counsellor, moment=at(12)) is None


def test_manager_sees_overlap_message_in_the_absence_form(client):
    manager = CounsellorFactory(user__role=roles.MANAGER)
    counsellor = CounsellorFactory(agency=manager.agency)
    absence_create(counsellor=counsellor, starts_at=at(7), ends_at=at(11))
    client.force_login(manager.user)
    response = client.post(
        reverse("absences:add"),
        {
            "counsellor": counsellor.pk,
            "starts_at": "2026-12-10 09:00",
            "ends_at": "2026-12-15 09:00",
            "delegate": "",
            "reason": "Formation",
        },
    )
    assert response.status_code == 200
    assert "chevauche" in response.content.decode()
    assert counsellor.absences.count() == 1
