"""One INSERT for many new rows, their bytes bound in binary: the ingest's bulk writes.

Django's `bulk_create` binds parameters client-side: on PostgreSQL every bytea goes as a
hex literal twice its size, and a model with a BinaryField (RawMail, Message) cannot use
Django's UNNEST insert, so a batch of 200 mails becomes one statement of a few thousand
placeholders that psycopg re-parses in Python each time. `rows_insert` sends one array
per column instead (`INSERT ... SELECT * FROM UNNEST(...)`, server-side binding). Other
databases use `bulk_create`. Pre-save hooks run as in `bulk_create` (`auto_now_add`);
no signals are sent. The statement does not pass through Django's cursor wrappers, so it
is not in `connection.queries`.
"""

from __future__ import annotations

from django.db import connection
from django.db.models import Model


def rows_insert(objs: list[Model]) -> None:
    """Inserts new instances of one model, in order, and sets their primary keys."""
    if not objs:
        return
    model = type(objs[0])
    if connection.vendor != "postgresql":
        model.objects.bulk_create(objs)
        return
    import psycopg  # only on PostgreSQL

    for obj in objs:
        # As bulk_create: a related object saved after assignment gives its id now.
        obj._prepare_related_fields_for_save(operation_name="rows_insert")
    meta = model._meta
    fields = [f for f in meta.local_concrete_fields if not f.primary_key]
    quote = connection.ops.quote_name
    columns = []
    for field in fields:
        columns.append(
            [field.get_db_prep_save(field.pre_save(obj, True), connection) for obj in objs]
        )
    casts = ", ".join(f"%s::{field.db_type(connection).split('(')[0]}[]" for field in fields)
    # Only quoted identifiers and column types from the model: the values are parameters.
    names = ", ".join(quote(f.column) for f in fields)
    table, pk = quote(meta.db_table), quote(meta.pk.column)
    sql = f"INSERT INTO {table} ({names}) SELECT * FROM UNNEST({casts}) RETURNING {pk}"  # noqa: S608
    connection.ensure_connection()
    with psycopg.Cursor(connection.connection) as cursor:
        cursor.execute(sql, columns)
        pks = [row[0] for row in cursor.fetchall()]
    for obj, pk in zip(objs, pks, strict=True):
        obj.pk = pk
        obj._state.adding = False
        obj._state.db = connection.alias
