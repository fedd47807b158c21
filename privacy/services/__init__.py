import datetime as dt

from django.utils import timezone


def local_midnight(day: dt.date) -> dt.datetime:
    """The start of `day` in the service's time zone (Europe/Paris)."""
    return dt.datetime.combine(day, dt.time(), tzinfo=timezone.get_current_timezone())
