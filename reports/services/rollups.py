"""Recomputing the daily roll-up: a day's rows are replaced whole, so running it twice (or
after late mail arrived for that day) always leaves the same rows as one clean run."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from ..models import DailyRollup, RollupDay
from ..selectors.facts import day_facts


@transaction.atomic
def rollup_day_recompute(*, day: dt.date) -> int:
    """Replaces every roll-up row of `day` with a fresh computation from the raw records.

    Returns the number of rows written. Idempotent; safe to run for any past day.
    """
    facts = day_facts(day=day)
    DailyRollup.objects.filter(day=day).delete()
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
            unanswered_end=f.unanswered_end,
            holding_notices=f.holding_notices,
            breaches=f.breaches,
            new_contacts=f.new_contacts,
            ratings=f.ratings,
            rating_sum=f.rating_sum,
            response_hours=f.response_hours,
            flow=bool(
                f.received
                or f.answered
                or f.holding_notices
                or f.breaches
                or f.new_contacts
                or f.ratings
            ),
        )
        for key, f in facts.items()
    ]
    DailyRollup.objects.bulk_create(rows, batch_size=2000)
    RollupDay.objects.update_or_create(
        day=day, defaults={"computed_at": timezone.now(), "rows": len(rows)}
    )
    return len(rows)


def rollup_recent_days(*, days: int, today: dt.date | None = None) -> dict[dt.date, int]:
    """Recomputes the `days` days before today (late mail and late sweeps included)."""
    today = today or timezone.localdate()
    return {
        day: rollup_day_recompute(day=day)
        for day in (today - dt.timedelta(days=n) for n in range(days, 0, -1))
    }
