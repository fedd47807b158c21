"""Reads that ingest needs: who a mail is for, who sent it, and which thread it continues."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Q, QuerySet
from django.utils import timezone

from backoffice.caseloads.models import Assignment, Employer, EmployerContact, Jobseeker
from backoffice.organisation.models import Absence, Counsellor

from .mailparse import ParsedMail
from .models import Message, Thread
from .subjects import subject_normalise, token_from_subject

SUBJECT_MATCH_DAYS = 30
# Addresses at these domains say nothing about an employer.
WEBMAIL_DOMAINS = {
    "gmail.com", "yahoo.fr", "yahoo.com", "hotmail.fr", "hotmail.com", "outlook.fr",
    "outlook.com", "live.fr", "orange.fr", "wanadoo.fr", "free.fr", "sfr.fr", "laposte.net",
    "icloud.com", "gmx.fr", "bbox.fr", "neuf.fr", "example.org",
}  # fmt: skip


@dataclass(frozen=True)
class Correspondent:
    address: str
    jobseeker: Jobseeker | None = None
    employer: Employer | None = None

    @property
    def known(self) -> bool:
        return self.jobseeker is not None or self.employer is not None


class IngestLookups:
    """What a batch of mails needs from the database, read in about ten queries, not per mail.

    Built once per ingest batch inside its transaction: the routed counsellors are locked
    first (`lock`), then the rest is read, so a concurrent ingest of the same mail cannot
    commit in between unseen. The ingest reports what it decides (`thread_added`,
    `message_added`), so a later mail of the batch sees an earlier one exactly as it would
    see it in the database, even before the batch's threads and messages are inserted.
    One instance per thread row: what one mail changes on a thread, the next one sees.
    """

    def __init__(self, mails: Sequence[ParsedMail], *, since: datetime, lock: bool = False):
        self._threads: dict[int, Thread] = {}  # stored threads by pk: one instance each
        self._latest: dict[object, datetime] = {}  # last in-batch message time per thread
        self._order = 0  # creation order of in-batch messages, after every stored pk
        self._counsellors_load({a for mail in mails for a in _lowered(mail.recipients)}, lock)
        message_ids = {mail.message_id for mail in mails if mail.message_id}
        self._outgoing = set(
            Message.objects.filter(
                direction=Message.Direction.OUTGOING, message_id__in=message_ids
            ).values_list("message_id", flat=True)
        )
        # Incoming copies: message_id -> [(thread key, counsellor id, delegated from id)].
        self._received: dict[str, list[tuple[object, int | None, int | None]]] = defaultdict(list)
        for message_id, thread_id, counsellor_id, delegated_from_id in Message.objects.filter(
            direction=Message.Direction.INCOMING, message_id__in=message_ids
        ).values_list(
            "message_id", "thread_id", "thread__counsellor_id", "thread__delegated_from_id"
        ):
            self._received[message_id].append((thread_id, counsellor_id, delegated_from_id))
        self._references_load(mails)
        self._correspondents_load({mail.from_address.strip().lower() for mail in mails})
        self._subjects_load(mails, since)
        self._absences_load(since)

    # --- loading ------------------------------------------------------------------------
    def _thread(self, thread: Thread) -> Thread:
        return self._threads.setdefault(thread.pk, thread)

    def _counsellors_load(self, addresses: set[str], lock: bool) -> None:
        counsellors = Counsellor.objects.none()
        if addresses:
            counsellors = Counsellor.objects.filter(public_address__in=addresses).select_related(
                "agency"
            )
            if lock:
                # Held until commit: two ingests of one mail fetched from two mailboxes then
                # see each other's message and never both insert. Ordered: no deadlock.
                counsellors = counsellors.select_for_update(of=("self",)).order_by("pk")
        self._counsellors = {c.public_address: c for c in counsellors}

    def _references_load(self, mails: Sequence[ParsedMail]) -> None:
        """Messages the mails answer (In-Reply-To/References, bounced ids) and subject tokens."""
        wanted = {r for mail in mails for r in _reference_window(mail)}
        # message_id -> [(rank, thread)]: our own outgoing mails first, then by pk.
        self._by_reference: dict[str, list[tuple[tuple[int, int], Thread]]] = defaultdict(list)
        found = []
        if wanted:
            found = list(
                Message.objects.filter(message_id__in=wanted).values_list(
                    "message_id", "direction", "pk", "thread_id"
                )
            )
        tokens = {t for mail in mails if (t := token_from_subject(mail.subject))}
        thread_ids = {thread_id for *_rest, thread_id in found}
        self._by_token: dict[str, Thread] = {}
        if thread_ids or tokens:
            for thread in Thread.objects.filter(Q(pk__in=thread_ids) | Q(token__in=tokens)):
                thread = self._thread(thread)
                if thread.token in tokens:
                    self._by_token[thread.token] = thread
        for message_id, direction, pk, thread_id in found:
            rank = (0 if direction == Message.Direction.OUTGOING else 1, pk)
            self._by_reference[message_id].append((rank, self._threads[thread_id]))

    def _correspondents_load(self, addresses: set[str]) -> None:
        addresses.discard("")
        self._jobseekers: dict[str, list[Jobseeker]] = defaultdict(list)
        self._employers: dict[str, list[Employer]] = defaultdict(list)
        self._followed: set[tuple[str, int, int]] = set()  # (party, party id, counsellor id)
        if not addresses:
            return
        for jobseeker in Jobseeker.objects.filter(email__in=addresses).order_by("pk"):
            self._jobseekers[jobseeker.email].append(jobseeker)
        contacts = (
            EmployerContact.objects.filter(email__in=addresses)
            .select_related("employer")
            .order_by("employer_id")
        )
        for contact in contacts:
            employers = self._employers[contact.email]
            if not any(e.pk == contact.employer_id for e in employers):
                employers.append(contact.employer)
        jobseeker_ids = {j.pk for found in self._jobseekers.values() for j in found}
        employer_ids = {e.pk for found in self._employers.values() for e in found}
        if jobseeker_ids or employer_ids:
            open_assignments = Assignment.objects.filter(ends_on__isnull=True).filter(
                Q(jobseeker_id__in=jobseeker_ids) | Q(employer_id__in=employer_ids)
            )
            for jobseeker_id, employer_id, counsellor_id in open_assignments.values_list(
                "jobseeker_id", "employer_id", "counsellor_id"
            ):
                if jobseeker_id is not None:
                    self._followed.add(("jobseeker", jobseeker_id, counsellor_id))
                if employer_id is not None:
                    self._followed.add(("employer", employer_id, counsellor_id))

    def _subjects_load(self, mails: Sequence[ParsedMail], since: datetime) -> None:
        """Recent threads that a new mail could continue by subject, same correspondent."""
        self._by_subject: dict[tuple[int, str], list[Thread]] = defaultdict(list)
        subjects = {s for mail in mails if (s := subject_normalise(mail.subject))}
        counsellor_ids = {c.pk for c in self._counsellors.values()}
        if not subjects or not counsellor_ids:
            return
        addresses = {a for a in (m.from_address.strip().lower() for m in mails) if a}
        jobseeker_ids = {j.pk for a in addresses for j in self._jobseekers.get(a, ())}
        employer_ids = {e.pk for a in addresses for e in self._employers.get(a, ())}
        threads = Thread.objects.filter(
            Q(jobseeker_id__in=jobseeker_ids)
            | Q(employer_id__in=employer_ids)
            | Q(correspondent_address__in=addresses),
            counsellor_id__in=counsellor_ids,
            normalised_subject__in=subjects,
            last_message_at__gte=since - timedelta(days=SUBJECT_MATCH_DAYS),
        )
        for thread in threads:
            self.thread_added(self._thread(thread))

    def _absences_load(self, since: datetime) -> None:
        """Which of the batch's counsellors have an absence overlapping its mails' times."""
        holders = {c.pk for c in self._counsellors.values()}
        holders |= {t.counsellor_id for t in self._threads.values() if t.counsellor_id}
        self._absence_checked = holders
        self._absent: set[int] = set()
        if holders:
            self._absent = set(
                Absence.objects.filter(
                    counsellor_id__in=holders, starts_at__lte=timezone.now(), ends_at__gt=since
                ).values_list("counsellor_id", flat=True)
            )

    # --- what the batch decides --------------------------------------------------------
    def thread_added(self, thread: Thread) -> None:
        """A thread created (or first seen) in this batch: later mails may continue it."""
        if thread.pk is not None:
            self._threads[thread.pk] = thread
        if thread.counsellor_id is not None and thread.normalised_subject:
            key = (thread.counsellor_id, thread.normalised_subject)
            if not any(t is thread for t in self._by_subject[key]):
                self._by_subject[key].append(thread)

    def message_added(self, *, message_id: str, thread: Thread, received_at: datetime) -> None:
        """An incoming message this batch puts on `thread` (not inserted yet)."""
        key = _key(thread)
        self._received[message_id].append((key, thread.counsellor_id, thread.delegated_from_id))
        self._order += 1
        self._by_reference[message_id].append(((1, _IN_BATCH + self._order), thread))
        if key not in self._latest or received_at > self._latest[key]:
            self._latest[key] = received_at

    # --- the questions ingest asks ------------------------------------------------------
    def counsellors_for(self, addresses: list[str]) -> list[Counsellor]:
        """The counsellors whose public address is among `addresses`, in header order."""
        ordered: dict[int, Counsellor] = {}
        for address in _lowered(addresses):
            counsellor = self._counsellors.get(address)
            if counsellor is not None:
                ordered.setdefault(counsellor.pk, counsellor)
        return list(ordered.values())

    def may_be_absent(self, counsellor_id: int | None) -> bool:
        """False only when `counsellor_id` surely has no absence during this batch's mails
        (absence routing then has nothing to do, and need not look it up per message)."""
        if counsellor_id is None:
            return False
        return counsellor_id in self._absent or counsellor_id not in self._absence_checked

    def is_our_outgoing(self, message_id: str) -> bool:
        """A copy of a mail we sent ourselves (a catch-all also receives our replies)."""
        return message_id in self._outgoing

    def already_received(
        self, message_id: str, counsellor: Counsellor | None, thread: Thread | None
    ) -> bool:
        """The same mail (same Message-ID) already reached this counsellor, from any mailbox
        (on a thread they hold, or one delegated during their absence)."""
        copies = self._received.get(message_id, ())
        if counsellor is not None:
            return any(counsellor.pk in (holder, delegated) for _t, holder, delegated in copies)
        return thread is not None and any(key == _key(thread) for key, _h, _d in copies)

    def threads_by_reference(self, *, reference_ids: list[str], subject: str) -> list[Thread]:
        """Threads holding a message the mail answers (our own mails first), then its token."""
        found = sorted(
            (
                (rank, thread)
                for message_id in set(_reference_window_ids(reference_ids))
                for rank, thread in self._by_reference.get(message_id, ())
            ),
            key=lambda pair: pair[0],
        )
        threads: dict[object, Thread] = {}
        for _rank, thread in found:
            threads.setdefault(_key(thread), thread)
        token = token_from_subject(subject)
        if token and token in self._by_token:
            thread = self._by_token[token]
            threads.setdefault(_key(thread), thread)
        return list(threads.values())

    def correspondent(self, *, address: str, counsellor: Counsellor | None) -> Correspondent:
        """The jobseeker or employer writing from `address`, preferring those `counsellor` follows."""
        address = address.strip().lower()
        if not address:
            return Correspondent(address="")
        counsellor_id = counsellor.pk if counsellor is not None else None

        def pick(party: str, candidates: list):
            followed = [c for c in candidates if (party, c.pk, counsellor_id) in self._followed]
            return (followed or candidates or [None])[0]

        jobseeker = pick("jobseeker", self._jobseekers.get(address, []))
        if jobseeker is not None:
            return Correspondent(address=address, jobseeker=jobseeker)
        return Correspondent(
            address=address, employer=pick("employer", self._employers.get(address, []))
        )

    def thread_by_subject(
        self,
        *,
        counsellor: Counsellor,
        correspondent: Correspondent,
        subject: str,
        moment: datetime,
    ) -> Thread | None:
        """The recent thread with the same correspondent, counsellor and normalised subject."""
        normalised = subject_normalise(subject)
        if not normalised:
            return None
        since = moment - timedelta(days=SUBJECT_MATCH_DAYS)

        def same_correspondent(thread: Thread) -> bool:
            if correspondent.jobseeker is not None:
                return thread.jobseeker_id == correspondent.jobseeker.pk
            if correspondent.employer is not None:
                return thread.employer_id == correspondent.employer.pk
            return (
                thread.correspondent_address == correspondent.address
                and thread.jobseeker_id is None
                and thread.employer_id is None
            )

        candidates = [
            (latest, thread)
            for thread in self._by_subject.get((counsellor.pk, normalised), ())
            if (latest := self._last_message_at(thread)) is not None
            and latest >= since
            and same_correspondent(thread)
        ]
        return max(candidates, key=lambda pair: pair[0], default=(None, None))[1]

    def _last_message_at(self, thread: Thread) -> datetime | None:
        """As it will be once this batch's messages have landed."""
        times = [t for t in (thread.last_message_at, self._latest.get(_key(thread))) if t]
        return max(times, default=None)


