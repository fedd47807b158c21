"""Writes of the reports: roll-ups, ratings and export jobs (only the reports' own models)."""
