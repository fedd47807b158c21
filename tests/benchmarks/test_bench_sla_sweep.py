"""[sla] Benchmark: one sweep over N open threads of which 2,000 are in the warning window.

Target: under 2 s at 1,000,000 open threads (notices written to the outbox, not sent), and
the cost follows the due threads, not the total: time(1M) / time(100k) under 1.5.
`make bench` (PostgreSQL via DATABASE_URL). Sizes: MAILNET_BENCH_SLA_SIZES="100000,1000000"; each size is swept
MAILNET_BENCH_SLA_REPEAT times (default 3, warnings reset in between) and the median kept.
"""

import datetime as dt
import os
import statistics
import time

import pytest
from django.db import connection
from django.utils import timezone

from backoffice.correspondence.models import OutboxMail, SlaEvent
from backoffice.correspondence.services.sweep import sla_sweep_run
from backoffice.organisation.models import Counsellor

SIZES = [int(s) for s in os.environ.get("MAILNET_BENCH_SLA_SIZES", "100000,1000000").split(",")]
DUE = 2_000
REPEAT = int(os.environ.get("MAILNET_BENCH_SLA_REPEAT", "3"))

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("benchmarks need PostgreSQL (DATABASE_URL)")
    from django.apps import apps

    from backoffice.organisation.roles import roles_sync

    roles_sync(apps)


def network():
    from tests.correspondence.sla_factories import team_with_manager

    counsellors = []
    for _ in range(5):
        _, manager, counsellor = team_with_manager()
        counsellors += [manager, counsellor]
    return [c.pk for c in counsellors]


def fill(total: int, counsellor_ids: list[int], now: dt.datetime) -> None:
    """`total` awaiting threads; the last DUE fall due within 5-24 h, the others in 2-9 days."""
    agencies = dict(Counsellor.objects.filter(pk__in=counsellor_ids).values_list("pk", "agency_id"))
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE correspondence_thread CASCADE")
        cursor.execute("DROP TABLE IF EXISTS bench_counsellor")
        cursor.execute(
            "CREATE TEMP TABLE bench_counsellor (n int, counsellor_id bigint, agency_id bigint)"
        )
        for n, pk in enumerate(counsellor_ids):
            cursor.execute(
                "INSERT INTO bench_counsellor VALUES (%s, %s, %s)", [n, pk, agencies[pk]]
            )
        cursor.execute(
            """
            INSERT INTO correspondence_thread (
                counsellor_id, agency_id, correspondent_address, subject, normalised_subject,
                token, status, created_at, last_message_at, awaiting_since, due_at, closed_reason
            )
            SELECT c.counsellor_id, c.agency_id, 'de' || g || '@example.org', 'Question ' || g,
                   'question ' || g, 'B' || lpad(g::text, 12, '0'), 'awaiting', %(now)s, %(now)s,
                   %(now)s - interval '1 day',
                   CASE WHEN g > %(far)s
                        THEN %(now)s + interval '5 hours' + (g %% 1000) * interval '68 seconds'
                        ELSE %(now)s + interval '2 days' + (g %% 604800) * interval '1 second'
                   END,
                   ''
            FROM generate_series(1, %(total)s) AS g
            JOIN bench_counsellor c ON c.n = g %% %(counsellors)s
            """,
            {"now": now, "far": total - DUE, "total": total, "counsellors": len(counsellor_ids)},
        )
        cursor.execute("DROP TABLE bench_counsellor")
        # Steady state, as in production: visibility map and hint bits set, buffers flushed.
        cursor.execute("VACUUM ANALYZE correspondence_thread")
        cursor.execute("CHECKPOINT")


def reset_warnings() -> None:
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE correspondence_slaevent, correspondence_outboxmail")
        cursor.execute(
            "UPDATE correspondence_thread SET warned_at = NULL WHERE warned_at IS NOT NULL"
        )
        cursor.execute("VACUUM ANALYZE correspondence_thread")


def explain_window(now: dt.datetime) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            "EXPLAIN SELECT id FROM correspondence_thread WHERE status = 'awaiting' "
            "AND due_at IS NOT NULL AND breached_at IS NULL AND due_at > %s AND due_at <= %s "
            "AND warned_at IS NULL ORDER BY due_at LIMIT 500 FOR UPDATE SKIP LOCKED",
            [now, now + dt.timedelta(hours=24)],
        )
        return "\n".join(row[0] for row in cursor.fetchall())


def test_bench_sla_sweep_cost_follows_the_due_threads():
    counsellor_ids = network()
    now = timezone.now()
    fill(DUE, counsellor_ids, now)  # warm-up: calendars, connections, query plans
    sla_sweep_run(now=now)
    figures = {}
    for total in SIZES:
        fill(total, counsellor_ids, now)
        runs = []
        for _ in range(REPEAT):
            reset_warnings()
            started = time.perf_counter()
            report = sla_sweep_run(now=now)
            runs.append(time.perf_counter() - started)
            assert report.warned == DUE
            assert SlaEvent.objects.filter(kind=SlaEvent.Kind.WARNING).count() == DUE
            assert OutboxMail.objects.filter(state=OutboxMail.State.PENDING).count() == DUE
        figures[total] = statistics.median(runs)
        shown = ", ".join(f"{r:.3f}" for r in runs)
        print(
            f"\n[sla] sweep over {total:>9,} open threads, {DUE:,} due: "
            f"median {figures[total]:.3f} s (runs: {shown})"
        )
    print("[sla] window query plan:\n" + explain_window(now))
    largest, smallest = max(figures), min(figures)
    if largest != smallest:
        ratio = figures[largest] / figures[smallest]
        print(f"[sla] ratio {largest:,} / {smallest:,}: {ratio:.2f}")
        assert ratio < 1.5
    if largest >= 1_000_000:
        assert figures[largest] < 2.0
