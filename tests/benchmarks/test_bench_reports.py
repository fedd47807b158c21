"""[reports] benchmark on PostgreSQL: the nightly roll-up of one day (and of the month), the
national monthly workbook, a regional pilot's report screen for a past month, and the
current month's screens (today computed live) for a regional pilot and the administrator.

Data comes from the national generator (fixtures/national): the issue's size is 50,000
counsellors and 5,000,000 messages (1,000,000 threads) over 12 months, with 2,000,000
jobseekers. MAILNET_BENCH_REPORTS_SCALE scales everything down (default 0.02: 1,000
counsellors, 100,000 messages, a minute or two on 2 cores); MAILNET_BENCH_REPORTS_SCALE=1
is the full size (about 15 minutes: generating, then rolling up the 30 days of the month).
Run with `make bench` (DATABASE_URL pointing at PostgreSQL).
"""

import datetime as dt
import io
import os
import resource
import time
import tracemalloc
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.urls import reverse
from openpyxl import Workbook

from backoffice.correspondence.models import Message, Thread
from backoffice.organisation import roles
from backoffice.organisation.models import Agency, Region
from backoffice.wsgi import gc_freeze_startup
from fixtures.national import national_data_generate
from reports.excel import workbook_write
from reports.models import CaseloadDay, DailyRollup, RollupDay
from reports.periods import Period
from reports.selectors import ReportScope
from reports.selectors.backlog import backlog_counts, backlog_sql, latest_snapshot_before
from reports.services.rollups import rollup_day_recompute
from tests.factories import RegionalPilotFactory, UserFactory

SCALE = float(os.environ.get("MAILNET_BENCH_REPORTS_SCALE", "0.02"))
COUNSELLORS = max(60, int(50_000 * SCALE))
MESSAGES = max(5_000, int(5_000_000 * SCALE))
THREADS = MESSAGES // 5
JOBSEEKERS = max(2_000, int(2_000_000 * SCALE))
PARIS = ZoneInfo("Europe/Paris")
MONTH = Period.month(2026, 9)  # the last whole month of the generated year
NIGHT = dt.date(2026, 9, 15)  # a Tuesday
TARGET_ROLLUP, TARGET_BOOK, TARGET_MEMORY, TARGET_SCREEN = 30, 60, 500e6, 1.0

pytestmark = [pytest.mark.django_db(transaction=True)]


def _plain_openpyxl_seconds(rows: int) -> float:
    """openpyxl (write-only, lxml) writing `rows` plain rows of a label and 17 numbers."""
    started = time.perf_counter()
    book = Workbook(write_only=True)
    sheet = book.create_sheet("plain")
    for n in range(rows):
        sheet.append([f"ligne {n}", *range(17)])
    book.save(io.BytesIO())
    return time.perf_counter() - started


