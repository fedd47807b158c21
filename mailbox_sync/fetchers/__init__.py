"""Fetch mail without removing it, then remove it when told to (after the store committed).

Every fetcher yields batches of `FetchedMail`; the poll stores them, then calls
`remove(batch)`, which returns the cursor fields to save on `MailboxState`.
"""

from .base import FetchedMail, Fetcher, FetchError
from .imap import ImapFetcher
from .maildir import MaildirFetcher

__all__ = ["FetchError", "FetchedMail", "Fetcher", "ImapFetcher", "MaildirFetcher"]
