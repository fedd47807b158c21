"""Excel workbooks of the reports, written with openpyxl in write-only mode (lxml underneath).

One summary sheet with native charts, one sheet per breakdown, a definitions sheet. Every
text cell goes through `neutralise_formula`: a team or person named "=HYPERLINK(...)" stays
text in Excel and LibreOffice.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from backoffice.spreadsheets import neutralise_formula

from .periods import Period
from .selectors.indicators import (
    GROUP_LABELS,
    ReportRow,
    counsellors_to_support,
    fact_rows,
    report_rows,
    report_totals,
)
from .selectors.scope import ReportScope

PERCENT = "0.0%"
INTEGER = "#,##0"
DECIMAL = "#,##0.00"

# (attribute, heading, number format, width)
COLUMNS = [
    ("received", "Courriels reçus", INTEGER, 12),
    ("answered", "Réponses", INTEGER, 11),
    ("answered_within", "Réponses dans le délai", INTEGER, 13),
    ("within_rate", "Dans le délai (%)", PERCENT, 12),
    ("unanswered_end", "En attente en fin de période", INTEGER, 14),
    ("median_hours", "Délai médian (h ouvrées)", DECIMAL, 13),
    ("p90_hours", "Délai 90e centile (h ouvrées)", DECIMAL, 14),
    ("holding_notices", "Messages d'attente", INTEGER, 12),
    ("breaches", "Délais dépassés", INTEGER, 11),
    ("new_contacts", "Nouveaux contacts", INTEGER, 12),
    ("caseload", "DE en portefeuille", INTEGER, 12),
    ("per_100_jobseekers", "Courriels pour 100 DE", DECIMAL, 12),
    ("counsellors", "Conseillers", INTEGER, 11),
    ("counsellors_answering", "Conseillers ayant répondu", INTEGER, 13),
    ("adoption_rate", "Adoption (%)", PERCENT, 11),
    ("ratings", "Notes reçues", INTEGER, 10),
    ("satisfaction", "Satisfaction (sur 5)", DECIMAL, 11),
]

DEFINITIONS = [
    ("Jour", "Le jour civil local de l'agence (son fuseau horaire)."),
    (
        "Courriels reçus",
        "Messages entrants de la période, hors réponses automatiques et avis de non-remise.",
    ),
    (
        "Réponses",
        "Premières réponses (courriel sortant normal) après un ou plusieurs courriels reçus "
        "sans réponse ; une réponse clôt l'attente, datée du jour de son envoi.",
    ),
    (
        "Délai de réponse",
        "Heures ouvrées (jours ouvrés entiers, hors week-ends, jours fériés du territoire et "
        "fermetures de l'agence, dans son fuseau) entre le premier courriel reçu sans "
        "réponse et la réponse.",
    ),
    ("Dans le délai (%)", "Part des réponses dont le délai est au plus de l'engagement."),
    (
        "En attente en fin de période",
        "Fils dont le dernier courriel reçu avant la fin de la période est postérieur à la "
        "dernière réponse.",
    ),
    (
        "Délai médian / 90e centile",
        "Médiane des délais de réponse de la période ; 90e centile au rang le plus proche "
        "(le plus petit délai dont au moins 90 % des réponses font mieux).",
    ),
    ("Messages d'attente", "Messages d'attente envoyés aux correspondants avant l'échéance."),
    ("Délais dépassés", "Fils dont l'échéance est passée sans réponse, le jour du dépassement."),
    ("Nouveaux contacts", "Contacts (téléphone, visio, agence) programmés dans la période."),
    (
        "DE en portefeuille",
        "Demandeurs d'emploi ayant une affectation de conseiller référent ouverte le dernier "
        "jour de la période.",
    ),
    (
        "Courriels pour 100 DE",
        "Courriels reçus de demandeurs d'emploi pour 100 DE en portefeuille.",
    ),
    (
        "Adoption (%)",
        "Part des conseillers actifs dotés d'une adresse publique qui ont envoyé au moins une "
        "réponse dans la période.",
    ),
    (
        "Modalité de suivi",
        "Modalité de l'affectation de référent du demandeur d'emploi ouverte le jour du fait "
        "(aucune pour les entreprises et les expéditeurs inconnus).",
    ),
    (
        "Conseiller, équipe",
        "Le conseiller actuel du fil et son équipe actuelle ; agence et région du fil.",
    ),
    (
        "Motif, famille de motifs",
        "Le motif actuel du fil (renseigné par le conseiller ou le responsable) et sa famille ; "
        "« non renseigné » pour les fils sans motif.",
    ),
    ("Satisfaction", "Moyenne des notes (1 à 5) données par les correspondants sur les réponses."),
]

HEADER_FONT = Font(bold=True, color="FFFFFF")
HEADER_FILL = PatternFill("solid", fgColor="1F4E79")
WRAP = Alignment(wrap_text=True, vertical="top")


@dataclass
class WorkbookStats:
    filename: str
    rows: int
    sheets: int


def workbook_filename(*, scope: ReportScope, period: Period) -> str:
    return f"mailnet-pilotage_{scope.slug}_{period.slug}.xlsx"


def _text(ws, value, *, font=None, fill=None, alignment=None):
    cell = WriteOnlyCell(ws, value=neutralise_formula(value))
    if font:
        cell.font = font
    if fill:
        cell.fill = fill
    if alignment:
        cell.alignment = alignment
    return cell


def _number(ws, value, number_format):
    cell = WriteOnlyCell(ws, value=value)
    cell.number_format = number_format
    return cell


def _sheet(wb, title: str, headings: list[tuple[str, int]], n_rows: int):
    """A sheet with frozen, filtered, sized headers; returns it with the header row written."""
    ws = wb.create_sheet(title=title)
    ws.freeze_panes = "B2"
    for index, (_heading, width) in enumerate(headings, start=1):
        ws.column_dimensions[get_column_letter(index)].width = width
    ws.auto_filter.ref = f"A1:{get_column_letter(len(headings))}{max(n_rows, 0) + 1}"
    ws.append(
        [_text(ws, h, font=HEADER_FONT, fill=HEADER_FILL, alignment=WRAP) for h, _w in headings]
    )
    return ws


def _breakdown_sheet(wb, title: str, first_heading: str, rows: list[ReportRow]) -> int:
    headings = [(first_heading, 40)] + [(h, w) for _a, h, _f, w in COLUMNS]
    ws = _sheet(wb, title, headings, len(rows))
    for row in rows:
        values = [_text(ws, row.label)]
        for attribute, _heading, number_format, _width in COLUMNS:
            value = getattr(row, attribute)
            values.append(_number(ws, value, number_format) if value is not None else None)
        ws.append(values)
    return len(rows)


def _summary_sheet(wb, *, scope, period, total: ReportRow, by_area, by_day, area_label):
    ws = wb.create_sheet(title="Synthèse")
    ws.column_dimensions["A"].width = 42
    ws.column_dimensions["B"].width = 18
    ws.column_dimensions["C"].width = 14
    ws.column_dimensions["D"].width = 14
    title_font = Font(bold=True, size=14)
    ws.append([_text(ws, "Mailnet – pilotage de la relation par courriel", font=title_font)])
    ws.append([_text(ws, "Périmètre"), _text(ws, scope.label)])
    ws.append([_text(ws, "Période"), _text(ws, period.label)])
    ws.append(
        [_text(ws, "Engagement de réponse"), _text(ws, f"{settings.MAILNET_SLA_HOURS} h ouvrées")]
    )
    ws.append([_text(ws, "Édité le"), _text(ws, f"{timezone.localtime():%d/%m/%Y %H:%M}")])
    ws.append([])
    line = 7
    for attribute, heading, number_format, _width in COLUMNS:
        value = getattr(total, attribute)
        ws.append(
            [
                _text(ws, heading),
                _number(ws, value, number_format) if value is not None else None,
            ]
        )
        line += 1
    ws.append([])
    line += 1
    # Chart data: within-commitment rate by area, then volumes by day.
    area_top = line + 1
    ws.append(
        [
            _text(ws, area_label, font=Font(bold=True)),
            _text(ws, "Dans le délai (%)", font=Font(bold=True)),
            _text(ws, "Reçus", font=Font(bold=True)),
        ]
    )
    for row in by_area:
        ws.append(
            [
                _text(ws, row.label),
                _number(ws, row.within_rate or 0, PERCENT),
                _number(ws, row.received, INTEGER),
            ]
        )
    area_bottom = area_top + len(by_area)
    ws.append([])
    day_top = area_bottom + 2
    ws.append(
        [
            _text(ws, "Jour", font=Font(bold=True)),
            _text(ws, "Reçus", font=Font(bold=True)),
            _text(ws, "Réponses", font=Font(bold=True)),
        ]
    )
    for row in by_day:
        ws.append(
            [
                _text(ws, row.label),
                _number(ws, row.received, INTEGER),
                _number(ws, row.answered, INTEGER),
            ]
        )
    day_bottom = day_top + len(by_day)

    if by_area:
        bar = BarChart()
        bar.type = "bar"
        bar.title = f"Réponses dans le délai par {area_label.lower()}"
        bar.y_axis.number_format = "0%"
        bar.y_axis.scaling.min = 0
        bar.y_axis.scaling.max = 1
        bar.add_data(
            Reference(ws, min_col=2, min_row=area_top, max_row=area_bottom), titles_from_data=True
        )
        bar.set_categories(Reference(ws, min_col=1, min_row=area_top + 1, max_row=area_bottom))
        bar.height, bar.width = 9, 16
        bar.legend = None
        ws.add_chart(bar, "F2")
    if by_day:
        chart = LineChart()
        chart.title = "Courriels reçus et réponses par jour"
        chart.add_data(
            Reference(ws, min_col=2, max_col=3, min_row=day_top, max_row=day_bottom),
            titles_from_data=True,
        )
        chart.set_categories(Reference(ws, min_col=1, min_row=day_top + 1, max_row=day_bottom))
        chart.height, chart.width = 9, 16
        ws.add_chart(chart, "F22")


def workbook_write(
    *,
    output,
    scope: ReportScope,
    period: Period,
    today: dt.date | None = None,
    progress: Callable[[int], None] | None = None,
) -> WorkbookStats:
    """Writes the workbook of `period` in `scope` to `output` (a path or a binary file).

    Counsellor sheets only when the scope may see counsellors. `progress` gets 0-100.
    """
    progress = progress or (lambda percent: None)
    facts = list(fact_rows(period=period, scope=scope, today=today))
    progress(30)
    breakdowns = [("region", "Régions"), ("agency", "Agences"), ("team", "Équipes")]
    if scope.counsellor_level:
        breakdowns.append(("counsellor", "Conseillers"))
    breakdowns += [
        ("modality", "Modalités"),
        ("motif_family", "Familles de motifs"),
        ("motif", "Motifs"),
        ("audience", "Publics"),
    ]
    computed = {
        group: report_rows(period=period, group_by=group, scope=scope, rows=facts, today=today)
        for group, _title in [*breakdowns, ("day", "Jours")]
    }
    total = report_totals(period=period, scope=scope, rows=facts, today=today)
    progress(50)

    wb = Workbook(write_only=True)
    area = "region" if len(computed["region"]) > 1 else "agency"
    _summary_sheet(
        wb,
        scope=scope,
        period=period,
        total=total,
        by_area=[r for r in computed[area] if r.key is not None],
        by_day=computed["day"],
        area_label=str(GROUP_LABELS[area]),
    )
    written = 0
    for index, (group, title) in enumerate([*breakdowns, ("day", "Jours")]):
        written += _breakdown_sheet(wb, title, str(GROUP_LABELS[group]), computed[group])
        progress(50 + 40 * (index + 1) // (len(breakdowns) + 1))
    if scope.counsellor_level:
        support = counsellors_to_support(
            period=period, scope=scope, today=today, counsellor_rows=computed["counsellor"]
        )
        headings = [
            ("Conseiller", 34),
            ("Matricule", 12),
            ("Agence", 34),
            ("Équipe", 24),
            ("Courriels reçus", 12),
            ("En attente en fin de période", 14),
        ]
        ws = _sheet(wb, "À accompagner", headings, len(support))
        for item in support:
            counsellor = item["counsellor"]
            ws.append(
                [
                    _text(ws, counsellor.full_name),
                    _text(ws, counsellor.matricule),
                    _text(ws, str(item["agency"])),
                    _text(ws, str(item["team"] or "")),
                    _number(ws, item["received"], INTEGER),
                    _number(ws, item["unanswered_end"], INTEGER),
                ]
            )
        written += len(support)
    ws = _sheet(wb, "Définitions", [("Indicateur", 34), ("Définition", 110)], len(DEFINITIONS))
    for name, text in DEFINITIONS:
        ws.append([_text(ws, name), _text(ws, text, alignment=WRAP)])
    wb.save(output)
    progress(100)
    return WorkbookStats(
        filename=workbook_filename(scope=scope, period=period),
        rows=written,
        sheets=len(wb.worksheets),
    )
