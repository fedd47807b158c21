"""[inbox] benchmark on PostgreSQL: the inbox page and a thread page of a counsellor with
300 open threads, on national data from the generator, and the same at 10,000 threads.

Server time (Django's test client in process: middleware, views, templates, queries), p50
and p95 over 200 requests of each page, logged in as the generator's bench counsellor.
Size: MAILNET_BENCH_INBOX_THREADS threads (default 100,000, a quick run; the issue's size is
1,000,000), five messages each, MAILNET_BENCH_INBOX_JOBSEEKERS jobseekers (default: as many
as threads, at most 1,000,000); the reference run has 10,000 threads on the same network.
Targets: p95 under 150 ms, and p95 at full size under 1.5 times p95 at 10,000 threads. When
a page misses its target, the slowest queries of one request are shown with EXPLAIN ANALYZE.
The server process freezes what it holds after start-up out of the garbage collector's scans
(`backoffice/wsgi.py`); the benchmark does the same after its warm-up, otherwise one request
in a dozen pays a ~100 ms collection of the whole test process.
Run with `make bench` (DATABASE_URL pointing at PostgreSQL).
"""

import datetime as dt
import os
import statistics
import time

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse

from backoffice.correspondence.models import Thread
from backoffice.wsgi import gc_freeze_startup
from fixtures.national import (
    BENCH_OPEN_THREADS,
    BENCH_PASSWORD,
    BENCH_USERNAME,
    MAIL_UNTIL,
    national_data_generate,
)

THREADS = int(os.environ.get("MAILNET_BENCH_INBOX_THREADS", "100000"))
REFERENCE_THREADS = 10_000
JOBSEEKERS = int(os.environ.get("MAILNET_BENCH_INBOX_JOBSEEKERS", str(min(THREADS, 1_000_000))))
REQUESTS = 200
TARGET_P95, TARGET_RATIO = 0.150, 1.5

pytestmark = [pytest.mark.django_db(transaction=True)]


def _percentiles(timings: list[float]) -> tuple[float, float]:
    cuts = statistics.quantiles(timings, n=100, method="inclusive")
    return cuts[49], cuts[94]


def _slowest_queries(client: Client, url: str, *, count: int = 3) -> list[str]:
    """EXPLAIN ANALYZE of the slowest SELECTs of one request to `url`."""
    with CaptureQueriesContext(connection) as captured:
        client.get(url)
    queries = sorted(captured.captured_queries, key=lambda q: -float(q["time"]))[:count]
    explained = []
    with connection.cursor() as cursor:
        for query in queries:
            if not query["sql"].lstrip().upper().startswith("SELECT"):
                continue
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + query["sql"])
            plan = "\n      ".join(row[0] for row in cursor.fetchall())
            explained.append(
                f"  {float(query['time']) * 1000:.0f} ms: {query['sql'][:300]}\n      {plan}"
            )
    return explained


def _measure(threads: int, *, reset: bool) -> dict:
    national_data_generate(
        jobseekers=JOBSEEKERS, threads=threads, messages=5 * threads, reset=reset
    )
    client = Client()
    assert client.login(username=BENCH_USERNAME, password=BENCH_PASSWORD)
    mine = list(
        Thread.objects.filter(
            counsellor__user__username=BENCH_USERNAME, status=Thread.Status.AWAITING_REPLY
        ).values_list("pk", flat=True)
    )
    assert len(mine) == BENCH_OPEN_THREADS
    results = {}
    pages = {
        "inbox": lambda n: reverse("inbox:index"),
        "thread": lambda n: reverse("inbox:thread", args=[mine[n % len(mine)]]),
    }
    for name, url_of in pages.items():
        for n in range(5):  # warm-up: caches, first template compilation
            assert client.get(url_of(n)).status_code == 200
        gc_freeze_startup()  # what the server process does once started (backoffice/wsgi.py)
        timings = []
        for n in range(REQUESTS):
            started = time.perf_counter()
            response = client.get(url_of(n))
            timings.append(time.perf_counter() - started)
            assert response.status_code == 200
        p50, p95 = _percentiles(timings)
        with CaptureQueriesContext(connection) as captured:
            client.get(url_of(0))
        sql_ms = sum(float(q["time"]) for q in captured.captured_queries) * 1000
        results[name] = {"p50": p50, "p95": p95, "queries": len(captured), "sql_ms": sql_ms}
        if p95 > TARGET_P95:
            results[name]["explain"] = _slowest_queries(client, url_of(0))
    return results


def test_bench_inbox_pages():
    if connection.vendor != "postgresql":
        pytest.skip("the inbox benchmark needs PostgreSQL (DATABASE_URL)")
    try:
        reverse("inbox:index")
        reverse("inbox:thread", args=[1])
    except NoReverseMatch:
        pytest.skip("the inbox screens (inbox:index, inbox:thread) are not on this branch")
    # The bench counsellor's open threads arrived in the last days before MAIL_UNTIL.
    with time_machine.travel(MAIL_UNTIL + dt.timedelta(hours=1), tick=True):
        reference = _measure(REFERENCE_THREADS, reset=False)
        full = _measure(THREADS, reset=True)
    print(
        f"\n[inbox] {JOBSEEKERS:,} jobseekers; bench counsellor with {BENCH_OPEN_THREADS} open threads"
    )
    for name in ("inbox", "thread"):
        ref, big = reference[name], full[name]
        ratio = big["p95"] / ref["p95"]
        print(
            f"[inbox] {name} page over {REQUESTS} requests: at {THREADS:,} threads p50 "
            f"{big['p50'] * 1000:.0f} ms, p95 {big['p95'] * 1000:.0f} ms; at "
            f"{REFERENCE_THREADS:,} threads p50 {ref['p50'] * 1000:.0f} ms, p95 "
            f"{ref['p95'] * 1000:.0f} ms; p95 ratio {ratio:.2f} "
            f"[targets p95 < {TARGET_P95 * 1000:.0f} ms, ratio < {TARGET_RATIO}]; one request "
            f"at full size: {big['queries']} queries, {big['sql_ms']:.0f} ms in SQL"
        )
        for explained in big.get("explain", []):
            print(explained)
    for name in ("inbox", "thread"):
        assert full[name]["p95"] < TARGET_P95
        assert full[name]["p95"] / reference[name]["p95"] < TARGET_RATIO
