"""Recomputing the daily roll-up: a day's rows are replaced whole, so running it twice (or
after late mail arrived for that day) always leaves the same rows as one clean run."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from backoffice.caseloads.models import Assignment, AssignmentKind
from backoffice.organisation.models import Agency, Counsellor

from ..models import BacklogThread, CaseloadDay, DailyRollup, RollupDay
from ..selectors.backlog import (
    SNAPSHOT_MAX_AGE_DAYS,
    backlog_sql,
    stored_backlog_sql,
    unanswered_threads_store,
)
from ..selectors.facts import FLOW_COUNTERS, agencies_info, day_flow_facts


@transaction.atomic
def rollup_day_recompute(*, day: dt.date) -> int:
    """Replaces every roll-up row of `day` with a fresh computation from the raw records.

    Two kinds of rows: the day's activity per key (`flow`, computed in Python: response
    times need the business calendar), and the threads unanswered at the end of the day
    per key (not `flow`), grouped and written by the database in one INSERT … SELECT from
    the set of those threads, stored too (BacklogThread: later days start from it).
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
    time_zones = {info.calendar.time_zone for info in agencies.values()}
    # Only recent days start a live day: an older day's set is grouped, not stored.
    keep_threads = day >= timezone.localdate() - dt.timedelta(days=SNAPSHOT_MAX_AGE_DAYS)
    if keep_threads:
        unanswered_threads_store(day=day, time_zones=time_zones)
        backlog_rows = _backlog_insert(day=day, select=stored_backlog_sql(day=day))
    else:
        BacklogThread.objects.filter(day=day).delete()
        backlog_rows = _backlog_insert(day=day, select=backlog_sql(day=day, time_zones=time_zones))
    total = len(rows) + backlog_rows
    caseload_snapshot_take(day=day)
    RollupDay.objects.update_or_create(
        day=day,
        defaults={
            "computed_at": timezone.now(),
            "rows": total,
            "caseload": True,
            "backlog_threads": keep_threads,
        },
    )
    return total


def caseload_snapshot_take(*, day: dt.date) -> int:
    """Replaces the caseload snapshot of `day`: open referent assignments of jobseekers that
    day, per counsellor (with their agency, region and team) and modality, in one grouped
    INSERT … SELECT. Returns the number of rows."""
    CaseloadDay.objects.filter(day=day).delete()
    ops, quote = connection.ops, connection.ops.quote_name
    assignment, counsellor, agency = (
        quote(model._meta.db_table) for model in (Assignment, Counsellor, Agency)
    )
    columns = ["day", "region_id", "agency_id", "team_id", "counsellor_id", "modality_id"]
    columns.append("jobseekers")
    day_value = ops.adapt_datefield_value(day)
    # Names are ours and every value is a parameter.
    sql = f"""
        INSERT INTO {quote(CaseloadDay._meta.db_table)} ({", ".join(quote(c) for c in columns)})
        SELECT %s, ag.region_id, c.agency_id, c.team_id, a.counsellor_id, a.modality_id, COUNT(*)
        FROM {assignment} a
        JOIN {counsellor} c ON c.id = a.counsellor_id
        JOIN {agency} ag ON ag.id = c.agency_id
        WHERE a.kind = %s AND a.jobseeker_id IS NOT NULL AND a.starts_on <= %s
          AND (a.ends_on IS NULL OR a.ends_on >= %s)
        GROUP BY ag.region_id, c.agency_id, c.team_id, a.counsellor_id, a.modality_id
    """  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, [day_value, AssignmentKind.REFERENT, day_value, day_value])
        return cursor.rowcount


def caseload_snapshots_purge(*, today: dt.date | None = None) -> int:
    """Deletes the caseload snapshots older than MAILNET_REPORTS_CASELOAD_DAYS, except those
    of the last day of a month (monthly reports and workbooks keep reading them)."""
    today = today or timezone.localdate()
    limit = today - dt.timedelta(days=settings.MAILNET_REPORTS_CASELOAD_DAYS)
    old = RollupDay.objects.filter(day__lt=limit, caseload=True)
    days = [d for d in old.values_list("day", flat=True) if (d + dt.timedelta(days=1)).day != 1]
    if not days:
        return 0
    deleted, _ = CaseloadDay.objects.filter(day__in=days).delete()
    RollupDay.objects.filter(day__in=days).update(caseload=False)
    return deleted


def backlog_snapshots_purge(*, today: dt.date | None = None) -> int:
    """Deletes the stored sets of unanswered threads too old to start a live day from."""
    today = today or timezone.localdate()
    limit = today - dt.timedelta(days=SNAPSHOT_MAX_AGE_DAYS + 1)
    deleted, _ = BacklogThread.objects.filter(day__lt=limit).delete()
    RollupDay.objects.filter(day__lt=limit, backlog_threads=True).update(backlog_threads=False)
    return deleted


def _backlog_insert(*, day: dt.date, select: tuple[str, list]) -> int:
    """One row per key holding threads unanswered at the end of `day`, from `select` (the
    grouped SELECT of the day's stored set, or of every message, with its parameters)
    straight into the roll-up table."""
    select, params = select
    quote = connection.ops.quote_name
    keys = ("region_id", "agency_id", "team_id", "counsellor_id", "modality_id", "motif_id")
    columns = ["day", *keys, "audience", "unanswered_end", *FLOW_COUNTERS, "flow"]
    columns.append("response_hours")
    zeros = ", ".join(["0"] * len(FLOW_COUNTERS))
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
