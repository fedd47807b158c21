"""Pure parsing of one raw mail into what ingest needs: no database, no Django settings.

Never raises on bad input it can make sense of: undecodable text falls back (declared
charset, then UTF-8, then cp1252, then Latin-1) and every guess is kept as a warning.
"""

from __future__ import annotations

import email
import email.policy
import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime
from email.header import decode_header
from email.message import Message
from email.utils import getaddresses, parsedate_to_datetime

from . import tnef

KIND_NORMAL = "normal"
KIND_AUTO_REPLY = "auto_reply"
KIND_BOUNCE = "bounce"

_MSGID_RE = re.compile(r"<[^<>\s]+>")
_C1_RE = re.compile(rb"[\x80-\x9f]")
# Undecodable 8-bit bytes come back from compat32 as lone surrogates (surrogateescape).
_SURROGATE_RE = re.compile("[\udc80-\udcff]")
_LATIN1_NAMES = {"iso-8859-1", "latin-1", "latin1", "iso8859-1", "us-ascii", "ascii", "iso-8859-15"}


class _RawHeaders(email.policy.Compat32):
    """compat32, but header values come back exactly as read (8-bit bytes as surrogates),
    so that `_header_decode` can guess their charset instead of losing them to U+FFFD."""

    def header_fetch_parse(self, name, value):
        return value


_POLICY = _RawHeaders()


@dataclass
class ParsedAttachment:
    name: str
    content_type: str
    data: bytes
    content_id: str = ""
    inline: bool = False


@dataclass
class ParsedMail:
    message_id: str
    in_reply_to: str
    references: list[str]
    from_address: str
    from_name: str
    to: list[str]
    cc: list[str]
    delivered_to: list[str]
    subject: str
    date: datetime | None
    body_text: str
    body_html: str
    attachments: list[ParsedAttachment] = field(default_factory=list)
    kind: str = KIND_NORMAL
    bounced_message_ids: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def recipients(self) -> list[str]:
        """Every address the mail was delivered to, most specific header first."""
        seen: dict[str, None] = {}
        for address in [*self.delivered_to, *self.to, *self.cc]:
            seen.setdefault(address, None)
        return list(seen)

    @property
    def reference_ids(self) -> list[str]:
        ids = [*self.references]
        if self.in_reply_to and self.in_reply_to not in ids:
            ids.append(self.in_reply_to)
        return ids


def _clean_text(value: str, warnings: list[str], where: str) -> str:
    """Removes what a database cannot store (surrogates from 8-bit headers, NUL)."""
    if _has_surrogates(value):
        raw = value.encode("utf-8", "surrogateescape")
        value = _decode_bytes(raw, None, warnings, where)
    if "\x00" in value:
        warnings.append(f"{where}: NUL characters removed")
        value = value.replace("\x00", "")
    return value


def _decode_bytes(data: bytes, charset: str | None, warnings: list[str], where: str) -> str:
    """Decodes with the declared charset, else the sensible fallbacks, warning on each guess."""
    declared = (charset or "").strip().lower()
    if declared in _LATIN1_NAMES and _C1_RE.search(data):
        # Bytes 0x80-0x9f are control codes in Latin-1: a Windows client mislabelled cp1252.
        try:
            text = data.decode("cp1252")
            warnings.append(f"{where}: declared {declared}, decoded as cp1252")
            return text
        except UnicodeDecodeError:
            pass
    if declared:
        try:
            return data.decode(declared)
        except LookupError:
            warnings.append(f"{where}: unknown charset {declared!r}")
        except UnicodeDecodeError:
            warnings.append(f"{where}: not valid {declared}")
    else:
        try:
            return data.decode("ascii")
        except UnicodeDecodeError:
            pass
    for fallback in ("utf-8", "cp1252"):
        if fallback == declared:
            continue
        try:
            text = data.decode(fallback)
            warnings.append(f"{where}: decoded as {fallback}")
            return text
        except UnicodeDecodeError:
            continue
    warnings.append(f"{where}: decoded as latin-1 (no charset fits)")
    return data.decode("latin-1")


def _has_surrogates(value: str) -> bool:
    return _SURROGATE_RE.search(value) is not None


