"""django-mailbox URIs, read once into what our fetchers need (pure, no I/O).

Supported: `imap://user:pass@host:port?folder=INBOX&archive=Archive` (also `imap+ssl://`,
`imap+tls://` for STARTTLS, where `cafile=/path/ca.pem` names the certificates trusted
instead of the system's: the server's certificate is always verified) and `maildir:///absolute/path` (`?archive=.Archive` by default,
`?delete=1` to delete the file once stored instead of archiving it).
"""

from dataclasses import dataclass
from urllib.parse import parse_qs, unquote, urlparse

from django.utils.translation import gettext_lazy as _

SUPPORTED_SCHEMES = ("imap", "maildir")
MAILDIR_DEFAULT_ARCHIVE = ".Archive"


class MailboxUriError(ValueError):
    pass


@dataclass(frozen=True)
class MailboxUri:
    kind: str  # "imap" or "maildir"
    host: str = ""
    port: int | None = None
    ssl: bool = False
    starttls: bool = False
    username: str = ""
    password: str = ""
    folder: str = "INBOX"
    archive: str = ""  # IMAP: folder to move to (empty: delete); maildir: sub-maildir name
    path: str = ""
    delete: bool = False
    cafile: str = ""  # IMAP over TLS: PEM file of the certificates to trust (empty: system)

    @property
    def imap_port(self) -> int:
        return self.port or (993 if self.ssl else 143)


def uri_parse(uri: str) -> MailboxUri:
    """Reads a django-mailbox URI; raises MailboxUriError for what our fetchers cannot poll."""
    parsed = urlparse((uri or "").strip())
    scheme = parsed.scheme.lower()
    kind, _plus, options = scheme.partition("+")
    query = {key: values[-1] for key, values in parse_qs(parsed.query).items()}
    if kind == "imap":
        if not parsed.hostname:
            raise MailboxUriError(_("Une adresse IMAP doit nommer un serveur."))
        try:
            port = parsed.port
        except ValueError as error:
            raise MailboxUriError(_("Le port IMAP n'est pas valide.")) from error
        cafile = query.get("cafile", "")
        if cafile and options not in {"ssl", "tls"}:
            raise MailboxUriError(
                _("« cafile » ne vaut que pour une connexion chiffrée (imap+ssl://, imap+tls://).")
            )
        if cafile and not cafile.startswith("/"):
            raise MailboxUriError(_("« cafile » se donne par un chemin absolu."))
        return MailboxUri(
            kind="imap",
            host=parsed.hostname,
            port=port,
            ssl=options == "ssl",
            starttls=options == "tls",
            username=unquote(parsed.username or ""),
            password=unquote(parsed.password or ""),
            folder=query.get("folder") or "INBOX",
            archive=query.get("archive", ""),
            cafile=cafile,
        )
    if kind == "maildir":
        path = unquote(parsed.netloc + parsed.path)
        if not path.startswith("/"):
            raise MailboxUriError(
                _("Un maildir se donne par un chemin absolu : maildir:///chemin.")
            )
        return MailboxUri(
            kind="maildir",
            path=path,
            archive=query.get("archive") or MAILDIR_DEFAULT_ARCHIVE,
            delete=query.get("delete", "").lower() in {"1", "true", "yes", "oui"},
        )
    raise MailboxUriError(
        _("Type de boîte non pris en charge : « %(scheme)s » (imap, imap+ssl, imap+tls, maildir).")
        % {"scheme": scheme or "?"}
    )


def uri_display(uri: str) -> str:
    """The URI without its password, for screens and logs."""
    parsed = urlparse(uri or "")
    if parsed.password is None:
        return uri or ""
    netloc = parsed.netloc.replace(f":{parsed.password}@", ":***@", 1)
    return parsed._replace(netloc=netloc).geturl()
