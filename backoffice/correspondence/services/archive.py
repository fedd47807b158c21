"""[privacy-archive] Appends stored mails to the tamper-evident hash chain.

Every raw mail is appended in the transaction that stores it, every sent message in the
transaction that fixes its bytes; nothing else writes `ArchiveEntry` rows except retention,
which only sets `content_erased_at`. `archive_entry_hash` is the one definition of an
entry's hash, shared with the verifier.
"""

from __future__ import annotations

import hashlib

from django.db import IntegrityError, connection, transaction

from ..models import ArchiveEntry

GENESIS = "0" * 64
# Any constant: the advisory lock that serialises appends on PostgreSQL.
_PG_LOCK_KEY = 0x4D41494C  # "MAIL"
_RETRIES = 5


def archive_entry_hash(
    *, previous_hash: str, seq: int, kind: str, object_id: int, content_sha256: str
) -> str:
    material = f"{previous_hash}|{seq}|{kind}|{object_id}|{content_sha256}"
    return hashlib.sha256(material.encode("ascii")).hexdigest()


def archive_append(*, kind: str, object_id: int, data: bytes) -> ArchiveEntry:
    """Chains one stored mail's exact bytes after the last entry; once per (kind, object)."""
    content_sha256 = hashlib.sha256(bytes(data)).hexdigest()
    [entry] = archive_append_many(kind=kind, items=[(object_id, content_sha256)])
    return entry


def archive_append_many(*, kind: str, items: list[tuple[int, str]]) -> list[ArchiveEntry]:
    """Chains several stored objects at once: `items` are (object id, content sha256).

    One lock and one insert for the whole batch (the poller stores mails by the hundred),
    in the caller's transaction. Returns one entry per item, in order; an object already
    chained keeps its entry (appending is idempotent).
    """
    if not items:
        return []
    for attempt in range(_RETRIES):
        try:
            with transaction.atomic():
                if connection.vendor == "postgresql":
                    with connection.cursor() as cursor:
                        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_PG_LOCK_KEY])
                existing = {
                    entry.object_id: entry
                    for entry in ArchiveEntry.objects.filter(
                        kind=kind, object_id__in={object_id for object_id, _ in items}
                    )
                }
                last = ArchiveEntry.objects.order_by("-seq").values("seq", "entry_hash").first()
                seq = last["seq"] if last else 0
                previous_hash = last["entry_hash"] if last else GENESIS
                new = []
                for object_id, content_sha256 in items:
                    if object_id in existing:
                        continue
                    seq += 1
                    entry = ArchiveEntry(
                        seq=seq,
                        kind=kind,
                        object_id=object_id,
                        content_sha256=content_sha256,
                        previous_hash=previous_hash,
                        entry_hash=archive_entry_hash(
                            previous_hash=previous_hash,
                            seq=seq,
                            kind=kind,
                            object_id=object_id,
                            content_sha256=content_sha256,
                        ),
                    )
                    existing[object_id] = entry
                    new.append(entry)
                    previous_hash = entry.entry_hash
                ArchiveEntry.objects.bulk_create(new)
                return [existing[object_id] for object_id, _ in items]
        except IntegrityError:
            # Another writer took these ranks first (SQLite has no advisory lock): try again.
            if attempt == _RETRIES - 1:
                raise
    raise AssertionError("unreachable")
