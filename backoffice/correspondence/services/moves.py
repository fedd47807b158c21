"""[inbox] Moves a manager (or the thread's counsellor) makes: reassign, set motif, close.

Every move writes a ThreadEvent and is refused (PermissionDenied) to whoever may not write
the thread (`access.can_write`). The reply clock is kept right: reassigning keeps `due_at`,
assigning a triage thread starts the clock, closing as needing no answer stops it.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from backoffice.organisation import access
from backoffice.organisation.models import Counsellor

from ..models import Message, Thread, ThreadEvent
from .deadlines import thread_deadline_clear, thread_deadline_start

CLOSE_REASON_MAX = 300


def _require_write(*, thread: Thread, by) -> None:
    if not access.can_write(by, thread):
        raise PermissionDenied


def _require_dispatcher(*, by) -> None:
    """Reassigning is a manager's (or an administrator's) decision, not a counsellor's."""
    if access.scope_for(by).writes not in ("agency", "all"):
        raise PermissionDenied


def _locked(thread: Thread) -> Thread:
    return Thread.objects.select_for_update(of=("self",)).get(pk=thread.pk)


@transaction.atomic
def thread_reassign(*, thread: Thread, to_counsellor: Counsellor, by, note: str = "") -> Thread:
    """Gives `thread` to `to_counsellor`, an active counsellor of the thread's agency.

    The deadline is kept; a triage or unassigned thread becomes awaiting and its clock
    starts if it was not running. The thread stops being a delegation (`delegated_from`
    is cleared: it no longer returns to anyone). ThreadEvent ASSIGNED (nobody held it)
    or REASSIGNED.
    """
    _require_dispatcher(by=by)
    _require_write(thread=thread, by=by)
    if not to_counsellor.is_active or to_counsellor.agency_id != thread.agency_id:
        raise ValidationError(_("Le conseiller choisi n'est pas un conseiller actif de l'agence."))
    locked = _locked(thread)
    if locked.counsellor_id == to_counsellor.pk and locked.delegated_from_id is None:
        return locked
    from_counsellor_id = locked.counsellor_id
    fields = {"counsellor": to_counsellor, "delegated_from": None}
    was_triage = locked.status == Thread.Status.TRIAGE
    if was_triage:
        fields["status"] = Thread.Status.AWAITING_REPLY
        fields["closed_reason"] = ""
    for name, value in fields.items():
        setattr(locked, name, value)
    locked.save(update_fields=list(fields))
    ThreadEvent.objects.create(
        thread=locked,
        kind=ThreadEvent.Kind.REASSIGNED if from_counsellor_id else ThreadEvent.Kind.ASSIGNED,
        at=timezone.now(),
        actor=by,
        from_counsellor_id=from_counsellor_id,
        to_counsellor=to_counsellor,
        note=note,
    )
    # Only a triage thread starts its clock here: an awaiting thread without a deadline
    # (an auto-reply, say) has nothing to answer yet.
    if was_triage and locked.due_at is None:
        last_incoming = (
            Message.objects.filter(thread_id=locked.pk, direction=Message.Direction.INCOMING)
            .order_by("-received_at")
            .values_list("received_at", flat=True)
            .first()
        )
        thread_deadline_start(thread=locked, received_at=last_incoming or timezone.now())
    for name in ("counsellor", "delegated_from", "status", "closed_reason", "due_at"):
        setattr(thread, name, getattr(locked, name))
    thread.awaiting_since = locked.awaiting_since
    return thread


@transaction.atomic
def threads_reassign(
    *, threads: Iterable[Thread], to_counsellor: Counsellor, by, note: str = ""
) -> list[Thread]:
    """The team queue's bulk reassignment: all of them or none (one refusal rolls back)."""
    return [
        thread_reassign(thread=thread, to_counsellor=to_counsellor, by=by, note=note)
        for thread in threads
    ]


@transaction.atomic
def thread_motif_set(*, thread: Thread, motif, by) -> Thread:
    """Records why the person wrote (feeds the reports); ThreadEvent MOTIF_SET."""
    _require_write(thread=thread, by=by)
    locked = _locked(thread)
    motif_id = motif.pk if motif is not None else None
    if locked.motif_id == motif_id:
        return thread
    Thread.objects.filter(pk=locked.pk).update(motif_id=motif_id)
    thread.motif = motif
    ThreadEvent.objects.create(
        thread=locked,
        kind=ThreadEvent.Kind.MOTIF_SET,
        at=timezone.now(),
        actor=by,
        note=str(motif) if motif is not None else _("motif retiré"),
    )
    return thread


@transaction.atomic
def thread_close(*, thread: Thread, by, reason: str) -> Thread:
    """Closes a thread that needs no answer: the clock stops, the reason is mandatory.

    ThreadEvent CLOSED with the reason; a thread already closed is left as it is.
    """
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("Indiquez pourquoi ce fil n'appelle pas de réponse."))
    _require_write(thread=thread, by=by)
    locked = _locked(thread)
    if locked.status == Thread.Status.CLOSED:
        return thread
    reason = reason[:CLOSE_REASON_MAX]
    thread_deadline_clear(thread=locked, reason=reason)
    Thread.objects.filter(pk=locked.pk).update(status=Thread.Status.CLOSED, closed_reason=reason)
    ThreadEvent.objects.create(
        thread=locked, kind=ThreadEvent.Kind.CLOSED, at=timezone.now(), actor=by, note=reason
    )
    thread.status, thread.closed_reason, thread.due_at = Thread.Status.CLOSED, reason, None
    return thread


@transaction.atomic
def threads_motif_set(*, threads: Iterable[Thread], motif, by) -> list[Thread]:
    """Bulk `thread_motif_set`: all of them or none."""
    return [thread_motif_set(thread=thread, motif=motif, by=by) for thread in threads]


@transaction.atomic
def threads_close(*, threads: Iterable[Thread], by, reason: str) -> list[Thread]:
    """Bulk `thread_close`: all of them or none."""
    return [thread_close(thread=thread, by=by, reason=reason) for thread in threads]
