"""Reads of the correspondence screens, scoped to the reader and with their joins."""

from django.db.models import Prefetch, QuerySet

from backoffice.organisation import access

from .models import Attachment, Message, RawMail, RemoteImagesConsent, Thread


def threads_for(*, user) -> QuerySet[Thread]:
    return access.scope_queryset(
        Thread.objects.select_related("counsellor__user", "agency", "jobseeker", "employer"), user
    ).order_by("-last_message_at", "-pk")


def thread_detail(*, user, pk: int) -> Thread:
    """One thread the user may read, with its messages and their attachments in 3 queries."""
    return (
        threads_for(user=user)
        .prefetch_related(
            Prefetch(
                "messages",
                queryset=Message.objects.defer("body_html_with_remote_images")
                .select_related("author")
                .prefetch_related(
                    Prefetch("attachments", queryset=Attachment.objects.order_by("pk"))
                ),
            )
        )
        .get(pk=pk)
    )


def thread_remote_images_allowed(*, thread: Thread, user) -> bool:
    return RemoteImagesConsent.objects.filter(thread=thread, user=user).exists()


def triage_threads_for(*, user) -> QuerySet[Thread]:
    return threads_for(user=user).filter(status=Thread.Status.TRIAGE)


def triage_raw_mails_for(*, user) -> QuerySet[RawMail]:
    return (
        access.scope_queryset(RawMail.objects.defer("data"), user)
        .filter(state__in=[RawMail.State.TRIAGED, RawMail.State.FAILED, RawMail.State.OVERSIZED])
        .select_related("agency")
        .order_by("-fetched_at")
    )
