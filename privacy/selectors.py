"""Reads of the privacy package that join or aggregate."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from .models import ArchiveCheck, ReadAlert, RetentionRun


@dataclass
class PrivacyAttention:
    failed_check: ArchiveCheck | None
    read_alerts: list[ReadAlert]
    pending_runs: int

    @property
    def needed(self) -> bool:
        return bool(self.failed_check or self.read_alerts or self.pending_runs)


def privacy_attention_for(*, user) -> PrivacyAttention:
    """For the administrators' home: the last archive check if it failed, read alerts of the
    last 30 days not yet seen, dry runs waiting for a decision. Three small queries."""
    last = ArchiveCheck.objects.exclude(finished_at=None).order_by("-started_at", "-pk").first()
    since = timezone.localdate() - dt.timedelta(days=30)
    alerts = list(
        ReadAlert.objects.filter(acknowledged_at__isnull=True, day__gte=since)
        .select_related("user", "agency")
        .order_by("-day", "-threads")[:10]
    )
    pending = RetentionRun.objects.filter(state=RetentionRun.State.DRY_RUN, threads__gt=0).count()
    return PrivacyAttention(
        failed_check=last if last and not last.ok else None,
        read_alerts=alerts,
        pending_runs=pending,
    )
