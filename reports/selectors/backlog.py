"""Threads unanswered at the end of a day, counted per report key in one grouped query.

A thread is unanswered at the end of its agency's local day when its last normal incoming
message before that moment came after its last normal outgoing one (facts.py). That needs
every thread's history, so it is the costly part of a day: done here in the database, in
one pass over the messages, never as a list of thread ids in Python (see `backlog_sql` for
how the agencies' time zones are handled). The threads kept are grouped by region, agency,
team, counsellor, modality (the jobseeker's referent assignment open that day), motif and
audience.

Plain SQL, the same on PostgreSQL and SQLite: the ORM cannot group an aggregate again.
The nightly roll-up (services/rollups.py) writes the same rows straight into its table
with one INSERT … SELECT; the live figures of today read them with `backlog_counts`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from zoneinfo import ZoneInfo

from django.db import connection

from backoffice.caseloads.models import Assignment, AssignmentKind
from backoffice.correspondence.models import Message, Thread
from backoffice.organisation.models import Agency, Counsellor

from ..models import Audience

KEY_COLUMNS = (
    "region_id",
    "agency_id",
    "team_id",
    "counsellor_id",
    "modality_id",
    "motif_id",
    "audience",
)


def _cutoffs(day: dt.date, time_zones) -> list[tuple[str, dt.datetime]]:
    """(time zone, the end of `day` there) for each time zone, in a stable order."""
    next_day = day + dt.timedelta(days=1)
    return [
        (tz, dt.datetime.combine(next_day, dt.time(), tzinfo=ZoneInfo(tz)))
        for tz in sorted(set(time_zones))
    ]


def backlog_sql(*, day: dt.date, time_zones, agency_ids=None) -> tuple[str, list]:
    """The grouped SELECT (columns KEY_COLUMNS + count) and its parameters.

    The end of the day comes first in the easternmost time zone (`first`) and last in the
    westernmost (`latest`). One pass over the messages before `latest` gives each thread's
    last incoming and outgoing moments before `first`, and its last moment of all: a thread
    without mail between `first` and `latest` is decided by the former; the few others
    (mail of those hours) are aggregated again, per time zone, by thread.
    """
    ops, quote = connection.ops, connection.ops.quote_name
    cutoffs = _cutoffs(day, time_zones)
    if not cutoffs:
        return "SELECT NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0 WHERE 1 = 0", []
    message, thread, assignment, agency, counsellor = (
        quote(model._meta.db_table) for model in (Message, Thread, Assignment, Agency, Counsellor)
    )
    first = ops.adapt_datetimefield_value(min(cutoff for _tz, cutoff in cutoffs))
    latest = ops.adapt_datetimefield_value(max(cutoff for _tz, cutoff in cutoffs))
    day_value = ops.adapt_datefield_value(day)
    incoming, outgoing, normal = (
        Message.Direction.INCOMING,
        Message.Direction.OUTGOING,
        Message.Kind.NORMAL,
    )
    params: list = []

    def p(*values) -> str:
        """Placeholders for `values`, recorded in the order they appear in the text."""
        params.extend(values)
        return ", ".join(["%s"] * len(values))

    # The CTE is read twice (PostgreSQL materialises it once).
    history = f"""
        WITH h AS (
            SELECT m.thread_id,
                MAX(CASE WHEN m.direction = {p(incoming)} AND m.received_at < {p(first)}
                    THEN m.received_at END) AS last_in,
                MAX(CASE WHEN m.direction = {p(outgoing)} AND m.received_at < {p(first)}
                    THEN m.received_at END) AS last_out,
                MAX(m.received_at) AS last_any
            FROM {message} m
            WHERE m.kind = {p(normal)} AND m.received_at < {p(latest)}
            GROUP BY m.thread_id
        )"""  # noqa: S608 table names are ours; every value is a parameter
    head = f"""
        SELECT ag.region_id, t.agency_id, c.team_id, t.counsellor_id,
            (SELECT a.modality_id FROM {assignment} a
             WHERE a.jobseeker_id = t.jobseeker_id AND a.starts_on <= {p(day_value)}
               AND (a.ends_on IS NULL OR a.ends_on >= {p(day_value)})
               AND a.kind = {p(AssignmentKind.REFERENT)}
             ORDER BY a.starts_on DESC, a.id DESC LIMIT 1) AS modality_id,
            t.motif_id,
            CASE WHEN t.jobseeker_id IS NOT NULL THEN {p(Audience.JOBSEEKERS)}
                 WHEN t.employer_id IS NOT NULL THEN {p(Audience.EMPLOYERS)}
                 ELSE {p(Audience.UNKNOWN)} END AS audience,
            COUNT(*) AS threads"""  # noqa: S608
    late = []
    late_chosen = []
    for n, (_tz, cutoff) in enumerate(cutoffs):
        moment = ops.adapt_datetimefield_value(cutoff)
        late.append(
            f"MAX(CASE WHEN m.direction = {p(incoming)} AND m.received_at < {p(moment)} "
            f"THEN m.received_at END) AS in_{n}, "
            f"MAX(CASE WHEN m.direction = {p(outgoing)} AND m.received_at < {p(moment)} "
            f"THEN m.received_at END) AS out_{n}"
        )
    late_sql = f"""
        LEFT JOIN (
            SELECT m.thread_id, {", ".join(late)}
            FROM {message} m
            WHERE m.kind = {p(normal)} AND m.received_at < {p(latest)}
              AND m.thread_id IN (SELECT thread_id FROM h WHERE last_any >= {p(first)})
            GROUP BY m.thread_id
        ) x ON x.thread_id = h.thread_id"""  # noqa: S608
    where = f"""
        WHERE ((h.last_any < {p(first)} AND h.last_in IS NOT NULL
                AND (h.last_out IS NULL OR h.last_out < h.last_in))
            OR (h.last_any >= {p(first)} AND ("""
    for n, (tz, _cutoff) in enumerate(cutoffs):
        late_chosen.append(
            f"(ag.time_zone = {p(tz)} AND x.in_{n} IS NOT NULL "
            f"AND (x.out_{n} IS NULL OR x.out_{n} < x.in_{n}))"
        )
    where += " OR ".join(late_chosen) + ")))"
    if agency_ids is not None:
        ids = [int(pk) for pk in agency_ids] or [0]
        where += f" AND t.agency_id IN ({p(*ids)})"
    # The pieces were built in the order of the text, so are their parameters.
    sql = f"""
        {history}
        {head}
        FROM h
        JOIN {thread} t ON t.id = h.thread_id
        JOIN {agency} ag ON ag.id = t.agency_id
        LEFT JOIN {counsellor} c ON c.id = t.counsellor_id
        {late_sql}
        {where}
        GROUP BY ag.region_id, t.agency_id, c.team_id, t.counsellor_id, modality_id,
            t.motif_id, audience
    """
    return sql, params


def backlog_counts(*, day: dt.date, time_zones, agency_ids=None) -> Iterator[tuple]:
    """(region, agency, team, counsellor, modality, motif, audience, threads) per key."""
    sql, params = backlog_sql(day=day, time_zones=time_zones, agency_ids=agency_ids)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        yield from cursor.fetchall()
