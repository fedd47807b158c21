"""Deadlines on threads: set by a new mail, kept while awaiting, cleared by a reply."""

import datetime as dt
from io import StringIO

import pytest
import time_machine
from django.core.management import CommandError, call_command

from backoffice.correspondence.models import SlaEvent, Thread
from backoffice.correspondence.services.deadlines import (
    thread_deadline_clear,
    thread_deadline_start,
)
from backoffice.correspondence.sla_selectors import thread_sla_history, threads_due_before
from backoffice.organisation.models import ClosureDay, Territory
from tests.factories import AgencyFactory, CounsellorFactory

from .sla_factories import ThreadFactory

pytestmark = pytest.mark.django_db

FRIDAY_3PM_PARIS = dt.datetime.fromisoformat("2026-03-06T15:00+01:00")
WEDNESDAY_3PM_PARIS = dt.datetime.fromisoformat("2026-03-11T15:00+01:00")


def awaiting(thread, since):
    Thread.objects.filter(pk=thread.pk).update(
        status=Thread.Status.AWAITING_REPLY, awaiting_since=since
    )
    thread.refresh_from_db()
    return thread


def test_a_new_mail_sets_the_deadline_72_business_hours_later():
    thread = awaiting(ThreadFactory(), FRIDAY_3PM_PARIS)
    assert thread_deadline_start(thread=thread, received_at=FRIDAY_3PM_PARIS) == WEDNESDAY_3PM_PARIS
    thread.refresh_from_db()
    assert thread.due_at == WEDNESDAY_3PM_PARIS
    assert [e.kind for e in thread_sla_history(thread=thread)] == [SlaEvent.Kind.DEADLINE_SET]


def test_further_mails_while_awaiting_do_not_move_the_deadline():
    thread = awaiting(ThreadFactory(), FRIDAY_3PM_PARIS)
    thread_deadline_start(thread=thread, received_at=FRIDAY_3PM_PARIS)
    later = dt.datetime.fromisoformat("2026-03-09T11:00+01:00")
    assert thread_deadline_start(thread=thread, received_at=later) == WEDNESDAY_3PM_PARIS
    thread.refresh_from_db()
    assert thread.due_at == WEDNESDAY_3PM_PARIS


def test_a_thread_in_triage_gets_no_deadline():
    thread = ThreadFactory(
        status=Thread.Status.TRIAGE, jobseeker=None, counsellor=None, agency=AgencyFactory()
    )
    assert thread_deadline_start(thread=thread, received_at=FRIDAY_3PM_PARIS) is None
    thread.refresh_from_db()
    assert thread.due_at is None


def test_a_reply_clears_the_deadline_and_the_next_mail_starts_a_new_one():
    thread = awaiting(ThreadFactory(), FRIDAY_3PM_PARIS)
    thread_deadline_start(thread=thread, received_at=FRIDAY_3PM_PARIS)
    Thread.objects.filter(pk=thread.pk).update(warned_at=FRIDAY_3PM_PARIS)
    thread_deadline_clear(thread=thread, reason="Réponse envoyée")
    thread.refresh_from_db()
    assert thread.due_at is None
    cleared = thread_sla_history(thread=thread).last()
    assert (cleared.kind, cleared.detail) == (SlaEvent.Kind.DEADLINE_CLEARED, "Réponse envoyée")

    monday = dt.datetime.fromisoformat("2026-03-16T09:00+01:00")
    awaiting(thread, monday)
    assert thread_deadline_start(thread=thread, received_at=monday) == dt.datetime.fromisoformat(
        "2026-03-19T09:00+01:00"
    )
    thread.refresh_from_db()
    assert thread.warned_at is None, "a new wait is warned again"


def test_an_agency_closure_day_moves_the_deadline():
    counsellor = CounsellorFactory()
    ClosureDay.objects.create(
        agency=counsellor.agency, day=dt.date(2026, 3, 9), reason="Inventaire"
    )
    thread = awaiting(ThreadFactory(counsellor=counsellor), FRIDAY_3PM_PARIS)
    assert thread_deadline_start(thread=thread, received_at=FRIDAY_3PM_PARIS) == (
        dt.datetime.fromisoformat("2026-03-12T15:00+01:00")
    )


def test_threads_due_before_lists_only_awaiting_threads_soonest_first():
    late = awaiting(ThreadFactory(), FRIDAY_3PM_PARIS)
    soon = awaiting(ThreadFactory(), FRIDAY_3PM_PARIS - dt.timedelta(days=1))
    answered = ThreadFactory(status=Thread.Status.ANSWERED)
    for thread, start in ((late, FRIDAY_3PM_PARIS), (soon, soon.awaiting_since)):
        thread_deadline_start(thread=thread, received_at=start)
    Thread.objects.filter(pk=answered.pk).update(due_at=WEDNESDAY_3PM_PARIS)
    moment = WEDNESDAY_3PM_PARIS + dt.timedelta(hours=1)
    assert list(threads_due_before(moment=moment)) == [soon, late]


def test_sla_deadline_command_answers_for_a_territory():
    out = StringIO()
    call_command(
        "sla_deadline", "--territory", "Alsace-Moselle", "2026-04-02T09:00:00Z", stdout=out
    )
    assert out.getvalue().strip() == "2026-04-09T11:00:00+02:00"


def test_sla_deadline_command_answers_for_an_agency_in_its_time_zone():
    agency = AgencyFactory(
        code="97101", territory=Territory.GUADELOUPE, time_zone="America/Guadeloupe"
    )
    ClosureDay.objects.create(agency=agency, day=dt.date(2026, 3, 9))
    out = StringIO()
    call_command("sla_deadline", "--agency", "97101", "2026-03-07T02:00:00+00:00", stdout=out)
    # Friday 22:00 local: 2 h on Friday, Monday closed (agency), Tuesday, Wednesday,
    # Thursday 12 is Mi-Carême in Guadeloupe, Friday 13 22 h.
    assert out.getvalue().strip() == "2026-03-13T22:00:00-04:00"


def test_sla_deadline_command_refuses_an_unknown_territory():
    with pytest.raises(CommandError, match="Territoire inconnu"):
        call_command("sla_deadline", "--territory", "Atlantide", "2026-04-02T09:00:00Z")


@time_machine.travel(dt.datetime(2026, 3, 10, 9, tzinfo=dt.UTC), tick=False)
def test_the_deadline_event_is_stamped_with_the_current_time():
    thread = awaiting(ThreadFactory(), FRIDAY_3PM_PARIS)
    thread_deadline_start(thread=thread, received_at=FRIDAY_3PM_PARIS)
    assert thread_sla_history(thread=thread).get().at == dt.datetime(2026, 3, 10, 9, tzinfo=dt.UTC)
