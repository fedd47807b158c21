"""Per-request answers to "may this user write this thread?", shared by the page and hooks."""

from __future__ import annotations

from backoffice.correspondence.models import Thread
from backoffice.organisation import access


def thread_writable(request, thread: Thread) -> bool:
    """`access.can_write`, asked once per request and thread (hooks ask it again)."""
    cache = request.__dict__.setdefault("_inbox_writable", {})
    if thread.pk not in cache:
        cache[thread.pk] = access.can_write(request.user, thread)
    return cache[thread.pk]


def thread_dispatchable(request, thread: Thread) -> bool:
    """Managers (their agency) and administrators give threads to a counsellor."""
    return access.scope_for(request.user).writes in ("agency", "all") and thread_writable(
        request, thread
    )
