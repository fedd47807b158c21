"""The daily roll-up: idempotent, and reports built on it agree with the raw messages."""

import dataclasses
import datetime as dt
import statistics
from collections import defaultdict
from types import SimpleNamespace

import pytest
import time_machine
from django.core.management import call_command
from django.db.models import Sum
from django.utils import timezone
from django_q.models import Schedule

from backoffice.correspondence.models import Message, Thread
from backoffice.correspondence.services.deadlines import agency_calendar
from backoffice.correspondence.sla import business_hours_between
from backoffice.organisation.models import Territory
from reports.models import BacklogThread, CaseloadDay, DailyRollup, RollupDay
from reports.periods import Period
from reports.selectors import ReportScope, day_facts, fact_rows, report_rows, report_totals
from reports.selectors.backlog import backlog_sql, latest_snapshot_before
from reports.selectors.denominators import caseload_counts
from reports.services.rollups import (
    backlog_snapshots_purge,
    caseload_snapshots_purge,
    rollup_day_recompute,
)
from reports.tasks import reports_nightly
from tests.factories import AgencyFactory

from .conftest import WEEK
from .factories import MessageFactory, ThreadFactory, incoming, paris, reply

pytestmark = pytest.mark.django_db
NATIONAL = ReportScope.national()


def raw_recount(period: Period, moment_end):
    """An independent, brute-force count over every message of every thread."""
    received = answered = within = unanswered = 0
    hours = []
    for thread in Thread.objects.select_related("agency"):
        calendar = agency_calendar(agency=thread.agency)
        wait_start = None
        messages = list(thread.messages.order_by("received_at", "pk"))
        for message in messages:
            local_day = message.received_at.astimezone(calendar.tz).date()
            in_period = period.start <= local_day <= period.end
            if message.kind != Message.Kind.NORMAL:
                continue
            if message.direction == Message.Direction.INCOMING:
                received += in_period
                wait_start = wait_start or message.received_at
            elif wait_start is not None:
                if in_period:
                    h = business_hours_between(wait_start, message.received_at, calendar)
                    answered += 1
                    within += h <= 72
                    hours.append(h)
                wait_start = None
        last_in = max(
            (
                m.received_at
                for m in messages
                if m.direction == "in" and m.kind == "normal" and m.received_at < moment_end
            ),
            default=None,
        )
        last_out = max(
            (
                m.received_at
                for m in messages
                if m.direction == "out" and m.kind == "normal" and m.received_at < moment_end
            ),
            default=None,
        )
        unanswered += bool(last_in and (last_out is None or last_out < last_in))
    return received, answered, within, unanswered, statistics.median(hours)


def headline(row):
    return row.received, row.answered, row.answered_within, row.unanswered_end, row.median_hours


def test_rollup_of_a_day_is_idempotent(week):
    first = rollup_day_recompute(day=dt.date(2026, 3, 13))
    rows = sorted(DailyRollup.objects.values_list("counsellor_id", "answered", "response_hours"))
    assert rollup_day_recompute(day=dt.date(2026, 3, 13)) == first
    assert (
        sorted(DailyRollup.objects.values_list("counsellor_id", "answered", "response_hours"))
        == rows
    )
    assert RollupDay.objects.get(day=dt.date(2026, 3, 13)).rows == first


def test_past_days_from_rollups_and_today_live_agree_with_raw_messages(week):
    # Friday 13 March, 18:00: Monday to Thursday rolled up, Friday live.
    with time_machine.travel(paris("2026-03-13 18:00"), tick=False):
        call_command("reports_rollup", day="2026-03-09", until="2026-03-12")
        assert RollupDay.objects.count() == 4
        period = Period(dt.date(2026, 3, 9), dt.date(2026, 3, 13))
        mixed = report_totals(period=period, scope=NATIONAL)
        DailyRollup.objects.all().delete()
        RollupDay.objects.all().delete()
        live = report_totals(period=period, scope=NATIONAL)
    raw = raw_recount(period, paris("2026-03-14 00:00"))
    assert headline(mixed) == headline(live) == raw == (5, 3, 2, 1, 42.0)


