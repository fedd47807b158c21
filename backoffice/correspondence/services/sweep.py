"""[sla] The sweep: warnings, holding notice and new contact, breach; each exactly once.

Every five minutes (django-q2) and by hand (`manage.py sla_sweep`). Each stage reads only
the threads inside its window through the partial index `thread_sla_sweep`, claims them
with `select_for_update(skip_locked=True)` (two sweeps share the work, never the same
thread), stamps the thread (`warned_at`, `holding_notice_sent_at`, `breached_at`) and
queues its mails in the outbox in the same transaction. Mails leave later, from the
outbox (`outbox.outbox_send_pending`).
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from dataclasses import dataclass, field
from types import SimpleNamespace

from django.conf import settings
from django.db import transaction
from django.db.models import OuterRef, QuerySet, Subquery
from django.utils import timezone

from backoffice.organisation import roles
from backoffice.organisation.models import Absence, Agency, Counsellor

from ..models import Message, OutboxMail, ScheduledContact, SlaEvent, Thread
from ..sla import BusinessCalendar, next_working_day_at
from . import notices
from .deadlines import agency_calendar
from .outbox import outbox_build, outbox_counts_today, outbox_queue_many
from .rows import insert_rows

logger = logging.getLogger(__name__)

# Addresses no automatic mail ever goes to, whatever the thread says.
ROBOT_ADDRESS_RE = re.compile(
    r"^(no[-_.]?reply|do[-_.]?not[-_.]?reply|mailer-daemon|postmaster|bounces?)([+@-]|$)",
    re.IGNORECASE,
)


@dataclass
class SweepReport:
    warned: int = 0
    held: int = 0
    holding_withheld: int = 0
    contacts: int = 0
    breached: int = 0
    mails_queued: int = 0
    mails_capped: int = 0
    lines: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return (
            f"alertes : {self.warned} ; messages d'attente : {self.held} "
            f"(non envoyés : {self.holding_withheld}) ; contacts programmés : {self.contacts} ; "
            f"délais dépassés : {self.breached} ; courriels mis en file : {self.mails_queued} "
            f"(plafonnés : {self.mails_capped})"
        )


def _open_threads() -> QuerySet[Thread]:
    # Exactly the predicate of the partial index thread_sla_sweep.
    return Thread.objects.filter(
        status=Thread.Status.AWAITING_REPLY, due_at__isnull=False, breached_at__isnull=True
    )


def _claim(queryset: QuerySet[Thread], limit: int) -> list[int]:
    """Locks up to `limit` threads of the window that no other sweep holds."""
    return list(
        queryset.order_by("due_at")
        .select_for_update(skip_locked=True)
        .values_list("pk", flat=True)[:limit]
    )


class _Context:
    """What one batch needs about people: who acts for whom, who manages, calendars."""

    def __init__(self, threads: list[Thread], now: dt.datetime):
        self.now = now
        counsellor_ids = {t.counsellor_id for t in threads if t.counsellor_id}
        self.delegates: dict[int, Counsellor | None] = {}
        for absence in Absence.objects.filter(
            counsellor_id__in=counsellor_ids, starts_at__lte=now, ends_at__gt=now
        ).select_related("delegate__user"):
            self.delegates[absence.counsellor_id] = absence.delegate
        agency_ids = {t.agency_id for t in threads}
        self.agency_managers: dict[int, Counsellor] = {}
        for manager in (
            Counsellor.objects.filter(
                agency_id__in=agency_ids, is_active=True, user__groups__name=roles.MANAGER
            )
            .select_related("user")
            .order_by("pk")
        ):
            self.agency_managers.setdefault(manager.agency_id, manager)
        self._calendars: dict[int, BusinessCalendar] = {}

    def manager_for(self, thread: Thread) -> Counsellor | None:
        counsellor = thread.counsellor
        if counsellor is not None and counsellor.team_manager is not None:
            return counsellor.team_manager
        return self.agency_managers.get(thread.agency_id)

    def acting_for(self, thread: Thread) -> Counsellor | None:
        """The counsellor, their delegate while absent, or the manager (team queue)."""
        counsellor = thread.counsellor
        if counsellor is None or not counsellor.is_active:
            return self.manager_for(thread)
        if counsellor.pk in self.delegates:
            return self.delegates[counsellor.pk] or self.manager_for(thread)
        return counsellor

    def calendar(self, agency: Agency) -> BusinessCalendar:
        if agency.pk not in self._calendars:
            self._calendars[agency.pk] = agency_calendar(agency=agency)
        return self._calendars[agency.pk]


def _event(*, thread_id, kind, at, due_at, recipient_id=None, detail="") -> dict:
    """One SlaEvent row (every column: the insert bypasses model defaults)."""
    return {
        "thread_id": thread_id,
        "kind": kind,
        "at": at,
        "due_at": due_at,
        "recipient_id": recipient_id,
        "detail": detail[:300],
        "read_at": None,
    }


def _pk(person) -> int | None:
    return person.pk if person is not None else None


class _Cap:
    """The daily cap of automatic mails per correspondent address, counted across a batch."""

    def __init__(self, addresses, now: dt.datetime):
        self.limit = settings.MAILNET_SLA_DAILY_CAP_PER_ADDRESS
        self.counts = outbox_counts_today(addresses=[a for a in addresses if a], now=now)

    def take(self, address: str) -> bool:
        if self.counts.get(address, 0) >= self.limit:
            return False
        self.counts[address] = self.counts.get(address, 0) + 1
        return True


_LOAD_FIELDS = (
    "pk", "subject", "correspondent_address", "due_at", "awaiting_since", "last_message_at",
    "jobseeker_id", "employer_id", "counsellor_id", "agency_id",
    "agency__name", "agency__territory", "agency__time_zone",
    "counsellor__is_active", "counsellor__team_id", "counsellor__public_address",
    "counsellor__user__first_name", "counsellor__user__last_name", "counsellor__user__email",
    "counsellor__team__manager_id", "counsellor__team__manager__is_active",
    "counsellor__team__manager__user__first_name", "counsellor__team__manager__user__last_name",
    "counsellor__team__manager__user__email",
    "jobseeker__first_name", "jobseeker__last_name", "jobseeker__identifier", "employer__name",
)  # fmt: skip


def _person(pk, is_active, first_name, last_name, email, public_address=None, team_id=None):
    if pk is None:
        return None
    return SimpleNamespace(
        pk=pk,
        is_active=is_active,
        team_id=team_id,
        public_address=public_address,
        full_name=f"{first_name} {last_name}".strip(),
        user=SimpleNamespace(email=email),
    )


def _load(ids: list[int], *, with_last_incoming: bool = False) -> list[SimpleNamespace]:
    """The batch's threads as plain rows (no model instances: the sweep must stay cheap)."""
    queryset = Thread.objects.filter(pk__in=ids)
    fields = list(_LOAD_FIELDS)
    if with_last_incoming:
        last_incoming = Message.objects.filter(
            thread_id=OuterRef("pk"), direction=Message.Direction.INCOMING
        ).order_by("-received_at", "-pk")
        queryset = queryset.annotate(
            last_incoming_kind=Subquery(last_incoming.values("kind")[:1]),
            last_incoming_message_id=Subquery(last_incoming.values("message_id")[:1]),
        )
        fields += ["last_incoming_kind", "last_incoming_message_id"]
    rows = []
    for r in queryset.order_by("due_at").values(*fields):
        manager = _person(
            r["counsellor__team__manager_id"],
            r["counsellor__team__manager__is_active"],
            r["counsellor__team__manager__user__first_name"],
            r["counsellor__team__manager__user__last_name"],
            r["counsellor__team__manager__user__email"],
        )
        counsellor = _person(
            r["counsellor_id"],
            r["counsellor__is_active"],
            r["counsellor__user__first_name"],
            r["counsellor__user__last_name"],
            r["counsellor__user__email"],
            r["counsellor__public_address"],
            r["counsellor__team_id"],
        )
        if counsellor is not None:
            counsellor.team_manager = manager
        rows.append(
            SimpleNamespace(
                pk=r["pk"],
                subject=r["subject"],
                correspondent_address=r["correspondent_address"],
                due_at=r["due_at"],
                awaiting_since=r["awaiting_since"],
                last_message_at=r["last_message_at"],
                jobseeker_id=r["jobseeker_id"],
                employer_id=r["employer_id"],
                counsellor_id=r["counsellor_id"],
                agency_id=r["agency_id"],
                agency=SimpleNamespace(
                    pk=r["agency_id"],
                    name=r["agency__name"],
                    territory=r["agency__territory"],
                    time_zone=r["agency__time_zone"],
                ),
                counsellor=counsellor,
                jobseeker=SimpleNamespace(
                    first_name=r["jobseeker__first_name"],
                    last_name=r["jobseeker__last_name"],
                    identifier=r["jobseeker__identifier"],
                )
                if r["jobseeker_id"]
                else None,
                employer=SimpleNamespace(name=r["employer__name"]) if r["employer_id"] else None,
                last_incoming_kind=r.get("last_incoming_kind"),
                last_incoming_message_id=r.get("last_incoming_message_id"),
            )
        )
    return rows


