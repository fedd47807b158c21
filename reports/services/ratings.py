"""Satisfaction ratings: signed one-click links in replies, one rating per reply."""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from backoffice.correspondence.models import Message

from ..models import Rating

SALT = "reports.rating"


class RatingRefused(Exception):
    """The link is forged, expired, or the reply was already rated."""


def rating_token_for(*, message: Message) -> str:
    return signing.dumps({"m": message.pk}, salt=SALT, compress=True)


def rating_url_for(*, message: Message, score: int | None = None) -> str:
    """The absolute URL of the public rating page of a reply (to put in the reply's text).

    With `score`, the link pre-selects that score: one click then one confirmation.
    """
    path = reverse("reports_public:rate", kwargs={"token": rating_token_for(message=message)})
    url = settings.WAGTAILADMIN_BASE_URL.rstrip("/") + path
    return f"{url}?note={score}" if score else url


def rating_message_for(*, token: str) -> Message:
    """The reply a token was signed for; RatingRefused when forged or expired."""
    max_age = settings.MAILNET_REPORTS_RATING_MAX_AGE_DAYS * 86400
    try:
        data = signing.loads(token, salt=SALT, max_age=max_age)
    except signing.SignatureExpired as exc:
        raise RatingRefused("expired") from exc
    except signing.BadSignature as exc:
        raise RatingRefused("invalid") from exc
    message = Message.objects.filter(pk=data.get("m"), direction=Message.Direction.OUTGOING).first()
    if message is None:
        raise RatingRefused("invalid")
    return message


def rating_record(*, token: str, score: int, comment: str = "") -> Rating:
    """Records the one rating of the reply the token names; RatingRefused otherwise."""
    message = rating_message_for(token=token)
    if not 1 <= int(score) <= 5:
        raise RatingRefused("score")
    try:
        with transaction.atomic():
            return Rating.objects.create(
                message=message,
                score=int(score),
                comment=(comment or "").strip()[:2000],
                created_at=timezone.now(),
            )
    except IntegrityError as exc:
        raise RatingRefused("already") from exc
