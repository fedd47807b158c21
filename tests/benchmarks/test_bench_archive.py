"""Benchmark of archive_verify on PostgreSQL: one chain of MAILNET_BENCH_ARCHIVE_ENTRIES
entries (default 1,000,000) over raw mails, most of them erased by retention and one in
fifty still holding its (small) bytes. Reports entries per second and how much the process
grew while verifying (resident memory sampled every 20 ms), which must not grow with the
chain.

`make bench` (needs DATABASE_URL on PostgreSQL).
"""

import gc
import hashlib
import os
import threading
import time

import pytest
from django.db import connection
from django.utils import timezone

from backoffice.correspondence.models import RawMail
from backoffice.correspondence.services.archive import GENESIS, archive_entry_hash
from privacy.services.archive import archive_verify
from tests.conftest import skip_or_fail

SIZE = int(os.environ.get("MAILNET_BENCH_ARCHIVE_ENTRIES", "1000000"))
KEEP_EVERY = 50  # one raw mail in fifty keeps its bytes; the others were erased


def _copy(sql: str, rows) -> None:
    raw = connection.connection
    with raw.cursor() as cursor, cursor.copy(sql) as copy:
        for row in rows:
            copy.write_row(row)


def _mail(i: int) -> bytes:
    return f"From: de{i}@example.org\r\nSubject: courriel {i}\r\n\r\nBonjour {i}.\r\n".encode()


@pytest.fixture
def chain(db):
    if connection.vendor != "postgresql":
        skip_or_fail("the benchmarks run on PostgreSQL (DATABASE_URL)")
    started = time.perf_counter()
    now = timezone.now()
    digests = [hashlib.sha256(_mail(i)).hexdigest() for i in range(SIZE)]
    _copy(
        "COPY correspondence_rawmail (sha256, data, size, mailbox_name, source_ref, fetched_at,"
        " state, attempts, last_error) FROM STDIN",
        (
            (
                digests[i],
                _mail(i) if i % KEEP_EVERY == 0 else b"",
                len(_mail(i)),
                "bench",
                "",
                now,
                "ingested",
                0,
                "",
            )
            for i in range(SIZE)
        ),
    )
    first = RawMail.objects.order_by("pk").values_list("pk", flat=True).first()
    last = RawMail.objects.order_by("-pk").values_list("pk", flat=True).first()
    assert last - first == SIZE - 1, "ids are contiguous in a fresh table"

    def entries():
        previous = GENESIS
        for i in range(SIZE):
            seq, object_id = i + 1, first + i
            entry_hash = archive_entry_hash(
                previous_hash=previous,
                seq=seq,
                kind="raw",
                object_id=object_id,
                content_sha256=digests[i],
            )
            yield (
                seq, "raw", object_id, digests[i], previous, entry_hash, now,
                None if i % KEEP_EVERY == 0 else now,
            )  # fmt: skip
            previous = entry_hash

    _copy(
        "COPY correspondence_archiveentry (seq, kind, object_id, content_sha256, previous_hash,"
        " entry_hash, created_at, content_erased_at) FROM STDIN",
        entries(),
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE correspondence_rawmail")
        cursor.execute("ANALYZE correspondence_archiveentry")
    digests.clear()  # the generator is done with them: free before measuring
    print(f"\n[archive] {SIZE:,} entries generated in {time.perf_counter() - started:.1f} s")


def _rss_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


class _PeakRss(threading.Thread):
    def __init__(self):
        super().__init__(daemon=True)
        self.peak = _rss_bytes()
        self.done = threading.Event()

    def run(self):
        while not self.done.wait(0.02):
            self.peak = max(self.peak, _rss_bytes())


def test_bench_archive_verify(chain):
    gc.collect()
    before = _rss_bytes()
    sampler = _PeakRss()
    sampler.start()
    started = time.perf_counter()
    report = archive_verify()
    elapsed = time.perf_counter() - started
    sampler.done.set()
    sampler.join()
    peak = sampler.peak - before

    assert report.ok, report.problems[:3]
    assert report.entries == SIZE
    assert report.contents_checked == len(range(0, SIZE, KEEP_EVERY))
    rate = SIZE / elapsed
    print(
        f"[archive] archive_verify: {SIZE:,} entries in {elapsed:.1f} s = {rate:,.0f} entries/s;"
        f" {report.contents_checked:,} contents rehashed by PostgreSQL,"
        f" {report.erased:,} erased; process grew by {peak / 1024 / 1024:.1f} MiB"
    )
    # Constant memory: a batch of entries at a time, never the chain.
    assert peak < 64 * 1024 * 1024
