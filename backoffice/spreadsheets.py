"""Spreadsheet safety shared by every export: no cell we write is ever evaluated as a formula."""

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise_formula(value):
    """Prefixes text that a spreadsheet would evaluate (=, +, -, @, tab, CR) with an apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value