def test_whole_week_from_rollups_agrees_with_raw_and_by_region(week, after_week):
    live_rows = report_rows(period=WEEK, group_by="region", scope=NATIONAL)
    live_days = report_rows(period=WEEK, group_by="day", scope=NATIONAL)
    for day in WEEK.days:
        rollup_day_recompute(day=day)
    assert DailyRollup.objects.filter(flow=False).exists()  # backlog-only rows exist
    rolled_rows = report_rows(period=WEEK, group_by="region", scope=NATIONAL)
    rolled_days = report_rows(period=WEEK, group_by="day", scope=NATIONAL)
    assert [headline(r) for r in rolled_days] == [headline(r) for r in live_days]
    assert [r.unanswered_end for r in rolled_days] == [2, 2, 3, 3, 1, 2, 2]
    assert [headline(r) for r in rolled_rows] == [headline(r) for r in live_rows]
    assert headline(report_totals(period=WEEK, scope=NATIONAL)) == raw_recount(
        WEEK, paris("2026-03-16 00:00")
    )


def _comparable(rows):
    return [{**dataclasses.asdict(r), "response_hours": sorted(r.response_hours)} for r in rows]


def test_rolled_up_days_grouped_by_the_database_match_the_same_facts_grouped_in_python(
    week, after_week
):
    for day in WEEK.days:
        rollup_day_recompute(day=day)
    scopes = [NATIONAL, ReportScope.for_region(week.nord), ReportScope.for_agency(week.a1)]
    for scope in scopes:
        facts = list(fact_rows(period=WEEK, scope=scope))
        for group_by in [*scope.groupings, "day", "total"]:
            by_database = report_rows(period=WEEK, group_by=group_by, scope=scope)
            in_python = report_rows(period=WEEK, group_by=group_by, scope=scope, rows=facts)
            assert _comparable(by_database) == _comparable(in_python), (scope.label, group_by)


def test_late_mail_is_counted_once_the_day_is_recomputed(week, after_week):
    rollup_day_recompute(day=dt.date(2026, 3, 12))
    before = report_totals(period=Period.day(dt.date(2026, 3, 12)), scope=NATIONAL)
    thread = week.threads[0]
    incoming(thread, "2026-03-12 09:00")
    reply(thread, "2026-03-12 10:00")
    stale = report_totals(period=Period.day(dt.date(2026, 3, 12)), scope=NATIONAL)
    assert stale.received == before.received == 0
    rollup_day_recompute(day=dt.date(2026, 3, 12))
    fresh = report_totals(period=Period.day(dt.date(2026, 3, 12)), scope=NATIONAL)
    assert (fresh.received, fresh.answered, fresh.median_hours) == (1, 1, 1.0)


def test_nightly_task_recomputes_the_last_days_and_its_schedule_exists(week):
    assert Schedule.objects.filter(
        name="mailnet-reports-nightly", func="reports.tasks.reports_nightly"
    ).exists()
    with time_machine.travel(paris("2026-03-14 02:30"), tick=False):
        reports_nightly()
    assert sorted(RollupDay.objects.values_list("day", flat=True)) == [
        dt.date(2026, 3, 11),
        dt.date(2026, 3, 12),
        dt.date(2026, 3, 13),
    ]


def _backlog_by_key(day, agency_ids=None):
    return {
        key: facts.unanswered_end
        for key, facts in day_facts(day=day, agency_ids=agency_ids).items()
        if facts.unanswered_end
    }


