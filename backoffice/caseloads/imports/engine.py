"""The row engine: classifies every row of a file against the database, and in apply mode
writes the changes in bulk, chunk by chunk, logging each one for undo.

The same pass serves the preview (dry run, no write) and the apply (inside the caller's
transaction), so what is confirmed is exactly what was previewed.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from backoffice.caseloads.models import Assignment, Employer, EmployerContact, Jobseeker
from backoffice.organisation.access import Scope

from .bulk import bulk_insert
from .models import ChangeAction, ImportChange, ImportKind
from .parsing import FileRefused, SpreadsheetReader
from .resources import RESOURCES
from .widgets import Lookups
from .widgets import text as cell_text

CHUNK_ROWS = 2000
NEW, UNCHANGED, TRANSFER = 1, 2, 3
_CATEGORY_SHIFT = 32
_ROW_SHIFT = 35


class ApplyDrift(Exception):
    """A row that was fine at preview is wrong now (the database changed): preview again."""


@dataclass
class Outcome:
    kind: str = ImportKind.JOBSEEKERS
    unknown_columns: list[str] = field(default_factory=list)
    total_rows: int = 0
    new: int = 0
    transfers: int = 0
    unchanged: int = 0
    error_rows: set[int] = field(default_factory=set)
    warnings: int = 0
    messages: list[list] = field(default_factory=list)  # [row, column, message, level]
    staged_sha256: str = ""  # of the cleaned rows kept for the apply (PostgreSQL)

    def counts(self) -> dict[str, int]:
        return {
            "total_rows": self.total_rows,
            "new_count": self.new,
            "transfer_count": self.transfers,
            "unchanged_count": self.unchanged,
            "error_count": len(self.error_rows),
            "warning_count": self.warnings,
        }


@dataclass
class _Row:
    number: int
    values: dict
    key: str
    kind: str
    counsellor_id: int
    seen_key: str


class Engine:
    """One pass over a file. `apply=False` never writes; `apply=True` must run in atomic()."""

    def __init__(
        self,
        *,
        path,
        scope: Scope,
        batch_id: int | None = None,
        apply: bool = False,
        skip_rows: frozenset[int] = frozenset(),
        skip_errors: bool = False,
        progress: Callable[[int], None] | None = None,
        max_messages: int = 20_000,
    ):
        self.path = path
        self.scope = scope
        self.limited = not scope.everything
        self.batch_id = batch_id
        self.apply = apply
        self.skip_rows = skip_rows
        self.skip_errors = skip_errors
        self.progress = progress
        self.max_messages = max_messages
        self.outcome = Outcome()
        # "<party key>|<kind initial>" -> row << 35 | category << 32 | counsellor id
        self.seen: dict[str, int] = {}
        self.conflicts: dict[str, int] = {}

    # -- messages ------------------------------------------------------------------------
    def _message(self, row: int, column: str, text: str, level: str) -> None:
        if len(self.outcome.messages) < self.max_messages:
            self.outcome.messages.append([row, column, text, level])

    def error(self, row: int, column: str, text: str) -> None:
        if self.apply and not self.skip_errors:
            raise ApplyDrift(_("Ligne %(row)s : %(text)s") % {"row": row, "text": text})
        self.outcome.error_rows.add(row)
        self._message(row, column, text, "erreur")

    def warning(self, row: int, column: str, text: str) -> None:
        self.outcome.warnings += 1
        self._message(row, column, text, "avertissement")

    # -- the pass --------------------------------------------------------------------------
    def run(self) -> Outcome:
        self.lookups = Lookups.load()
        with SpreadsheetReader(self.path) as reader:
            header = reader.header
            self.outcome.kind = header.kind
            self.outcome.unknown_columns = header.unknown
            self.resource = RESOURCES[header.kind](lookups=self.lookups)
            self.titles = self.resource.titles
            self._start()
            chunk: list[tuple[int, dict]] = []
            chunk_rows = CHUNK_ROWS
            for number, raw in reader.rows():
                self.outcome.total_rows += 1
                chunk.append((number, raw))
                if len(chunk) >= chunk_rows:
                    self._chunk(chunk)
                    chunk = []
                    self._report_read(self.outcome.total_rows)
            if chunk:
                self._chunk(chunk)
        if self.outcome.total_rows == 0:
            raise FileRefused(
                _("Le fichier ne contient que la ligne d'en-tête : aucune affectation à importer.")
            )
        self._after_rows()
        # Row by row, whatever order the checks found them in (stable: a row keeps its order).
        self.outcome.messages.sort(key=lambda message: message[0])
        if self.progress:
            self.progress(self.outcome.total_rows)
        return self.outcome

    def _start(self) -> None:
        """Called once the header is known, before the first row."""

    def _report_read(self, rows_read: int) -> None:
        if self.progress:
            self.progress(rows_read)

    def _after_rows(self) -> None:
        """Called after the last row: here only the in-file conflicts are left."""
        self._finish_conflicts()

    def _finish_conflicts(self) -> None:
        """The first row of a jobseeker listed twice with different counsellors is wrong too."""
        category_counter = {NEW: "new", UNCHANGED: "unchanged", TRANSFER: "transfers"}
        for seen_key, other_row in self.conflicts.items():
            packed = self.seen[seen_key]
            first_row = packed >> _ROW_SHIFT
            category = (packed >> _CATEGORY_SHIFT) & 0b111
            if first_row in self.outcome.error_rows or first_row in self.skip_rows:
                continue
            name = category_counter.get(category)
            if name:
                setattr(self.outcome, name, getattr(self.outcome, name) - 1)
            self.error(
                first_row,
                self.titles["matricule"],
                _("%(key)s figure aussi ligne %(row)s avec un autre conseiller.")
                % {"key": seen_key.split("|")[0], "row": other_row},
            )

    def _chunk(self, chunk: list[tuple[int, dict]]) -> None:
        rows: list[_Row] = []
        party_field = self.resource.party_field
        for number, raw in chunk:
            if number in self.skip_rows:
                continue
            row = self._clean(number, raw, party_field)
            if row is not None:
                rows.append(row)
        if rows:
            self._classify(rows)

    def _agency_accepted(self, number: int, values: dict, matricule) -> bool:
        """The row's agency is in the importer's scope and is its counsellor's agency.

        `matricule` is the raw matricule cell, for the message.
        """
        _counsellor_id, counsellor_agency_id, _active = values["matricule"]
        agency_id, repaired = values["agency"]
        code = self.lookups.agency_codes.get(agency_id)
        if repaired:
            self.warning(
                number,
                self.titles["agency"],
                _("Code agence complété en %(code)s (zéro initial perdu par le tableur).")
                % {"code": code},
            )
        if self.limited and agency_id not in self.scope.agency_ids:
            self.error(
                number,
                self.titles["agency"],
                _("Agence %(code)s hors de votre périmètre : vous n'importez que pour la vôtre.")
                % {"code": code},
            )
            return False
        if counsellor_agency_id != agency_id:
            self.error(
                number,
                self.titles["matricule"],
                _("Le conseiller %(m)s n'appartient pas à l'agence %(code)s.")
                % {"m": cell_text(matricule).upper(), "code": code},
            )
            return False
        return True

    def _clean(self, number: int, raw: dict, party_field: str) -> _Row | None:
        values, errors = self.resource.clean_row(raw)
        if errors:
            for column, text in errors:
                self.error(number, column, text)
            return None
        if not self._agency_accepted(number, values, raw.get("matricule")):
            return None
        counsellor_id = values["matricule"][0]
        key = values[party_field]
        kind = values["kind"]
        seen_key = f"{key}|{kind[0]}"
        previous = self.seen.get(seen_key)
        if previous is not None:
            first_row = previous >> _ROW_SHIFT
            if previous & 0xFFFFFFFF != counsellor_id:
                self.conflicts.setdefault(seen_key, number)
                self.error(
                    number,
                    self.titles["matricule"],
                    _("%(key)s figure aussi ligne %(row)s avec un autre conseiller.")
                    % {"key": key, "row": first_row},
                )
            else:
                self.outcome.unchanged += 1
                self.warning(
                    number,
                    self.titles[party_field],
                    _("Ligne en double de la ligne %(row)s : ignorée.") % {"row": first_row},
                )
            return None
        self.seen[seen_key] = (number << _ROW_SHIFT) | counsellor_id
        return _Row(number, values, key, kind, counsellor_id, seen_key)

    # -- against the database --------------------------------------------------------------
    def _classify(self, rows: list[_Row]) -> None:
        employers = self.outcome.kind == ImportKind.EMPLOYERS
        party_model = Employer if employers else Jobseeker
        party_lookup = "siret" if employers else "identifier"
        party_fk = "employer_id" if employers else "jobseeker_id"
        keys = {row.key for row in rows}
        parties = dict(
            party_model.objects.filter(**{f"{party_lookup}__in": keys}).values_list(
                party_lookup, "id"
            )
        )
        current: dict[tuple[int, str], tuple] = {}
        if parties:
            for assignment in Assignment.objects.filter(
                **{f"{party_fk}__in": list(parties.values()), "ends_on__isnull": True}
            ).values_list(
                "id",
                party_fk,
                "kind",
                "counsellor_id",
                "modality_id",
                "starts_on",
                "counsellor__agency_id",
            ):
                current[(assignment[1], assignment[2])] = assignment
        accepted: list[tuple[_Row, int | None, tuple | None]] = []
        for row in rows:
            party_id = parties.get(row.key)
            open_one = current.get((party_id, row.kind)) if party_id else None
            modality_id = row.values.get("modality")
            if open_one is None:
                category = NEW
            elif open_one[3] == row.counsellor_id and open_one[4] == modality_id:
                category = UNCHANGED
            else:
                if self.limited and open_one[6] not in self.scope.agency_ids:
                    self.error(
                        row.number,
                        self.titles["matricule"],
                        _("%(key)s est suivi par l'agence %(code)s, hors de votre périmètre.")
                        % {"key": row.key, "code": self.lookups.agency_codes.get(open_one[6])},
                    )
                    continue
                if row.values["starts_on"] < open_one[5]:
                    self.error(
                        row.number,
                        self.titles["starts_on"],
                        _(
                            "Date d'affectation antérieure au début de l'affectation en cours "
                            "(%(d)s)."
                        )
                        % {"d": open_one[5].strftime("%d/%m/%Y")},
                    )
                    continue
                category = TRANSFER
            self.seen[row.seen_key] |= category << _CATEGORY_SHIFT
            if category == NEW:
                self.outcome.new += 1
            elif category == TRANSFER:
                self.outcome.transfers += 1
            else:
                self.outcome.unchanged += 1
                continue
            accepted.append((row, party_id, open_one))
        if self.apply and accepted:
            self._write(accepted, employers)

    def _write(self, accepted, employers: bool) -> None:
        party_fk = "employer_id" if employers else "jobseeker_id"
        changes: list[tuple] = []

        def change(
            row: _Row,
            action: str,
            *,
            assignment_id=None,
            party_id=None,
            counsellor_id=None,
            on_date=None,
        ) -> None:
            changes.append(
                (
                    self.batch_id,
                    row.number,
                    action,
                    assignment_id,
                    None if employers else party_id,
                    party_id if employers else None,
                    row.key,
                    row.kind,
                    counsellor_id,
                    on_date,
                )
            )

        # 1. the parties the file introduces
        missing = {row.key: row for row, party_id, _open in accepted if party_id is None}
        created_ids: dict[str, int] = {}
        if missing:
            keys = list(missing)
            if employers:
                ids = bulk_insert(
                    Employer, ["siret", "name"], [(k, missing[k].values["name"]) for k in keys]
                )
            else:
                ids = bulk_insert(
                    Jobseeker,
                    ["identifier", "first_name", "last_name", "email", "phone"],
                    [
                        (
                            k,
                            missing[k].values["first_name"],
                            missing[k].values["last_name"],
                            missing[k].values.get("email") or "",
                            "",
                        )
                        for k in keys
                    ],
                )
            created_ids = dict(zip(keys, ids, strict=True))
            for key, pk in created_ids.items():
                change(missing[key], ChangeAction.PARTY_CREATED, party_id=pk)
            if employers:
                bulk_insert(
                    EmployerContact,
                    ["employer_id", "name", "email"],
                    [
                        (created_ids[k], "", row.values["email"])
                        for k, row in missing.items()
                        if row.values.get("email")
                    ],
                    returning=False,
                )
        # 2. close what moves, grouped by date (files mostly share a handful of dates)
        closing: dict[datetime.date, list[int]] = defaultdict(list)
        for row, party_id, open_one in accepted:
            if open_one is not None:
                closing[row.values["starts_on"]].append(open_one[0])
                change(
                    row,
                    ChangeAction.CLOSED,
                    assignment_id=open_one[0],
                    party_id=party_id,
                    counsellor_id=open_one[3],
                    on_date=row.values["starts_on"],
                )
        for day, ids in closing.items():
            Assignment.objects.filter(id__in=ids, ends_on__isnull=True).update(ends_on=day)
        # 3. open the new assignments
        opened = [
            (
                party_id or created_ids[row.key],
                row.counsellor_id,
                row.kind,
                row.values.get("modality"),
                row.values["starts_on"],
            )
            for row, party_id, _open in accepted
        ]
        ids = bulk_insert(
            Assignment, [party_fk, "counsellor_id", "kind", "modality_id", "starts_on"], opened
        )
        for (row, _party, _open), values, pk in zip(accepted, opened, ids, strict=True):
            change(
                row,
                ChangeAction.CREATED,
                assignment_id=pk,
                party_id=values[0],
                counsellor_id=row.counsellor_id,
                on_date=row.values["starts_on"],
            )
        bulk_insert(ImportChange, CHANGE_COLUMNS, changes, returning=False)


CHANGE_COLUMNS = [
    "batch_id",
    "row",
    "action",
    "assignment_id",
    "jobseeker_id",
    "employer_id",
    "party_key",
    "kind",
    "counsellor_id",
    "on_date",
]
