"""Recomputing the daily roll-up: a day's rows are replaced whole, so running it twice (or
after late mail arrived for that day) always leaves the same rows as one clean run."""

from __future__ import annotations

import datetime as dt

from django.db import connection, transaction
from django.utils import timezone

from ..models import DailyRollup, RollupDay
from ..selectors.backlog import backlog_sql
from ..selectors.facts import agencies_info, day_flow_facts

COUNTER_COLUMNS = (
    "received",
    "answered",
    "answered_within",
    "holding_notices",
    "breaches",
    "new_contacts",
    "ratings",
    "rating_sum",
)


@transaction.atomic
def rollup_day_recompute(*, day: dt.date) -> int:
    """Replaces every roll-up row of `day` with a fresh computation from the raw records.

    Two kinds of rows: the day's activity per key (`flow`, computed in Python: response
    times need the business calendar), and the threads unanswered at the end of the day
    per key (not `flow`), grouped and written by the database in one INSERT … SELECT.
    Reports add both up. Returns the number of rows written. Idempotent.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # Compiling the backlog query costs more than it saves (it reads, then hashes).
            cursor.execute("SET LOCAL jit = off")
    DailyRollup.objects.filter(day=day).delete()
    agencies = agencies_info()
    facts = day_flow_facts(day=day, agencies=agencies)
    rows = [
        DailyRollup(
            day=day,
            region_id=key.region_id,
            agency_id=key.agency_id,
            team_id=key.team_id,
            counsellor_id=key.counsellor_id,
            modality_id=key.modality_id,
            motif_id=key.motif_id,
            audience=key.audience,
            received=f.received,
            answered=f.answered,
            answered_within=f.answered_within,
            holding_notices=f.holding_notices,
            breaches=f.breaches,
            new_contacts=f.new_contacts,
            ratings=f.ratings,
            rating_sum=f.rating_sum,
            response_hours=f.response_hours,
            flow=True,
        )
        for key, f in facts.items()
    ]
    DailyRollup.objects.bulk_create(rows, batch_size=2000)
    backlog_rows = _backlog_insert(
        day=day, time_zones={info.calendar.time_zone for info in agencies.values()}
    )
    total = len(rows) + backlog_rows
    RollupDay.objects.update_or_create(
        day=day, defaults={"computed_at": timezone.now(), "rows": total}
    )
    return total


def _backlog_insert(*, day: dt.date, time_zones) -> int:
    """One row per key holding threads unanswered at the end of `day`, straight from the
    grouped SELECT of selectors.backlog into the roll-up table."""
    select, params = backlog_sql(day=day, time_zones=time_zones)
    quote = connection.ops.quote_name
    keys = ("region_id", "agency_id", "team_id", "counsellor_id", "modality_id", "motif_id")
    columns = ["day", *keys, "audience", "unanswered_end", *COUNTER_COLUMNS, "flow"]
    columns.append("response_hours")
    zeros = ", ".join(["0"] * len(COUNTER_COLUMNS))
    # Names are ours and every value is a parameter.
    sql = (
        f"INSERT INTO {quote(DailyRollup._meta.db_table)} "  # noqa: S608
        f"({', '.join(quote(c) for c in columns)}) "
        f"SELECT %s, b.region_id, b.agency_id, b.team_id, b.counsellor_id, b.modality_id, "
        f"b.motif_id, b.audience, b.threads, {zeros}, %s, %s FROM ({select}) b"
    )
    empty_list = DailyRollup._meta.get_field("response_hours").get_db_prep_value(
        [], connection, prepared=False
    )
    with connection.cursor() as cursor:
        day_value = connection.ops.adapt_datefield_value(day)
        cursor.execute(sql, [day_value, False, empty_list, *params])
        return cursor.rowcount


def rollup_recent_days(*, days: int, today: dt.date | None = None) -> dict[dt.date, int]:
    """Recomputes the `days` days before today (late mail and late sweeps included)."""
    today = today or timezone.localdate()
    return {
        day: rollup_day_recompute(day=day)
        for day in (today - dt.timedelta(days=n) for n in range(days, 0, -1))
    }