def test_live_backlog_starts_from_the_last_nights_threads_and_agrees_with_every_message(week):
    # Thursday 12 March rolled up; on Friday t1 gets new mail, t3 and t4 are answered (in
    # the fixture), t2 (waiting since Tuesday, no mail since) moves to c2 with a motif, and
    # a new thread of c4 arrives: keys follow the threads as they are now.
    thursday, friday = dt.date(2026, 3, 12), dt.date(2026, 3, 13)
    with time_machine.travel(paris("2026-03-13 18:00"), tick=False):
        rollup_day_recompute(day=thursday)
        assert BacklogThread.objects.filter(day=thursday).count() == 3  # t2, t3, t4
        t1, t2 = week.threads[0], week.threads[1]
        incoming(t1, "2026-03-13 11:00")
        Thread.objects.filter(pk=t2.pk).update(counsellor=week.c2, motif=week.motifs.form_fin)
        incoming(ThreadFactory(agency=week.a1, counsellor=week.c4), "2026-03-13 16:00")

        assert latest_snapshot_before(friday) == thursday
        from_snapshot = _backlog_by_key(friday)
        only_nord = _backlog_by_key(friday, agency_ids=[week.a1.pk])
        RollupDay.objects.update(backlog_threads=False)
        assert latest_snapshot_before(friday) is None
        from_messages = _backlog_by_key(friday)
        assert _backlog_by_key(friday, agency_ids=[week.a1.pk]) == only_nord

    assert from_snapshot == from_messages
    assert sorted((k.counsellor_id, n) for k, n in from_snapshot.items()) == sorted(
        [(week.c1.pk, 1), (week.c2.pk, 1), (week.c4.pk, 1)]
    )
    assert next(k for k in from_snapshot if k.counsellor_id == week.c2.pk).motif_id == (
        week.motifs.form_fin.pk
    )


def test_old_backlog_snapshots_are_purged_and_old_days_keep_none(week):
    with time_machine.travel(paris("2026-03-13 02:30"), tick=False):
        for day in (dt.date(2026, 3, 9), dt.date(2026, 3, 12)):
            rollup_day_recompute(day=day)
    rollup_day_recompute(day=dt.date(2026, 3, 10))  # long ago: its threads are not kept
    assert not RollupDay.objects.get(day=dt.date(2026, 3, 10)).backlog_threads
    assert DailyRollup.objects.filter(day=dt.date(2026, 3, 10), flow=False).exists()

    backlog_snapshots_purge(today=dt.date(2026, 3, 19))

    assert set(BacklogThread.objects.values_list("day", flat=True)) == {dt.date(2026, 3, 12)}
    assert not RollupDay.objects.get(day=dt.date(2026, 3, 9)).backlog_threads
    assert latest_snapshot_before(dt.date(2026, 3, 19)) == dt.date(2026, 3, 12)
    assert latest_snapshot_before(dt.date(2026, 3, 20)) is None  # too old: every message


def _utc(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC)


@pytest.fixture
def three_time_zones(db):
    """Wednesday 11 March 2026 ends at 20:00 UTC in La Réunion (UTC+4), 23:00 UTC in Paris
    (UTC+1) and 04:00 UTC on the 12th in Guadeloupe (UTC-4): the hours between the ends of
    the day are counted in each agency's own time zone.

    Paris P1: in 23:30 local (22:30 UTC)                       -> waits at the end of the day
    Paris P2: in Sunday 8, never answered                        -> waits
    Paris P3: in Sunday 8, reply 22:00 local (21:00 UTC)         -> answered
    Réunion R: in 01:00 local on the 12th (21:00 UTC on the 11th) -> not yet on the 11th
    Guadeloupe G1: in 06:00 local, reply 23:00 local (03:00 UTC)  -> answered
    Guadeloupe G2: in 23:30 local (03:30 UTC on the 12th)         -> waits
    """
    paris_agency = AgencyFactory()
    reunion = AgencyFactory(territory=Territory.REUNION, time_zone="Indian/Reunion")
    guadeloupe = AgencyFactory(territory=Territory.GUADELOUPE, time_zone="America/Guadeloupe")
    threads = {}
    for name, agency, items in [
        ("P1", paris_agency, [("in", "2026-03-11 22:30")]),
        ("P2", paris_agency, [("in", "2026-03-08 10:00")]),
        ("P3", paris_agency, [("in", "2026-03-08 10:00"), ("out", "2026-03-11 21:00")]),
        ("R", reunion, [("in", "2026-03-11 21:00")]),
        ("G1", guadeloupe, [("in", "2026-03-11 10:00"), ("out", "2026-03-12 03:00")]),
        ("G2", guadeloupe, [("in", "2026-03-12 03:30")]),
    ]:
        thread = threads[name] = ThreadFactory(agency=agency)
        for direction, when in items:
            MessageFactory(thread=thread, direction=direction, received_at=_utc(when))
    return SimpleNamespace(paris=paris_agency, reunion=reunion, guadeloupe=guadeloupe)


