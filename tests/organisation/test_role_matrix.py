"""Every role, every screen: an object of another agency or region never shows and never opens.

Two regions; the reader sits in agency A (region 1). Agency B is in region 1 too, agency C in
region 2. Each screen gets one object "inside" the reader's scope and one "outside", with a
marker string; lists, searches, CSV exports and choosers must show the first and never the second.
"""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from backoffice.organisation import roles
from tests.factories import (
    AgencyFactory,
    AssignmentFactory,
    CounsellorFactory,
    EmployerFactory,
    JobseekerFactory,
    RegionalPilotFactory,
    RegionFactory,
    TeamFactory,
)

pytestmark = pytest.mark.django_db


def assert_denied(response):
    """403, 404, or Wagtail's "permission denied" redirect to the dashboard."""
    if response.status_code == 302:
        assert response.url == reverse("wagtailadmin_home")
    else:
        assert response.status_code in (403, 404), response.status_code


@pytest.fixture
def network():
    region_1 = RegionFactory(code="R01", name="Région Une")
    region_2 = RegionFactory(code="R02", name="Région Deux")
    agency_a = AgencyFactory(code="10001", name="Agence Alpha", region=region_1)
    agency_b = AgencyFactory(code="10002", name="Agence Bravo", region=region_1)
    agency_c = AgencyFactory(code="20001", name="Agence Charlie", region=region_2)
    manager = CounsellorFactory(agency=agency_a, matricule="MGRA0001", user__role=roles.MANAGER)
    counsellor = CounsellorFactory(agency=agency_a, matricule="CNSA0001")
    colleague = CounsellorFactory(agency=agency_a, matricule="CNSA0002")
    stranger_b = CounsellorFactory(agency=agency_b, matricule="CNSB0001")
    stranger_c = CounsellorFactory(agency=agency_c, matricule="CNSC0001")
    pilot = RegionalPilotFactory(region=region_1)
    admin = CounsellorFactory(
        agency=agency_c, matricule="ADMN0001", user__role=roles.NATIONAL_ADMIN
    )

    own_js = JobseekerFactory(identifier="1111111A", last_name="Dedans")
    colleague_js = JobseekerFactory(identifier="2222222B", last_name="Collegue")
    foreign_js = JobseekerFactory(identifier="9999999Z", last_name="Dehors")
    AssignmentFactory(jobseeker=own_js, counsellor=counsellor)
    AssignmentFactory(jobseeker=colleague_js, counsellor=colleague)
    AssignmentFactory(jobseeker=foreign_js, counsellor=stranger_c)
    own_emp = EmployerFactory(name="Boulangerie Dedans")
    foreign_emp = EmployerFactory(name="Usine Dehors")
    AssignmentFactory(jobseeker=None, employer=own_emp, counsellor=counsellor, modality=None)
    AssignmentFactory(jobseeker=None, employer=foreign_emp, counsellor=stranger_c, modality=None)
    TeamFactory(agency=agency_a, name="Equipe Dedans")
    TeamFactory(agency=agency_c, name="Equipe Dehors")
    now = timezone.now()
    from backoffice.organisation.models import Absence

    Absence.objects.create(
        counsellor=counsellor,
        starts_at=now,
        ends_at=now + datetime.timedelta(days=2),
        reason="Conge Dedans",
    )
    Absence.objects.create(
        counsellor=stranger_c,
        starts_at=now,
        ends_at=now + datetime.timedelta(days=2),
        reason="Conge Dehors",
    )
    return {
        "users": {
            roles.COUNSELLOR: counsellor.user,
            roles.MANAGER: manager.user,
            roles.REGIONAL_PILOT: pilot.user,
            roles.NATIONAL_ADMIN: admin.user,
        },
        "objects": {
            "jobseekers": (own_js, foreign_js),
            "employers": (own_emp, foreign_emp),
            "counsellors": (counsellor, stranger_c),
            "agencies": (agency_a, agency_c),
            "regions": (region_1, region_2),
        },
        "stranger_b": stranger_b,
        "colleague_js": colleague_js,
    }


# (viewset, marker inside the reader's scope, marker outside it, search term for both)
SCREENS = [
    ("jobseekers", "1111111A", "9999999Z", "Dehors"),
    ("employers", "Boulangerie Dedans", "Usine Dehors", "Dehors"),
    ("assignments", "1111111A", "9999999Z", "Dehors"),
    ("counsellors", "CNSA0001", "CNSC0001", "CNSC"),
    ("absences", "Conge Dedans", "Conge Dehors", "Dehors"),
    ("teams", "Equipe Dedans", "Equipe Dehors", "Dehors"),
    ("agencies", "Agence Alpha", "Agence Charlie", "Charlie"),
    ("regions", "Région Une", "Région Deux", "Deux"),
]

# What each role may list at all (others: 403 on the list, which leaks nothing either).
LISTS = {
    roles.COUNSELLOR: {
        "jobseekers",
        "employers",
        "assignments",
        "counsellors",
        "absences",
        "teams",
        "agencies",
        "regions",
    },
    roles.MANAGER: {
        "jobseekers",
        "employers",
        "assignments",
        "counsellors",
        "absences",
        "teams",
        "agencies",
        "regions",
    },
    roles.REGIONAL_PILOT: {"teams", "agencies", "regions"},
}