def _header_decode(value, warnings: list[str], where: str) -> str:
    """Decodes one raw header value: RFC 2047 words, or raw 8-bit bytes (UTF-8, then cp1252)."""
    if value is None:
        return ""
    if not isinstance(value, str):
        value = str(value)
    if _has_surrogates(value):
        return _clean_text(value, warnings, where)
    if "=?" not in value:
        return _clean_text(value, warnings, where)
    try:
        chunks = decode_header(value)
    except Exception as exc:  # a malformed encoded word: keep the text as it came
        warnings.append(f"{where}: {exc.__class__.__name__}")
        return _clean_text(value, warnings, where)
    out = []
    for chunk, charset in chunks:
        if isinstance(chunk, str):
            out.append(chunk)
        else:
            out.append(_decode_bytes(chunk, charset, warnings, where))
    return _clean_text("".join(out), warnings, where)


def _header(msg: Message, name: str, warnings: list[str]) -> str:
    value = msg.get(name)
    if value is None:
        return ""
    return " ".join(_header_decode(value, warnings, f"header {name}").split())


def _addresses(msg: Message, name: str, warnings: list[str]) -> list[tuple[str, str]]:
    raw_values = [str(v) for v in msg.get_all(name) or []]
    if not raw_values:
        return []
    result = []
    for display, address in getaddresses(raw_values):
        address = _clean_text(address, warnings, f"header {name}").strip().strip("<>").lower()
        if address:
            display = _header_decode(display, warnings, f"header {name}").strip()
            result.append((display, address))
    return result


def _msgids(value: str) -> list[str]:
    return _MSGID_RE.findall(value or "")


def _is_auto_reply(msg: Message, warnings: list[str]) -> bool:
    auto_submitted = _header(msg, "Auto-Submitted", warnings).lower()
    if auto_submitted and not auto_submitted.startswith("no"):
        return True
    if msg.get("X-Autoreply") is not None or msg.get("X-Autorespond") is not None:
        return True
    return _header(msg, "Precedence", warnings).lower() in {"bulk", "junk", "list", "auto_reply"}


def _is_bounce(msg: Message, from_address: str) -> bool:
    if msg.get_content_type() == "multipart/report":
        report_type = (msg.get_param("report-type") or "").lower()
        if report_type in {"delivery-status", ""}:
            return True
    local = from_address.split("@", 1)[0].lower()
    return local in {"mailer-daemon", "postmaster"} and bool(from_address)


def _filename(part: Message, warnings: list[str], index: int) -> str:
    try:
        name = part.get_filename()
    except Exception as exc:
        warnings.append(f"attachment name: {exc.__class__.__name__}")
        name = None
    if name:
        name = _header_decode(name, warnings, "attachment name")
        # Keep the last path component only: a name is never a path.
        name = name.replace("\\", "/").rsplit("/", 1)[-1].strip()
    if not name and part.get_content_type() == "message/delivery-status":
        name = "rapport-de-remise.txt"
    if not name:
        subtype = part.get_content_subtype() or "bin"
        name = f"partie-{index}.{subtype if len(subtype) < 10 else 'bin'}"
    return name[:255]


def _payload_bytes(part: Message, warnings: list[str]) -> bytes:
    try:
        data = part.get_payload(decode=True)
    except Exception as exc:
        warnings.append(f"part {part.get_content_type()}: {exc.__class__.__name__}")
        data = None
    if data is None:
        payload = part.get_payload()
        if isinstance(payload, str):
            data = payload.encode("utf-8", "surrogateescape")
        else:
            data = b""
    for defect in getattr(part, "defects", []) or []:
        warnings.append(f"part {part.get_content_type()}: {defect.__class__.__name__}")
    return data


