"""[inbox] Reads behind transfers, consultations and the return from absence."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Exists, OuterRef, Q, QuerySet

from backoffice.organisation.models import Absence, Counsellor

from .models import Consultation, Thread


def _experts_near(*, thread: Thread) -> QuerySet[Counsellor]:
    """Colleagues of the thread's agency, and the specialists (benefits, employers) of its
    region: the people a thread may be handed to or a question put to."""
    return (
        Counsellor.objects.filter(is_active=True)
        .filter(
            Q(agency_id=thread.agency_id)
            | (
                Q(agency__region_id=thread.agency.region_id)
                & (Q(handles_benefits=True) | Q(handles_employers=True))
            )
        )
        .select_related("user", "agency")
        .order_by("user__last_name", "user__first_name", "pk")
    )


def transfer_experts_for(*, thread: Thread) -> QuerySet[Counsellor]:
    """Who the thread may be transferred to: anyone near it but its current holder."""
    experts = _experts_near(thread=thread)
    if thread.counsellor_id:
        experts = experts.exclude(pk=thread.counsellor_id)
    return experts


def consultation_experts_for(*, thread: Thread, asker: Counsellor) -> QuerySet[Counsellor]:
    """Who may be consulted on the thread: anyone near it but the asker."""
    return _experts_near(thread=thread).exclude(pk=asker.pk)


def consultations_waiting_for(*, counsellor_id: int | None) -> QuerySet[Consultation]:
    """Open questions put to this counsellor, oldest first (the partial index serves it)."""
    if counsellor_id is None:
        return Consultation.objects.none()
    return (
        Consultation.objects.filter(expert_id=counsellor_id, answered_at__isnull=True)
        .select_related("thread", "asked_by__user")
        .order_by("asked_at", "pk")
    )


def consultations_put_to(*, counsellor_id: int | None) -> QuerySet[Consultation]:
    """Every question put to this counsellor, with what its list shows."""
    if counsellor_id is None:
        return Consultation.objects.none()
    return Consultation.objects.filter(expert_id=counsellor_id).select_related(
        "thread", "asked_by__user"
    )


def consultation_for_expert(*, pk: int, counsellor_id: int | None) -> Consultation:
    """One consultation put to this counsellor, with its thread's messages and attachments."""
    return (
        Consultation.objects.filter(expert_id=counsellor_id)
        .select_related("thread__agency", "thread__counsellor__user", "asked_by__user")
        .prefetch_related("thread__messages__attachments")
        .get(pk=pk)
    )


def threads_due_back(*, now: datetime) -> QuerySet[Thread]:
    """Delegated threads whose counsellor is back (no absence covers `now`) and active."""
    absent_now = Absence.objects.filter(
        counsellor_id=OuterRef("delegated_from_id"), starts_at__lte=now, ends_at__gt=now
    )
    return Thread.objects.filter(
        delegated_from__isnull=False, delegated_from__is_active=True
    ).exclude(Exists(absent_now))
