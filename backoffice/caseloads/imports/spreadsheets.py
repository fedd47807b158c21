"""The spreadsheets we write: the blank template and the errors of a preview.

Every text cell starting with = + - @ (or a tab/return) is neutralised with a leading
apostrophe, so no spreadsheet program ever evaluates a value that came from a file.
"""

from __future__ import annotations

import io

from openpyxl import Workbook
from openpyxl.styles import Font

from backoffice.spreadsheets import neutralise_formula as neutralise

from .parsing import COLUMNS


def _workbook_bytes(workbook: Workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def template_workbook(kind: str) -> bytes:
    """An empty assignment file with the expected headers, and an example on a second sheet."""
    columns = COLUMNS[kind]
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Affectations"
    sheet.append([c.title for c in columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for index, column in enumerate(columns):
        sheet.column_dimensions[chr(ord("A") + index)].width = max(14, len(column.title) + 4)
        if column.key in {"agency", "identifier", "siret", "matricule"}:
            for row in range(2, 2002):
                sheet.cell(row=row, column=index + 1).number_format = "@"
    example = workbook.create_sheet("Exemple")
    example.append([c.title for c in columns])
    samples = {
        "identifier": "1234567A",
        "last_name": "Martin",
        "first_name": "Camille",
        "email": "camille.martin@example.org",
        "modality": "Guidé",
        "matricule": "ABC1234",
        "agency": "01234",
        "starts_on": "05/01/2026",
        "kind": "référent",
        "siret": "73282932000074",
        "name": "Entreprise exemple",
    }
    example.append([samples.get(c.key, "") for c in columns])
    example.append([])
    example.append(
        [
            "Obligatoires : toutes les colonnes sauf Courriel et Type d'affectation "
            "(référent par défaut, ou indemnisation). Dates au format jj/mm/aaaa."
        ]
    )
    return _workbook_bytes(workbook)


def errors_workbook(messages: list[list]) -> bytes:
    """The errors and warnings of a preview: row, column, message, level."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Erreurs")
    sheet.append(["Ligne", "Colonne", "Message", "Niveau"])
    for row, column, message, level in messages:
        sheet.append([row, neutralise(column), neutralise(message), level])
    return _workbook_bytes(workbook)
