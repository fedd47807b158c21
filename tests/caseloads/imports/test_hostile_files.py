"""Hostile or broken files get a clear, quick refusal; cells are never evaluated."""

import io
import zipfile

import openpyxl
import pytest

from backoffice.caseloads.imports.models import ImportStatus
from backoffice.caseloads.imports.spreadsheets import errors_workbook
from backoffice.caseloads.models import Jobseeker

from .conftest import HEADERS, apply, csv_bytes, row, upload, xlsx_bytes

pytestmark = pytest.mark.django_db


def _refused(batch, fragment):
    assert batch.status == ImportStatus.REFUSED
    assert fragment in batch.message, batch.message


def _bomb(member_bytes: int) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as member:
            block = b"<row>" + b"0" * (1024 * 1024 - 5)
            for _ in range(member_bytes // len(block)):
                member.write(block)
    return buffer.getvalue()


def test_a_zip_bomb_disguised_as_xlsx_is_refused_from_its_declared_sizes(network, admin):
    content = _bomb(64 * 1024 * 1024)
    assert len(content) < 1024 * 1024
    _refused(upload(admin, content, name="affectations.xlsx"), "anormalement volumineux")


def test_total_uncompressed_size_is_capped(network, admin, settings):
    settings.MAILNET_IMPORT_MAX_UNCOMPRESSED_BYTES = 4 * 1024
    content = xlsx_bytes([row(f"{1000000 + i:07d}A") for i in range(50)])
    _refused(upload(admin, content), "anormalement volumineux")


def test_rows_are_capped(network, admin, settings):
    settings.MAILNET_IMPORT_MAX_ROWS = 3
    content = csv_bytes([row(f"{1000000 + i:07d}A") for i in range(5)])
    _refused(upload(admin, content, name="a.csv"), "maximum de 3 lignes")


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (b"", "vide"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4, "n'est pas un tableur"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512, ".xls"),
        (b"Bonjour,\nceci est une lettre et pas un tableau.\n", "Aucune ligne d'en-t"),
        (b"PK\x03\x04" + b"\x14\x00" * 20, "tronqué ou endommagé"),
    ],
    ids=["empty", "png", "old-xls", "plain-text", "zip-garbage"],
)
def test_files_that_are_not_assignment_tables(network, admin, content, fragment):
    _refused(upload(admin, content, name="affectations.xlsx"), fragment)


def test_a_truncated_xlsx_is_refused(network, admin):
    content = xlsx_bytes([row(f"{1000000 + i:07d}A") for i in range(200)])
    _refused(upload(admin, content[: len(content) // 2]), "tronqué ou endommagé")


def test_header_only_file(network, admin):
    _refused(upload(admin, xlsx_bytes([], HEADERS)), "que la ligne d'en-tête")


def test_wrong_columns_are_named(network, admin):
    headers = ["Identifiant DE", "Nom", "Prénom", "Agence"]
    batch = upload(admin, xlsx_bytes([{"Identifiant DE": "1000001A"}], headers))
    _refused(batch, "Colonnes obligatoires absentes")
    assert "Matricule conseiller" in batch.message and "Modalité" in batch.message


def test_a_very_long_csv_line_is_refused(network, admin):
    content = ";".join(HEADERS).encode() + b"\n" + b"x" * (200 * 1024)
    _refused(upload(admin, content, name="a.csv"), "anormalement longue")


def test_formula_cells_are_stored_as_text_never_evaluated(network, admin):
    content = xlsx_bytes([row("1000001A", nom="=1+1", prenom='=HYPERLINK("http://x","y")')])
    batch = apply(upload(admin, content), admin)
    assert batch.status == ImportStatus.APPLIED
    jobseeker = Jobseeker.objects.get()
    assert jobseeker.last_name == "=1+1"
    assert jobseeker.first_name.startswith("=HYPERLINK")


def test_every_spreadsheet_we_write_neutralises_formulas(network, admin):
    data = errors_workbook([[2, "=cmd", "@SUM(A1)", "erreur"], [3, "Nom", "+33 -1", "erreur"]])
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    values = [cell.value for line in sheet.iter_rows(min_row=2) for cell in line]
    assert values == [2, "'=cmd", "'@SUM(A1)", "erreur", 3, "Nom", "'+33 -1", "erreur"]
    assert all(cell.data_type != "f" for line in sheet.iter_rows() for cell in line)


def test_an_xml_entity_bomb_inside_the_sheet_is_refused(network, admin):
    laughs = "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10 if i else "lol"}">' for i in range(10))
    sheet = (
        f'<?xml version="1.0"?><!DOCTYPE worksheet [{laughs}]>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        '<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&l9;</t></is></c></row>'
        "</sheetData></worksheet>"
    )
    original = xlsx_bytes([row("1000001A")])
    buffer = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(original)) as source,
        zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = sheet.encode()
            target.writestr(info.filename, data)
    _refused(upload(admin, buffer.getvalue()), "tronqué ou endommagé")
