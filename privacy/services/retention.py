"""[privacy-archive] Retention: erase mail contents whose time is over, keep the statistics.

Policy (settings):
- a known person's *answered or closed* threads, once the person's follow-up has ended
  (every assignment ended) MAILNET_RETENTION_MONTHS_AFTER_FOLLOWUP months ago and the thread
  itself saw no message since then;
- threads of unknown correspondents (triage, any status), and raw mails that never became a
  message, MAILNET_RETENTION_MONTHS_UNKNOWN months after their last message;
- never a person under an active `LegalHold`.

A run is first a dry run (`retention_run_prepare`: counts, by agency; nothing changes).
Applying it (`retention_run_apply`) erases subjects, bodies, addresses, attachment files and
rows, `RawMail.data` and `Message.mime` (to empty bytes: the only change the archive guard
and trigger allow), unlinks the thread from the person, and marks the archive entries
`content_erased_at`: the chain keeps its hashes and still verifies.

What stays is the anonymised statistical trace the reports read: thread and message rows
with their agency, counsellor, motif, status, direction, kind and dates. Because a report
finds a thread's audience and modality through its person, every past day these threads
touch is rolled up (`reports.services.rollups`) *before* the link is removed, so past
reports do not change. Do not recompute roll-ups of days older than the retention horizon:
they would count the erased threads as unknown correspondents (as today's live figures do
for an erased thread that never got a reply and so stays in every day's backlog).

A person without any assignment counts as not followed: their threads follow the first rule
from their last message.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections import defaultdict

from django.conf import settings
from django.db import transaction
from django.db.models import (
    CharField,
    Count,
    Exists,
    F,
    Max,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Value,
)
from django.db.models.functions import Cast, Coalesce, Concat
from django.utils import timezone

from backoffice.caseloads.models import Assignment
from backoffice.correspondence.models import (
    ArchiveEntry,
    Attachment,
    Consultation,
    Message,
    OutboxMail,
    RawMail,
    Thread,
    ThreadEvent,
)
from backoffice.organisation.models import Agency
from reports.models import Rating, RollupDay
from reports.services.rollups import rollup_day_recompute

from ..models import ErasedThread, LegalHold, RetentionRun
from . import local_midnight

BATCH = 500


def months_before(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    month += 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def legal_holds_active(*, day: dt.date | None = None) -> QuerySet[LegalHold]:
    day = day or timezone.localdate()
    return LegalHold.objects.filter(since__lte=day).filter(
        Q(until__isnull=True) | Q(until__gte=day)
    )


def retention_candidates(
    *, followup_cutoff: dt.date, unknown_cutoff: dt.datetime, held: bool = False
) -> QuerySet[Thread]:
    """Threads the policy erases at these cut-offs (not yet erased). `held=True` returns
    instead those it would erase but for a legal hold."""
    last_activity = Coalesce("last_message_at", "created_at")
    followup_open = Assignment.objects.filter(
        Q(ends_on__isnull=True) | Q(ends_on__gt=followup_cutoff)
    )
    threads = Thread.objects.filter(erasure__isnull=True).annotate(_last=last_activity)
    known = (
        Q(status__in=[Thread.Status.ANSWERED, Thread.Status.CLOSED])
        & Q(_last__lt=local_midnight(followup_cutoff))
        & (
            (
                Q(jobseeker__isnull=False)
                & ~Exists(followup_open.filter(jobseeker_id=OuterRef("jobseeker_id")))
            )
            | (
                Q(employer__isnull=False)
                & ~Exists(followup_open.filter(employer_id=OuterRef("employer_id")))
            )
        )
    )
    unknown = Q(jobseeker__isnull=True, employer__isnull=True, _last__lt=unknown_cutoff)
    holds = legal_holds_active()
    on_hold = Exists(
        holds.filter(jobseeker_id__isnull=False, jobseeker_id=OuterRef("jobseeker_id"))
    ) | Exists(holds.filter(employer_id__isnull=False, employer_id=OuterRef("employer_id")))
    if held:
        return threads.filter(known).filter(on_hold)
    return threads.filter(known | unknown).exclude(on_hold)


def _orphan_raw_mails(unknown_cutoff: dt.datetime) -> QuerySet[RawMail]:
    """Raw mails that never became a message (triage, failures) and whose time is over."""
    not_erased = ArchiveEntry.objects.filter(
        kind=ArchiveEntry.Kind.RAW_MAIL, content_erased_at__isnull=True
    ).values("object_id")
    return RawMail.objects.filter(
        fetched_at__lt=unknown_cutoff, messages__isnull=True, pk__in=not_erased
    )


def _cutoffs(now: dt.datetime) -> tuple[dt.date, dt.datetime]:
    today = timezone.localdate(now)
    followup = months_before(today, settings.MAILNET_RETENTION_MONTHS_AFTER_FOLLOWUP)
    unknown = local_midnight(months_before(today, settings.MAILNET_RETENTION_MONTHS_UNKNOWN))
    return followup, unknown


@transaction.atomic
def retention_run_prepare(*, by=None, now: dt.datetime | None = None) -> RetentionRun:
    """The dry run: fixes the cut-offs and counts what applying would erase, by agency.
    Changes nothing but the new `RetentionRun` row."""
    now = now or timezone.now()
    followup_cutoff, unknown_cutoff = _cutoffs(now)
    candidates = retention_candidates(
        followup_cutoff=followup_cutoff, unknown_cutoff=unknown_cutoff
    )
    thread_ids = candidates.values("pk")
    by_agency: dict[str, dict] = defaultdict(lambda: {"threads": 0, "messages": 0})
    for agency_id, count in (
        Thread.objects.filter(pk__in=thread_ids)
        .values_list("agency_id")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        by_agency[str(agency_id)]["threads"] = count
    for agency_id, count in (
        Message.objects.filter(thread_id__in=thread_ids)
        .values_list("thread__agency_id")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        by_agency[str(agency_id)]["messages"] = count
    labels = dict(
        (str(pk), f"{code} {name}")
        for pk, code, name in Agency.objects.filter(pk__in=[int(k) for k in by_agency]).values_list(
            "pk", "code", "name"
        )
    )
    for key, row in by_agency.items():
        row["agency"] = labels.get(key, key)
    raw_ids = (
        Message.objects.filter(thread_id__in=thread_ids, raw_mail__isnull=False)
        .values_list("raw_mail_id", flat=True)
        .distinct()
    )
    # A raw mail also delivered to a thread that stays keeps its bytes (see _erase_threads).
    shared = Message.objects.filter(
        raw_mail_id=OuterRef("pk"), thread__erasure__isnull=True
    ).exclude(thread_id__in=thread_ids)
    return RetentionRun.objects.create(
        created_at=now,
        created_by=by,
        followup_cutoff=followup_cutoff,
        unknown_cutoff=unknown_cutoff,
        threads=sum(row["threads"] for row in by_agency.values()),
        messages=sum(row["messages"] for row in by_agency.values()),
        attachments=Attachment.objects.filter(message__thread_id__in=thread_ids).count(),
        raw_mails=RawMail.objects.filter(pk__in=raw_ids).exclude(Exists(shared)).count()
        + _orphan_raw_mails(unknown_cutoff).count(),
        held_threads=retention_candidates(
            followup_cutoff=followup_cutoff, unknown_cutoff=unknown_cutoff, held=True
        ).count(),
        by_agency=dict(sorted(by_agency.items(), key=lambda item: item[1]["agency"])),
    )


def _days_touched(thread_ids) -> set[dt.date]:
    """The past days whose report figures these threads (linked to a person) feed: from the
    day before their first message to the end of the rating window after their last one,
    or up to yesterday when the thread ends unanswered (it is in every day's backlog)."""
    today = timezone.localdate()
    yesterday = today - dt.timedelta(days=1)
    rating_days = dt.timedelta(days=settings.MAILNET_REPORTS_RATING_MAX_AGE_DAYS + 1)
    incoming = Q(messages__direction=Message.Direction.INCOMING, messages__kind="normal")
    outgoing = Q(messages__direction=Message.Direction.OUTGOING, messages__kind="normal")
    rows = (
        Thread.objects.filter(pk__in=thread_ids)
        .filter(Q(jobseeker__isnull=False) | Q(employer__isnull=False))
        .annotate(
            first=Min("messages__received_at"),
            last=Max("messages__received_at"),
            last_in=Max("messages__received_at", filter=incoming),
            last_out=Max("messages__received_at", filter=outgoing),
        )
        .filter(first__isnull=False)
        .values_list("first", "last", "last_in", "last_out")
    )
    days: set[dt.date] = set()
    for first, last, last_in, last_out in rows.iterator(chunk_size=2000):
        start = timezone.localdate(first) - dt.timedelta(days=1)
        if last_in is not None and (last_out is None or last_out < last_in):
            end = yesterday
        else:
            end = min(timezone.localdate(last) + rating_days, yesterday)
        day = start
        while day <= end:
            days.add(day)
            day += dt.timedelta(days=1)
    return days


def _rollups_ensure(thread_ids) -> int:
    """Rolls up every past day these threads feed that is not rolled up yet, so reports
    keep their figures once the threads lose their link to a person. Returns days computed."""
    days = _days_touched(thread_ids)
    if not days:
        return 0
    done = set(
        RollupDay.objects.filter(day__gte=min(days), day__lte=max(days)).values_list(
            "day", flat=True
        )
    )
    missing = sorted(days - done)
    for day in missing:
        rollup_day_recompute(day=day)
    return len(missing)


def _files_delete(names: set[str]) -> None:
    """Deletes attachment files no remaining attachment row points to (files are shared by
    sha256)."""
    if not names:
        return
    still_used = set(Attachment.objects.filter(file__in=names).values_list("file", flat=True))
    storage = Attachment._meta.get_field("file").storage
    for name in names - still_used:
        storage.delete(name)


def _erase_threads(*, thread_ids: list[int], run: RetentionRun, now: dt.datetime) -> None:
    """Erases one batch of threads in one transaction and adds it to the run's counts.

    The batch's threads are locked first and only those still unerased are erased, so two
    appliers of the same run (a double click, a resume) never erase a thread twice."""
    files: set[str] = set()
    with transaction.atomic():
        thread_ids = list(
            Thread.objects.select_for_update(of=("self",))
            .filter(pk__in=thread_ids, erasure__isnull=True)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        if not thread_ids:
            return
        messages = Message.objects.filter(thread_id__in=thread_ids)
        message_ids = list(messages.values_list("pk", flat=True))
        raw_ids = set(messages.filter(raw_mail__isnull=False).values_list("raw_mail_id", flat=True))
        attachments = Attachment.objects.filter(message_id__in=message_ids)
        files = set(attachments.exclude(file="").values_list("file", flat=True))
        attachments.delete()
        sent_ids = list(messages.filter(mime__isnull=False).values_list("pk", flat=True))
        messages.update(
            # Unique and meaningless: a later mail without a Message-ID never matches it.
            message_id=Concat(
                Value("<erased-"), Cast("pk", CharField()), Value("@mailnet.invalid>")
            ),
            in_reply_to="",
            references="",
            from_address="",
            from_name="",
            to_addresses="",
            cc_addresses="",
            subject="",
            body_text="",
            body_html="",
            body_html_with_remote_images="",
            has_remote_images=False,
            decoding_warnings=[],
            send_error="",
        )
        Message.objects.filter(pk__in=sent_ids).update(mime=b"")
        ArchiveEntry.objects.filter(
            kind=ArchiveEntry.Kind.SENT, object_id__in=sent_ids, content_erased_at__isnull=True
        ).update(content_erased_at=now)
        Thread.objects.filter(pk__in=thread_ids).update(
            jobseeker=None,
            employer=None,
            correspondent_address="",
            subject="",
            normalised_subject="",
            closed_reason="",
        )
        ThreadEvent.objects.filter(thread_id__in=thread_ids).update(note="")
        Consultation.objects.filter(thread_id__in=thread_ids).update(question="", answer="")
        OutboxMail.objects.filter(thread_id__in=thread_ids).update(
            to_address="", subject="", body="", in_reply_to=""
        )
        Rating.objects.filter(message_id__in=message_ids).update(comment="")
        ErasedThread.objects.bulk_create(
            [ErasedThread(thread_id=pk, run=run, erased_at=now) for pk in thread_ids]
        )
        # A raw mail delivered to several counsellors is erased with the last of its threads.
        raw_erasable = list(
            RawMail.objects.filter(pk__in=raw_ids)
            .exclude(messages__thread__erasure__isnull=True)
            .values_list("pk", flat=True)
        )
        erased_raw = _erase_raw_mails(raw_erasable, now)
        RetentionRun.objects.filter(pk=run.pk).update(
            erased_threads=F("erased_threads") + len(thread_ids),
            erased_raw_mails=F("erased_raw_mails") + erased_raw,
        )
        transaction.on_commit(lambda: _files_delete(files))


def _erase_raw_mails(raw_ids: list[int], now: dt.datetime) -> int:
    RawMail.objects.filter(pk__in=raw_ids).update(data=b"", source_ref="", last_error="")
    ArchiveEntry.objects.filter(
        kind=ArchiveEntry.Kind.RAW_MAIL, object_id__in=raw_ids, content_erased_at__isnull=True
    ).update(content_erased_at=now)
    return len(raw_ids)


class RetentionRunRefused(ValueError):
    """The run cannot be applied (already applied, or abandoned)."""


def retention_run_apply(
    *, run: RetentionRun, by=None, now: dt.datetime | None = None
) -> RetentionRun:
    """Applies a dry run at its own cut-offs (legal holds checked again now). Each batch of
    threads is erased in its own transaction, so a long run can stop and start again: a run
    left "applying" (a worker that died, a double click) is resumed by applying it again,
    and its counts stay exact."""
    claimed = RetentionRun.objects.filter(
        pk=run.pk, state__in=[RetentionRun.State.DRY_RUN, RetentionRun.State.APPLYING]
    ).update(state=RetentionRun.State.APPLYING)
    if not claimed:
        run.refresh_from_db()
        raise RetentionRunRefused(f"retention run {run.pk} is {run.state}: it cannot be applied")
    now = now or timezone.now()
    candidates = retention_candidates(
        followup_cutoff=run.followup_cutoff, unknown_cutoff=run.unknown_cutoff
    )
    _rollups_ensure(candidates.values("pk"))
    last_pk = 0
    while True:
        ids = list(
            candidates.filter(pk__gt=last_pk).order_by("pk").values_list("pk", flat=True)[:BATCH]
        )
        if not ids:
            break
        _erase_threads(thread_ids=ids, run=run, now=now)
        last_pk = ids[-1]
    with transaction.atomic():
        orphans = list(
            _orphan_raw_mails(run.unknown_cutoff)
            .select_for_update(of=("self",))
            .values_list("pk", flat=True)
        )
        RetentionRun.objects.filter(pk=run.pk).update(
            state=RetentionRun.State.APPLIED,
            applied_at=now,
            applied_by=by,
            erased_raw_mails=F("erased_raw_mails") + _erase_raw_mails(orphans, now),
        )
    run.refresh_from_db()
    return run


@transaction.atomic
def retention_run_cancel(*, run: RetentionRun) -> RetentionRun:
    if run.state == RetentionRun.State.DRY_RUN:
        run.state = RetentionRun.State.CANCELLED
        run.save(update_fields=["state"])
    return run


def retention_scheduled(*, now: dt.datetime | None = None) -> RetentionRun:
    """The scheduled pass: a dry run, applied at once only with MAILNET_RETENTION_AUTO_APPLY."""
    run = retention_run_prepare(now=now)
    if settings.MAILNET_RETENTION_AUTO_APPLY and (run.threads or run.raw_mails):
        run = retention_run_apply(run=run, now=now)
    return run


@transaction.atomic
def legal_hold_place(*, person, reason: str, by, until: dt.date | None = None) -> LegalHold:
    """Stops retention for one jobseeker or employer from today."""
    from backoffice.caseloads.models import Jobseeker

    field = "jobseeker" if isinstance(person, Jobseeker) else "employer"
    hold = LegalHold(**{field: person}, reason=reason, created_by=by, until=until)
    hold.full_clean()
    hold.save()
    return hold
