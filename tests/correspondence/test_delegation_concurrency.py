"""Two return runs at the same moment give each thread back once (one RETURNED event).

Threads with their own connections must see each other's commits: PostgreSQL only.
"""

import datetime as dt
import threading

import pytest
from django.db import connection, connections

from backoffice.correspondence.models import Thread, ThreadEvent
from backoffice.correspondence.services.delegation import absences_return_apply
from tests.factories import AssignmentFactory, CounsellorFactory

from .factories import ThreadFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

NOW = dt.datetime(2026, 11, 23, 10, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _postgres_only(reference_data):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (DATABASE_URL): threads share the committed rows")


def test_two_simultaneous_returns_move_each_thread_once(reference_data):
    owner = CounsellorFactory()
    delegate = CounsellorFactory(agency=owner.agency)
    threads = [
        ThreadFactory(
            counsellor=delegate,
            delegated_from=owner,
            status=Thread.Status.AWAITING_REPLY,
            assignment=AssignmentFactory(counsellor=owner),
        )
        for _ in range(20)
    ]
    barrier = threading.Barrier(2)
    results, errors = [], []

    def run():
        try:
            barrier.wait(timeout=10)
            results.append(absences_return_apply(now=NOW))
        except Exception as error:  # reported below
            errors.append(error)
        finally:
            connections.close_all()

    workers = [threading.Thread(target=run) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    assert not errors
    assert sum(r["returned"] for r in results) == 20
    assert ThreadEvent.objects.filter(kind=ThreadEvent.Kind.RETURNED).count() == 20
    assert set(Thread.objects.values_list("counsellor", flat=True)) == {owner.pk}
    assert len(threads) == 20
