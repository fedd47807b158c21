"""Background jobs of the reports (django-q2): thin calls to services."""

from django.conf import settings

from .services.exports import export_job_run, export_jobs_monthly, export_jobs_purge
from .services.rollups import (
    backlog_snapshots_purge,
    caseload_snapshots_purge,
    rollup_recent_days,
)

NIGHTLY_SCHEDULE_NAME = "mailnet-reports-nightly"
MONTHLY_SCHEDULE_NAME = "mailnet-reports-monthly-exports"


def reports_nightly() -> str:
    """Every night: the roll-up of the last days, then expired exports and old caseload
    and backlog snapshots are deleted."""
    done = rollup_recent_days(days=settings.MAILNET_REPORTS_ROLLUP_DAYS)
    purged = export_jobs_purge()
    snapshots = caseload_snapshots_purge()
    backlog_snapshots_purge()
    return (
        f"jours recalculés : {len(done)} ; exports supprimés : {purged} ; "
        f"lignes de portefeuilles supprimées : {snapshots}"
    )


def reports_monthly_exports() -> str:
    jobs = export_jobs_monthly()
    return f"exports programmés : {len(jobs)}"


def export_build(job_id: int) -> str:
    job = export_job_run(job_id=job_id)
    return job.filename