def test_end_of_day_backlog_is_counted_in_each_agency_time_zone(three_time_zones):
    day = dt.date(2026, 3, 11)
    zones = three_time_zones
    expected = {zones.paris.pk: 2, zones.guadeloupe.pk: 1}

    live = defaultdict(int)
    for key, facts in day_facts(day=day).items():
        live[key.agency_id] += facts.unanswered_end
    assert {k: v for k, v in live.items() if v} == expected

    rollup_day_recompute(day=day)
    stored = dict(
        DailyRollup.objects.filter(day=day)
        .values_list("agency_id")
        .annotate(n=Sum("unanswered_end"))
        .filter(n__gt=0)
    )
    assert stored == expected
    # An agency's own scope gives the same count.
    only_guadeloupe = day_facts(day=day, agency_ids=[zones.guadeloupe.pk])
    assert sum(f.unanswered_end for f in only_guadeloupe.values()) == 1


def test_backlog_query_has_one_parameter_per_placeholder():
    sql, params = backlog_sql(
        day=dt.date(2026, 3, 11),
        time_zones={"Europe/Paris", "Indian/Reunion", "America/Guadeloupe"},
        agency_ids=[1, 2],
    )
    assert sql.count("%s") == len(params)


def test_monthly_exports_run_on_a_cron_schedule_on_the_first_at_five(db):
    schedule = Schedule.objects.get(name="mailnet-reports-monthly-exports")
    assert (schedule.schedule_type, schedule.cron) == (Schedule.CRON, "0 5 1 * *")
    assert schedule.func == "reports.tasks.reports_monthly_exports"
    local = timezone.localtime(schedule.next_run)
    assert (local.day, local.hour, local.minute) == (1, 5, 0)
    # What django-q2 computes after each run (croniter): the 1st of the next month, 05:00.
    with time_machine.travel(paris("2026-01-31 12:00"), tick=False):
        following = timezone.localtime(schedule.calculate_next_run())
    assert following == paris("2026-02-01 05:00")


def test_caseload_snapshot_gives_the_same_caseloads_as_the_assignments(week, after_week):
    end = WEEK.end
    live = {
        group: caseload_counts(end=end, scope=NATIONAL, filters={}, group_by=group)
        for group in ("total", "region", "agency", "team", "counsellor", "modality")
    }
    assert live["total"] == {"total": 4}

    rollup_day_recompute(day=end)

    assert CaseloadDay.objects.filter(day=end).exists()
    for group, counts in live.items():
        assert caseload_counts(end=end, scope=NATIONAL, filters={}, group_by=group) == counts
    nord = ReportScope.for_region(week.nord)
    guide = {"modality_id": week.guide.pk}
    assert caseload_counts(end=end, scope=nord, filters=guide, group_by="total") == {"total": 2}
    # A change after the snapshot shows in live figures of later days only.
    assert report_totals(period=WEEK, scope=NATIONAL).caseload == 4


def test_old_caseload_snapshots_are_purged_but_month_ends_stay(week, settings):
    settings.MAILNET_REPORTS_CASELOAD_DAYS = 10
    for day in (dt.date(2026, 1, 30), dt.date(2026, 1, 31), dt.date(2026, 3, 14)):
        rollup_day_recompute(day=day)

    caseload_snapshots_purge(today=dt.date(2026, 3, 20))

    kept = set(CaseloadDay.objects.values_list("day", flat=True))
    assert kept == {dt.date(2026, 1, 31), dt.date(2026, 3, 14)}
    assert not RollupDay.objects.get(day=dt.date(2026, 1, 30)).caseload
