"""[sla] A lean multi-row INSERT for the sweep's hot path (no model instances, no signals).

The sweep writes thousands of events and outbox rows per run; Django's bulk_create spends
most of that time building instances. Rows here are dicts of column attnames -> values.
"""

from __future__ import annotations

from django.db import connection, models


def insert_rows(
    model: type[models.Model], rows: list[dict], *, ignore_conflicts: bool = False
) -> None:
    """INSERTs `rows` (same keys each) into `model`'s table; conflicts skipped if asked."""
    if not rows:
        return
    by_attname = {field.attname: field for field in model._meta.concrete_fields}
    columns = list(rows[0])
    fields = [by_attname[name] for name in columns]
    datetimes = [isinstance(field, models.DateTimeField) for field in fields]
    adapt = connection.ops.adapt_datetimefield_value
    values = [
        tuple(
            adapt(row[name]) if is_datetime and row[name] is not None else row[name]
            for name, is_datetime in zip(columns, datetimes, strict=True)
        )
        for row in rows
    ]
    quote = connection.ops.quote_name
    # Identifiers come from model metadata (quoted); values are always bound parameters.
    sql = "INSERT INTO {} ({}) VALUES ({}){}".format(  # noqa: S608
        quote(model._meta.db_table),
        ", ".join(quote(field.column) for field in fields),
        ", ".join(["%s"] * len(fields)),
        " ON CONFLICT DO NOTHING" if ignore_conflicts else "",
    )
    with connection.cursor() as cursor:
        cursor.executemany(sql, values)
