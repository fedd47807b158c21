"""The team queue of managers: triage, unassigned threads, threads of absent counsellors,
and its bulk actions (reassign, set motif, close with a reason)."""

import datetime as dt
import re

import pytest
import time_machine
from django.contrib.messages import get_messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from answer_repository.models import Motif
from backoffice.correspondence.models import SlaEvent, Thread, ThreadEvent
from backoffice.correspondence.services.moves import (
    thread_close,
    thread_motif_set,
    thread_reassign,
)

from .inbox_helpers import (
    NOW,
    CounsellorFactory,
    ThreadFactory,
    absent,
    admin_user,
    followed_thread,
    incoming,
    manager_of,
)

pytestmark = pytest.mark.django_db
HOURS = dt.timedelta(hours=1)


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def team():
    """A manager, a present counsellor, an absent one, and a thread of each kind."""
    present = CounsellorFactory()
    agency = present.agency
    manager = manager_of(agency)
    away = CounsellorFactory(agency=agency)
    absent(away)
    threads = {
        "triage": ThreadFactory(
            counsellor=None, agency=agency, jobseeker=None, status=Thread.Status.TRIAGE
        ),
        "unassigned": ThreadFactory(counsellor=None, agency=agency, due_at=NOW + 40 * HOURS),
        "absent": followed_thread(away, due_at=NOW + 20 * HOURS, subject="Pendant l'absence"),
        "absent_answered": followed_thread(away, status=Thread.Status.ANSWERED),
        "present": followed_thread(present),
        "elsewhere": ThreadFactory(counsellor=None),
    }
    return {"manager": manager, "present": present, "away": away, "threads": threads}


def queue_pks(client, **params) -> list[int]:
    response = client.get(reverse("inbox:queue"), params)
    assert response.status_code == 200
    return [
        int(pk) for pk in re.findall(r'name="threads" value="(\d+)"', response.content.decode())
    ]


def test_the_queue_holds_triage_unassigned_and_absent_counsellors_threads_of_my_agency(
    client, team
):
    client.force_login(team["manager"].user)
    threads = team["threads"]
    expected = [threads[name].pk for name in ("absent", "unassigned", "triage")]
    assert queue_pks(client) == expected, "earliest deadline first, then no deadline"
    assert queue_pks(client, section="triage") == [threads["triage"].pk]
    assert queue_pks(client, section="unassigned") == [threads["unassigned"].pk]
    assert queue_pks(client, section="absent") == [threads["absent"].pk]
    page = client.get(reverse("inbox:queue")).content.decode()
    assert 'data-testid="absent"' in page


def test_an_administrator_sees_every_agency_s_queue(client, team):
    client.force_login(admin_user())
    pks = queue_pks(client)
    assert team["threads"]["elsewhere"].pk in pks and team["threads"]["triage"].pk in pks
    assert (
        queue_pks(client, agency=team["manager"].agency_id).count(team["threads"]["elsewhere"].pk)
        == 0
    )


def test_counsellors_have_no_queue(client, team):
    client.force_login(team["present"].user)
    response = client.get(reverse("inbox:queue"))
    assert (response.status_code, response["Location"]) == (302, "/admin/")
    response = client.post(
        reverse("inbox:queue_bulk"),
        {"action": "close", "threads": [team["threads"]["unassigned"].pk], "reason": "x"},
    )
    assert response.status_code == 302
    assert Thread.objects.get(pk=team["threads"]["unassigned"].pk).status == "awaiting"


def test_bulk_reassign_moves_the_threads_keeps_the_clock_and_logs_each_move(client, team):
    manager, present, away = team["manager"], team["present"], team["away"]
    absent_thread = team["threads"]["absent"]
    absent_thread.delegated_from = away
    absent_thread.save()
    unassigned = team["threads"]["unassigned"]
    client.force_login(manager.user)
    response = client.post(
        reverse("inbox:queue_bulk"),
        {
            "action": "reassign",
            "threads": [absent_thread.pk, unassigned.pk],
            "counsellor": present.pk,
            "note": "Absence longue",
            "next": reverse("inbox:queue") + "?section=absent",
        },
    )
    assert response["Location"] == reverse("inbox:queue") + "?section=absent"
    (message,) = get_messages(response.wsgi_request)
    assert "2 fils réattribués à" in str(message)
    absent_thread.refresh_from_db()
    unassigned.refresh_from_db()
    assert absent_thread.counsellor == present and absent_thread.delegated_from is None
    assert absent_thread.due_at == NOW + 20 * HOURS and unassigned.due_at == NOW + 40 * HOURS
    moved = ThreadEvent.objects.get(thread=absent_thread)
    assert (moved.kind, moved.actor, moved.from_counsellor, moved.to_counsellor, moved.note) == (
        ThreadEvent.Kind.REASSIGNED,
        manager.user,
        away,
        present,
        "Absence longue",
    )
    assert ThreadEvent.objects.get(thread=unassigned).kind == ThreadEvent.Kind.ASSIGNED
    assert queue_pks(client) == [team["threads"]["triage"].pk]


