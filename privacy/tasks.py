"""django-q2 entry points of the privacy package (schedules: migration 0003_schedules)."""

from .services.archive import archive_check_run
from .services.read_audit import read_alerts_check
from .services.retention import retention_scheduled


def archive_verify_nightly() -> str:
    check = archive_check_run(triggered_by="schedule")
    return f"ok {check.entries}" if check.ok else f"FAILED at #{check.problem_seq}"


def retention_monthly() -> int:
    return retention_scheduled().pk


def read_alerts_quarter_hour() -> int:
    return len(read_alerts_check())
