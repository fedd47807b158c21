"""The poll: fetch without removing, store the exact bytes (committed), ingest, then remove.

Deliberately NOT one transaction: each fetched batch is committed by `raw_mails_store`,
ingested a chunk per transaction, and the source copies are moved or expunged only after
that. A crash at any point loses nothing (the source still has what is not stored) and
duplicates nothing (the sha256 is unique, and a mail stored but not ingested is ingested
first thing at the next poll).
"""

import logging
import os
import socket
from dataclasses import dataclass, fields
from datetime import timedelta

from django.conf import settings
from django.db import connection
from django.db.models import F, Q
from django.utils import timezone
from django_mailbox.models import Mailbox

from backoffice.correspondence.models import RawMail
from backoffice.correspondence.services.ingest import raw_mails_ingest, raw_mails_store
from mailbox_sync.fetchers import FetchedMail, Fetcher, ImapFetcher, MaildirFetcher
from mailbox_sync.models import MailboxState
from mailbox_sync.selectors import mailboxes_to_poll, raw_mails_pending
from mailbox_sync.uris import uri_parse

logger = logging.getLogger(__name__)

LEASE = timedelta(minutes=15)
# Raw mails ingested per transaction: big enough to share reads and inserts, small enough
# that a failed batch redone mail by mail costs little.
INGEST_CHUNK = 200
INGEST_CHUNK_BYTES = 20 * 1024 * 1024


@dataclass
class PollCounts:
    fetched: int = 0
    stored: int = 0
    duplicates: int = 0
    triaged: int = 0
    failed: int = 0

    def __iadd__(self, other: "PollCounts") -> "PollCounts":
        for field in fields(self):
            setattr(self, field.name, getattr(self, field.name) + getattr(other, field.name))
        return self

    def summary(self) -> str:
        return (
            f"fetched {self.fetched}, stored {self.stored}, duplicates {self.duplicates}, "
            f"triaged {self.triaged}, failed {self.failed}"
        )


def fetcher_for(*, mailbox: Mailbox, state: MailboxState) -> Fetcher:
    uri = uri_parse(mailbox.uri)
    if uri.kind == "maildir":
        return MaildirFetcher(path=uri.path, archive=uri.archive, delete=uri.delete)
    return ImapFetcher(
        host=uri.host,
        port=uri.imap_port,
        username=uri.username,
        password=uri.password,
        folder=uri.folder,
        archive=uri.archive,
        use_ssl=uri.ssl,
        starttls=uri.starttls,
        cafile=uri.cafile or settings.MAILNET_IMAP_CA_FILE,
        uidvalidity=state.imap_uidvalidity,
        last_uid=state.imap_last_uid,
    )


# --- one poll at a time per mailbox ---------------------------------------------------
def _me() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _owner_dead(owner: str) -> bool:
    """A lease left by a process of this host that no longer runs (killed) may be taken."""
    host, _sep, pid = owner.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def _lease_take(state: MailboxState) -> bool:
    now = timezone.now()
    states = MailboxState.objects.filter(pk=state.pk)
    free = Q(lease_owner="") | Q(lease_until__lt=now)
    if states.filter(free).update(lease_owner=_me(), lease_until=now + LEASE):
        return True
    owner = states.values_list("lease_owner", flat=True).first() or ""
    if owner and _owner_dead(owner):
        return bool(
            states.filter(lease_owner=owner).update(lease_owner=_me(), lease_until=now + LEASE)
        )
    return False


def _lease_release(state: MailboxState) -> None:
    MailboxState.objects.filter(pk=state.pk, lease_owner=_me()).update(
        lease_owner="", lease_until=None
    )


# --- the poll ---------------------------------------------------------------------------
def _ingest_all(raws: list[RawMail], counts: PollCounts) -> None:
    # A commit per chunk: a crash loses only ingest work, redone at the next poll (the raw
    # mails stay pending). A failing chunk is redone mail by mail by the service.
    for chunk in _chunks(raws):
        try:
            outcomes = [result.outcome for result in raw_mails_ingest(raw_mails=chunk)]
        except Exception:
            # Ingest records its own failures; this one escaped it: count it, go on.
            logger.exception("ingest of %d raw mails raised", len(chunk))
            outcomes = ["failed"] * len(chunk)
        counts.triaged += outcomes.count("triaged")
        counts.failed += outcomes.count("failed")


