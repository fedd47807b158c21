"""Benchmark of caseload imports on PostgreSQL: preview + apply of a large XLSX and CSV.

Targets (issue [imports]): 100,000-row XLSX under 60 s in all with peak memory under
500 MB; 1,000,000-row CSV under 8 min; at least 5% of a bare PostgreSQL COPY of the
same rows. Sizes: MAILNET_BENCH_IMPORT_XLSX_ROWS, MAILNET_BENCH_IMPORT_CSV_ROWS,
MAILNET_BENCH_IMPORT_BACKGROUND (jobseekers already followed, untouched by the files).
Run with `make bench` (or pytest tests/benchmarks/test_bench_imports.py -s).
"""

import csv
import datetime
import gc
import os
import threading
import time
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.files import File
from django.db import connection

from backoffice.caseloads.imports import services
from backoffice.caseloads.imports.models import ImportStatus
from backoffice.caseloads.models import Jobseeker, Modality
from backoffice.organisation.models import Agency, Counsellor, Region

XLSX_ROWS = int(os.environ.get("MAILNET_BENCH_IMPORT_XLSX_ROWS", "100000"))
CSV_ROWS = int(os.environ.get("MAILNET_BENCH_IMPORT_CSV_ROWS", "1000000"))
BACKGROUND = int(os.environ.get("MAILNET_BENCH_IMPORT_BACKGROUND", "300000"))
PROFILE = os.environ.get("MAILNET_BENCH_IMPORT_PROFILE", "")  # a path: cProfile output
AGENCIES = 900
COUNSELLORS_PER_AGENCY = 12
HEADERS = [
    "Identifiant DE",
    "Nom",
    "Prénom",
    "Courriel",
    "Modalité",
    "Matricule conseiller",
    "Agence",
    "Date d'affectation",
]
MODALITIES = ["Suivi", "Guidé", "Renforcé", "Accompagnement global", "CVE", "AIJ"]
MODALITY_CODES = ["SUIVI", "GUIDE", "RENFORCE", "GLOBAL", "CVE", "AIJ"]

pytestmark = pytest.mark.django_db(transaction=True)


def _rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


class PeakMemory:
    """Samples the resident memory of this process while an import runs."""

    def __enter__(self):
        gc.collect()
        self.baseline = _rss_bytes()
        self.peak = self.baseline
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self):
        while not self._stop.wait(0.05):
            self.peak = max(self.peak, _rss_bytes())

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, _rss_bytes())


def _copy(sql: str, rows) -> None:
    raw = connection.connection
    with raw.cursor() as cursor, cursor.copy(sql) as copy:
        for row in rows:
            copy.write_row(row)


def _network():
    """About 900 agencies and 10,800 counsellors, inserted in bulk."""
    User = get_user_model()
    regions = Region.objects.bulk_create(
        [Region(code=f"R{i:02d}", name=f"Région {i}") for i in range(13)]
    )
    agencies = Agency.objects.bulk_create(
        [
            Agency(code=f"{i:05d}", name=f"Agence {i}", region=regions[i % 13])
            for i in range(100, 100 + AGENCIES)
        ]
    )
    users = User.objects.bulk_create(
        [
            User(username=f"c{i}", password="!", first_name="C", last_name=str(i))
            for i in range(AGENCIES * COUNSELLORS_PER_AGENCY)
        ],
        batch_size=5000,
    )
    counsellors = Counsellor.objects.bulk_create(
        [
            Counsellor(
                user=user,
                matricule=f"M{i:06d}",
                agency=agencies[i // COUNSELLORS_PER_AGENCY],
                public_address=f"c{i}@mailnet.test",
            )
            for i, user in enumerate(users)
        ],
        batch_size=5000,
    )
    admin = User.objects.create_superuser("bench-admin", "bench@mailnet.test", "x" * 16)
    return counsellors, admin


def _existing(prefix: str, count: int, counsellors, modality_ids) -> None:
    """`count` jobseekers (identifiers <prefix><n>) each followed by a counsellor."""
    if not count:
        return
    _copy(
        "COPY caseloads_jobseeker (identifier, first_name, last_name, email, phone) FROM STDIN",
        (
            (f"{i:07d}{prefix}", "Prénom", f"Nom{i}", f"de{i}{prefix.lower()}@example.org", "")
            for i in range(count)
        ),
    )
    first_id = Jobseeker.objects.values_list("id", flat=True).get(identifier=f"{0:07d}{prefix}")
    n = len(counsellors)
    _copy(
        "COPY caseloads_assignment (jobseeker_id, counsellor_id, kind, modality_id, starts_on) "
        "FROM STDIN",
        (
            (
                first_id + i,
                counsellors[i % n].pk,
                "referent",
                modality_ids[i % 6],
                datetime.date(2025, 1, 1),
            )
            for i in range(count)
        ),
    )


def _rows(size: int, prefix: str, new: str, counsellors):
    """70% new jobseekers, 20% transfers, 10% unchanged; 1 row in 1,000 wrong."""
    n = len(counsellors)
    for i in range(size):
        if i % 10 < 7:
            identifier, j = f"{i:07d}{new}", (i * 7) % n
        elif i % 10 < 9:  # existing i, moved to the next counsellor
            identifier, j = f"{i:07d}{prefix}", (i + 1) % n
        else:
            identifier, j = f"{i:07d}{prefix}", i % n
        counsellor = counsellors[j]
        matricule = counsellor.matricule if i % 1000 != 999 else "INCONNU"
        yield [
            identifier,
            f"Nom{i}",
            "Prénom",
            f"de{i}@example.org",
            MODALITIES[i % 6],
            matricule,
            f"{100 + j // COUNSELLORS_PER_AGENCY:05d}",
            "15/01/2026",
        ]


def _write_csv(path: Path, rows) -> None:
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, delimiter=";")
        writer.writerow(HEADERS)
        writer.writerows(rows)


