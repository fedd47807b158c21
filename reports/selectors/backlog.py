"""Threads unanswered at the end of a day, counted per report key in one grouped query.

A thread is unanswered at the end of its agency's local day when its last normal incoming
message before that moment came after its last normal outgoing one (facts.py). That needs
every thread's history, so it is the costly part of a day: done here in the database, never
as a list of thread ids in Python (see `unanswered_threads_sql` for how the agencies' time
zones are handled). The threads kept are grouped by region, agency, team, counsellor,
modality (the jobseeker's referent assignment open that day), motif and audience
(`backlog_sql`).

Reading every message of the country takes seconds, so it is done once a night: the
nightly roll-up stores the set of threads unanswered at the end of the day it rolls up
(`BacklogThread`, kept a few days) and its grouped counts. Any later day (today, live)
starts from the latest such set: a thread without normal mail since that day's end is in
the same state; only the threads with mail since are read again (`backlog_counts`).

Plain SQL, the same on PostgreSQL and SQLite: the ORM cannot group an aggregate again.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from zoneinfo import ZoneInfo

from django.db import connection, transaction

from backoffice.caseloads.models import Assignment, AssignmentKind
from backoffice.correspondence.models import Message, Thread
from backoffice.organisation.models import Agency, Counsellor

from ..models import Audience, BacklogThread, RollupDay

KEY_COLUMNS = (
    "region_id",
    "agency_id",
    "team_id",
    "counsellor_id",
    "modality_id",
    "motif_id",
    "audience",
)
# A day ends at the earliest at midnight in UTC+14: mail from then on may belong to it.
EARLIEST_OFFSET = dt.timedelta(hours=14)
# How far back a stored set of unanswered threads is used for a later day.
SNAPSHOT_MAX_AGE_DAYS = 7


class _Sql:
    """SQL text with its parameters recorded in the order the placeholders appear."""

    def __init__(self) -> None:
        self.params: list = []

    def p(self, *values) -> str:
        self.params.extend(values)
        return ", ".join(["%s"] * len(values))


def _tables() -> dict[str, str]:
    quote = connection.ops.quote_name
    models = {
        "message": Message,
        "thread": Thread,
        "assignment": Assignment,
        "agency": Agency,
        "counsellor": Counsellor,
        "snapshot": BacklogThread,
    }
    return {name: quote(model._meta.db_table) for name, model in models.items()}


def _cutoffs(day: dt.date, time_zones) -> list[tuple[str, dt.datetime]]:
    """(time zone, the end of `day` there) for each time zone, in a stable order."""
    next_day = day + dt.timedelta(days=1)
    return [
        (tz, dt.datetime.combine(next_day, dt.time(), tzinfo=ZoneInfo(tz)))
        for tz in sorted(set(time_zones))
    ]


def day_end_earliest(day: dt.date) -> dt.datetime:
    """A moment no later than the end of `day` in any time zone."""
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC) - (
        EARLIEST_OFFSET
    )


def _changed_threads_sql(sql: _Sql, since: dt.datetime) -> str:
    """Threads with normal mail at or after `since` (read by time, on its index)."""
    t = _tables()
    moment = connection.ops.adapt_datetimefield_value(since)
    return (
        f"SELECT DISTINCT m.thread_id FROM {t['message']} m "  # noqa: S608
        f"WHERE m.received_at >= {sql.p(moment)} AND m.kind = {sql.p(Message.Kind.NORMAL)}"
    )


def unanswered_threads_sql(
    sql: _Sql,
    *,
    day: dt.date,
    time_zones,
    among: Callable[[_Sql], str] | None = None,
) -> str:
    """A SELECT of the ids of threads unanswered at the end of `day` in their agency's time
    zone (every agency: callers narrow when they group). `among` writes a SELECT of the only
    thread ids to read (its parameters recorded in their place).

    The end of the day comes first in the easternmost time zone (`first`) and last in the
    westernmost (`latest`). One pass over the messages before `latest` gives each thread's
    last incoming and outgoing moments before `first`, and its last moment of all: a thread
    without mail between `first` and `latest` is decided by the former; the few others
    (mail of those hours, found by time) are aggregated again, per time zone, by thread.
    """
    cutoffs = _cutoffs(day, time_zones)
    if not cutoffs:
        return "SELECT NULL WHERE 1 = 0"
    ops, t, p = connection.ops, _tables(), sql.p
    first = ops.adapt_datetimefield_value(min(cutoff for _tz, cutoff in cutoffs))
    latest = ops.adapt_datetimefield_value(max(cutoff for _tz, cutoff in cutoffs))
    incoming, outgoing, normal = (
        Message.Direction.INCOMING,
        Message.Direction.OUTGOING,
        Message.Kind.NORMAL,
    )
    # Every f-string below is evaluated left to right: parameters follow the text.
    history = f"""
        SELECT m.thread_id,
            MAX(CASE WHEN m.direction = {p(incoming)} AND m.received_at < {p(first)}
                THEN m.received_at END) AS last_in,
            MAX(CASE WHEN m.direction = {p(outgoing)} AND m.received_at < {p(first)}
                THEN m.received_at END) AS last_out,
            MAX(m.received_at) AS last_any
        FROM {t["message"]} m
        WHERE m.kind = {p(normal)} AND m.received_at < {p(latest)}
            {f"AND m.thread_id IN ({among(sql)})" if among else ""}
        GROUP BY m.thread_id"""  # noqa: S608 table names are ours; every value is a parameter
    late = []
    for n, (_tz, cutoff) in enumerate(cutoffs):
        moment = ops.adapt_datetimefield_value(cutoff)
        late.append(
            f"MAX(CASE WHEN m.direction = {p(incoming)} AND m.received_at < {p(moment)} "
            f"THEN m.received_at END) AS in_{n}, "
            f"MAX(CASE WHEN m.direction = {p(outgoing)} AND m.received_at < {p(moment)} "
            f"THEN m.received_at END) AS out_{n}"
        )
    # Only the threads with mail between the first and the last end of the day (found by
    # time) need their agency's time zone.
    late_sql = f"""
        LEFT JOIN (
            SELECT m.thread_id, ag.time_zone, {", ".join(late)}
            FROM {t["message"]} m
            JOIN {t["thread"]} t ON t.id = m.thread_id
            JOIN {t["agency"]} ag ON ag.id = t.agency_id
            WHERE m.kind = {p(normal)} AND m.received_at < {p(latest)}
              AND m.thread_id IN (
                SELECT l.thread_id FROM {t["message"]} l
                WHERE l.kind = {p(normal)} AND l.received_at >= {p(first)}
                  AND l.received_at < {p(latest)})
            GROUP BY m.thread_id, ag.time_zone
        ) x ON x.thread_id = h.thread_id"""  # noqa: S608
    where = f"""
        WHERE ((h.last_any < {p(first)} AND h.last_in IS NOT NULL
                AND (h.last_out IS NULL OR h.last_out < h.last_in))
            OR (h.last_any >= {p(first)} AND ("""
    where += " OR ".join(
        f"(x.time_zone = {p(tz)} AND x.in_{n} IS NOT NULL "
        f"AND (x.out_{n} IS NULL OR x.out_{n} < x.in_{n}))"
        for n, (tz, _cutoff) in enumerate(cutoffs)
    )
    where += ")))"
    return f"SELECT h.thread_id FROM ({history}) h {late_sql} {where}"  # noqa: S608


def _ids(values) -> list[int]:
    return [int(pk) for pk in values] or [0]


def grouped_threads_sql(
    sql: _Sql, *, day: dt.date, threads: Callable[[_Sql], str], agency_ids=None
) -> str:
    """The grouped SELECT (KEY_COLUMNS + count) of the threads `threads` writes a SELECT of
    (`thread_id`, each once): each counted for its current agency, region, counsellor, team
    and motif, and the modality of its jobseeker's referent assignment open on `day`."""
    ops, t, p = connection.ops, _tables(), sql.p
    day_value = ops.adapt_datefield_value(day)
    text = f"""
        SELECT ag.region_id, t.agency_id, c.team_id, t.counsellor_id,
            (SELECT a.modality_id FROM {t["assignment"]} a
             WHERE a.jobseeker_id = t.jobseeker_id AND a.starts_on <= {p(day_value)}
               AND (a.ends_on IS NULL OR a.ends_on >= {p(day_value)})
               AND a.kind = {p(AssignmentKind.REFERENT)}
             ORDER BY a.starts_on DESC, a.id DESC LIMIT 1) AS modality_id,
            t.motif_id,
            CASE WHEN t.jobseeker_id IS NOT NULL THEN {p(Audience.JOBSEEKERS)}
                 WHEN t.employer_id IS NOT NULL THEN {p(Audience.EMPLOYERS)}
                 ELSE {p(Audience.UNKNOWN)} END AS audience,
            COUNT(*) AS threads
        FROM ({threads(sql)}) u
        JOIN {t["thread"]} t ON t.id = u.thread_id
        JOIN {t["agency"]} ag ON ag.id = t.agency_id
        LEFT JOIN {t["counsellor"]} c ON c.id = t.counsellor_id"""  # noqa: S608
    if agency_ids is not None:
        text += f" WHERE t.agency_id IN ({p(*_ids(agency_ids))})"
    text += """
        GROUP BY ag.region_id, t.agency_id, c.team_id, t.counsellor_id, modality_id,
            t.motif_id, audience"""
    return text


def backlog_sql(*, day: dt.date, time_zones, agency_ids=None) -> tuple[str, list]:
    """The grouped SELECT of the threads unanswered at the end of `day`, read from every
    message (what the nightly roll-up stores), and its parameters."""
    sql = _Sql()

    def threads(sql: _Sql) -> str:
        return unanswered_threads_sql(sql, day=day, time_zones=time_zones)

    return grouped_threads_sql(sql, day=day, threads=threads, agency_ids=agency_ids), sql.params


def unanswered_threads_store(*, day: dt.date, time_zones) -> int:
    """Replaces the stored set of threads unanswered at the end of `day` (every agency) with
    one INSERT … SELECT over every message; returns its size."""
    BacklogThread.objects.filter(day=day).delete()
    sql = _Sql()
    t = _tables()
    day_value = connection.ops.adapt_datefield_value(day)
    text = (
        f"INSERT INTO {t['snapshot']} (day, thread_id) "  # noqa: S608
        f"SELECT {sql.p(day_value)}, u.thread_id FROM "
        f"({unanswered_threads_sql(sql, day=day, time_zones=time_zones)}) u"
    )
    with connection.cursor() as cursor:
        cursor.execute(text, sql.params)
        stored = cursor.rowcount
        if connection.vendor == "postgresql":
            # Fresh statistics, so that today's reads join the set by hash, not row by row.
            cursor.execute(f"ANALYZE {t['snapshot']}")
        return stored


def stored_backlog_sql(*, day: dt.date, agency_ids=None) -> tuple[str, list]:
    """The grouped SELECT of the stored threads unanswered at the end of `day`."""
    sql = _Sql()
    t = _tables()
    day_value = connection.ops.adapt_datefield_value(day)

    def threads(sql: _Sql) -> str:
        return f"SELECT s.thread_id FROM {t['snapshot']} s WHERE s.day = {sql.p(day_value)}"  # noqa: S608

    return grouped_threads_sql(sql, day=day, threads=threads, agency_ids=agency_ids), sql.params


def latest_snapshot_before(day: dt.date) -> dt.date | None:
    """The latest day before `day` whose unanswered threads are stored, if recent enough."""
    return (
        RollupDay.objects.filter(
            day__lt=day,
            day__gte=day - dt.timedelta(days=SNAPSHOT_MAX_AGE_DAYS),
            backlog_threads=True,
        )
        .order_by("-day")
        .values_list("day", flat=True)
        .first()
    )


def backlog_from_snapshot_sql(
    *, day: dt.date, snapshot_day: dt.date, time_zones, agency_ids=None
) -> tuple[str, list]:
    """The grouped SELECT of the threads unanswered at the end of `day`, from the stored set
    of `snapshot_day` (an earlier day): a thread without normal mail since the end of that
    day is in the same state; the threads with mail since are read again, alone."""
    sql = _Sql()
    t = _tables()
    since = day_end_earliest(snapshot_day)
    snapshot_value = connection.ops.adapt_datefield_value(snapshot_day)

    def threads(sql: _Sql) -> str:
        kept = (
            f"SELECT s.thread_id FROM {t['snapshot']} s "  # noqa: S608
            f"WHERE s.day = {sql.p(snapshot_value)} "
            f"AND s.thread_id NOT IN ({_changed_threads_sql(sql, since)})"
        )
        again = unanswered_threads_sql(
            sql,
            day=day,
            time_zones=time_zones,
            among=lambda sql: _changed_threads_sql(sql, since),
        )
        return f"{kept} UNION ALL {again}"

    return grouped_threads_sql(sql, day=day, threads=threads, agency_ids=agency_ids), sql.params


def backlog_counts(*, day: dt.date, time_zones, agency_ids=None) -> Iterator[tuple]:
    """(region, agency, team, counsellor, modality, motif, audience, threads) per key: from
    the latest stored set of unanswered threads when there is a recent one, else from every
    message."""
    snapshot_day = latest_snapshot_before(day)
    if snapshot_day is None:
        sql, params = backlog_sql(day=day, time_zones=time_zones, agency_ids=agency_ids)
    else:
        sql, params = backlog_from_snapshot_sql(
            day=day, snapshot_day=snapshot_day, time_zones=time_zones, agency_ids=agency_ids
        )
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Compiling this query (JIT) costs more than running it, and its sort of a
            # country's threads by key fits in memory with a little more than the default.
            cursor.execute("SET LOCAL jit = off")
            cursor.execute("SET LOCAL work_mem = '32MB'")
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    yield from rows
