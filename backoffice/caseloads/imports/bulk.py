"""Fast bulk inserts of plain tuples: COPY on PostgreSQL, bulk_create elsewhere."""

from django.db import connection

_SEQUENCES: dict[str, str] = {}


def bulk_insert(model, columns: list[str], rows: list[tuple], *, returning: bool = True):
    """Inserts rows given as tuples and returns their ids, in order.

    On PostgreSQL: ids drawn from the table's sequence, then one COPY (no model instances,
    several times faster than bulk_create). Elsewhere: bulk_create.
    """
    if not rows:
        return []
    if connection.vendor != "postgresql":
        objects = model.objects.bulk_create(
            [model(**dict(zip(columns, row, strict=True))) for row in rows],
            batch_size=500,
        )
        return [obj.pk for obj in objects] if returning else []
    table = model._meta.db_table
    with connection.cursor() as cursor:
        ids: list[int] = []
        if returning:
            sequence = _SEQUENCES.get(table)
            if sequence is None:
                cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
                sequence = _SEQUENCES[table] = cursor.fetchone()[0]
            cursor.execute("SELECT nextval(%s) FROM generate_series(1, %s)", [sequence, len(rows)])
            ids = [r[0] for r in cursor.fetchall()]
            rows = [(pk, *row) for pk, row in zip(ids, rows, strict=True)]
            columns = ["id", *columns]
        names = ", ".join(connection.ops.quote_name(c) for c in columns)
        with cursor.cursor.copy(
            f"COPY {connection.ops.quote_name(table)} ({names}) FROM STDIN"
        ) as copy:
            for row in rows:
                copy.write_row(row)
    return ids
