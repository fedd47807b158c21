"""Unpacks an Outlook TNEF `winmail.dat` into its files and body (pure, via tnefparse)."""

from __future__ import annotations

import logging
import mimetypes
from typing import TYPE_CHECKING

from tnefparse.tnef import TNEF

if TYPE_CHECKING:
    from .mailparse import ParsedAttachment

logger = logging.getLogger(__name__)


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bytes):
        for charset in ("utf-8", "cp1252"):
            try:
                return value.decode(charset).rstrip("\x00")
            except UnicodeDecodeError:
                continue
        return value.decode("latin-1").rstrip("\x00")
    return str(value).rstrip("\x00")


def tnef_unpack(data: bytes) -> tuple[list[ParsedAttachment], str, str] | None:
    """The files, text body and HTML body inside a TNEF blob; None when it is not TNEF."""
    from .mailparse import ParsedAttachment

    try:
        blob = TNEF(data, do_checksum=False)
    except Exception:  # tnefparse raises bare ValueError/IndexError/struct errors
        logger.info("not a readable TNEF blob (%d bytes)", len(data))
        return None
    files = []
    for index, attachment in enumerate(blob.attachments, start=1):
        try:
            name = _text(attachment.long_filename()) or _text(attachment.name)
        except Exception:
            name = ""
        name = (name.replace("\\", "/").rsplit("/", 1)[-1] or f"piece-{index}.bin")[:255]
        content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
        payload = attachment.data if isinstance(attachment.data, bytes) else b""
        files.append(ParsedAttachment(name=name, content_type=content_type, data=payload))
    return files, _text(blob.body), _text(blob.htmlbody)
