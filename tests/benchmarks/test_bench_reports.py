"""[reports] benchmark on PostgreSQL: national monthly workbook, regional screen, nightly roll-up.

The issue's size is 50,000 counsellors and 5,000,000 messages over 12 months (2025).
MAILNET_BENCH_REPORTS_SCALE scales both down (default 0.02: 1,000 counsellors, 100,000
messages, a few minutes on 2 cores); MAILNET_BENCH_REPORTS_SCALE=1 is the full size.
Data is written with COPY. Run with `make bench` and DATABASE_URL pointing at PostgreSQL.
"""

import datetime as dt
import io
import os
import random
import resource
import time
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.urls import reverse
from openpyxl import Workbook

from backoffice.organisation import roles
from reports.excel import workbook_write
from reports.periods import Period
from reports.selectors import ReportScope
from reports.services.rollups import rollup_day_recompute

SCALE = float(os.environ.get("MAILNET_BENCH_REPORTS_SCALE", "0.02"))
COUNSELLORS = max(50, int(50_000 * SCALE))
MESSAGES = max(5_000, int(5_000_000 * SCALE))
JOBSEEKERS_PER_COUNSELLOR = 10
REGIONS = 13
PARIS = ZoneInfo("Europe/Paris")
YEAR_START = dt.datetime(2025, 1, 1, tzinfo=PARIS)
MONTH = Period.month(2025, 11)

pytestmark = [pytest.mark.django_db(transaction=True)]


def _copy(table: str, columns: list[str], rows) -> int:
    count = 0
    with connection.cursor() as cursor:
        raw = cursor.cursor
        quoted = ", ".join(f'"{c}"' for c in columns)
        with raw.copy(f"COPY {table} ({quoted}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
                count += 1
    return count


def _next_id(table: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) + 1 FROM {table}")  # noqa: S608 - our names
        return cursor.fetchone()[0]


def _reset_sequences(tables):
    with connection.cursor() as cursor:
        for table in tables:
            sql = f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT COALESCE(MAX(id), 1) FROM {table}))"  # noqa: S608 - our table names
            cursor.execute(sql)


