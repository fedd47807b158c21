"""Creating and transferring in the caseload screens, as a manager would."""

import datetime

import pytest
from django.urls import reverse

from backoffice.caseloads.models import Assignment, AssignmentKind, Employer
from backoffice.organisation import roles
from tests.factories import AgencyFactory, AssignmentFactory, CounsellorFactory, modality

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager():
    return CounsellorFactory(user__role=roles.MANAGER)


def _assignment_form(**values):
    return {
        "jobseeker": "",
        "employer": "",
        "kind": AssignmentKind.REFERENT,
        "modality": "",
        "ends_on": "",
        **values,
    }


def test_a_new_referent_in_the_same_agency_closes_the_current_one_on_its_date(client, manager):
    current = AssignmentFactory(counsellor=CounsellorFactory(agency=manager.agency))
    colleague = CounsellorFactory(agency=manager.agency)
    client.force_login(manager.user)
    response = client.post(
        reverse("assignments:add"),
        _assignment_form(
            jobseeker=current.jobseeker.pk,
            counsellor=colleague.pk,
            modality=modality("RENFORCE").pk,
            starts_on="2026-06-01",
        ),
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    current.refresh_from_db()
    assert current.ends_on == datetime.date(2026, 6, 1)
    assert current.jobseeker.assignments.get(ends_on__isnull=True).counsellor == colleague


def test_a_transfer_dated_before_the_current_assignment_is_refused_in_the_form(client, manager):
    current = AssignmentFactory(
        counsellor=CounsellorFactory(agency=manager.agency), starts_on=datetime.date(2026, 5, 4)
    )
    client.force_login(manager.user)
    response = client.post(
        reverse("assignments:add"),
        _assignment_form(
            jobseeker=current.jobseeker.pk,
            counsellor=CounsellorFactory(agency=manager.agency).pk,
            starts_on="2026-04-01",
        ),
    )
    assert response.status_code == 200
    assert "04/05/2026" in response.content.decode()
    current.refresh_from_db()
    assert current.ends_on is None


def test_an_assignment_held_by_another_agency_is_never_closed_from_here(client, manager):
    jobseeker = AssignmentFactory(
        counsellor=CounsellorFactory(agency=manager.agency), kind=AssignmentKind.BENEFITS
    ).jobseeker
    elsewhere = AssignmentFactory(
        jobseeker=jobseeker, counsellor=CounsellorFactory(agency=AgencyFactory())
    )
    client.force_login(manager.user)
    response = client.post(
        reverse("assignments:add"),
        _assignment_form(
            jobseeker=jobseeker.pk,
            counsellor=CounsellorFactory(agency=manager.agency).pk,
            starts_on="2026-06-01",
        ),
    )
    assert response.status_code == 200
    assert "autre agence" in response.content.decode()
    elsewhere.refresh_from_db()
    assert elsewhere.ends_on is None


def test_a_finished_assignment_is_recorded_as_entered(client, manager):
    current = AssignmentFactory(counsellor=CounsellorFactory(agency=manager.agency))
    client.force_login(manager.user)
    response = client.post(
        reverse("assignments:add"),
        _assignment_form(
            jobseeker=current.jobseeker.pk,
            counsellor=CounsellorFactory(agency=manager.agency).pk,
            kind=AssignmentKind.BENEFITS,
            starts_on="2026-02-02",
            ends_on="2026-03-02",
        ),
    )
    assert response.status_code == 302
    recorded = Assignment.objects.get(kind=AssignmentKind.BENEFITS)
    assert recorded.ends_on == datetime.date(2026, 3, 2)
    current.refresh_from_db()
    assert current.ends_on is None


def test_a_manager_creates_an_employer_with_its_counsellor(client, manager):
    counsellor = CounsellorFactory(agency=manager.agency, handles_employers=True)
    client.force_login(manager.user)
    response = client.post(
        reverse("employers:add"),
        {
            "siret": "73282932000074",
            "name": "Boulangerie du Canal",
            "counsellor": counsellor.pk,
            "starts_on": "2026-09-01",
            "contacts-TOTAL_FORMS": "1",
            "contacts-INITIAL_FORMS": "0",
            "contacts-MIN_NUM_FORMS": "0",
            "contacts-MAX_NUM_FORMS": "1000",
            "contacts-0-name": "Mme Roux",
            "contacts-0-email": "RH@Boulangerie.example",
            "contacts-0-id": "",
            "contacts-0-ORDER": "1",
            "contacts-0-DELETE": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    employer = Employer.objects.get(siret="73282932000074")
    assert employer.assignments.get().counsellor == counsellor
    assert list(employer.contacts.values_list("email", flat=True)) == ["rh@boulangerie.example"]
    assert "Boulangerie du Canal" in client.get(reverse("employers:index")).content.decode()
