"""[inbox] The read log: every opening of a thread page, by anyone, is recorded."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from backoffice.organisation import access, roles

from ..models import Consultation, Thread, ThreadRead


def reader_is_inside_caseload(*, thread: Thread, user) -> bool:
    """True for the thread's counsellor, the counsellor it was delegated from, a manager
    of its agency and an administrator: the readers whose reading is part of their job."""
    scope = access.scope_for(user)
    if scope.everything:
        return True
    if scope.counsellor_id and scope.counsellor_id in (
        thread.counsellor_id,
        thread.delegated_from_id,
    ):
        return True
    return scope.role == roles.MANAGER and thread.agency_id in scope.agency_ids


@transaction.atomic
def thread_read_record(*, thread: Thread, user, via: str = ThreadRead.Via.OTHER) -> ThreadRead:
    """Writes one ThreadRead for this opening of `thread` by `user` (who, when, how).

    `outside_caseload` marks the readings the read audit counts (see
    `reader_is_inside_caseload`); an expert consulted on the thread, while the consultation
    is open, reads it as asked, as on the consultation screen. An unknown `via` is recorded
    as "other".
    """
    if via not in ThreadRead.Via.values:
        via = ThreadRead.Via.OTHER
    outside = not reader_is_inside_caseload(thread=thread, user=user) and not (
        Consultation.objects.filter(
            thread=thread, expert__user=user, answered_at__isnull=True
        ).exists()
    )
    return thread_read_granted_record(thread_id=thread.pk, user=user, via=via, outside=outside)


def thread_read_granted_record(
    *, thread_id: int, user, via: str, outside: bool = False
) -> ThreadRead:
    """Logs a reading of a thread's messages outside the thread page, granted by a role:
    the consulted expert, the manager reviewing a reply, its author reading the review.

    Not counted outside the caseload (unless `outside`): the reader was asked, or reviews
    by their office.
    """
    return ThreadRead.objects.create(
        thread_id=thread_id, user=user, read_at=timezone.now(), via=via, outside_caseload=outside
    )