def build_national_data() -> dict:
    """Regions, agencies, teams, counsellors (with users), caseloads, threads and messages."""
    rng = random.Random(42)
    now = dt.datetime(2026, 1, 15, tzinfo=dt.UTC)
    agencies_n = max(REGIONS, COUNSELLORS // 55)
    region0, agency0, team0 = (
        _next_id("organisation_region"),
        _next_id("organisation_agency"),
        _next_id("organisation_team"),
    )
    _copy(
        "organisation_region",
        ["id", "code", "name"],
        ((region0 + i, f"B{i:02d}", f"Région bench {i}") for i in range(REGIONS)),
    )
    _copy(
        "organisation_agency",
        ["id", "code", "name", "region_id", "time_zone", "territory"],
        (
            (
                agency0 + i,
                f"{60000 + i:05d}",
                f"Agence bench {i}",
                region0 + i % REGIONS,
                "Europe/Paris",
                "metropole",
            )
            for i in range(agencies_n)
        ),
    )
    _copy(
        "organisation_team",
        ["id", "agency_id", "name"],
        ((team0 + i, agency0 + i // 3, f"Équipe {i % 3}") for i in range(agencies_n * 3)),
    )
    user0, counsellor0 = _next_id("auth_user"), _next_id("organisation_counsellor")
    _copy(
        "auth_user",
        [
            "id",
            "password",
            "is_superuser",
            "username",
            "first_name",
            "last_name",
            "email",
            "is_staff",
            "is_active",
            "date_joined",
        ],
        (
            (
                user0 + i,
                "!",
                False,
                f"bench{i}",
                f"Prénom{i}",
                f"Nom{i}",
                f"bench{i}@mailnet.test",
                False,
                True,
                now,
            )
            for i in range(COUNSELLORS)
        ),
    )

    def counsellor_agency(i):
        return i % agencies_n

    _copy(
        "organisation_counsellor",
        [
            "id",
            "user_id",
            "matricule",
            "agency_id",
            "team_id",
            "public_address",
            "handles_jobseekers",
            "handles_employers",
            "handles_benefits",
            "is_active",
        ],
        (
            (
                counsellor0 + i,
                user0 + i,
                f"B{i:07d}",
                agency0 + counsellor_agency(i),
                team0 + counsellor_agency(i) * 3 + i % 3,
                f"bench.{i}@mailnet.test",
                True,
                False,
                False,
                True,
            )
            for i in range(COUNSELLORS)
        ),
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT id FROM caseloads_modality ORDER BY sort_order")
        modalities = [r[0] for r in cursor.fetchall()]
    jobseekers_n = COUNSELLORS * JOBSEEKERS_PER_COUNSELLOR
    js0 = _next_id("caseloads_jobseeker")
    _copy(
        "caseloads_jobseeker",
        ["id", "identifier", "first_name", "last_name", "email", "phone"],
        (
            (js0 + i, f"{i:07d}B", "Camille", f"Bench{i}", f"de{i}@bench.test", "")
            for i in range(jobseekers_n)
        ),
    )
    _copy(
        "caseloads_assignment",
        ["jobseeker_id", "counsellor_id", "kind", "modality_id", "starts_on"],
        (
            (
                js0 + i,
                counsellor0 + i // JOBSEEKERS_PER_COUNSELLOR,
                "referent",
                modalities[i % len(modalities)],
                dt.date(2024, 6, 1),
            )
            for i in range(jobseekers_n)
        ),
    )
    # Threads: one incoming mail, sometimes a second one, usually a reply, a few auto-replies.
    thread0 = _next_id("correspondence_thread")
    threads, messages = [], []
    seconds_in_year = 365 * 86400
    thread_id = thread0
    while len(messages) < MESSAGES:
        jobseeker = rng.randrange(jobseekers_n)
        counsellor = jobseeker // JOBSEEKERS_PER_COUNSELLOR
        received = YEAR_START + dt.timedelta(seconds=rng.randrange(seconds_in_year))
        items = [("in", "normal", received)]
        if rng.random() < 0.15:
            items.append(("in", "normal", received + dt.timedelta(hours=rng.randint(1, 30))))
        if rng.random() < 0.03:
            items.append(("in", "auto_reply", received + dt.timedelta(minutes=5)))
        last = items[-1][2]
        if rng.random() < 0.92:
            last = received + dt.timedelta(hours=rng.choice([2, 5, 20, 30, 50, 70, 90, 140]))
            items.append(("out", "normal", last))
        threads.append(
            (
                thread_id,
                counsellor0 + counsellor,
                agency0 + counsellor_agency(counsellor),
                js0 + jobseeker,
                f"de{jobseeker}@bench.test",
                "Question",
                "question",
                f"B{thread_id:014d}",
                "answered" if items[-1][0] == "out" else "awaiting",
                received,
                last,
                "",
            )
        )
        for direction, kind, moment in items:
            messages.append(
                (
                    thread_id,
                    direction,
                    kind,
                    f"<b{len(messages)}@bench>",
                    "",
                    "",
                    "x@bench.test",
                    "",
                    "",
                    moment,
                    "",
                    "",
                    "",
                    False,
                    "[]",
                    False,
                )
            )
        thread_id += 1
    _copy(
        "correspondence_thread",
        [
            "id",
            "counsellor_id",
            "agency_id",
            "jobseeker_id",
            "correspondent_address",
            "subject",
            "normalised_subject",
            "token",
            "status",
            "created_at",
            "last_message_at",
            "closed_reason",
        ],
        threads,
    )
    _copy(
        "correspondence_message",
        [
            "thread_id",
            "direction",
            "kind",
            "message_id",
            "in_reply_to",
            "references",
            "from_address",
            "to_addresses",
            "cc_addresses",
            "received_at",
            "subject",
            "body_text",
            "body_html",
            "has_remote_images",
            "decoding_warnings",
            "undelivered",
        ],
        messages,
    )
    _reset_sequences(
        [
            "organisation_region",
            "organisation_agency",
            "organisation_team",
            "auth_user",
            "organisation_counsellor",
            "caseloads_jobseeker",
            "correspondence_thread",
        ]
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return {"region_id": region0, "threads": len(threads), "messages": len(messages)}


def test_bench_reports():
    if connection.vendor != "postgresql":
        pytest.skip("the reports benchmark needs PostgreSQL (DATABASE_URL)")
    started = time.perf_counter()
    data = build_national_data()
    print(
        f"\n[reports] data: {COUNSELLORS} counsellors, {data['messages']} messages in "
        f"{data['threads']} threads (scale {SCALE}) built with COPY in "
        f"{time.perf_counter() - started:.1f} s"
    )
    with time_machine.travel(dt.datetime(2026, 1, 15, 12, tzinfo=PARIS), tick=True):
        # Nightly roll-up of one day (a Monday), then the whole month the reports read.
        started = time.perf_counter()
        rows = rollup_day_recompute(day=dt.date(2025, 11, 17))
        one_day = time.perf_counter() - started
        if os.environ.get("MAILNET_BENCH_REPORTS_PROFILE"):
            import cProfile
            import pstats

            cProfile.runctx(
                "rollup_day_recompute(day=dt.date(2025, 11, 18))",
                globals(),
                locals(),
                "/tmp/reports-rollup.prof",
            )
            pstats.Stats("/tmp/reports-rollup.prof").sort_stats("tottime").print_stats(15)
        print(f"[reports] nightly roll-up of one day: {one_day:.2f} s ({rows} rows) [< 30 s]")
        started = time.perf_counter()
        for day in MONTH.days:
            rollup_day_recompute(day=day)
        print(f"[reports] roll-up of the month: {time.perf_counter() - started:.1f} s")

        # National monthly workbook.
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        buffer = io.BytesIO()
        started = time.perf_counter()
        if os.environ.get("MAILNET_BENCH_REPORTS_PROFILE"):
            import cProfile
            import pstats

            profiler = cProfile.Profile()
            profiler.enable()
        stats = workbook_write(output=buffer, scope=ReportScope.national(), period=MONTH)
        if os.environ.get("MAILNET_BENCH_REPORTS_PROFILE"):
            profiler.disable()
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)
        book_seconds = time.perf_counter() - started
        rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        # Memory of the workbook alone: Python's allocations while writing it again (the
        # process RSS high-water mark above also holds the data generator's lists).
        import tracemalloc

        tracemalloc.start()
        workbook_write(output=io.BytesIO(), scope=ReportScope.national(), period=MONTH)
        _current, traced_peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        print(
            f"[reports] national monthly workbook: {book_seconds:.2f} s, {stats.rows} rows, "
            f"{len(buffer.getvalue()) / 1e6:.1f} MB file; peak Python allocations while "
            f"writing it {traced_peak / 1e6:.0f} MB; process RSS high-water {rss_after:.0f} MB "
            f"(before: {rss_before:.0f} MB, data generation included) [< 60 s, < 500 MB]"
        )
        # openpyxl writing the same number of plain rows (18 numbers each), same run.
        started = time.perf_counter()
        plain = Workbook(write_only=True)
        sheet = plain.create_sheet("plain")
        for n in range(stats.rows):
            sheet.append([f"ligne {n}", *range(17)])
        plain.save(io.BytesIO())
        plain_seconds = time.perf_counter() - started
        print(
            f"[reports] rows/s: workbook {stats.rows / book_seconds:,.0f} (all included: "
            f"reading roll-ups, aggregating, writing) vs plain openpyxl "
            f"{stats.rows / plain_seconds:,.0f}"
        )

        # A regional pilot's report screen for the month.
        from django.contrib.auth.models import Group

        from backoffice.organisation.models import RegionalPilot
        from tests.factories import UserFactory

        pilot = UserFactory(username="bench-pilot")
        pilot.groups.add(Group.objects.get(name=roles.REGIONAL_PILOT))
        RegionalPilot.objects.create(user=pilot, region_id=data["region_id"])
        client = Client()
        client.force_login(pilot)
        params = {"period": "month", "day": "2025-11-01", "group_by": "agency"}
        client.get(reverse("reports:indicators"), params)
        timings = []
        for _ in range(3):
            started = time.perf_counter()
            response = client.get(reverse("reports:indicators"), params)
            timings.append(time.perf_counter() - started)
            assert response.status_code == 200
        print(
            f"[reports] regional report screen, one month: best {min(timings):.3f} s, "
            f"worst {max(timings):.3f} s [< 1 s]"
        )
    assert one_day < 30
    assert book_seconds < 60
    assert traced_peak < 500e6