def _mail_to_staff(*, thread, person, kind, key, subject, body, now, report, mails) -> None:
    """Staff mails are not capped: the cap protects correspondents, not colleagues."""
    address = person.user.email if person and person.user.email else ""
    if not address:
        return
    report.mails_queued += 1
    mails.append(
        outbox_build(
            key=key,
            thread_id=thread.pk,
            kind=kind,
            to_address=address,
            subject=subject,
            body=body,
            now=now,
        )
    )


def _warn_batch(ids: list[int], now: dt.datetime, report: SweepReport) -> None:
    threads = _load(ids)
    context = _Context(threads, now)
    events, mails = [], []
    for thread in threads:
        target = context.acting_for(thread)
        events.append(
            _event(
                thread_id=thread.pk,
                kind=SlaEvent.Kind.WARNING,
                at=now,
                due_at=thread.due_at,
                recipient_id=target.pk if target else None,
            )
        )
        subject, body = notices.warning_text(
            thread=thread, calendar=context.calendar(thread.agency)
        )
        _mail_to_staff(
            thread=thread,
            person=target,
            kind=OutboxMail.Kind.WARNING,
            key=f"warning:{thread.pk}:{int(thread.due_at.timestamp())}",
            subject=subject,
            body=body,
            now=now,
            report=report,
            mails=mails,
        )
    insert_rows(SlaEvent, events)
    outbox_queue_many(mails=mails)
    Thread.objects.filter(pk__in=ids).update(warned_at=now)
    report.warned += len(threads)


