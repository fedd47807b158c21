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
from email.message import EmailMessage, Message
from email.utils import getaddresses, parsedate_to_datetime

from . import tnef

KIND_NORMAL = "normal"
KIND_AUTO_REPLY = "auto_reply"
KIND_BOUNCE = "bounce"

_MSGID_RE = re.compile(r"<[^<>\s]+>")
_C1_RE = re.compile(rb"[\x80-\x9f]")
_LATIN1_NAMES = {"iso-8859-1", "latin-1", "latin1", "iso8859-1", "us-ascii", "ascii", "iso-8859-15"}


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
    return any("\udc80" <= ch <= "\udcff" for ch in value)


def _raw_8bit_values(msg: Message, name: str, warnings: list[str]) -> list[str] | None:
    """Raw 8-bit header values (no RFC 2047), decoded as UTF-8 or cp1252; None if all ASCII."""
    raws = [str(v) for k, v in msg.raw_items() if k.lower() == name.lower()]
    if not any(_has_surrogates(v) for v in raws):
        return None
    return [_clean_text(v, warnings, f"header {name}") for v in raws]


def _header(msg: Message, name: str, warnings: list[str]) -> str:
    raw = _raw_8bit_values(msg, name, warnings)
    if raw:
        return " ".join(raw[0].split())
    try:
        value = msg.get(name)
    except Exception as exc:  # a malformed header must not stop the mail
        warnings.append(f"header {name}: {exc.__class__.__name__}")
        value = msg.get_all(name, failobj=[None])[0] if hasattr(msg, "get_all") else None
    if value is None:
        return ""
    try:
        text = str(value)
    except Exception as exc:
        warnings.append(f"header {name}: {exc.__class__.__name__}")
        text = getattr(value, "_parse_tree", "") or ""
        text = str(text)
    return _clean_text(" ".join(text.split()), warnings, f"header {name}")


def _addresses(msg: Message, name: str, warnings: list[str]) -> list[tuple[str, str]]:
    values = []
    try:
        raw_values = _raw_8bit_values(msg, name, warnings) or msg.get_all(name) or []
    except Exception as exc:
        warnings.append(f"header {name}: {exc.__class__.__name__}")
        return []
    for value in raw_values:
        try:
            values.append(_clean_text(str(value), warnings, f"header {name}"))
        except Exception as exc:
            warnings.append(f"header {name}: {exc.__class__.__name__}")
    result = []
    for display, address in getaddresses(values):
        address = address.strip().strip("<>").lower()
        if "@" in address or address:
            result.append((display.strip(), address))
    return result


def _msgids(value: str) -> list[str]:
    return _MSGID_RE.findall(value or "")


def _is_auto_reply(msg: Message, warnings: list[str]) -> bool:
    auto_submitted = _header(msg, "Auto-Submitted", warnings).lower()
    if auto_submitted and not auto_submitted.startswith("no"):
        return True
    if msg.get("X-Autoreply") is not None or msg.get("X-Autorespond") is not None:
        return True
    if _header(msg, "Precedence", warnings).lower() in {"bulk", "junk", "list", "auto_reply"}:
        return True
    if _header(msg, "X-Auto-Response-Suppress", warnings).lower() in {"all", "oof"}:
        return "auto" in _header(msg, "Subject", warnings).lower()
    return False


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
        name = _clean_text(str(name), warnings, "attachment name")
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
    content_id = (part.get("Content-ID") or "").strip().strip("<>")
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
    msg: EmailMessage = email.message_from_bytes(data, policy=email.policy.default)
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
