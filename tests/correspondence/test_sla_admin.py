"""[sla] Admin: territory and agency calendars, closure days, deadline notices, thread panel."""

import datetime as dt

import pytest
from django.contrib.auth.models import Group
from django.template import Context, Template
from django.urls import reverse

from backoffice.correspondence.models import SlaEvent, Thread
from backoffice.correspondence.services.deadlines import thread_deadline_start
from backoffice.organisation import roles
from backoffice.organisation.models import ClosureDay, Territory
from tests.factories import AgencyFactory, CounsellorFactory

from .sla_factories import ThreadFactory, team_with_manager

pytestmark = pytest.mark.django_db


@pytest.fixture
def alsace_team():
    return team_with_manager(AgencyFactory(territory=Territory.ALSACE_MOSELLE))


def test_the_territory_calendar_lists_each_territory_s_holidays(client):
    client.force_login(CounsellorFactory().user)
    response = client.get(reverse("sla_calendar"), {"territory": "alsace-moselle", "year": 2026})
    assert response.status_code == 200
    page = response.content.decode()
    assert "Vendredi saint" in page and "Saint-Étienne" in page
    assert "vendredi 3 avril 2026" in page


def test_the_agency_calendar_shows_closure_days_and_lets_the_manager_add_one(client, alsace_team):
    _, manager, counsellor = alsace_team
    ClosureDay.objects.create(agency=manager.agency, day=dt.date(2026, 5, 15), reason="Pont")
    url = reverse("sla_agency_calendar", args=[manager.agency.pk])

    client.force_login(manager.user)
    page = client.get(url, {"year": 2026}).content.decode()
    assert "Pont" in page and "Vendredi saint" in page
    assert "Ajouter un jour de fermeture" in page

    client.force_login(counsellor.user)
    page = client.get(url, {"year": 2026}).content.decode()
    assert "Pont" in page
    assert "Ajouter un jour de fermeture" not in page


def test_a_manager_adds_a_closure_day_to_their_agency_only(client, alsace_team):
    _, manager, _ = alsace_team
    other = AgencyFactory()
    client.force_login(manager.user)
    add = reverse("closure_days:add")
    client.post(add, {"agency": manager.agency.pk, "day": "2026-05-15", "reason": "Pont"})
    assert ClosureDay.objects.filter(agency=manager.agency, day=dt.date(2026, 5, 15)).exists()
    response = client.post(add, {"agency": other.pk, "day": "2026-05-15", "reason": "Pont"})
    assert response.status_code == 200, "the form refuses an agency out of scope"
    assert not ClosureDay.objects.filter(agency=other).exists()


def test_another_agency_s_calendar_is_not_found(client):
    client.force_login(CounsellorFactory().user)
    other = AgencyFactory()
    # Counsellors read their own agency only.
    assert client.get(reverse("sla_agency_calendar", args=[other.pk])).status_code == 404


def test_the_dashboard_shows_unread_notices_until_marked_read(client, alsace_team):
    _, _, counsellor = alsace_team
    thread = ThreadFactory(counsellor=counsellor, subject="Attestation employeur")
    notice = SlaEvent.objects.create(
        thread=thread,
        kind=SlaEvent.Kind.WARNING,
        at=dt.datetime(2026, 3, 10, 14, tzinfo=dt.UTC),
        due_at=dt.datetime(2026, 3, 11, 14, tzinfo=dt.UTC),
        recipient=counsellor,
    )
    client.force_login(counsellor.user)
    page = client.get(reverse("wagtailadmin_home")).content.decode()
    assert "Délais de réponse" in page and "Attestation employeur" in page
    client.post(reverse("sla_notice_read", args=[notice.pk]))
    notice.refresh_from_db()
    assert notice.read_at is not None
    assert "Attestation employeur" not in client.get(reverse("wagtailadmin_home")).content.decode()


def test_the_manager_dashboard_lists_breached_threads(client, alsace_team):
    _, manager, counsellor = alsace_team
    ThreadFactory(
        counsellor=counsellor,
        subject="Relance formation",
        due_at=dt.datetime(2026, 3, 11, 14, tzinfo=dt.UTC),
        breached_at=dt.datetime(2026, 3, 11, 14, tzinfo=dt.UTC),
    )
    assert Group.objects.get(name=roles.MANAGER) in manager.user.groups.all()
    client.force_login(manager.user)
    page = client.get(reverse("wagtailadmin_home")).content.decode()
    assert "Délais dépassés" in page and "Relance formation" in page


def test_the_thread_panel_shows_the_deadline_in_the_agency_time_zone_and_the_history():
    agency = AgencyFactory(territory=Territory.REUNION, time_zone="Indian/Reunion")
    thread = ThreadFactory(counsellor=CounsellorFactory(agency=agency))
    received = dt.datetime.fromisoformat("2026-03-08T21:00Z")
    Thread.objects.filter(pk=thread.pk).update(awaiting_since=received)
    thread_deadline_start(thread=thread, received_at=received)
    thread.refresh_from_db()
    html = Template("{% load sla_tags %}{% thread_sla_panel thread %}").render(
        Context({"thread": thread})
    )
    assert "À répondre avant le jeudi 12 mars 2026 à 01:00" in html
    assert "échéance fixée" in html