def _holding_refusal(thread: Thread) -> str:
    """Why no holding notice may go to this thread's correspondent ('' when it may)."""
    if thread.jobseeker_id is None and thread.employer_id is None:
        return "expéditeur inconnu"
    if thread.last_incoming_kind and thread.last_incoming_kind != Message.Kind.NORMAL:
        return "réponse automatique ou non-remise"
    local_part = (thread.correspondent_address or "").split("@")[0]
    if not thread.correspondent_address or ROBOT_ADDRESS_RE.match(local_part):
        return "adresse automatique"
    return ""


def _hold_batch(ids: list[int], now: dt.datetime, report: SweepReport) -> None:
    threads = _load(ids, with_last_incoming=True)
    context = _Context(threads, now)
    cap = _Cap([t.correspondent_address for t in threads], now)
    already_held = set(
        OutboxMail.objects.filter(
            thread_id__in=ids, kind=OutboxMail.Kind.HOLDING_NOTICE
        ).values_list("thread_id", flat=True)
    )
    template = notices.HoldingTemplate.load()
    events, mails, contacts = [], [], []
    contact_hour = dt.time(settings.MAILNET_SLA_CONTACT_HOUR)
    for thread in threads:
        calendar = context.calendar(thread.agency)
        acting = context.acting_for(thread)
        manager = context.manager_for(thread)
        contact_at = next_working_day_at(now, contact_hour, calendar)
        refusal = _holding_refusal(thread)
        if not refusal and thread.pk in already_held:
            refusal = "un message d'attente a déjà été envoyé sur ce fil"
        if not refusal and not cap.take(thread.correspondent_address):
            refusal = "plafond quotidien de courriels automatiques atteint"
            report.mails_capped += 1
        if refusal:
            report.holding_withheld += 1
            events.append(
                _event(
                    thread_id=thread.pk,
                    kind=SlaEvent.Kind.HOLDING_WITHHELD,
                    at=now,
                    due_at=thread.due_at,
                    detail=refusal,
                )
            )
        else:
            subject, body = template.render(
                thread=thread, counsellor=acting, contact_at=contact_at, calendar=calendar
            )
            sender = thread.counsellor.public_address if thread.counsellor else None
            mails.append(
                outbox_build(
                    key=f"holding:{thread.pk}",
                    thread_id=thread.pk,
                    kind=OutboxMail.Kind.HOLDING_NOTICE,
                    to_address=thread.correspondent_address,
                    from_address=sender,
                    subject=subject,
                    body=body,
                    in_reply_to=thread.last_incoming_message_id or "",
                    now=now,
                )
            )
            report.mails_queued += 1
            report.held += 1
            events.append(
                _event(
                    thread_id=thread.pk,
                    kind=SlaEvent.Kind.HOLDING_NOTICE,
                    at=now,
                    due_at=thread.due_at,
                    detail=thread.correspondent_address[:300],
                )
            )
        if acting is not None:
            contacts.append(
                ScheduledContact(
                    counsellor_id=acting.pk,
                    thread_id=thread.pk,
                    jobseeker_id=thread.jobseeker_id,
                    employer_id=thread.employer_id,
                    scheduled_for=contact_at,
                    channel=ScheduledContact.Channel.PHONE,
                    auto=True,
                    note=notices.contact_note(thread=thread),
                )
            )
            events.append(
                _event(
                    thread_id=thread.pk,
                    kind=SlaEvent.Kind.CONTACT_SCHEDULED,
                    at=now,
                    due_at=thread.due_at,
                    recipient_id=acting.pk,
                    detail=notices.french_datetime(contact_at, calendar.tz),
                )
            )
            report.contacts += 1
        events.append(
            _event(
                thread_id=thread.pk,
                kind=SlaEvent.Kind.MANAGER_INFORMED,
                at=now,
                due_at=thread.due_at,
                recipient_id=manager.pk if manager else None,
            )
        )
        subject, body = notices.manager_text(
            thread=thread, refusal=refusal, contact_at=contact_at, calendar=calendar
        )
        _mail_to_staff(
            thread=thread,
            person=manager,
            kind=OutboxMail.Kind.MANAGER_HOLDING,
            key=f"manager_holding:{thread.pk}",
            subject=subject,
            body=body,
            now=now,
            report=report,
            mails=mails,
        )
    ScheduledContact.objects.bulk_create(contacts, ignore_conflicts=True)
    insert_rows(SlaEvent, events)
    outbox_queue_many(mails=mails)
    Thread.objects.filter(pk__in=ids).update(holding_notice_sent_at=now)


