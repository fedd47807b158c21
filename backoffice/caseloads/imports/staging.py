"""The PostgreSQL engine: rows cleaned in Python are COPied into a temporary staging table,
then classified and applied with set-based SQL (joins, INSERT ... SELECT, UPDATE ... FROM).

Same checks, same French messages, same counts and the same undo log as the row engine
(`engine.Engine`, used on other databases): cleaning, scope and in-file duplicates are the
row engine's own code; only the classification against the database (new, transfer,
unchanged, and the two transfer errors) and the writes are SQL here. The temporary tables
live in the connection's session: a preview (autocommit) drops them at the end, an apply
creates and drops them inside its transaction, so a failure leaves nothing behind.

The preview also keeps its cleaned rows in a file beside the upload (`staged_path`, binary
COPY format, its sha256 on the batch). The apply loads them from there instead of reading
and cleaning the spreadsheet again, re-checks against the database what may have changed
since (counsellors gone, inactive or moved, the importer's scope) with the same messages,
and classifies again. Without that file, or if it does not match its hash, the apply reads
the spreadsheet.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from django.db import DatabaseError, connection, transaction
from django.utils.translation import gettext as _

from backoffice.caseloads.models import Assignment
from backoffice.organisation.models import Counsellor

from . import engine as row_engine
from .cleaning import text
from .engine import NEW, TRANSFER, UNCHANGED, Engine, _Row
from .models import ImportKind
from .resources import RESOURCES
from .staging_writes import party_columns, staged_rows_write
from .widgets import Lookups

# COPY is flushed every STAGE_CHUNKS chunks of rows; progress is reported at each flush.
STAGE_CHUNKS = 10
# Share of the progress bar given to reading the file; the SQL steps share the rest.
READ_SHARE = 0.7
SCOPE_ERROR, DATE_ERROR = 4, 5
# The joins and sorts run over every row of a file: the 4 MB default is small for that.
WORK_MEM, TEMP_BUFFERS = "64MB", "256MB"
STAGING_COLUMNS = (
    "row",
    "duplicate",
    "agency_id",
    "matricule",
    "key",
    "kind",
    "counsellor_id",
    "modality_id",
    "starts_on",
    "first_name",
    "last_name",
    "name",
    "email",
)
TEMP_TABLES = ("import_staging", "import_classified", "import_new_parties", "import_plan")
STAGED_OPTIONS = ("staged_path", "staged_sha256", "staged_kind", "staged_total")
BLOCK = 1024 * 1024


def engine_for(**kwargs) -> Engine:
    """The staging engine on PostgreSQL, the row engine elsewhere (same results)."""
    if connection.vendor == "postgresql":
        return StagedEngine(**kwargs)
    for option in STAGED_OPTIONS:
        kwargs.pop(option, None)
    return Engine(**kwargs)


class StagedEngine(Engine):
    """`Engine` with the database work done by set-based SQL on a staging table.

    `staged_path`: where a preview keeps its cleaned rows, and where an apply finds them
    (with `staged_sha256`, and the preview's `staged_kind` and `staged_total` rows).
    """

    def __init__(
        self,
        *,
        staged_path=None,
        staged_sha256: str = "",
        staged_kind: str = "",
        staged_total: int = 0,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.staged_path = Path(staged_path) if staged_path else None
        self.staged_sha256 = staged_sha256
        self.staged_kind = staged_kind
        self.staged_total = staged_total

    def run(self):
        if self.apply and self._staged_usable():
            return self._run_from_staged()
        return super().run()

    def _start(self) -> None:
        self.buffer: list[tuple] = []
        self.employers = self.outcome.kind == ImportKind.EMPLOYERS
        self.excluded: list[int] = []  # first rows of in-file conflicts, made errors
        with connection.cursor() as cursor:
            self._tune(cursor)
            cursor.execute(f"DROP TABLE IF EXISTS {', '.join(TEMP_TABLES)}")
            cursor.execute(
                "CREATE TEMPORARY TABLE import_staging (row integer NOT NULL, "
                "duplicate boolean NOT NULL, agency_id bigint, matricule text, key text, "
                "kind text, counsellor_id bigint, modality_id bigint, starts_on date, "
                "first_name text, last_name text, name text, email text)"
            )

    def _tune(self, cursor) -> None:
        """Memory for the joins and sorts over a whole file, and for the temporary tables.

        work_mem for this transaction (apply) or until the end of the preview; temp_buffers
        for the session, which PostgreSQL allows only before its first temporary table.
        """
        cursor.execute("SELECT set_config('work_mem', %s, %s)", [WORK_MEM, self.apply])
        try:
            with transaction.atomic():
                cursor.execute("SELECT set_config('temp_buffers', %s, false)", [TEMP_BUFFERS])
        except DatabaseError:
            pass  # this session has used temporary tables already: it keeps its size

    # -- reading: clean, keep the first occurrence of each party, COPY -------------------------
    def _chunk(self, chunk: list[tuple[int, dict]]) -> None:
        party_field = self.resource.party_field
        skip_rows = self.skip_rows
        append = self.buffer.append
        clean = self._clean
        outcome = self.outcome
        for number, raw in chunk:
            if number in skip_rows:
                continue
            duplicates = outcome.unchanged
            row: _Row | None = clean(number, raw, party_field)
            if row is None:
                if outcome.unchanged != duplicates:  # a repeated row: counted as unchanged
                    append((number, True, *[None] * (len(STAGING_COLUMNS) - 2)))
                continue
            values = row.values
            append(
                (
                    number,
                    False,
                    values["agency"][0],
                    text(raw.get("matricule")).upper(),
                    row.key,
                    row.kind,
                    row.counsellor_id,
                    values.get("modality"),
                    values["starts_on"],
                    values.get("first_name"),
                    values.get("last_name"),
                    values.get("name"),
                    values.get("email"),
                )
            )
        if len(self.buffer) >= row_engine.CHUNK_ROWS * STAGE_CHUNKS:
            self._flush()

    def _flush(self) -> None:
        if not self.buffer:
            return
        with (
            connection.cursor() as cursor,
            cursor.cursor.copy(
                f"COPY import_staging ({', '.join(STAGING_COLUMNS)}) FROM STDIN"
            ) as copy,
        ):
            write = copy.write_row
            for values in self.buffer:
                write(values)
        self.buffer = []

    def _report_read(self, rows_read: int) -> None:
        if self.progress and not self.buffer:  # reported after each flush only
            self.progress(int(rows_read * READ_SHARE))

    def _step(self, share: float) -> None:
        """Progress through the SQL steps: `share` of the way after reading."""
        if self.progress:
            done = READ_SHARE + (1 - READ_SHARE) * share
            self.progress(int(self.outcome.total_rows * done))

    # -- against the database -----------------------------------------------------------------
    def _after_rows(self) -> None:
        self._flush()
        with connection.cursor() as cursor:
            if not self.apply and self.staged_path:
                self._keep_staged(cursor)
            cursor.execute("ANALYZE import_staging")
            self._classify_all(cursor)
            self._step(0.3)
            self._transfer_errors(cursor)
            self._conflicts(cursor)
            self._count(cursor)
            self._step(0.4)
            if self.apply:
                self._write_all(cursor)
            cursor.execute(f"DROP TABLE IF EXISTS {', '.join(TEMP_TABLES)}")
            if not self.apply:
                cursor.execute("RESET work_mem")

    def _classify_all(self, cursor) -> None:
        """One row per staged row with its party, its open assignment and its category."""
        table, key_column, party_fk = party_columns(employers=self.employers)
        cursor.execute(
            f"""
            CREATE TEMPORARY TABLE import_classified AS
            SELECT s.*, p.id AS party_id, a.id AS open_id,
                   a.counsellor_id AS open_counsellor_id, a.starts_on AS open_starts_on,
                   c.agency_id AS open_agency_id,
                   CASE
                     WHEN a.id IS NULL THEN {NEW}
                     WHEN a.counsellor_id = s.counsellor_id
                          AND a.modality_id IS NOT DISTINCT FROM s.modality_id THEN {UNCHANGED}
                     WHEN %(limited)s AND NOT c.agency_id = ANY(%(agencies)s::bigint[])
                          THEN {SCOPE_ERROR}
                     WHEN s.starts_on < a.starts_on THEN {DATE_ERROR}
                     ELSE {TRANSFER}
                   END AS category
            FROM import_staging s
            LEFT JOIN {table} p ON p.{key_column} = s.key
            LEFT JOIN {Assignment._meta.db_table} a
                   ON a.{party_fk} = p.id AND a.kind = s.kind AND a.ends_on IS NULL
            LEFT JOIN {Counsellor._meta.db_table} c ON c.id = a.counsellor_id
            WHERE NOT s.duplicate
            """,  # noqa: S608 table names are ours
            {"limited": self.limited, "agencies": sorted(self.scope.agency_ids or ())},
        )

    def _transfer_errors(self, cursor) -> None:
        """The rows that would take a jobseeker from another agency, or go back in time."""
        cursor.execute(
            "SELECT row, category, key, open_agency_id, open_starts_on FROM import_classified "  # noqa: S608
            f"WHERE category IN ({SCOPE_ERROR}, {DATE_ERROR}) ORDER BY row"
        )
        for number, category, key, agency_id, open_starts_on in cursor.fetchall():
            if category == SCOPE_ERROR:
                self.error(
                    number,
                    self.titles["matricule"],
                    _("%(key)s est suivi par l'agence %(code)s, hors de votre périmètre.")
                    % {"key": key, "code": self.lookups.agency_codes.get(agency_id)},
                )
            else:
                self.error(
                    number,
                    self.titles["starts_on"],
                    _("Date d'affectation antérieure au début de l'affectation en cours (%(d)s).")
                    % {"d": open_starts_on.strftime("%d/%m/%Y")},
                )

    def _conflicts(self, cursor) -> None:
        """The first row of a party listed twice with different counsellors is wrong too."""
        if not self.conflicts:
            return
        for seen_key, other_row in self.conflicts.items():
            first_row = self.seen[seen_key] >> row_engine._ROW_SHIFT
            if first_row in self.outcome.error_rows or first_row in self.skip_rows:
                continue
            self.excluded.append(first_row)
            self.error(
                first_row,
                self.titles["matricule"],
                _("%(key)s figure aussi ligne %(row)s avec un autre conseiller.")
                % {"key": seen_key.split("|")[0], "row": other_row},
            )

    def _count(self, cursor) -> None:
        cursor.execute(
            "SELECT category, count(*) FROM import_classified "  # noqa: S608 constants
            f"WHERE category IN ({NEW}, {UNCHANGED}, {TRANSFER}) "
            "AND NOT row = ANY(%s::integer[]) GROUP BY category",
            [self.excluded],
        )
        counts = dict(cursor.fetchall())
        self.outcome.new += counts.get(NEW, 0)
        self.outcome.transfers += counts.get(TRANSFER, 0)
        self.outcome.unchanged += counts.get(UNCHANGED, 0)

    # -- the cleaned rows kept from the preview for the apply ---------------------------------
    def _keep_staged(self, cursor) -> None:
        digest = hashlib.sha256()
        partial = self.staged_path.with_name(self.staged_path.name + ".part")
        with (
            partial.open("wb") as f,
            cursor.cursor.copy("COPY import_staging TO STDOUT (FORMAT binary)") as copy,
        ):
            for block in copy:
                f.write(block)
                digest.update(block)
        partial.replace(self.staged_path)
        self.outcome.staged_sha256 = digest.hexdigest()

    def _staged_usable(self) -> bool:
        if not (self.staged_path and self.staged_sha256 and self.staged_kind):
            return False
        from .services.common import file_sha256  # the services package imports this one

        try:
            return file_sha256(self.staged_path) == self.staged_sha256
        except OSError:
            return False

    def _run_from_staged(self):
        self.lookups = Lookups.load()
        self.outcome.kind = self.staged_kind
        self.outcome.total_rows = self.staged_total
        self.resource = RESOURCES[self.staged_kind](lookups=self.lookups)
        self.titles = self.resource.titles
        self._start()
        with connection.cursor() as cursor:
            with (
                cursor.cursor.copy("COPY import_staging FROM STDIN (FORMAT binary)") as copy,
                self.staged_path.open("rb") as f,
            ):
                for block in iter(lambda: f.read(BLOCK), b""):
                    copy.write(block)
            if self.skip_rows:  # wrong at preview: left out
                cursor.execute(
                    "DELETE FROM import_staging WHERE row = ANY(%s::integer[])",
                    [sorted(self.skip_rows)],
                )
            if self.progress:
                self.progress(int(self.outcome.total_rows * READ_SHARE))
            self._recheck_counsellors(cursor)
            cursor.execute("SELECT count(*) FROM import_staging WHERE duplicate")
            self.outcome.unchanged += cursor.fetchone()[0]
        self._after_rows()
        self.outcome.messages.sort(key=lambda message: message[0])
        if self.progress:
            self.progress(self.outcome.total_rows)
        return self.outcome

    def _recheck_counsellors(self, cursor) -> None:
        """Rows whose counsellor has gone, left, moved, or whose agency left the importer's
        scope since the preview: the same checks and messages as when reading the file."""
        cursor.execute(
            f"""
            SELECT s.row, s.matricule, s.agency_id FROM import_staging s
            LEFT JOIN {Counsellor._meta.db_table} c ON c.id = s.counsellor_id
            WHERE NOT s.duplicate AND (
                c.id IS NULL OR NOT c.is_active OR c.agency_id IS DISTINCT FROM s.agency_id
                OR (%(limited)s AND NOT s.agency_id = ANY(%(agencies)s::bigint[])))
            ORDER BY s.row
            """,  # noqa: S608 table names are ours
            {"limited": self.limited, "agencies": sorted(self.scope.agency_ids or ())},
        )
        changed = cursor.fetchall()
        if not changed:
            return
        clean_matricule = self.resource.fields["matricule"].widget.clean
        wrong = []
        for number, matricule, agency_id in changed:
            try:
                counsellor = clean_matricule(matricule)
            except ValueError as error:
                self.error(number, self.titles["matricule"], str(error))
                wrong.append(number)
                continue
            values = {"matricule": counsellor, "agency": (agency_id, False)}
            if not self._agency_accepted(number, values, matricule):
                wrong.append(number)
        cursor.execute("DELETE FROM import_staging WHERE row = ANY(%s::integer[])", [wrong])

    def _write_all(self, cursor) -> None:
        staged_rows_write(
            cursor,
            employers=self.employers,
            excluded=self.excluded,
            batch_id=self.batch_id,
            step=self._step,
        )
