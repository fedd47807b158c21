"""Writes on the agency network. Views, commands and imports call these."""

from datetime import datetime

from django.db import transaction

from .models import Absence, Counsellor


@transaction.atomic
def absence_create(
    *,
    counsellor: Counsellor,
    starts_at: datetime,
    ends_at: datetime,
    delegate: Counsellor | None = None,
    reason: str = "",
) -> Absence:
    """Records an absence, refusing an overlap with another absence of the same counsellor.

    The counsellor row is locked so two concurrent requests cannot both pass the overlap check.
    """
    Counsellor.objects.select_for_update().filter(pk=counsellor.pk).first()
    absence = Absence(
        counsellor=counsellor,
        starts_at=starts_at,
        ends_at=ends_at,
        delegate=delegate,
        reason=reason,
    )
    absence.full_clean()
    absence.save()
    return absence


@transaction.atomic
def absence_update(*, absence: Absence, **fields) -> Absence:
    """Changes an absence under the same overlap rule as `absence_create`."""
    counsellor_ids = {absence.counsellor_id, getattr(fields.get("counsellor"), "pk", None)} - {None}
    list(Counsellor.objects.select_for_update().filter(pk__in=counsellor_ids).order_by("pk"))
    for name, value in fields.items():
        setattr(absence, name, value)
    absence.full_clean()
    absence.save()
    return absence


def counsellor_absence_at(*, counsellor: Counsellor, moment: datetime) -> Absence | None:
    """The absence covering `moment` for this counsellor, if any (the mail router uses it)."""
    return (
        Absence.objects.filter(counsellor=counsellor, starts_at__lte=moment, ends_at__gt=moment)
        .select_related("delegate")
        .first()
    )
