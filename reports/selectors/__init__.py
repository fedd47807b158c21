"""Reads of the reports: facts of a day, indicators over a period, report scopes."""

from .facts import FactKey, Facts, day_facts  # noqa: F401
from .indicators import (  # noqa: F401
    ReportRow,
    counsellors_to_support,
    fact_rows,
    report_rows,
    report_totals,
)
from .scope import ReportScope, report_scope_for  # noqa: F401
