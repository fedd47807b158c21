"""List screens cost a constant number of queries, whatever the number of rows."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from backoffice.organisation import roles
from backoffice.organisation.models import Absence
from tests.factories import (
    AgencyFactory,
    AssignmentFactory,
    CounsellorFactory,
    EmployerFactory,
    JobseekerFactory,
    TeamFactory,
)

pytestmark = pytest.mark.django_db


def _populate(agency, count):
    team = TeamFactory(agency=agency)
    for _ in range(count):
        counsellor = CounsellorFactory(agency=agency, team=team)
        AssignmentFactory(jobseeker=JobseekerFactory(), counsellor=counsellor)
        AssignmentFactory(
            jobseeker=None, employer=EmployerFactory(), counsellor=counsellor, modality=None
        )
        TeamFactory(agency=agency, manager=counsellor)
        now = timezone.now()
        Absence.objects.create(
            counsellor=counsellor, starts_at=now, ends_at=now + datetime.timedelta(days=1)
        )


def _queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
        assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize(
    "screen",
    ["jobseekers", "employers", "assignments", "counsellors", "teams", "absences", "agencies"],
)
def test_list_screen_queries_do_not_grow_with_rows(client, screen):
    agency = AgencyFactory()
    manager = CounsellorFactory(agency=agency, user__role=roles.MANAGER)
    client.force_login(manager.user)
    url = reverse(f"{screen}:index")
    client.get(url)  # warm the session and permission caches
    _populate(agency, 10)
    with_10 = _queries(client, url)
    _populate(agency, 90)
    with_100 = _queries(client, url)
    assert with_100 == with_10, f"{screen}: {with_10} queries for 10 rows, {with_100} for 100"
