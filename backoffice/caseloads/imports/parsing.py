"""Reading caseload spreadsheets as a stream of rows: XLSX (read-only) or CSV (sniffed).

Nothing here touches the database. A file that cannot be read as an assignment table
raises `FileRefused` with a French message, early and without loading the whole file.
"""

from __future__ import annotations

import codecs
import csv
import functools
import io
import re
import unicodedata
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext as _

from .models import ImportKind

HEADER_SEARCH_ROWS = 30
MAX_CSV_LINE = 64 * 1024
# A real worksheet compresses 5 to 30 times; a bomb a thousand times.
MAX_COMPRESSION_RATIO = 150


class FileRefused(Exception):
    """The file is not an assignment table we can read; the message says why, in French."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Column:
    key: str
    title: str
    required: bool = True
    aliases: tuple[str, ...] = ()


JOBSEEKER_COLUMNS = (
    Column("identifier", "Identifiant DE", aliases=("identifiant", "identifiantdemandeur")),
    Column("last_name", "Nom", aliases=("nomde",)),
    Column("first_name", "Prénom"),
    Column("email", "Courriel", required=False, aliases=("email", "mail", "adressecourriel")),
    Column("modality", "Modalité", aliases=("modalitedesuivi", "msa")),
    Column("matricule", "Matricule conseiller", aliases=("matricule",)),
    Column("agency", "Agence", aliases=("codeagence",)),
    Column("starts_on", "Date d'affectation", aliases=("date",)),
    Column("kind", "Type d'affectation", required=False, aliases=("type",)),
)
EMPLOYER_COLUMNS = (
    Column("siret", "SIRET"),
    Column("name", "Raison sociale", aliases=("nom", "entreprise")),
    Column("email", "Courriel", required=False, aliases=("email", "mail", "adressecourriel")),
    Column("matricule", "Matricule conseiller", aliases=("matricule",)),
    Column("agency", "Agence", aliases=("codeagence",)),
    Column("starts_on", "Date d'affectation", aliases=("date",)),
    Column("kind", "Type d'affectation", required=False, aliases=("type",)),
)
COLUMNS = {ImportKind.JOBSEEKERS: JOBSEEKER_COLUMNS, ImportKind.EMPLOYERS: EMPLOYER_COLUMNS}


@functools.lru_cache(maxsize=8192)
def _normalise(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return re.sub(r"[^0-9a-z]", "", plain.lower())


def normalise(text) -> str:
    """Lower case, no accents, letters and digits only: "Date d’Affectation " -> "datedaffectation"."""
    if text is None:
        return ""
    return _normalise(str(text))


def _lookup_table(columns: tuple[Column, ...]) -> dict[str, str]:
    table = {}
    for column in columns:
        for name in (column.title, *column.aliases):
            table.setdefault(normalise(name), column.key)
    return table


_LOOKUPS = {kind: _lookup_table(columns) for kind, columns in COLUMNS.items()}


@dataclass
class Header:
    kind: str
    row_number: int
    positions: dict[str, int]  # column key -> index in the row
    unknown: list[str] = field(default_factory=list)


def _header_from(cells, row_number: int) -> Header | None:
    """The header, if this row has at least three known column titles."""
    names = [normalise(c) for c in cells]
    kind = (
        ImportKind.EMPLOYERS
        if "siret" in names and "identifiantde" not in names
        else ImportKind.JOBSEEKERS
    )
    table = _LOOKUPS[kind]
    positions: dict[str, int] = {}
    unknown = []
    for index, name in enumerate(names):
        if not name:
            continue
        key = table.get(name)
        if key and key not in positions:
            positions[key] = index
        else:
            unknown.append(str(cells[index]).strip())
    if len(positions) < 3:
        return None
    missing = [c.title for c in COLUMNS[kind] if c.required and c.key not in positions]
    if missing:
        raise FileRefused(
            _("Colonnes obligatoires absentes : %(missing)s. Colonnes attendues : %(expected)s.")
            % {
                "missing": ", ".join(missing),
                "expected": ", ".join(c.title for c in COLUMNS[kind]),
            }
        )
    return Header(kind=kind, row_number=row_number, positions=positions, unknown=unknown)


def _no_header_refusal() -> FileRefused:
    return FileRefused(
        _(
            "Aucune ligne d'en-tête reconnue dans les %(n)s premières lignes : ce fichier n'est "
            "pas un tableau d'affectations. Colonnes attendues : %(expected)s."
        )
        % {
            "n": HEADER_SEARCH_ROWS,
            "expected": ", ".join(c.title for c in JOBSEEKER_COLUMNS),
        }
    )


def _blank(cells) -> bool:
    for cell in cells:  # a data row is decided at its first cell
        if cell is None:
            continue
        if not isinstance(cell, str) or cell.strip():
            return False
    return True


class SpreadsheetReader:
    """Iterates (row number, {column key: raw value}) over the data rows of a file.

    Use as a context manager. `header` is known after `open()`; `rows()` streams.
    """

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.header: Header | None = None
        self.format = ""
        self._close = []
        self._raw_rows: Iterator[tuple[int, tuple]] | None = None

    # -- opening ---------------------------------------------------------------------------
    def __enter__(self) -> SpreadsheetReader:
        self.open()
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        for closer in reversed(self._close):
            closer()
        self._close.clear()

    def open(self) -> None:
        size = self.path.stat().st_size
        if size == 0:
            raise FileRefused(_("Le fichier est vide."))
        if size > settings.MAILNET_IMPORT_MAX_UPLOAD_BYTES:
            raise FileRefused(
                _("Le fichier dépasse la taille maximale de %(mb)s Mo.")
                % {"mb": settings.MAILNET_IMPORT_MAX_UPLOAD_BYTES // (1024 * 1024)}
            )
        with self.path.open("rb") as f:
            head = f.read(8192)
        if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
            self.format = "xlsx"
            self._raw_rows = self._xlsx_rows()
        elif head.startswith(b"\xd0\xcf\x11\xe0"):
            raise FileRefused(
                _(
                    "Ancien format Excel (.xls) non pris en charge : enregistrez le fichier "
                    "au format .xlsx ou .csv."
                )
            )
        elif b"\x00" in head:
            raise FileRefused(
                _("Ce fichier n'est pas un tableur (.xlsx) ni un fichier texte (.csv).")
            )
        else:
            self.format = "csv"
            self._raw_rows = self._csv_rows()
        self.header = self._find_header()

    def _find_header(self) -> Header:
        assert self._raw_rows is not None
        for row_number, cells in self._raw_rows:
            if row_number > HEADER_SEARCH_ROWS:
                break
            if _blank(cells):
                continue
            header = _header_from(cells, row_number)
            if header:
                return header
        raise _no_header_refusal()

    # -- XLSX ------------------------------------------------------------------------------
    def _xlsx_rows(self) -> Iterator[tuple[int, tuple]]:
        import openpyxl

        _use_c_xml_parser()

        try:
            archive = zipfile.ZipFile(self.path)
        except (zipfile.BadZipFile, OSError, EOFError) as error:
            raise FileRefused(
                _("Le fichier .xlsx est tronqué ou endommagé : il ne peut pas être lu.")
            ) from error
        self._close.append(archive.close)
        self._check_archive(archive)
        try:
            workbook = openpyxl.load_workbook(self.path, read_only=True, data_only=False)
        except FileRefused:
            raise
        except Exception as error:  # openpyxl raises many kinds on a damaged file
            raise FileRefused(
                _("Le fichier .xlsx est tronqué ou endommagé : il ne peut pas être lu.")
            ) from error
        self._close.append(workbook.close)
        sheet = workbook.worksheets[0] if workbook.worksheets else None
        if sheet is None:
            raise FileRefused(_("Le classeur ne contient aucune feuille."))
        declared = sheet.max_row if isinstance(sheet.max_row, int) else 0
        if declared > settings.MAILNET_IMPORT_MAX_ROWS + HEADER_SEARCH_ROWS:
            raise self._too_many_rows()
        return self._xlsx_iter(sheet)

    def _xlsx_iter(self, sheet) -> Iterator[tuple[int, tuple]]:
        try:
            yield from enumerate(sheet.iter_rows(values_only=True), start=1)
        except (zipfile.BadZipFile, EOFError, OSError, KeyError, ValueError) as error:
            raise FileRefused(
                _("Le fichier .xlsx est tronqué ou endommagé : il ne peut pas être lu.")
            ) from error
        except Exception as error:  # XML errors from a damaged sheet
            if error.__class__.__name__ in {"ParseError", "XMLSyntaxError"}:
                raise FileRefused(
                    _("Le fichier .xlsx est tronqué ou endommagé : il ne peut pas être lu.")
                ) from error
            raise

    def _check_archive(self, archive: zipfile.ZipFile) -> None:
        infos = archive.infolist()
        names = {info.filename for info in infos}
        if "[Content_Types].xml" not in names or not any(
            n.startswith("xl/worksheets/") for n in names
        ):
            raise FileRefused(
                _("Cette archive n'est pas un classeur Excel (.xlsx) : aucune feuille trouvée.")
            )
        total = 0
        for info in infos:
            total += info.file_size
            if info.file_size > 10 * 1024 * 1024 and info.file_size > MAX_COMPRESSION_RATIO * max(
                info.compress_size, 1
            ):
                raise self._bomb()
        if total > settings.MAILNET_IMPORT_MAX_UNCOMPRESSED_BYTES:
            raise self._bomb()

    @staticmethod
    def _bomb() -> FileRefused:
        return FileRefused(
            _(
                "Ce classeur est anormalement volumineux une fois décompressé : il est refusé "
                "par sécurité."
            )
        )

    @staticmethod
    def _too_many_rows() -> FileRefused:
        return FileRefused(
            _("Le fichier dépasse le maximum de %(n)s lignes : découpez-le.")
            % {"n": f"{settings.MAILNET_IMPORT_MAX_ROWS:,}".replace(",", " ")}
        )

    # -- CSV -------------------------------------------------------------------------------
    def _detect_encoding(self) -> str:
        with self.path.open("rb") as f:
            if f.read(3) == codecs.BOM_UTF8:
                return "utf-8-sig"
            f.seek(0)
            decoder = codecs.getincrementaldecoder("utf-8")()
            try:
                for chunk in iter(lambda: f.read(1024 * 1024), b""):
                    decoder.decode(chunk)
                decoder.decode(b"", final=True)
            except UnicodeDecodeError:
                return "cp1252"
        return "utf-8"

    def _csv_rows(self) -> Iterator[tuple[int, tuple]]:
        self.encoding = self._detect_encoding()
        text = self.path.open("r", encoding=self.encoding, newline="")
        self._close.append(text.close)
        try:
            sample = text.read(64 * 1024)
        except UnicodeDecodeError as error:
            raise FileRefused(_("Encodage du fichier non reconnu.")) from error
        text.seek(0)
        self.delimiter = _sniff_delimiter(sample)
        reader = csv.reader(_bounded_lines(text), delimiter=self.delimiter)
        return self._csv_iter(reader)

    def _csv_iter(self, reader) -> Iterator[tuple[int, tuple]]:
        number = 0
        try:
            for cells in reader:
                number += 1
                yield number, cells
        except UnicodeDecodeError as error:
            raise FileRefused(_("Encodage du fichier non reconnu.")) from error
        except csv.Error as error:
            raise FileRefused(
                _("Ligne %(n)s illisible : ce fichier CSV est mal formé.") % {"n": number + 1}
            ) from error

    # -- rows ------------------------------------------------------------------------------
    def rows(self) -> Iterator[tuple[int, dict]]:
        """Data rows after the header, blank rows skipped, at most MAILNET_IMPORT_MAX_ROWS."""
        assert self.header is not None and self._raw_rows is not None
        positions = list(self.header.positions.items())
        limit = settings.MAILNET_IMPORT_MAX_ROWS
        count = 0
        for number, cells in self._raw_rows:
            if _blank(cells):
                continue
            count += 1
            if count > limit:
                raise self._too_many_rows()
            width = len(cells)
            yield number, {key: (cells[i] if i < width else None) for key, i in positions}


def _use_c_xml_parser() -> None:
    """Lets openpyxl read worksheets with ElementTree's C parser instead of defusedxml's.

    With defusedxml installed, openpyxl parses every cell through a pure-Python parser,
    several times slower. Expat >= 2.4.1 caps entity amplification itself (billion
    laughs) and ElementTree never loads external entities, so the C parser is as safe.
    This is process-wide for openpyxl's worksheet reader, and only on such an expat.
    """
    import pyexpat
    from xml.etree import ElementTree

    from openpyxl.worksheet import _reader

    if pyexpat.version_info >= (2, 4, 1):
        _reader.iterparse = ElementTree.iterparse


def _bounded_lines(text: io.TextIOBase) -> Iterator[str]:
    """Lines of at most MAX_CSV_LINE characters: a binary blob never becomes one huge line."""
    while True:
        line = text.readline(MAX_CSV_LINE)
        if not line:
            return
        if len(line) >= MAX_CSV_LINE and not line.endswith(("\n", "\r")):
            raise FileRefused(
                _("Une ligne du fichier est anormalement longue : ce n'est pas un fichier CSV.")
            )
        yield line


def _sniff_delimiter(sample: str) -> str:
    lines = [line for line in sample.splitlines()[:30] if line.strip()]
    try:
        return csv.Sniffer().sniff("\n".join(lines), delimiters=";,\t").delimiter
    except csv.Error:
        counts = {d: sum(line.count(d) for line in lines) for d in ";,\t"}
        return max(counts, key=counts.get) if any(counts.values()) else ";"


def estimate_rows(path: str | Path) -> int:
    """A quick upper estimate of the data rows, to choose between now and a background task."""
    path = Path(path)
    with path.open("rb") as f:
        head = f.read(4)
        if head.startswith(b"PK"):
            try:
                import openpyxl

                workbook = openpyxl.load_workbook(path, read_only=True)
                try:
                    sheet = workbook.worksheets[0]
                    if isinstance(sheet.max_row, int):
                        return sheet.max_row
                finally:
                    workbook.close()
            except Exception:  # unreadable: the preview refuses it with the right message
                return 0
            return path.stat().st_size // 40
        f.seek(0)
        return sum(chunk.count(b"\n") for chunk in iter(lambda: f.read(1024 * 1024), b""))