def test_bench_reports():
    if connection.vendor != "postgresql":
        pytest.skip("the reports benchmark needs PostgreSQL (DATABASE_URL)")
    started = time.perf_counter()
    report = national_data_generate(
        jobseekers=JOBSEEKERS, counsellors=COUNSELLORS, threads=THREADS, messages=MESSAGES
    )
    print(
        f"\n[reports] data (scale {SCALE}): {COUNSELLORS:,} counsellors, {JOBSEEKERS:,} "
        f"jobseekers, {Thread.objects.count():,} threads, {Message.objects.count():,} messages "
        f"over 12 months; generated in {time.perf_counter() - started:.0f} s "
        f"({report.total_rows:,} rows)"
    )
    with time_machine.travel(dt.datetime(2026, 10, 15, 12, tzinfo=PARIS), tick=True):
        # The nightly roll-up of one day.
        started = time.perf_counter()
        rows = rollup_day_recompute(day=NIGHT)
        one_day = time.perf_counter() - started
        print(
            f"[reports] nightly roll-up of one day: {one_day:.1f} s, {rows:,} rows "
            f"[target < {TARGET_ROLLUP} s]"
        )
        started = time.perf_counter()
        for day in MONTH.days:
            if day != NIGHT:
                rollup_day_recompute(day=day)
        month_seconds = time.perf_counter() - started
        print(
            f"[reports] roll-up of the other {len(MONTH.days) - 1} days of the month: "
            f"{month_seconds:.0f} s ({month_seconds / (len(MONTH.days) - 1):.1f} s a day)"
        )

        # The national monthly workbook: time and memory.
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        buffer = io.BytesIO()
        started = time.perf_counter()
        stats = workbook_write(output=buffer, scope=ReportScope.national(), period=MONTH)
        book_seconds = time.perf_counter() - started
        rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        tracemalloc.start()
        workbook_write(output=io.BytesIO(), scope=ReportScope.national(), period=MONTH)
        _current, traced_peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        print(
            f"[reports] national monthly workbook: {book_seconds:.1f} s, {stats.rows:,} rows in "
            f"{stats.sheets} sheets, {len(buffer.getvalue()) / 1e6:.1f} MB; peak Python "
            f"allocations while writing it {traced_peak / 1e6:.0f} MB; process RSS high-water "
            f"{rss_after:.0f} MB (before: {rss_before:.0f} MB, the generator's included) "
            f"[target < {TARGET_BOOK} s, < {TARGET_MEMORY / 1e6:.0f} MB]"
        )
        plain_seconds = _plain_openpyxl_seconds(stats.rows)
        print(
            f"[reports] rows/s: workbook {stats.rows / book_seconds:,.0f} (reading the roll-up, "
            f"aggregating and writing included) vs bare openpyxl write-only "
            f"{stats.rows / plain_seconds:,.0f} for the same number of plain rows"
        )

        # A regional pilot's screen for the month, in the largest region.
        region = Region.objects.get(code="11")
        pilot = RegionalPilotFactory(region=region).user
        client = Client()
        client.force_login(pilot)
        url = reverse("reports:indicators")
        params = {"period": "month", "day": MONTH.start.isoformat(), "group_by": "agency"}
        assert client.get(url, params).status_code == 200  # warm-up
        gc_freeze_startup()  # what the server process does once started (backoffice/wsgi.py)
        timings = []
        for _ in range(5):
            started = time.perf_counter()
            response = client.get(url, params)
            timings.append(time.perf_counter() - started)
            assert response.status_code == 200
        timings.sort()
        print(
            f"[reports] regional report screen ({region.name}), one month by agency: median "
            f"{timings[2]:.2f} s, worst {timings[-1]:.2f} s [target < {TARGET_SCREEN} s]"
        )

    # The current month on its last day: 29 days rolled up, today computed live. Today's
    # backlog starts from the threads stored by last night's roll-up.
    with time_machine.travel(dt.datetime(2026, 9, 30, 12, tzinfo=PARIS), tick=True):
        today = MONTH.end
        # Today is not rolled up yet (nor are its caseloads), last night's day is.
        DailyRollup.objects.filter(day=today).delete()
        CaseloadDay.objects.filter(day=today).delete()
        RollupDay.objects.filter(day=today).delete()
        rollup_day_recompute(day=today - dt.timedelta(days=1))
        zones = set(Agency.objects.values_list("time_zone", flat=True))
        assert latest_snapshot_before(today) == today - dt.timedelta(days=1)
        started = time.perf_counter()
        live_backlog = sum(n for *_key, n in backlog_counts(day=today, time_zones=zones))
        from_snapshot = time.perf_counter() - started
        sql, sql_params = backlog_sql(day=today, time_zones=zones)
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute(sql, sql_params)
            full_backlog = sum(row[-1] for row in cursor.fetchall())
        from_messages = time.perf_counter() - started
        assert live_backlog == full_backlog
        print(
            f"[reports] today's backlog, national ({live_backlog:,} threads): "
            f"{from_snapshot:.2f} s from last night's threads, {from_messages:.2f} s from every "
            f"message"
        )
        params = {"period": "month", "day": today.isoformat(), "group_by": "agency"}
        current = {}
        for who, user in [
            ("regional", pilot),
            ("national", UserFactory(role=roles.NATIONAL_ADMIN)),
        ]:
            client = Client()
            client.force_login(user)
            assert client.get(url, params).status_code == 200  # warm-up
            gc_freeze_startup()  # what the server process does once started
            current[who] = []
            for _ in range(5):
                started = time.perf_counter()
                response = client.get(url, params)
                current[who].append(time.perf_counter() - started)
                assert response.status_code == 200
            current[who].sort()
            print(
                f"[reports] {who} report screen, current month by agency (today live): median "
                f"{current[who][2]:.2f} s, worst {current[who][-1]:.2f} s"
            )

    assert one_day < TARGET_ROLLUP
    assert book_seconds < TARGET_BOOK
    assert traced_peak < TARGET_MEMORY
    assert timings[2] < TARGET_SCREEN
