"""[privacy-archive] The read-audit alert: too many threads opened outside one's caseload."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from backoffice.correspondence.models import ThreadRead
from backoffice.organisation.models import Counsellor

from ..models import ReadAlert
from . import local_midnight
from .alerts import admins_notify


def read_alerts_check(*, day: dt.date | None = None) -> list[ReadAlert]:
    """Raises one `ReadAlert` per user who opened at least MAILNET_READ_ALERT_THRESHOLD
    distinct threads outside their caseload on `day` (default today, local time), and mails
    the administrators once per alert. Idempotent: run every 15 minutes, a later run only
    updates the count of an existing alert. Returns the alerts raised by this call."""
    day = day or timezone.localdate()
    threshold = settings.MAILNET_READ_ALERT_THRESHOLD
    start, end = local_midnight(day), local_midnight(day + dt.timedelta(days=1))
    counts = (
        ThreadRead.objects.filter(outside_caseload=True, read_at__gte=start, read_at__lt=end)
        .values_list("user_id")
        .annotate(threads=Count("thread_id", distinct=True))
        .filter(threads__gte=threshold)
        .order_by()
    )
    raised = []
    for user_id, threads in counts:
        updated = ReadAlert.objects.filter(user_id=user_id, day=day).update(threads=threads)
        if updated:
            continue
        agency_id = (
            Counsellor.objects.filter(user_id=user_id).values_list("agency_id", flat=True).first()
        )
        try:
            with transaction.atomic():
                alert = ReadAlert.objects.create(
                    user_id=user_id,
                    day=day,
                    agency_id=agency_id,
                    threads=threads,
                    threshold=threshold,
                )
        except IntegrityError:  # a concurrent check raised it first
            continue
        raised.append(alert)
    for alert in raised:
        user = alert.user
        sent = admins_notify(
            subject=_("[Mailnet] Alerte de lecture : %(user)s") % {"user": user.get_username()},
            body=_(
                "%(name)s (%(username)s) a ouvert %(count)s fils hors de son portefeuille le "
                "%(day)s (seuil : %(threshold)s).\n\nLe journal des lectures de Mailnet "
                "donne le détail (Données personnelles > Lectures des fils)."
            )
            % {
                "name": user.get_full_name() or user.get_username(),
                "username": user.get_username(),
                "count": alert.threads,
                "day": f"{day:%d/%m/%Y}",
                "threshold": alert.threshold,
            },
        )
        if sent:
            ReadAlert.objects.filter(pk=alert.pk).update(mailed_at=timezone.now())
    return raised


@transaction.atomic
def read_alert_acknowledge(*, alert: ReadAlert, by) -> ReadAlert:
    if alert.acknowledged_at is None:
        alert.acknowledged_at = timezone.now()
        alert.acknowledged_by = by
        alert.save(update_fields=["acknowledged_at", "acknowledged_by"])
    return alert
