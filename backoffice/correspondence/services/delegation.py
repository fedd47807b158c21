"""[inbox] Moves of a thread between people: transfer, consultation, absence and return.

- `thread_transfer`: the thread goes to an expert, who then holds it (and its agency, so
  that the expert may write); the reply clock keeps running.
- `consultation_ask` / `consultation_answer`: the thread stays with its counsellor; the
  expert answers them internally. While the consultation is open, the expert reads the
  thread's messages on the consultation screen (and may open the thread page, where the
  scope grants it); either reading is logged as asked for, not outside the caseload.
- `thread_absence_route`: called by ingest for every message it files. While the holder of
  an awaiting thread is absent, the thread goes to the absence's delegate, or to the team
  queue (no holder) when there is none; `delegated_from` remembers who it returns to.
- `absences_return_apply`: when the absence is over, threads still awaiting a reply come
  back to that counsellor; answered or closed ones stay where they are.

Every move writes a ThreadEvent (actor None when a task moved it). Notifications of
consultations and transfers are mails to the staff account's address, sent after commit
through Django's e-mail backend.
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from backoffice.organisation import access
from backoffice.organisation.models import Counsellor
from backoffice.organisation.services import counsellor_absence_at

from ..delegation_selectors import (
    consultation_experts_for,
    threads_due_back,
    transfer_experts_for,
)
from ..models import Consultation, Thread, ThreadEvent, ThreadRead
from .reads import thread_read_granted_record

logger = logging.getLogger(__name__)

# A delegate who is absent too passes the mail on to their own delegate, a few hops at most.
MAX_DELEGATION_HOPS = 5


def counsellor_for_new_mail(
    *, counsellor: Counsellor, at: datetime
) -> tuple[Counsellor | None, Counsellor | None]:
    """Who holds new mail for `counsellor` at `at`: (holder, delegated_from).

    Not absent: (counsellor, None). Absent: (the absence's delegate, counsellor), following a
    delegate who is absent too; (None, counsellor) sends the mail to the team queue (no
    delegate, an inactive one, or a loop of absent delegates).
    """
    absence = counsellor_absence_at(counsellor=counsellor, moment=at)
    if absence is None:
        return counsellor, None
    seen = {counsellor.pk}
    holder = absence.delegate
    for _hop in range(MAX_DELEGATION_HOPS):
        if holder is None or not holder.is_active or holder.pk in seen:
            return None, counsellor
        seen.add(holder.pk)
        onward = counsellor_absence_at(counsellor=holder, moment=at)
        if onward is None:
            return holder, counsellor
        holder = onward.delegate
    return None, counsellor


def thread_absence_route(*, thread: Thread, at: datetime) -> Thread:
    """Moves an awaiting thread away from an absent holder (ingest calls it per message).

    The thread goes to the delegate (or to the team queue) and keeps in `delegated_from`
    the counsellor it returns to; its clock and agency's calendar are unchanged unless the
    delegate works in another agency. Triage, answered and closed threads stay put.
    """
    if thread.counsellor_id is None or thread.status != Thread.Status.AWAITING_REPLY:
        return thread
    current = thread.counsellor
    holder, absent = counsellor_for_new_mail(counsellor=current, at=at)
    if absent is None:
        return thread
    thread.counsellor = holder
    if holder is not None:
        thread.agency_id = holder.agency_id
    if thread.delegated_from_id is None:
        thread.delegated_from = absent
    thread.save(update_fields=["counsellor", "agency", "delegated_from"])
    note = (
        _("Absence de %(absent)s : confié à %(holder)s.")
        % {"absent": absent.full_name, "holder": holder.full_name}
        if holder is not None
        else _("Absence de %(absent)s sans délégataire : confié à la file de l'équipe.")
        % {"absent": absent.full_name}
    )
    ThreadEvent.objects.create(
        thread=thread,
        kind=ThreadEvent.Kind.DELEGATED,
        at=at,
        actor=None,
        from_counsellor=current,
        to_counsellor=holder,
        note=note,
    )
    return thread


@transaction.atomic
def absences_return_apply(*, now: datetime) -> dict[str, int]:
    """Gives back the threads of counsellors whose absence is over; returns the counts.

    A thread still awaiting a reply goes back to the counsellor it was delegated from
    (ThreadEvent RETURNED, actor None); one answered or closed in the meantime stays with
    whoever holds it and simply forgets `delegated_from`. Idempotent: run every 15 minutes.
    """
    counts = {"returned": 0, "kept": 0}
    threads = (
        threads_due_back(now=now)
        .select_for_update(of=("self",))
        .select_related("delegated_from__user", "counsellor__user")
        .order_by("pk")
    )
    for thread in threads:
        owner = thread.delegated_from
        if thread.status != Thread.Status.AWAITING_REPLY:
            thread.delegated_from = None
            thread.save(update_fields=["delegated_from"])
            counts["kept"] += 1
            continue
        holder = thread.counsellor
        thread.counsellor = owner
        thread.agency_id = owner.agency_id
        thread.delegated_from = None
        thread.save(update_fields=["counsellor", "agency", "delegated_from"])
        ThreadEvent.objects.create(
            thread=thread,
            kind=ThreadEvent.Kind.RETURNED,
            at=now,
            actor=None,
            from_counsellor=holder,
            to_counsellor=owner,
            note=_("Retour de %(owner)s : le fil lui revient.") % {"owner": owner.full_name},
        )
        counts["returned"] += 1
    return counts


def _write_check(*, user, thread: Thread) -> None:
    if not user.has_perm("correspondence.change_thread") or not access.can_write(user, thread):
        raise PermissionDenied(_("Vous ne pouvez pas agir sur ce fil."))


def _counsellor_of(user) -> Counsellor:
    counsellor = Counsellor.objects.filter(user=user, is_active=True).first()
    if counsellor is None:
        raise ValidationError(_("Seul un conseiller peut consulter un expert."))
    return counsellor


@transaction.atomic
def thread_transfer(*, thread: Thread, to_counsellor: Counsellor, by, note: str) -> Thread:
    """Hands the thread over to an expert, who holds it from now on.

    Only who may write the thread transfers it, to an expert it may go to
    (`transfer_experts_for`). The thread follows the expert's agency so that they may write;
    the reply clock is kept; a pending absence return is dropped (the expert keeps it).
    """
    thread = Thread.objects.select_for_update().get(pk=thread.pk)
    _write_check(user=by, thread=thread)
    if not transfer_experts_for(thread=thread).filter(pk=to_counsellor.pk).exists():
        raise ValidationError(_("Ce fil ne peut pas être transféré à ce conseiller."))
    previous = thread.counsellor
    thread.counsellor = to_counsellor
    thread.agency_id = to_counsellor.agency_id
    thread.delegated_from = None
    thread.save(update_fields=["counsellor", "agency", "delegated_from"])
    ThreadEvent.objects.create(
        thread=thread,
        kind=ThreadEvent.Kind.TRANSFERRED,
        at=timezone.now(),
        actor=by,
        from_counsellor=previous,
        to_counsellor=to_counsellor,
        note=note,
    )
    _notify(
        to=to_counsellor,
        subject=_("[Mailnet] Un fil vous est transféré : %(subject)s")
        % {"subject": thread.subject or _("(sans objet)")},
        body=_(
            "Bonjour,\n\n%(by)s vous transfère le fil « %(subject)s » "
            "(%(address)s).\n\nNote : %(note)s\n\n%(url)s\n\nMailnet\n"
        )
        % {
            "by": by.get_full_name() or by.get_username(),
            "subject": thread.subject or _("(sans objet)"),
            "address": thread.correspondent_address,
            "note": note or "—",
            "url": _admin_url("inbox:thread", thread.pk),
        },
    )
    return thread


@transaction.atomic
def consultation_ask(*, thread: Thread, expert: Counsellor, by, question: str) -> Consultation:
    """Asks an expert an internal question on a thread the asker may write; they keep it.

    The expert is notified by mail and sees the question in "Consultations"; ThreadEvent
    CONSULTED carries the question into the thread's history.
    """
    _write_check(user=by, thread=thread)
    asker = _counsellor_of(by)
    if not question.strip():
        raise ValidationError(_("La question est vide."))
    if not consultation_experts_for(thread=thread, asker=asker).filter(pk=expert.pk).exists():
        raise ValidationError(_("Ce conseiller ne peut pas être consulté sur ce fil."))
    now = timezone.now()
    consultation = Consultation.objects.create(
        thread=thread, asked_by=asker, expert=expert, question=question.strip(), asked_at=now
    )
    ThreadEvent.objects.create(
        thread=thread,
        kind=ThreadEvent.Kind.CONSULTED,
        at=now,
        actor=by,
        from_counsellor=asker,
        to_counsellor=expert,
        note=consultation.question,
    )
    _notify(
        to=expert,
        subject=_("[Mailnet] %(asker)s vous consulte : %(subject)s")
        % {"asker": asker.full_name, "subject": thread.subject or _("(sans objet)")},
        body=_(
            "Bonjour,\n\n%(asker)s vous pose une question :\n\n%(question)s\n\n%(url)s\n\nMailnet\n"
        )
        % {
            "asker": asker.full_name,
            "question": consultation.question,
            "url": _admin_url("inbox:consultation_answer", consultation.pk),
        },
    )
    return consultation


@transaction.atomic
def consultation_answer(*, consultation: Consultation, by, answer: str) -> Consultation:
    """The expert's answer, once; the counsellor who asked is notified by mail.

    Only the consulted expert answers; ThreadEvent CONSULTATION_ANSWERED carries it.
    """
    consultation = (
        Consultation.objects.select_for_update(of=("self",))
        .select_related("thread", "asked_by__user", "expert__user")
        .get(pk=consultation.pk)
    )
    if consultation.expert.user_id != by.pk:
        raise PermissionDenied(_("Seul l'expert consulté peut répondre."))
    if consultation.answered_at is not None:
        raise ValidationError(_("Cette consultation a déjà reçu une réponse."))
    if not answer.strip():
        raise ValidationError(_("La réponse est vide."))
    consultation.answer = answer.strip()
    consultation.answered_at = timezone.now()
    consultation.save(update_fields=["answer", "answered_at"])
    thread = consultation.thread
    ThreadEvent.objects.create(
        thread=thread,
        kind=ThreadEvent.Kind.CONSULTATION_ANSWERED,
        at=consultation.answered_at,
        actor=by,
        from_counsellor=consultation.expert,
        to_counsellor=consultation.asked_by,
        note=consultation.answer,
    )
    _notify(
        to=consultation.asked_by,
        subject=_("[Mailnet] Réponse de %(expert)s : %(subject)s")
        % {"expert": consultation.expert.full_name, "subject": thread.subject or _("(sans objet)")},
        body=_(
            "Bonjour,\n\n%(expert)s a répondu à votre question :\n\n%(question)s\n\n"
            "Réponse :\n\n%(answer)s\n\n%(url)s\n\nMailnet\n"
        )
        % {
            "expert": consultation.expert.full_name,
            "question": consultation.question,
            "answer": consultation.answer,
            "url": _admin_url("inbox:thread", thread.pk),
        },
    )
    return consultation


def consultation_thread_read_record(*, consultation: Consultation, user) -> ThreadRead:
    """Logs the expert's reading of the thread through an open consultation."""
    return thread_read_granted_record(
        thread_id=consultation.thread_id, user=user, via=ThreadRead.Via.OTHER
    )


def _admin_url(name: str, pk: int) -> str:
    return settings.WAGTAILADMIN_BASE_URL.rstrip("/") + reverse(name, args=[pk])


def _notify(*, to: Counsellor, subject: str, body: str) -> None:
    """A mail to a colleague's staff address after commit; a failure is logged, not raised."""
    address = to.user.email
    if not address:
        return

    def send() -> None:
        try:
            send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [address])
        except Exception:  # the move is committed; a lost notice must not undo it
            logger.exception("notice to %s not sent", address)

    transaction.on_commit(send)
