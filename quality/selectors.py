"""Reads of the quality review, each narrowed to what the reader may see."""

from __future__ import annotations

from django.db.models import QuerySet

from backoffice.correspondence.models import Message
from backoffice.organisation import access, roles

from .models import ReviewSample


def samples_for(*, user) -> QuerySet[ReviewSample]:
    """The samples a user sees: their agency's (managers), all (administrators), or only
    their own reviewed replies (counsellors); pilots see none (texts are personal data)."""
    queryset = access.scope_queryset(
        ReviewSample.objects.select_related(
            "team__agency", "counsellor__user", "message__thread", "review__reviewer"
        ),
        user,
    )
    scope = access.scope_for(user)
    if scope.role == roles.COUNSELLOR:
        return queryset.filter(counsellor_id=scope.counsellor_id, review__isnull=False)
    return queryset


def answered_message_for(*, message: Message) -> Message | None:
    """The incoming mail a sent reply answered: the one its In-Reply-To names, else the
    latest incoming mail of the thread received before it."""
    incoming = Message.objects.filter(
        thread_id=message.thread_id, direction=Message.Direction.INCOMING
    ).prefetch_related("attachments")
    if message.in_reply_to:
        named = incoming.filter(message_id=message.in_reply_to).first()
        if named is not None:
            return named
    return incoming.filter(received_at__lte=message.received_at).order_by("-received_at").first()
