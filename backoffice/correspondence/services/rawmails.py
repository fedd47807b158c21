"""Storing fetched mails: their exact bytes, once per sha256, chained to the archive.

The first half of ingest (see ingest.py): the poller stores a fetched batch, commits, and
only then removes the source copies. Re-exported by `services.ingest`.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.db import IntegrityError, transaction

from backoffice.organisation.models import Agency

from ..models import ArchiveEntry, RawMail
from .archive import archive_append_many
from .bulk import rows_insert


def raw_mail_store(
    *, data: bytes, mailbox_name: str, source_ref: str, agency: Agency | None
) -> tuple[RawMail, bool]:
    """Keeps the exact bytes of one fetched mail, once per sha256; returns (row, created)."""
    [stored] = raw_mails_store(mails=[(data, source_ref)], mailbox_name=mailbox_name, agency=agency)
    return stored


def raw_mails_store(
    *, mails: list[tuple[bytes, str]], mailbox_name: str, agency: Agency | None
) -> list[tuple[RawMail, bool]]:
    """Keeps the exact bytes of fetched mails, (data, source ref) each, once per sha256.

    Returns (row, created) per mail, in order. One transaction (a savepoint inside an outer
    one) for the batch: one insert of the new rows and one append to the archive chain.
    Should another poller store one of the same mails meanwhile, the batch is redone mail
    by mail. A mail over MAILNET_MAX_MAIL_BYTES is kept raw and flagged OVERSIZED: ingest
    never parses it. Existing rows come back without their bytes (deferred).
    """
    prepared = [(bytes(data), source_ref) for data, source_ref in mails]
    prepared = [(data, ref, hashlib.sha256(data).hexdigest()) for data, ref in prepared]
    try:
        with transaction.atomic():
            return _store_many(prepared, mailbox_name=mailbox_name, agency=agency)
    except IntegrityError:
        if len(prepared) == 1:
            # Another poller stored the same bytes between our read and our insert.
            return [(RawMail.objects.defer("data").get(sha256=prepared[0][2]), False)]
        return [
            raw_mails_store(mails=[(data, ref)], mailbox_name=mailbox_name, agency=agency)[0]
            for data, ref, _digest in prepared
        ]


def _store_many(
    prepared: list[tuple[bytes, str, str]], *, mailbox_name: str, agency: Agency | None
) -> list[tuple[RawMail, bool]]:
    digests = {digest for _data, _ref, digest in prepared}
    existing = {raw.sha256: raw for raw in RawMail.objects.filter(sha256__in=digests).defer("data")}
    limit = settings.MAILNET_MAX_MAIL_BYTES
    new: dict[str, RawMail] = {}
    for data, source_ref, digest in prepared:
        if digest in existing or digest in new:
            continue
        oversized = len(data) > limit
        new[digest] = RawMail(
            sha256=digest,
            data=data,
            size=len(data),
            mailbox_name=mailbox_name[:255],
            source_ref=source_ref[:500],
            agency=agency,
            state=RawMail.State.OVERSIZED if oversized else RawMail.State.PENDING,
            last_error=f"{len(data)} octets > {limit}: non analysé" if oversized else "",
        )
    if new:
        rows_insert(list(new.values()))
        archive_append_many(
            kind=ArchiveEntry.Kind.RAW_MAIL, items=[(raw.pk, raw.sha256) for raw in new.values()]
        )
    stored, seen = [], set()
    for _data, _ref, digest in prepared:
        if digest in existing or digest in seen:
            stored.append((existing.get(digest) or new[digest], False))
        else:
            seen.add(digest)
            stored.append((new[digest], True))
    return stored
