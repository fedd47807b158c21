"""Writes of the thread screens: the logged choice to load a thread's remote images."""

from django.db import transaction

from ..models import RemoteImagesConsent, Thread


@transaction.atomic
def thread_remote_images_allow(*, thread: Thread, user) -> RemoteImagesConsent:
    """Records that `user` chose to load the remote images of `thread` (who and when, once)."""
    consent, _created = RemoteImagesConsent.objects.get_or_create(thread=thread, user=user)
    return consent