def _write_xlsx(path: Path, rows) -> None:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Affectations")
    sheet.append(HEADERS)
    for row in rows:
        sheet.append(row)
    workbook.save(path)


def _copy_baseline(csv_path: Path) -> float:
    """Seconds for a bare COPY of the same rows into a scratch table."""
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE UNLOGGED TABLE IF NOT EXISTS bench_import_scratch (identifier text, "
            "last_name text, first_name text, email text, modality text, matricule text, "
            "agency text, starts_on text)"
        )
        cursor.execute("TRUNCATE bench_import_scratch")
    started = time.perf_counter()
    raw = connection.connection
    with (
        raw.cursor() as cursor,
        cursor.copy(
            "COPY bench_import_scratch FROM STDIN WITH (FORMAT csv, DELIMITER ';', HEADER true)"
        ) as copy,
        csv_path.open("rb") as f,
    ):
        for block in iter(lambda: f.read(1024 * 1024), b""):
            copy.write(block)
    elapsed = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE bench_import_scratch")
    return elapsed


class QueryTimer:
    """Time spent in the database by kind of statement, to see where an import waits."""

    def __init__(self):
        self.seconds: dict[str, float] = {}

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            words = sql.split()
            key = " ".join(words[:3] if words[0] in {"INSERT", "UPDATE", "DELETE"} else words[:1])
            if words[0] == "SELECT":
                key += " " + sql.split(" FROM ", 1)[-1].split()[0]
            self.seconds[key] = self.seconds.get(key, 0.0) + time.perf_counter() - started

    def top(self, n=6) -> str:
        items = sorted(self.seconds.items(), key=lambda kv: -kv[1])[:n]
        return ", ".join(f"{k} {v:.1f} s" for k, v in items)


def _run(path: Path, admin, label: str, rows: int, csv_path: Path) -> dict:
    timer = QueryTimer()
    with PeakMemory() as memory, connection.execute_wrapper(timer):
        started = time.perf_counter()
        with path.open("rb") as f:
            batch = services.import_batch_create(uploaded_file=File(f, name=path.name), user=admin)
        batch = services.import_batch_preview(batch=batch)
        previewed = time.perf_counter()
        assert batch.status == ImportStatus.PREVIEWED, batch.message
        batch = services.import_batch_apply(
            batch=batch, user=admin, sha256=batch.sha256, skip_errors=True
        )
        applied = time.perf_counter()
    assert batch.status == ImportStatus.APPLIED, batch.message
    total = applied - started
    copy_seconds = _copy_baseline(csv_path)
    figures = {
        "label": label,
        "rows": rows,
        "preview_s": previewed - started,
        "apply_s": applied - previewed,
        "total_s": total,
        "rows_per_s": rows / total,
        "copy_s": copy_seconds,
        "copy_rows_per_s": rows / copy_seconds,
        "ratio_to_copy": copy_seconds / total,
        "peak_rss_mb": memory.peak / 2**20,
        "added_rss_mb": (memory.peak - memory.baseline) / 2**20,
        "counts": (batch.new_count, batch.transfer_count, batch.unchanged_count, batch.error_count),
    }
    print(
        f"\n[imports bench] {label}: {rows:,} rows | preview {figures['preview_s']:.1f} s + "
        f"apply {figures['apply_s']:.1f} s = {total:.1f} s | {figures['rows_per_s']:,.0f} rows/s"
        f" | COPY {copy_seconds:.2f} s ({figures['copy_rows_per_s']:,.0f} rows/s) -> ratio "
        f"{figures['ratio_to_copy']:.1%} | peak RSS {figures['peak_rss_mb']:.0f} MB "
        f"(+{figures['added_rss_mb']:.0f} MB during the import) | new/transfers/unchanged/"
        f"errors {figures['counts']}\n[imports bench]   database time: {timer.top()}"
    )
    return figures


def test_bench_caseload_imports(tmp_path, settings):
    if connection.vendor != "postgresql":
        pytest.skip("the imports benchmark needs PostgreSQL (DATABASE_URL)")
    settings.MEDIA_ROOT = tmp_path / "media"
    modality_ids = [Modality.objects.get(code=c).pk for c in MODALITY_CODES]
    started = time.perf_counter()
    counsellors, admin = _network()
    _existing("B", BACKGROUND, counsellors, modality_ids)
    _existing("X", XLSX_ROWS, counsellors, modality_ids)
    _existing("C", CSV_ROWS, counsellors, modality_ids)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(f"\n[imports bench] setup {time.perf_counter() - started:.1f} s")

    results = []
    if XLSX_ROWS:
        xlsx_path, csv_twin = tmp_path / "national.xlsx", tmp_path / "national-xlsx.csv"
        _write_xlsx(xlsx_path, _rows(XLSX_ROWS, "X", "N", counsellors))
        _write_csv(csv_twin, _rows(XLSX_ROWS, "X", "N", counsellors))
        results.append(_run(xlsx_path, admin, "XLSX", XLSX_ROWS, csv_twin))
    if CSV_ROWS:
        csv_path = tmp_path / "national.csv"
        _write_csv(csv_path, _rows(CSV_ROWS, "C", "Z", counsellors))
        if PROFILE:
            import cProfile

            profiler = cProfile.Profile()
            results.append(profiler.runcall(_run, csv_path, admin, "CSV", CSV_ROWS, csv_path))
            profiler.dump_stats(PROFILE)
        else:
            results.append(_run(csv_path, admin, "CSV", CSV_ROWS, csv_path))
    for figures in results:
        assert figures["counts"][3] == figures["rows"] // 1000