def test_assigning_a_triage_thread_makes_it_awaiting_and_starts_the_clock(team):
    triage = team["threads"]["triage"]
    incoming(triage, at=NOW - HOURS)
    thread_reassign(thread=triage, to_counsellor=team["present"], by=team["manager"].user)
    triage.refresh_from_db()
    assert triage.status == Thread.Status.AWAITING_REPLY
    # Wednesday 09:00 Paris + 72 business hours: Saturday 00:00 → Monday 09:00 (Paris).
    assert triage.due_at == dt.datetime(2026, 3, 9, 8, 0, tzinfo=dt.UTC)
    assert SlaEvent.objects.filter(thread=triage, kind=SlaEvent.Kind.DEADLINE_SET).exists()
    assert ThreadEvent.objects.get(thread=triage).kind == ThreadEvent.Kind.ASSIGNED


def test_bulk_close_needs_a_reason_and_stops_the_clock(client, team):
    unassigned = team["threads"]["unassigned"]
    client.force_login(team["manager"].user)
    client.post(reverse("inbox:queue_bulk"), {"action": "close", "threads": [unassigned.pk]})
    unassigned.refresh_from_db()
    assert unassigned.status == Thread.Status.AWAITING_REPLY
    client.post(
        reverse("inbox:queue_bulk"),
        {"action": "close", "threads": [unassigned.pk], "reason": "Publicité"},
    )
    unassigned.refresh_from_db()
    assert (unassigned.status, unassigned.due_at, unassigned.closed_reason) == (
        Thread.Status.CLOSED,
        None,
        "Publicité",
    )
    assert ThreadEvent.objects.get(thread=unassigned).note == "Publicité"
    cleared = SlaEvent.objects.get(thread=unassigned, kind=SlaEvent.Kind.DEADLINE_CLEARED)
    assert cleared.detail == "Publicité"


def test_bulk_motif_sets_the_motif_of_each_thread(client, team):
    motif = Motif.objects.create(code="rdv", name="Rendez-vous")
    picked = [team["threads"]["absent"], team["threads"]["unassigned"]]
    client.force_login(team["manager"].user)
    client.post(
        reverse("inbox:queue_bulk"),
        {"action": "motif", "threads": [t.pk for t in picked], "motif": motif.pk},
    )
    assert [Thread.objects.get(pk=t.pk).motif for t in picked] == [motif, motif]
    assert ThreadEvent.objects.filter(kind=ThreadEvent.Kind.MOTIF_SET).count() == 2


def test_a_thread_of_another_agency_in_a_bulk_post_moves_nothing(client, team):
    mine, foreign = team["threads"]["unassigned"], team["threads"]["elsewhere"]
    client.force_login(team["manager"].user)
    client.post(
        reverse("inbox:queue_bulk"),
        {"action": "close", "threads": [mine.pk, foreign.pk], "reason": "Spam"},
    )
    assert Thread.objects.filter(status=Thread.Status.CLOSED).count() == 0
    assert not ThreadEvent.objects.exists()


def test_the_services_refuse_whoever_may_not_write_and_check_the_target(team):
    thread, manager = team["threads"]["unassigned"], team["manager"]
    with pytest.raises(PermissionDenied):
        thread_close(thread=thread, by=team["present"].user, reason="x")
    with pytest.raises(PermissionDenied):
        thread_reassign(thread=thread, to_counsellor=team["present"], by=team["present"].user)
    with pytest.raises(PermissionDenied):
        thread_motif_set(thread=team["threads"]["elsewhere"], motif=None, by=manager.user)
    with pytest.raises(ValidationError):
        thread_reassign(thread=thread, to_counsellor=CounsellorFactory(), by=manager.user)
    with pytest.raises(ValidationError):
        thread_close(thread=thread, by=manager.user, reason="   ")
    assert not ThreadEvent.objects.exists()


def test_a_counsellor_may_close_or_set_the_motif_of_their_own_thread(team):
    own = team["threads"]["present"]
    user = team["present"].user
    motif = Motif.objects.create(code="aide", name="Aide")
    thread_motif_set(thread=own, motif=motif, by=user)
    thread_close(thread=own, by=user, reason="Doublon")
    own.refresh_from_db()
    assert (own.motif, own.status) == (motif, Thread.Status.CLOSED)


def test_reassigning_an_awaiting_thread_without_a_deadline_starts_no_clock(team):
    unassigned = team["threads"]["unassigned"]
    unassigned.due_at = None
    unassigned.save()
    thread_reassign(thread=unassigned, to_counsellor=team["present"], by=team["manager"].user)
    unassigned.refresh_from_db()
    assert unassigned.due_at is None and not SlaEvent.objects.exists()


def test_the_queue_runs_a_constant_number_of_queries(client):
    counts = []
    for size in (10, 60):
        agency_counsellor = CounsellorFactory()
        manager = manager_of(agency_counsellor.agency)
        away = CounsellorFactory(agency=agency_counsellor.agency)
        absent(away, delegate=agency_counsellor)
        motif = Motif.objects.create(code=f"q{size}", name=f"Motif {size}")
        for n in range(size):
            if n % 3 == 0:
                ThreadFactory(
                    counsellor=None, agency=away.agency, jobseeker=None, status=Thread.Status.TRIAGE
                )
            else:
                thread = followed_thread(
                    away, due_at=NOW + n * HOURS, motif=motif, delegated_from=agency_counsellor
                )
                incoming(thread, n)
        client.force_login(manager.user)
        client.get(reverse("inbox:queue"))  # warm caches
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("inbox:queue")).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1], counts
