"""Read audit: the log screen (admins everywhere, managers their agency, nobody else) and the
alert on too many threads opened outside one's caseload in a day."""

import datetime as dt

import pytest
import time_machine
from django.core import mail
from django.urls import reverse

from backoffice.organisation import roles
from privacy.models import ReadAlert
from privacy.services.read_audit import read_alerts_check
from tests.correspondence.sla_factories import ThreadFactory
from tests.factories import (
    AgencyFactory,
    CounsellorFactory,
    JobseekerFactory,
    RegionalPilotFactory,
    UserFactory,
)
from tests.reports.factories import paris

from .conftest import read

pytestmark = pytest.mark.django_db
THRESHOLD = 5


@pytest.fixture(autouse=True)
def _threshold(settings):
    settings.MAILNET_READ_ALERT_THRESHOLD = THRESHOLD
    with time_machine.travel(paris("2026-11-20 18:00"), tick=False):
        yield


@pytest.fixture
def curious(db):
    UserFactory(role=roles.NATIONAL_ADMIN, email="admin@mailnet.test")
    return CounsellorFactory(user__first_name="Curieux", user__last_name="Lecteur")


def open_threads(user, count, *, day="2026-11-20", outside=True, thread=None):
    for n in range(count):
        target = thread or ThreadFactory()
        read(target, user, paris(f"{day} 09:00") + dt.timedelta(minutes=n), outside=outside)


def test_the_alert_fires_at_the_threshold(curious):
    open_threads(curious.user, THRESHOLD)

    raised = read_alerts_check()

    assert [(a.user, a.threads, a.threshold) for a in raised] == [
        (curious.user, THRESHOLD, THRESHOLD)
    ]
    assert ReadAlert.objects.get().agency == curious.agency
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["admin@mailnet.test"]
    assert "Curieux Lecteur" in mail.outbox[0].body
    assert ReadAlert.objects.get().mailed_at is not None


def test_no_alert_below_the_threshold(curious):
    thread = ThreadFactory()
    open_threads(curious.user, 1, thread=thread)
    open_threads(curious.user, THRESHOLD - 2)
    # Reading the same thread again, and reading within one's caseload, do not count.
    open_threads(curious.user, 3, thread=thread)
    open_threads(curious.user, 10, outside=False)

    assert read_alerts_check() == []
    assert not ReadAlert.objects.exists()
    assert mail.outbox == []


def test_yesterdays_reads_do_not_count_today(curious):
    open_threads(curious.user, THRESHOLD - 1)
    open_threads(curious.user, 3, day="2026-11-19")
    assert read_alerts_check() == []


def test_the_check_is_idempotent_per_user_and_day(curious):
    open_threads(curious.user, THRESHOLD)
    read_alerts_check()
    open_threads(curious.user, 2)

    assert read_alerts_check() == []

    alert = ReadAlert.objects.get()
    assert alert.threads == THRESHOLD + 2
    assert len(mail.outbox) == 1


def test_alerts_show_on_the_admin_home_and_can_be_acknowledged(curious, client):
    open_threads(curious.user, THRESHOLD)
    read_alerts_check()
    admin = UserFactory(role=roles.NATIONAL_ADMIN)
    client.force_login(admin)
    assert "Curieux Lecteur" in client.get(reverse("wagtailadmin_home")).content.decode()
    listing = client.get(reverse("privacy_read_alerts:index")).content.decode()
    assert "Curieux Lecteur" in listing
    alert = ReadAlert.objects.get()
    client.post(reverse("privacy_read_alerts:acknowledge", args=[alert.pk]))
    alert.refresh_from_db()
    assert alert.acknowledged_by == admin
    assert "Curieux Lecteur" not in client.get(reverse("wagtailadmin_home")).content.decode()


# --- the read log screen -------------------------------------------------------------------


@pytest.fixture
def reads(db):
    here, there = AgencyFactory(), AgencyFactory()
    manager = CounsellorFactory(agency=here, user__role=roles.MANAGER)
    camille = JobseekerFactory(last_name="Lefèvre")
    local = ThreadFactory(counsellor__agency=here, jobseeker=camille)
    remote = ThreadFactory(counsellor__agency=there, jobseeker__last_name="Lointain")
    reader = CounsellorFactory(agency=here, user__last_name="Lecteurici")
    read(local, reader.user, paris("2026-11-20 09:00"), outside=False)
    read(remote, reader.user, paris("2026-11-18 09:00"))
    return type("Reads", (), {"here": here, "manager": manager, "local": local, "remote": remote})


def rows(client, **params):
    response = client.get(reverse("privacy_reads:index"), params)
    assert response.status_code == 200
    return response.content.decode()


def test_an_admin_sees_every_read_and_filters_by_person(reads, client):
    client.force_login(UserFactory(role=roles.NATIONAL_ADMIN))
    page = rows(client)
    assert "Lefèvre" in page and "Lointain" in page
    page = rows(client, person="Lefèvre")
    assert "Lefèvre" in page and "Lointain" not in page
    page = rows(client, outside_caseload="true")
    assert "Lointain" in page and "Lefèvre" not in page
    page = rows(client, read_at_after="2026-11-19")
    assert "Lefèvre" in page and "Lointain" not in page


def test_a_manager_sees_only_their_agency(reads, client):
    client.force_login(reads.manager.user)
    page = rows(client)
    assert "Lefèvre" in page and "Lointain" not in page


def test_the_log_exports_as_csv(reads, client):
    client.force_login(UserFactory(role=roles.NATIONAL_ADMIN))
    response = client.get(reverse("privacy_reads:index"), {"export": "csv"})
    content = b"".join(response.streaming_content).decode()
    assert "Hors portefeuille" in content.splitlines()[0]
    assert len(content.strip().splitlines()) == 3


def test_the_log_lists_in_a_fixed_number_of_queries(reads, client, django_assert_max_num_queries):
    client.force_login(UserFactory(role=roles.NATIONAL_ADMIN))
    rows(client)
    for _n in range(10):
        read(ThreadFactory(), reads.manager.user, paris("2026-11-20 10:00"))
    with django_assert_max_num_queries(20):
        rows(client)


@pytest.mark.parametrize("role", [roles.COUNSELLOR, roles.REGIONAL_PILOT])
def test_counsellors_and_pilots_see_nothing(reads, client, role):
    if role == roles.REGIONAL_PILOT:
        user = RegionalPilotFactory(region=reads.here.region).user
    else:
        user = CounsellorFactory(agency=reads.here, user__role=role).user
    client.force_login(user)
    response = client.get(reverse("privacy_reads:index"))
    assert response.status_code in (302, 403)
    assert "Lefèvre" not in response.content.decode()
