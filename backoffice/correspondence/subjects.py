"""Subject rules for threading (pure): the thread token and the normalised subject.

A thread token is 8 characters from an alphabet without look-alikes (no 0/O, 1/I/L),
shown as "[#AB12CD34]" in the subject of our replies so an answer finds its thread even
when the correspondent's client drops In-Reply-To.
"""

import re
import secrets
import unicodedata

TOKEN_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # noqa: S105 not a secret
TOKEN_LENGTH = 8
TOKEN_RE = re.compile(rf"\[#([{TOKEN_ALPHABET}]{{{TOKEN_LENGTH}}})\]", re.IGNORECASE)

# Reply/forward prefixes in the languages our correspondents' clients speak.
_PREFIX_RE = re.compile(
    r"^\s*(?:(?:re|r[ée]f|r[ée]p|tr|fw|fwd|aw|wg|sv|vs|antw|rif|enc)\s*(?:\[\d+\])?\s*:\s*)+",
    re.IGNORECASE,
)


def thread_token_new() -> str:
    """A fresh random token (uniqueness is enforced by the database)."""
    return "".join(secrets.choice(TOKEN_ALPHABET) for _ in range(TOKEN_LENGTH))


def subject_with_token(subject: str, token: str) -> str:
    """The subject of an outgoing mail on the thread: the token once, at the end."""
    if token_from_subject(subject) == token.upper():
        return subject
    return f"{subject.strip()} [#{token}]".strip()


def token_from_subject(subject: str) -> str | None:
    match = TOKEN_RE.search(subject or "")
    return match.group(1).upper() if match else None


def subject_strip(subject: str) -> str:
    """The subject without its token, reply/forward prefixes ("Re: Re:" too) or extra spaces;
    its case is kept."""
    text = TOKEN_RE.sub(" ", subject or "")
    previous = None
    while previous != text:
        previous = text
        text = _PREFIX_RE.sub("", text)
    return " ".join(text.split())


def subject_normalise(subject: str) -> str:
    """The stripped subject in lower case and compatibility forms, for matching threads."""
    return subject_strip(unicodedata.normalize("NFKC", subject or "")).lower()[:998]
