"""Reads of the correspondence screens, scoped to the reader and with their joins."""

from django.db.models import QuerySet

from backoffice.organisation import access

from .models import RawMail, RemoteImagesConsent, Thread


def thread_remote_images_allowed(*, thread: Thread, user) -> bool:
    return RemoteImagesConsent.objects.filter(thread=thread, user=user).exists()


def triage_raw_mails_for(*, user) -> QuerySet[RawMail]:
    return (
        access.scope_queryset(RawMail.objects.defer("data"), user)
        .filter(state__in=[RawMail.State.TRIAGED, RawMail.State.FAILED, RawMail.State.OVERSIZED])
        .select_related("agency")
        .order_by("-fetched_at")
    )