@pytest.mark.parametrize("role", [roles.COUNSELLOR, roles.MANAGER, roles.REGIONAL_PILOT])
@pytest.mark.parametrize("screen,inside,outside,term", SCREENS)
def test_list_search_and_export_never_show_another_scope(
    client, network, role, screen, inside, outside, term
):
    client.force_login(network["users"][role])
    index = reverse(f"{screen}:index")
    response = client.get(index)
    if screen not in LISTS[role]:
        assert_denied(response)
        return
    assert response.status_code == 200
    html = response.content.decode()
    assert inside in html
    assert outside not in html
    searched = client.get(index, {"q": term}).content.decode()
    assert outside not in searched
    exported = b"".join(client.get(index, {"export": "csv"}).streaming_content).decode()
    assert inside in exported
    assert outside not in exported


@pytest.mark.parametrize("role", [roles.COUNSELLOR, roles.MANAGER, roles.REGIONAL_PILOT])
@pytest.mark.parametrize(
    "screen", ["jobseekers", "employers", "counsellors", "agencies", "regions"]
)
def test_object_views_of_another_scope_answer_403_or_404(client, network, role, screen):
    client.force_login(network["users"][role])
    foreign = network["objects"][screen][1]
    for action in ("edit", "inspect", "delete", "history"):
        response = client.get(reverse(f"{screen}:{action}", args=[foreign.pk]))
        assert_denied(response)


@pytest.mark.parametrize("role", [roles.COUNSELLOR, roles.MANAGER])
@pytest.mark.parametrize(
    "chooser,inside,outside",
    [
        ("jobseeker_chooser", "1111111A", "9999999Z"),
        ("employer_chooser", "Boulangerie Dedans", "Usine Dehors"),
    ],
)
def test_choosers_only_offer_what_the_reader_may_see(
    client, network, role, chooser, inside, outside
):
    client.force_login(network["users"][role])
    listing = client.get(reverse(f"{chooser}:choose")).content.decode()
    assert inside in listing
    assert outside not in listing
    results = client.get(reverse(f"{chooser}:choose_results"), {"q": "Dehors"}).content.decode()
    assert outside not in results
    key = "jobseekers" if chooser.startswith("jobseeker") else "employers"
    foreign = network["objects"][key][1]
    assert client.get(reverse(f"{chooser}:chosen", args=[foreign.pk])).status_code == 404


def test_national_admin_sees_everything(client, network):
    client.force_login(network["users"][roles.NATIONAL_ADMIN])
    for screen, inside, outside, _term in SCREENS:
        html = client.get(reverse(f"{screen}:index")).content.decode()
        assert inside in html and outside in html, screen


def test_counsellor_reads_colleagues_caseload_but_writes_only_their_own(client, network):
    counsellor = network["users"][roles.COUNSELLOR]
    client.force_login(counsellor)
    own = network["objects"]["jobseekers"][0]
    colleague_js = network["colleague_js"]
    assert client.get(reverse("jobseekers:inspect", args=[colleague_js.pk])).status_code == 200
    assert_denied(client.get(reverse("jobseekers:edit", args=[colleague_js.pk])))
    assert client.get(reverse("jobseekers:edit", args=[own.pk])).status_code == 200
    response = client.post(
        reverse("jobseekers:edit", args=[colleague_js.pk]),
        {
            "identifier": colleague_js.identifier,
            "first_name": "Pirate",
            "last_name": "X",
            "email": "",
            "phone": "",
        },
    )
    assert_denied(response)
    colleague_js.refresh_from_db()
    assert colleague_js.first_name != "Pirate"


def test_pilot_can_change_nothing(client, network):
    client.force_login(network["users"][roles.REGIONAL_PILOT])
    agency = network["objects"]["agencies"][0]
    assert_denied(client.get(reverse("agencies:edit", args=[agency.pk])))
    assert_denied(client.get(reverse("agencies:add")))


def test_manager_cannot_move_a_team_into_another_agency(client, network):
    client.force_login(network["users"][roles.MANAGER])
    from backoffice.organisation.models import Team

    team = Team.objects.get(name="Equipe Dedans")
    foreign_agency = network["objects"]["agencies"][1]
    form = client.get(reverse("teams:edit", args=[team.pk])).content.decode()
    assert "Agence Charlie" not in form  # not even offered
    response = client.post(
        reverse("teams:edit", args=[team.pk]),
        {"agency": foreign_agency.pk, "name": team.name, "manager": ""},
    )
    team.refresh_from_db()
    assert team.agency_id != foreign_agency.pk
    assert response.status_code in (200, 403)


def test_pilots_see_teams_but_never_their_managers_names(client, network):
    from backoffice.organisation.models import Team

    team = Team.objects.get(name="Equipe Dedans")
    manager = CounsellorFactory(
        agency=team.agency, matricule="MGRX0001", user__last_name="Lefebvre-Unique"
    )
    team.manager = manager
    team.save()
    client.force_login(network["users"][roles.REGIONAL_PILOT])
    index = reverse("teams:index")
    assert "Equipe Dedans" in client.get(index).content.decode()
    assert "Lefebvre-Unique" not in client.get(index).content.decode()
    exported = b"".join(client.get(index, {"export": "csv"}).streaming_content).decode()
    assert "Equipe Dedans" in exported and "Lefebvre-Unique" not in exported
    assert (
        "Lefebvre-Unique"
        not in client.get(reverse("teams:inspect", args=[team.pk])).content.decode()
    )
    client.force_login(network["users"][roles.MANAGER])
    assert "Lefebvre-Unique" in client.get(index).content.decode()
