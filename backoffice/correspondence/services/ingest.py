# TEMPORARY: replaced by the mail-ingest branch at merge
"""Raw mail store and ingest: a minimal stand-in with the contract of the mail-ingest branch.

Only `raw_mail_store` and `raw_mail_ingest` exist so that mailbox_sync can be tested end to
end; routing here is the crudest one (first recipient that is a counsellor's public address,
else the triage queue of the mailbox's agency).
"""

import email
import email.policy
import hashlib
import secrets
from dataclasses import dataclass
from email.utils import getaddresses, parsedate_to_datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from backoffice.correspondence.models import Message, RawMail, Thread
from backoffice.organisation.models import Counsellor


@dataclass(frozen=True)
class IngestResult:
    outcome: str  # "stored", "duplicate", "triaged" or "failed"
    raw_mail: RawMail


def raw_mail_store(
    *, data: bytes, mailbox_name: str, source_ref: str, agency
) -> tuple[RawMail, bool]:
    """Inserts the exact bytes of a fetched mail (unique by sha256) and commits at once.

    Returns (row, created); the same bytes stored again return the existing row.
    """
    digest = hashlib.sha256(data).hexdigest()
    existing = RawMail.objects.filter(sha256=digest).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            row = RawMail.objects.create(
                sha256=digest,
                data=data,
                size=len(data),
                mailbox_name=mailbox_name,
                source_ref=source_ref[:500],
                agency=agency,
            )
    except IntegrityError:
        return RawMail.objects.get(sha256=digest), False
    return row, True


def _addresses(msg, *names: str) -> list[str]:
    values = []
    for name in names:
        values.extend(str(v) for v in msg.get_all(name, []))
    return [addr.strip().lower() for _name, addr in getaddresses(values) if addr]


@transaction.atomic
def raw_mail_ingest(*, raw_mail) -> IngestResult:
    """Turns one stored raw mail into a message (or a triage item); safe to call again."""
    raw = RawMail.objects.select_for_update().get(pk=raw_mail.pk)
    if raw.state != RawMail.State.PENDING:
        return IngestResult("duplicate", raw)
    try:
        with transaction.atomic():
            msg = email.message_from_bytes(bytes(raw.data), policy=email.policy.default)
            recipients = _addresses(msg, "delivered-to", "x-original-to", "to", "cc")
            counsellor = (
                Counsellor.objects.filter(public_address__in=recipients)
                .select_related("agency")
                .first()
            )
            senders = _addresses(msg, "from")
            subject = str(msg.get("subject", ""))[:998]
            body = msg.get_body(preferencelist=("plain", "html"))
            try:
                date_header = parsedate_to_datetime(str(msg["date"])) if msg["date"] else None
            except (TypeError, ValueError):
                date_header = None
            agency = counsellor.agency if counsellor else raw.agency
            thread = Thread.objects.create(
                counsellor=counsellor,
                agency=agency,
                correspondent_address=(senders[0] if senders else "")[:254],
                subject=subject,
                token=secrets.token_hex(8),
                status=Thread.Status.AWAITING_REPLY if counsellor else Thread.Status.TRIAGE,
                last_message_at=timezone.now(),
            )
            Message.objects.create(
                thread=thread,
                raw_mail=raw,
                direction=Message.Direction.INCOMING,
                message_id=str(msg.get("message-id", "") or f"<{raw.sha256}@raw>")[:998],
                from_address=", ".join(senders)[:998],
                to_addresses=", ".join(recipients),
                date_header=date_header,
                received_at=timezone.now(),
                subject=subject,
                body_text=body.get_content() if body is not None else "",
            )
    except Exception as error:
        raw.attempts += 1
        raw.last_error = repr(error)
        raw.state = RawMail.State.FAILED if raw.attempts >= 3 else RawMail.State.PENDING
        raw.save(update_fields=["attempts", "last_error", "state"])
        return IngestResult("failed", raw)
    raw.state = RawMail.State.INGESTED if counsellor else RawMail.State.TRIAGED
    raw.ingested_at = timezone.now()
    raw.attempts += 1
    raw.save(update_fields=["state", "ingested_at", "attempts"])
    return IngestResult("stored" if counsellor else "triaged", raw)
