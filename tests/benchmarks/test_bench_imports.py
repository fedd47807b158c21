"""Benchmark of caseload imports on PostgreSQL: preview + apply of a large XLSX and CSV.

Targets (issue [imports]): 100,000-row XLSX under 60 s in all with peak memory under
500 MB; 1,000,000-row CSV under 8 min; at least 5% of a bare PostgreSQL COPY of the
same rows. The database holds the generator's national data (fixtures/national): at
MAILNET_BENCH_IMPORT_SCALE=1 (the default) 2,000,000 jobseekers followed by 50,000
counsellors; smaller scales shrink both. The files name the generated counsellors and
agencies: 70% new jobseekers, 20% jobseekers of the data moved to another counsellor,
10% unchanged, and 1 row in 1,000 with an unknown counsellor. File sizes:
MAILNET_BENCH_IMPORT_XLSX_ROWS, MAILNET_BENCH_IMPORT_CSV_ROWS.
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
from django.utils import timezone

from backoffice.caseloads.imports import services
from backoffice.caseloads.imports.models import ImportStatus
from backoffice.caseloads.models import Modality
from backoffice.organisation.models import Counsellor
from fixtures.national import national_data_generate
from fixtures.national.generator import REFERENCE_DAY

SCALE = float(os.environ.get("MAILNET_BENCH_IMPORT_SCALE", "1"))
JOBSEEKERS = max(2_000, int(2_000_000 * SCALE))
COUNSELLORS = max(60, int(50_000 * SCALE))
XLSX_ROWS = int(os.environ.get("MAILNET_BENCH_IMPORT_XLSX_ROWS", "100000"))
CSV_ROWS = int(os.environ.get("MAILNET_BENCH_IMPORT_CSV_ROWS", "1000000"))
PROFILE = os.environ.get("MAILNET_BENCH_IMPORT_PROFILE", "")  # a path: cProfile output
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
# The generator's assignments start on REFERENCE_DAY at the latest: a later date moves them.
FILE_DAY = min(REFERENCE_DAY + datetime.timedelta(days=45), timezone.localdate())

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


def _followers() -> list[tuple[int, str, str]]:
    """(id, matricule, agency code) of the generated counsellors who follow jobseekers."""
    return list(
        Counsellor.objects.filter(handles_jobseekers=True, is_active=True)
        .order_by("id")
        .values_list("id", "matricule", "agency__code")
    )


def _followed(batch=20_000):
    """(identifier, counsellor id, modality id) of the generated jobseekers, in id order,
    read a batch at a time (the test process keeps no table in memory)."""
    last = 0
    while True:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT j.id, j.identifier, a.counsellor_id, a.modality_id "
                "FROM caseloads_jobseeker j JOIN caseloads_assignment a "
                "ON a.jobseeker_id = j.id AND a.kind = 'referent' AND a.ends_on IS NULL "
                "WHERE j.id > %s ORDER BY j.id LIMIT %s",
                [last, batch],
            )
            found = cursor.fetchall()
        if not found:
            return
        for _id, identifier, counsellor_id, modality_id in found:
            yield identifier, counsellor_id, modality_id
        last = found[-1][0]


def _rows(size: int, letter: str, followed, followers, modality_names):
    """70% new jobseekers (identifiers ending in `letter`, a letter the generator never
    uses), 20% followed ones moved to another counsellor, 10% unchanged; 1 row in 1,000
    names an unknown counsellor."""
    n = len(followers)
    by_id = {pk: (matricule, agency) for pk, matricule, agency in followers}
    names = list(modality_names.values())
    day = FILE_DAY.strftime("%d/%m/%Y")
    for i in range(size):
        modality = names[i % len(names)]
        if i % 10 < 7:
            identifier = f"{i:07d}{letter}"
            _pk, matricule, agency = followers[(i * 7) % n]
        else:
            identifier, current, modality_id = next(followed)
            if i % 10 < 9:  # moved to another counsellor
                pk, matricule, agency = followers[(i * 13) % n]
                if pk == current:
                    _pk, matricule, agency = followers[(i * 13 + 1) % n]
            else:
                matricule, agency = by_id[current]
                modality = modality_names[modality_id]
        yield [
            identifier,
            f"Nom{i}",
            "Prénom",
            f"de{i}@example.org",
            modality,
            matricule if i % 1000 != 999 else "INCONNU",
            agency,
            day,
        ]


def _write_files(rows, *, csv_path: Path, xlsx_path: Path | None = None) -> None:
    """The rows as a CSV file (";"), and the same rows as an XLSX file when asked."""
    from openpyxl import Workbook

    sheet = workbook = None
    if xlsx_path:
        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet("Affectations")
        sheet.append(HEADERS)
    with csv_path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, delimiter=";")
        writer.writerow(HEADERS)
        for row in rows:
            writer.writerow(row)
            if sheet is not None:
                sheet.append(row)
    if workbook is not None:
        workbook.save(xlsx_path)
    gc.collect()


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
            if words[0] == "CREATE":
                key = " ".join(words[:4])
            else:
                key = " ".join(
                    words[:3] if words[0] in {"INSERT", "UPDATE", "DELETE"} else words[:1]
                )
            if words[0] == "SELECT":
                key += " " + sql.split(" FROM ", 1)[-1].split()[0]
            self.seconds[key] = self.seconds.get(key, 0.0) + time.perf_counter() - started

    def top(self, n=6) -> str:
        items = sorted(self.seconds.items(), key=lambda kv: -kv[1])[:n]
        return ", ".join(f"{k} {v:.1f} s" for k, v in items)


def _run(path: Path, admin, label: str, rows: int, csv_path: Path) -> dict:
    timer = QueryTimer()
    commit = connection._commit

    def timed_commit():  # the deferred foreign-key checks run here
        started = time.perf_counter()
        try:
            return commit()
        finally:
            timer.seconds["COMMIT"] = (
                timer.seconds.get("COMMIT", 0.0) + time.perf_counter() - started
            )

    connection._commit = timed_commit
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
    del connection._commit
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
        "batch": batch,
    }
    print(
        f"\n[imports bench] {label}: {rows:,} rows | preview {figures['preview_s']:.1f} s + "
        f"apply {figures['apply_s']:.1f} s = {total:.1f} s | {figures['rows_per_s']:,.0f} rows/s"
        f" | COPY {copy_seconds:.2f} s ({figures['copy_rows_per_s']:,.0f} rows/s) -> ratio "
        f"{figures['ratio_to_copy']:.1%} | peak RSS {figures['peak_rss_mb']:.0f} MB "
        f"(+{figures['added_rss_mb']:.0f} MB during the import) | new/transfers/unchanged/"
        f"errors {figures['counts']}\n[imports bench]   database time: {timer.top(12)}"
    )
    return figures


def _admin():
    return get_user_model().objects.create_superuser(
        "bench-imports-admin", "bench-imports@mailnet.test", "x" * 16
    )


def test_bench_caseload_imports(tmp_path, settings):
    if connection.vendor != "postgresql":
        pytest.skip("the imports benchmark needs PostgreSQL (DATABASE_URL)")
    settings.MEDIA_ROOT = tmp_path / "media"
    started = time.perf_counter()
    national_data_generate(jobseekers=JOBSEEKERS, counsellors=COUNSELLORS)
    admin = _admin()
    print(
        f"\n[imports bench] national data (scale {SCALE}): {JOBSEEKERS:,} jobseekers, "
        f"{COUNSELLORS:,} counsellors, generated in {time.perf_counter() - started:.0f} s"
    )
    needed = (XLSX_ROWS + CSV_ROWS) * 3 // 10
    assert needed <= JOBSEEKERS, f"the files move or keep {needed:,} jobseekers: raise the scale"
    followers = _followers()
    modality_names = dict(Modality.objects.values_list("id", "name"))
    followed = _followed()

    results = []
    if XLSX_ROWS:
        xlsx_path, csv_twin = tmp_path / "national.xlsx", tmp_path / "national-xlsx.csv"
        _write_files(
            _rows(XLSX_ROWS, "I", followed, followers, modality_names),
            xlsx_path=xlsx_path,
            csv_path=csv_twin,
        )
        results.append(_run(xlsx_path, admin, "XLSX", XLSX_ROWS, csv_twin))
    if CSV_ROWS:
        csv_path = tmp_path / "national.csv"
        _write_files(_rows(CSV_ROWS, "O", followed, followers, modality_names), csv_path=csv_path)
        if PROFILE:
            import cProfile

            profiler = cProfile.Profile()
            results.append(profiler.runcall(_run, csv_path, admin, "CSV", CSV_ROWS, csv_path))
            profiler.dump_stats(PROFILE)
        else:
            results.append(_run(csv_path, admin, "CSV", CSV_ROWS, csv_path))
    for figures in reversed(results):  # undo: the last import first
        started = time.perf_counter()
        batch = services.import_batch_undo(batch=figures["batch"], user=admin)
        print(
            f"[imports bench] undo of the {figures['label']} import: "
            f"{time.perf_counter() - started:.1f} s"
        )
        assert batch.status == ImportStatus.UNDONE
    for figures in results:
        assert figures["counts"][3] == figures["rows"] // 1000