def _walk(
    part: Message, out: ParsedMail, texts: list[str], htmls: list[str], counter: list[int]
) -> None:
    ctype = part.get_content_type()
    maintype = part.get_content_maintype()
    if maintype == "multipart" and isinstance(part.get_payload(), list):
        for sub in part.get_payload():
            _walk(sub, out, texts, htmls, counter)
        return
    counter[0] += 1
    disposition = (part.get_content_disposition() or "").lower()
    if ctype in {"message/rfc822", "text/rfc822-headers", "message/global"}:
        inner = part.get_payload()
        if isinstance(inner, list) and inner:
            inner = inner[0]
        if isinstance(inner, Message):
            data = inner.as_bytes(policy=email.policy.compat32)
            if out.kind == KIND_BOUNCE:
                out.bounced_message_ids.extend(_msgids(str(inner.get("Message-ID", ""))))
        else:
            data = _payload_bytes(part, out.warnings)
            if out.kind == KIND_BOUNCE:
                match = re.search(rb"(?im)^message-id:\s*(<[^<>\s]+>)", data)
                if match:
                    out.bounced_message_ids.append(match.group(1).decode("ascii", "replace"))
        name = _filename(part, out.warnings, counter[0])
        if ctype == "message/rfc822" and not name.endswith(".eml"):
            name = f"{name.rsplit('.', 1)[0]}.eml"
        out.attachments.append(ParsedAttachment(name=name, content_type=ctype, data=data))
        return
    is_attachment = disposition == "attachment" or (
        disposition != "inline" and part.get_filename() and maintype != "text"
    )
    if maintype == "text" and not is_attachment and ctype in {"text/plain", "text/html"}:
        data = _payload_bytes(part, out.warnings)
        text = _decode_bytes(data, part.get_content_charset(), out.warnings, f"body {ctype}")
        text = _clean_text(text, out.warnings, f"body {ctype}").replace("\r\n", "\n")
        (texts if ctype == "text/plain" else htmls).append(text)
        return
    data = _payload_bytes(part, out.warnings)
    name = _filename(part, out.warnings, counter[0])
    if ctype == "application/ms-tnef" or name.lower() == "winmail.dat":
        unpacked = tnef.tnef_unpack(data)
        if unpacked is not None:
            files, body_text, body_html = unpacked
            out.attachments.extend(files)
            if body_text:
                texts.append(body_text)
            if body_html:
                htmls.append(body_html)
            return
        out.warnings.append("winmail.dat: not readable as TNEF, kept as is")
    content_id = _header(part, "Content-ID", out.warnings).strip().strip("<>")
    out.attachments.append(
        ParsedAttachment(
            name=name,
            content_type=ctype,
            data=data,
            content_id=_clean_text(content_id, out.warnings, "Content-ID"),
            inline=disposition == "inline",
        )
    )


def mail_parse(data: bytes) -> ParsedMail:
    """Parses the exact bytes of one mail. Raises only on input that is not a mail at all."""
    # compat32 with our own header decoding: several times faster than policy.default, and
    # we choose the fallbacks (policy.default turns undecodable bytes into U+FFFD).
    msg: Message = email.message_from_bytes(data, policy=_POLICY)
    warnings: list[str] = []
    for defect in msg.defects:
        warnings.append(f"message: {defect.__class__.__name__}")

    senders = _addresses(msg, "From", warnings) or _addresses(msg, "Sender", warnings)
    from_name, from_address = senders[0] if senders else ("", "")
    if not from_address:
        return_path = _header(msg, "Return-Path", warnings).strip("<> ")
        from_address = return_path.lower()
    message_id = next(iter(_msgids(_header(msg, "Message-ID", warnings))), "")
    if not message_id:
        message_id = f"<{hashlib.sha256(data).hexdigest()}@mailnet.invalid>"
        warnings.append("no Message-ID: derived from the raw bytes")
    date = None
    date_value = _header(msg, "Date", warnings)
    if date_value:
        try:
            date = parsedate_to_datetime(date_value)
            if date.tzinfo is None:
                date = None
                warnings.append("Date header without time zone: ignored")
        except (TypeError, ValueError, IndexError):
            warnings.append("Date header unreadable")
    delivered = [a for _, a in _addresses(msg, "Delivered-To", warnings)]
    delivered += [a for _, a in _addresses(msg, "X-Original-To", warnings)]
    out = ParsedMail(
        message_id=message_id[:998],
        in_reply_to=next(iter(_msgids(_header(msg, "In-Reply-To", warnings))), ""),
        references=_msgids(_header(msg, "References", warnings)),
        from_address=from_address[:254],
        from_name=from_name,
        to=[a for _, a in _addresses(msg, "To", warnings)],
        cc=[a for _, a in _addresses(msg, "Cc", warnings)],
        delivered_to=delivered,
        subject=_header(msg, "Subject", warnings)[:998],
        date=date,
        body_text="",
        body_html="",
        warnings=warnings,
    )
    if _is_bounce(msg, from_address):
        out.kind = KIND_BOUNCE
    elif _is_auto_reply(msg, warnings):
        out.kind = KIND_AUTO_REPLY
    texts: list[str] = []
    htmls: list[str] = []
    _walk(msg, out, texts, htmls, [0])
    out.body_text = "\n\n".join(texts)
    out.body_html = "\n".join(htmls)
    if out.kind == KIND_BOUNCE and not out.bounced_message_ids:
        # Some servers quote the original headers in the text part only.
        out.bounced_message_ids = re.findall(
            r"(?im)^\s*message-id:\s*(<[^<>\s]+>)", out.body_text
        ) or list(out.reference_ids)
    return out
