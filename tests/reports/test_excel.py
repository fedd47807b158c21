"""Workbooks: structure, formats, neutralised formulas, and LibreOffice reading back the
same values as the selectors."""

import csv
import os
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest
from django.core.management import call_command
from openpyxl import load_workbook

from backoffice.organisation.models import Team
from reports.excel import workbook_write
from reports.periods import Period
from reports.selectors import ReportScope, report_rows, report_totals
from tests.conftest import skip_or_fail

from .conftest import WEEK

pytestmark = pytest.mark.django_db


def test_workbook_sheets_formats_and_definitions(week, after_week, tmp_path):
    path = tmp_path / "book.xlsx"
    stats = workbook_write(output=path, scope=ReportScope.national(), period=WEEK)
    assert stats.filename == "mailnet-pilotage_national_2026-S11.xlsx"
    book = load_workbook(path)
    assert book.sheetnames == [
        "Synthèse",
        "Régions",
        "Agences",
        "Équipes",
        "Conseillers",
        "Modalités",
        "Familles de motifs",
        "Motifs",
        "Publics",
        "Jours",
        "À accompagner",
        "Définitions",
    ]
    motifs = [(row[0].value, row[1].value) for row in book["Motifs"].iter_rows(min_row=2)]
    assert motifs == [
        ("Financement", 1),
        ("Prise de rendez-vous", 2),
        ("Report", 1),
        ("non renseigné", 2),
    ]
    families = [
        (row[0].value, row[1].value) for row in book["Familles de motifs"].iter_rows(min_row=2)
    ]
    assert families == [("Formation", 1), ("Rendez-vous", 3), ("non renseigné", 2)]
    summary = book["Synthèse"]
    assert len(summary._charts) == 2  # native bar and line charts
    regions = book["Régions"]
    assert regions.freeze_panes == "B2"
    assert regions.auto_filter.ref == "A1:R3"
    assert regions["A1"].value == "Région" and regions["E1"].value == "Dans le délai (%)"
    assert regions["A2"].value == "Région Nord"
    assert regions["E2"].value == 1.0 and regions["E2"].number_format == "0.0%"
    assert regions["B2"].number_format == "#,##0"
    assert regions.column_dimensions["A"].width == 40
    assert [row[0].value for row in book["À accompagner"].iter_rows(min_row=2)] == ["Dora Lenoir"]
    assert book["Définitions"].max_row > 10


def test_pilot_workbook_has_no_counsellor_sheet(week, after_week, tmp_path):
    path = tmp_path / "nord.xlsx"
    stats = workbook_write(output=path, scope=ReportScope.for_region(week.nord), period=WEEK)
    assert stats.filename == "mailnet-pilotage_region-R01_2026-S11.xlsx"
    book = load_workbook(path)
    assert "Conseillers" not in book.sheetnames and "À accompagner" not in book.sheetnames
    text = " ".join(
        str(cell.value) for ws in book.worksheets for row in ws.iter_rows() for cell in row
    )
    assert "Alice" not in text and "Durand" not in text


@pytest.mark.parametrize("name", ['=HYPERLINK("http://x")', "+1", "-2", "@SUM(A1)", "\tx", "\ry"])
def test_text_that_looks_like_a_formula_is_neutralised(week, after_week, tmp_path, name):
    Team.objects.filter(pk=week.team.pk).update(name=name)
    path = tmp_path / "n.xlsx"
    workbook_write(output=path, scope=ReportScope.national(), period=WEEK)
    teams = load_workbook(path)["Équipes"]
    labels = [row[0].value for row in teams.iter_rows(min_row=2)]
    assert any(label.startswith("'" + name[:1]) for label in labels if label)
    assert not any(cell.data_type == "f" for row in teams.iter_rows() for cell in row)


def test_report_export_command_writes_the_month_of_a_region(week, after_week, tmp_path):
    out = tmp_path / "r.xlsx"
    call_command("report_export", region="R01", month="2026-03", output=str(out))
    book = load_workbook(out)
    assert "Conseillers" not in book.sheetnames
    assert book["Régions"]["B2"].value == 4  # received in March, region Nord
    out2 = tmp_path / "a.xlsx"
    call_command("report_export", agency="13001", month="2026-03", output=str(out2))
    assert "Conseillers" in load_workbook(out2).sheetnames


def number(text: str) -> float:
    """A cell as LibreOffice wrote it ("66.7%", "1,234", "42") as a number."""
    text = text.replace(",", "").strip()
    return float(text[:-1]) / 100 if text.endswith("%") else float(text)


def _soffice_to_csv(path: Path, outdir: Path) -> dict[str, list[list[str]]]:
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if not soffice:
        skip_or_fail("LibreOffice is not installed (apt-get install libreoffice-calc-nogui)")
    profile = outdir / f"lo-{uuid.uuid4().hex}"
    # UTF-8, comma, quotes, all sheets (-1) into one file per sheet.
    filter_options = "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1"
    subprocess.run(
        [
            soffice,
            f"-env:UserInstallation=file://{profile}",
            "--headless",
            "--convert-to",
            filter_options,
            "--outdir",
            str(outdir),
            str(path),
        ],
        check=True,
        capture_output=True,
        timeout=180,
        env={**os.environ, "HOME": str(outdir)},
    )
    sheets = {}
    for csv_path in outdir.glob(f"{path.stem}-*.csv"):
        with csv_path.open(encoding="utf-8") as handle:
            sheets[csv_path.stem[len(path.stem) + 1 :]] = list(csv.reader(handle))
    return sheets


@pytest.mark.libreoffice
def test_libreoffice_reads_the_selectors_values(week, after_week, tmp_path):
    path = tmp_path / "book.xlsx"
    scope = ReportScope.national()
    workbook_write(output=path, scope=scope, period=WEEK)
    sheets = _soffice_to_csv(path, tmp_path)
    assert {"Synthèse", "Régions", "Agences", "Définitions"} <= set(sheets)
    regions = {row[0]: row for row in sheets["Régions"][1:]}
    for row in report_rows(period=WEEK, group_by="region", scope=scope):
        line = regions[row.label]
        assert int(line[1]) == row.received
        assert int(line[2]) == row.answered
        assert number(line[4]) == pytest.approx(row.within_rate)
        assert float(line[6]) == row.median_hours
        assert float(line[7]) == row.p90_hours
    total = report_totals(period=WEEK, scope=scope)
    summary = {row[0]: row[1] for row in sheets["Synthèse"] if len(row) > 1}
    assert summary["Courriels reçus"] == str(total.received)
    assert number(summary["Dans le délai (%)"]) == pytest.approx(total.within_rate, abs=1e-3)
    assert summary["Périmètre"] == "National"
    assert any(r[0] == "Délai de réponse" for r in sheets["Définitions"])


def test_month_period_slug():
    assert Period.month(2026, 3).slug == "2026-03"
