"""Reads that ingest needs: who a mail is for, who sent it, and which thread it continues."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Exists, OuterRef, Q, QuerySet, Value

from backoffice.caseloads.models import Assignment, Employer, EmployerContact, Jobseeker
from backoffice.organisation.models import Counsellor

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


def counsellors_for_recipients(addresses: list[str], *, lock: bool = False) -> list[Counsellor]:
    """The counsellors whose public address is among `addresses`, in header order.

    `lock` (inside a transaction) holds their rows until commit: two ingests of the same
    mail fetched from two mailboxes then see each other's message and never both insert.
    """
    wanted = [a.strip().lower() for a in addresses if a]
    if not wanted:
        return []
    counsellors = Counsellor.objects.filter(public_address__in=wanted).select_related("agency")
    if lock:
        counsellors = counsellors.select_for_update(of=("self",)).order_by("pk")
    found = {c.public_address: c for c in counsellors}
    ordered: dict[int, Counsellor] = {}
    for address in wanted:
        if address in found:
            ordered.setdefault(found[address].pk, found[address])
    return list(ordered.values())


def correspondent_identify(*, address: str, counsellor: Counsellor | None) -> Correspondent:
    """The jobseeker or employer writing from `address`, preferring those `counsellor` follows."""
    address = address.strip().lower()
    if not address:
        return Correspondent(address="")

    def followed(party: str):
        if counsellor is None:
            return Value(False)
        return Exists(
            Assignment.objects.filter(
                **{party: OuterRef("pk")}, counsellor=counsellor, ends_on__isnull=True
            )
        )

    jobseeker = (
        Jobseeker.objects.filter(email=address)
        .annotate(followed=followed("jobseeker"))
        .order_by("-followed", "pk")
        .first()
    )
    if jobseeker is not None:
        return Correspondent(address=address, jobseeker=jobseeker)
    employer = (
        Employer.objects.filter(contacts__email=address)
        .annotate(followed=followed("employer"))
        .order_by("-followed", "pk")
        .first()
    )
    return Correspondent(address=address, employer=employer)


def threads_by_reference(*, reference_ids: list[str], subject: str) -> list[Thread]:
    """Threads holding a message the mail answers (In-Reply-To/References), then its token."""
    threads: dict[int, Thread] = {}
    if reference_ids:
        ids = [r for r in reference_ids if r][-50:]
        messages = (
            Message.objects.filter(message_id__in=ids)
            .select_related("thread")
            .order_by("-direction", "pk")  # our own outgoing mails first
        )
        for message in messages:
            threads.setdefault(message.thread_id, message.thread)
    token = token_from_subject(subject)
    if token:
        thread = Thread.objects.filter(token=token).first()
        if thread is not None:
            threads.setdefault(thread.pk, thread)
    return list(threads.values())


def thread_by_subject(
    *, counsellor: Counsellor, correspondent: Correspondent, subject: str, moment: datetime
) -> Thread | None:
    """The recent thread with the same correspondent, counsellor and normalised subject."""
    normalised = subject_normalise(subject)
    if not normalised:
        return None
    threads = Thread.objects.filter(
        counsellor=counsellor,
        normalised_subject=normalised,
        last_message_at__gte=moment - timedelta(days=SUBJECT_MATCH_DAYS),
    )
    if correspondent.jobseeker is not None:
        threads = threads.filter(jobseeker=correspondent.jobseeker)
    elif correspondent.employer is not None:
        threads = threads.filter(employer=correspondent.employer)
    else:
        threads = threads.filter(
            correspondent_address=correspondent.address,
            jobseeker__isnull=True,
            employer__isnull=True,
        )
    return threads.order_by("-last_message_at").first()


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
