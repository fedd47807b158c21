"""Signed links of the person lookup: opening a thread from there is allowed (and logged as
a lookup) whatever its agency; the same URL typed by hand without the signature is not."""

from __future__ import annotations

from django.core import signing
from django.urls import reverse

from backoffice.correspondence.inbox_selectors import LOOKUP_READ_WINDOW

SALT = "inbox.lookup"


def lookup_token(*, thread_pk: int, user) -> str:
    return signing.dumps([thread_pk, user.pk], salt=SALT)


def lookup_token_valid(token: str, *, thread_pk: int, user) -> bool:
    try:
        value = signing.loads(token, salt=SALT, max_age=LOOKUP_READ_WINDOW.total_seconds())
    except signing.BadSignature:
        return False
    return value == [thread_pk, user.pk]


def lookup_thread_url(*, thread_pk: int, user) -> str:
    token = lookup_token(thread_pk=thread_pk, user=user)
    return reverse("inbox:thread", args=[thread_pk]) + f"?via=lookup&lookup={token}"
