"""Export jobs: Excel workbooks built in the background, on demand or monthly per region,
kept for MAILNET_REPORTS_EXPORT_RETENTION_DAYS and then deleted with their file."""

from __future__ import annotations

import datetime as dt
import logging
import tempfile

from django.conf import settings
from django.core.files import File
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from backoffice.organisation.models import Agency, Region

from ..excel import workbook_filename, workbook_write
from ..models import ExportJob
from ..periods import Period
from ..selectors.scope import ReportScope

logger = logging.getLogger(__name__)


def export_job_scope(job: ExportJob) -> ReportScope:
    """The report scope a job was requested for."""
    if job.agency_id:
        return ReportScope.for_agency(job.agency)
    if job.region_id:
        return ReportScope.for_region(job.region, counsellor_level=job.with_counsellors)
    scope = ReportScope.national()
    return (
        scope
        if job.with_counsellors
        else ReportScope(**{**scope.__dict__, "counsellor_level": False})
    )


def export_job_period(job: ExportJob) -> Period:
    if (
        job.starts_on.day == 1
        and Period.month(job.starts_on.year, job.starts_on.month).end == job.ends_on
    ):
        return Period.month(job.starts_on.year, job.starts_on.month)
    return Period(job.starts_on, job.ends_on)


@transaction.atomic
def export_job_request(
    *,
    requested_by,
    period: Period,
    region: Region | None = None,
    agency: Agency | None = None,
    with_counsellors: bool = False,
    scheduled: bool = False,
) -> ExportJob:
    """Queues a workbook build (django-q2, after commit) and returns the job to follow."""
    job = ExportJob.objects.create(
        requested_by=requested_by,
        scheduled=scheduled,
        region=region,
        agency=agency,
        with_counsellors=with_counsellors or agency is not None,
        starts_on=period.start,
        ends_on=period.end,
        created_at=timezone.now(),
    )
    job.filename = workbook_filename(scope=export_job_scope(job), period=period)
    job.save(update_fields=["filename"])

    def enqueue():
        from django_q.tasks import async_task

        async_task("reports.tasks.export_build", job.pk, task_name=f"report-export-{job.pk}")

    transaction.on_commit(enqueue)
    return job


def export_job_run(*, job_id: int) -> ExportJob:
    """Builds the workbook of a job, recording progress, then notifies whoever asked."""
    job = ExportJob.objects.select_related("region", "agency", "requested_by").get(pk=job_id)
    if job.state == ExportJob.State.DONE:
        return job
    ExportJob.objects.filter(pk=job.pk).update(state=ExportJob.State.RUNNING, progress=0)

    def progress(percent: int) -> None:
        ExportJob.objects.filter(pk=job.pk).update(progress=min(percent, 99))

    try:
        with tempfile.TemporaryFile() as handle:
            workbook_write(
                output=handle,
                scope=export_job_scope(job),
                period=export_job_period(job),
                progress=progress,
            )
            handle.seek(0)
            job.file.save(job.filename, File(handle), save=False)
    except Exception as exc:  # recorded on the job for the Exports screen, then re-raised
        ExportJob.objects.filter(pk=job.pk).update(
            state=ExportJob.State.FAILED, error=str(exc)[:2000]
        )
        raise
    now = timezone.now()
    job.state = ExportJob.State.DONE
    job.progress = 100
    job.finished_at = now
    job.expires_at = now + dt.timedelta(days=settings.MAILNET_REPORTS_EXPORT_RETENTION_DAYS)
    job.save(update_fields=["file", "state", "progress", "finished_at", "expires_at"])
    _notify(job)
    return job


def _notify(job: ExportJob) -> None:
    user = job.requested_by
    if user is None or not user.email:
        return
    url = settings.WAGTAILADMIN_BASE_URL.rstrip("/") + reverse("reports_exports:index")
    send_mail(
        subject=f"[Mailnet] Votre export est prêt : {job.filename}",
        message=(
            f"Bonjour,\n\nL'export « {job.filename} » est prêt. Vous pouvez le télécharger "
            f"depuis l'écran Exports jusqu'au {timezone.localtime(job.expires_at):%d/%m/%Y} :\n"
            f"{url}\n"
        ),
        from_email=None,
        recipient_list=[user.email],
    )


def export_jobs_monthly(*, today: dt.date | None = None) -> list[ExportJob]:
    """The scheduled monthly workbooks of last month, one per region (idempotent per month)."""
    today = today or timezone.localdate()
    last_month = today.replace(day=1) - dt.timedelta(days=1)
    period = Period.month(last_month.year, last_month.month)
    jobs = []
    for region in Region.objects.order_by("code"):
        if (
            ExportJob.objects.filter(
                scheduled=True, region=region, starts_on=period.start, ends_on=period.end
            )
            .exclude(state=ExportJob.State.FAILED)
            .exists()
        ):
            continue
        jobs.append(
            export_job_request(requested_by=None, period=period, region=region, scheduled=True)
        )
    return jobs


def export_jobs_purge(*, now: dt.datetime | None = None) -> int:
    """Deletes the jobs past their retention, and their files."""
    now = now or timezone.now()
    expired = list(ExportJob.objects.filter(expires_at__lt=now))
    for job in expired:
        if job.file:
            job.file.delete(save=False)
        job.delete()
    return len(expired)