_IN_BATCH = 1 << 62  # ranks in-batch messages after every stored one


def _key(thread: Thread) -> object:
    """Identifies a thread in a batch: its pk, or the object while it is not inserted yet."""
    return thread.pk if thread.pk is not None else ("new", id(thread))


def _lowered(addresses: list[str]) -> list[str]:
    return [a.strip().lower() for a in addresses if a and a.strip()]


def _reference_window_ids(reference_ids: list[str]) -> list[str]:
    return [r for r in reference_ids if r][-50:]


def _reference_window(mail: ParsedMail) -> list[str]:
    return _reference_window_ids(mail.reference_ids + mail.bounced_message_ids)


def triage_suggestions(*, address: str, name: str = "", limit: int = 5) -> dict[str, QuerySet]:
    """Who an unknown sender might be: jobseekers of the same name, employers of the same domain."""
    suggestions: dict[str, QuerySet] = {
        "jobseekers": Jobseeker.objects.none(),
        "employers": Employer.objects.none(),
    }
    words = [w for w in name.replace(",", " ").split() if len(w) > 1]
    local = address.split("@", 1)[0]
    condition = Q()
    for word in words:
        condition |= Q(last_name__iexact=word)
    for part in local.replace("_", ".").replace("-", ".").split("."):
        if len(part) > 2:
            condition |= Q(last_name__iexact=part)
    if condition:
        suggestions["jobseekers"] = Jobseeker.objects.filter(condition)[:limit]
    domain = address.rsplit("@", 1)[-1] if "@" in address else ""
    if domain and domain not in WEBMAIL_DOMAINS:
        employer_ids = EmployerContact.objects.filter(email__iendswith=f"@{domain}").values(
            "employer_id"
        )
        suggestions["employers"] = Employer.objects.filter(pk__in=employer_ids)[:limit]
    return suggestions