def _chunks(raws: list[RawMail]):
    """INGEST_CHUNK raw mails at most, and about INGEST_CHUNK_BYTES (their bytes are read)."""
    chunk, size = [], 0
    for raw in raws:
        if chunk and (len(chunk) >= INGEST_CHUNK or size + raw.size > INGEST_CHUNK_BYTES):
            yield chunk
            chunk, size = [], 0
        chunk.append(raw)
        size += raw.size
    if chunk:
        yield chunk


def _ingest_pending(mailbox: Mailbox, counts: PollCounts) -> None:
    """What an earlier crash or error left stored but not ingested, oldest first."""
    after = 0
    while True:
        raws = list(raw_mails_pending(mailbox_name=mailbox.name, after=after))
        if not raws:
            return
        _ingest_all(raws, counts)
        after = raws[-1].pk


def _store_batch(batch: list[FetchedMail], *, mailbox: Mailbox, state: MailboxState):
    """Stores a fetched batch in one commit; returns its counts and the raw mails to ingest."""
    counts = PollCounts(fetched=len(batch))
    stored = raw_mails_store(
        mails=[(mail.data, mail.source_ref) for mail in batch],
        mailbox_name=mailbox.name,
        agency=state.agency,
    )
    pending: dict[int, RawMail] = {}
    for raw, created in stored:
        if created:
            counts.stored += 1
        else:
            counts.duplicates += 1
        if raw.state == RawMail.State.PENDING:
            pending.setdefault(raw.pk, raw)
    return counts, list(pending.values())


def _record(state: MailboxState, counts: PollCounts, **extra) -> None:
    MailboxState.objects.filter(pk=state.pk).update(
        total_fetched=F("total_fetched") + counts.fetched,
        total_stored=F("total_stored") + counts.stored,
        total_duplicates=F("total_duplicates") + counts.duplicates,
        total_triaged=F("total_triaged") + counts.triaged,
        total_failed=F("total_failed") + counts.failed,
        lease_until=timezone.now() + LEASE,
        **extra,
    )


def mailbox_poll(*, mailbox: Mailbox) -> PollCounts:
    """Polls one mailbox to the end and returns what it did; errors land on its state.

    Must run outside any transaction: the removal at the source has to follow a real commit.
    """
    if connection.in_atomic_block:
        raise RuntimeError("mailbox_poll must run in autocommit (removal follows the commit)")
    state = MailboxState.objects.select_related("agency").get(mailbox=mailbox)
    counts = PollCounts()
    if not _lease_take(state):
        logger.info("mailbox %s is being polled by another process", mailbox.name)
        return counts
    error = ""
    try:
        # First what an earlier crash or error left stored but not ingested.
        _ingest_pending(mailbox, counts)
        _record(state, counts)
        with fetcher_for(mailbox=mailbox, state=state) as fetcher:
            for batch in fetcher.batches():
                batch_counts, pending = _store_batch(batch, mailbox=mailbox, state=state)
                counts += batch_counts
                _record(state, batch_counts)
                ingested_counts = PollCounts()
                _ingest_all(pending, ingested_counts)
                counts += ingested_counts
                _record(state, ingested_counts)
                cursor = fetcher.remove(batch)  # every mail of the batch is committed
                if cursor:
                    MailboxState.objects.filter(pk=state.pk).update(**cursor)
    except Exception as exc:
        logger.exception("poll of mailbox %s failed", mailbox.name)
        error = f"{type(exc).__name__}: {exc}"[:2000]
    finally:
        now = timezone.now()
        done = {
            "last_poll_at": now,
            "last_error": error,
            "last_fetched": counts.fetched,
            "last_stored": counts.stored,
            "last_duplicates": counts.duplicates,
            "last_triaged": counts.triaged,
            "last_failed": counts.failed,
        }
        if not error:
            done["last_success_at"] = now
        MailboxState.objects.filter(pk=state.pk).update(**done)
        if not error:
            Mailbox.objects.filter(pk=mailbox.pk).update(last_polling=now)
        _lease_release(state)
    return counts


def mailboxes_poll(*, name: str | None = None) -> PollCounts:
    """Polls every active mailbox (or the one named) in turn; one failing stops no other."""
    total = PollCounts()
    for mailbox in mailboxes_to_poll(name=name):
        total += mailbox_poll(mailbox=mailbox)
    return total
