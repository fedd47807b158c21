"""Two draws at the same moment (the schedule and a manager's command) draw once.

Threads with their own connections must see each other's commits: PostgreSQL only.
"""

import threading

import pytest
from django.db import connection, connections

from quality.models import ReviewDraw, ReviewSample
from quality.services import quality_draw_run
from tests.factories import TeamFactory

from .factories import MONDAY_AFTER, member, sent_replies

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgres_only(reference_data):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (DATABASE_URL): threads share the committed rows")


def test_two_simultaneous_draws_make_one(reference_data):
    teams = [TeamFactory() for _ in range(3)]
    for team in teams:
        sent_replies(member(team), 40)
    barrier = threading.Barrier(2)
    reports, errors = [], []

    def draw():
        try:
            barrier.wait(timeout=10)
            reports.append(quality_draw_run(now=MONDAY_AFTER))
        except Exception as error:  # reported below
            errors.append(error)
        finally:
            connections.close_all()

    workers = [threading.Thread(target=draw) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    assert not errors
    assert sum(r.drawn for r in reports) == 3
    assert ReviewDraw.objects.count() == 3
    # 40 replies at 5 % -> 2 per team, never twice.
    assert ReviewSample.objects.count() == 6