def _breach_batch(ids: list[int], now: dt.datetime, report: SweepReport) -> None:
    threads = _load(ids)
    context = _Context(threads, now)
    insert_rows(
        SlaEvent,
        [
            _event(
                thread_id=thread.pk,
                kind=SlaEvent.Kind.BREACH,
                at=now,
                due_at=thread.due_at,
                recipient_id=_pk(context.manager_for(thread)),
            )
            for thread in threads
        ],
    )
    Thread.objects.filter(pk__in=ids).update(breached_at=now)
    report.breached += len(threads)


def _run_stage(window: QuerySet[Thread], handler, now: dt.datetime, report, batch: int) -> None:
    while True:
        with transaction.atomic():
            ids = _claim(window, batch)
            if ids:
                handler(ids, now, report)
        if len(ids) < batch:
            return


def sla_sweep_run(*, now: dt.datetime | None = None, batch: int | None = None) -> SweepReport:
    """Runs the three stages once for every thread in their windows; safe to run concurrently.

    Warn (deadline within MAILNET_SLA_WARN_BEFORE_HOURS), hold (within
    MAILNET_SLA_HOLDING_BEFORE_HOURS: holding notice, new contact, manager told), breach.
    """
    now = now or timezone.now()
    batch = batch or settings.MAILNET_SLA_SWEEP_BATCH
    report = SweepReport()
    warn_before = dt.timedelta(hours=settings.MAILNET_SLA_WARN_BEFORE_HOURS)
    hold_before = dt.timedelta(hours=settings.MAILNET_SLA_HOLDING_BEFORE_HOURS)
    open_threads = _open_threads()
    _run_stage(
        open_threads.filter(due_at__lte=now, breached_at__isnull=True),
        _breach_batch,
        now,
        report,
        batch,
    )
    _run_stage(
        open_threads.filter(due_at__gt=now, due_at__lte=now + warn_before, warned_at__isnull=True),
        _warn_batch,
        now,
        report,
        batch,
    )
    _run_stage(
        open_threads.filter(
            due_at__gt=now, due_at__lte=now + hold_before, holding_notice_sent_at__isnull=True
        ),
        _hold_batch,
        now,
        report,
        batch,
    )
    return report
