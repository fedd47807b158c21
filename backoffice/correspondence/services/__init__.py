"""Writes of the correspondence package, one module per concern (ingest, clock, replies...)."""
