"""The exact bytes of one outgoing mail, built once when it is queued (pure, no database).

Headers a correspondent's client needs to thread our answer (Message-ID, In-Reply-To,
References, the thread token in the subject), a text and a sanitised HTML alternative,
the invitation (`text/calendar; method=REQUEST`, also attached as `invitation.ics`) and
the attachments. CRLF line ends: the bytes are what goes on the wire, unchanged.
"""

from __future__ import annotations

import datetime as dt
import email.policy
from dataclasses import dataclass, field
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime

import nh3
from django.utils.html import escape

# What the reply editor produces (bold, italic, lists, links): a reply is a mail, not a page.
REPLY_TAGS = {"p", "br", "b", "strong", "i", "em", "u", "ul", "ol", "li", "a", "blockquote"}
REPLY_ATTRIBUTES = {"a": {"href"}}
REPLY_URL_SCHEMES = {"http", "https", "mailto", "tel"}
MAX_REFERENCES = 20


@dataclass(frozen=True)
class OutgoingFile:
    name: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class MailParts:
    message_id: str
    from_address: str
    from_name: str
    to_address: str
    to_name: str
    subject: str
    date: dt.datetime
    text: str
    html: str
    in_reply_to: str = ""
    references: list[str] = field(default_factory=list)
    attachments: list[OutgoingFile] = field(default_factory=list)
    calendar: bytes | None = None


def reply_html_sanitise(html: str) -> str:
    """The editor's rich text reduced to what a reply may carry (no script, style, image)."""
    return nh3.clean(
        html or "",
        tags=REPLY_TAGS,
        clean_content_tags={"script", "style", "title", "head", "noscript", "template"},
        attributes=REPLY_ATTRIBUTES,
        url_schemes=REPLY_URL_SCHEMES,
        link_rel="noopener noreferrer",
        strip_comments=True,
    ).strip()


def references_chain(*, parent_references: list[str], parent_message_id: str) -> list[str]:
    """RFC 5322: the parent's References then its Message-ID, oldest first, at most 20."""
    chain = [r for r in parent_references if r]
    if parent_message_id:
        chain.append(parent_message_id)
    chain = list(dict.fromkeys(chain))
    if len(chain) > MAX_REFERENCES:
        chain = chain[:1] + chain[-(MAX_REFERENCES - 1) :]
    return chain


def html_document(fragment: str) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="fr"><head><meta charset="utf-8"></head>\n'
        f"<body>\n{fragment}\n</body></html>\n"
    )


def text_to_html(text: str) -> str:
    """A plain-text block (footer, appointment) as HTML paragraphs."""
    paragraphs = [p for p in (text or "").split("\n\n") if p.strip()]
    return "".join(
        "<p>" + "<br>".join(escape(line) for line in p.strip().split("\n")) + "</p>"
        for p in paragraphs
    )


def _split_type(content_type: str) -> tuple[str, str]:
    maintype, _, subtype = (content_type or "").partition("/")
    if not maintype or not subtype or maintype == "multipart":
        return "application", "octet-stream"
    return maintype.strip().lower(), subtype.split(";")[0].strip().lower()


def mime_build(parts: MailParts) -> bytes:
    """The wire bytes of one mail; the same parts always give the same bytes."""
    msg = EmailMessage(policy=email.policy.SMTP)
    msg["Message-ID"] = parts.message_id
    msg["Date"] = format_datetime(parts.date)
    msg["From"] = Address(display_name=parts.from_name, addr_spec=parts.from_address)
    msg["To"] = Address(display_name=parts.to_name, addr_spec=parts.to_address)
    msg["Subject"] = parts.subject
    if parts.in_reply_to:
        msg["In-Reply-To"] = parts.in_reply_to
    if parts.references:
        msg["References"] = " ".join(parts.references)
    msg["Content-Language"] = "fr"
    msg.set_content(parts.text, subtype="plain", charset="utf-8", cte="quoted-printable")
    msg.add_alternative(
        html_document(parts.html), subtype="html", charset="utf-8", cte="quoted-printable"
    )
    if parts.calendar is not None:
        # In the alternative, calendar clients show their "accept / decline" bar.
        msg.add_alternative(
            parts.calendar.decode("utf-8"),
            subtype="calendar",
            charset="utf-8",
            cte="base64",
            params={"method": "REQUEST"},
        )
    for attachment in parts.attachments:
        maintype, subtype = _split_type(attachment.content_type)
        msg.add_attachment(
            attachment.data, maintype=maintype, subtype=subtype, filename=attachment.name
        )
    if parts.calendar is not None:
        # Also as a file, for the clients that ignore a calendar alternative.
        msg.add_attachment(
            parts.calendar, maintype="application", subtype="ics", filename="invitation.ics"
        )
    return msg.as_bytes(policy=email.policy.SMTP)
