"""Builds raw test mails as bytes, the way a real client would send them."""

import datetime as dt
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid


def mail_bytes(
    *,
    sender: str = "de0@example.org",
    to: str = "conseiller.0@mailnet.test",
    subject: str = "Rendez-vous",
    body: str = "Bonjour, je souhaite un rendez-vous.",
    message_id: str | None = None,
    headers: dict[str, str] | None = None,
    html: str | None = None,
    date: dt.datetime | None = None,
) -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = format_datetime(date or dt.datetime(2026, 11, 23, 9, 30, tzinfo=dt.UTC))
    msg["Message-ID"] = message_id or make_msgid(domain="example.org")
    for name, value in (headers or {}).items():
        msg[name] = value
    msg.set_content(body)
    if html is not None:
        msg.add_alternative(html, subtype="html")
    return bytes(msg)
