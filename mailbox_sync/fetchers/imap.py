"""IMAP without side effects until told: UID SEARCH above a cursor, UID FETCH BODY.PEEK[].

The cursor (UIDVALIDITY, last UID) only moves past mails that are stored AND removed, so a
crash between the store and the removal fetches them again (the sha256 makes them
duplicates) and removes them then. A new UIDVALIDITY rescans the whole folder.
"""

import imaplib
import re
import ssl
from collections.abc import Iterator

from .base import FetchedMail, FetchError

UID_RE = re.compile(rb"UID (\d+)")


def tls_context(cafile: str = "") -> ssl.SSLContext:
    """Verifies the server's certificate and name, always; against `cafile` when given
    (a private CA or a self-signed server certificate), else the system's CAs."""
    context = ssl.create_default_context(cafile=cafile or None)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


SIZE_RE = re.compile(rb"RFC822\.SIZE (\d+)")


def _quote(name: str) -> str:
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _uid_set(uids: list[int]) -> str:
    return ",".join(str(uid) for uid in uids)


class ImapFetcher:
    def __init__(
        self,
        *,
        host: str,
        port: int,
        username: str,
        password: str,
        folder: str = "INBOX",
        archive: str = "",
        use_ssl: bool = False,
        starttls: bool = False,
        cafile: str = "",
        uidvalidity: int | None = None,
        last_uid: int = 0,
        batch_size: int = 50,
        batch_bytes: int = 20 * 1024 * 1024,
        timeout: float = 60,
    ):
        self.host, self.port = host, port
        self.username, self.password = username, password
        self.folder, self.archive = folder, archive
        self.use_ssl, self.starttls, self.cafile = use_ssl, starttls, cafile
        self.known_uidvalidity = uidvalidity
        self.last_uid = last_uid
        self.batch_size, self.batch_bytes = batch_size, batch_bytes
        self.timeout = timeout
        self.conn: imaplib.IMAP4 | None = None
        self._capabilities: set[str] = set()
        self.uidvalidity: int | None = None

    # --- connection -------------------------------------------------------------------
    def _check(self, typ: str, data, what: str):
        if typ != "OK":
            raise FetchError(f"IMAP {what}: {typ} {data!r}")
        return data

    def __enter__(self) -> "ImapFetcher":
        try:
            if self.use_ssl:
                self.conn = imaplib.IMAP4_SSL(
                    self.host,
                    self.port,
                    ssl_context=tls_context(self.cafile),
                    timeout=self.timeout,
                )
            else:
                self.conn = imaplib.IMAP4(self.host, self.port, timeout=self.timeout)
                if self.starttls:
                    self.conn.starttls(tls_context(self.cafile))
            self.conn.login(self.username, self.password)
            # The greeting's list is the pre-login one: ask again for MOVE / UIDPLUS.
            typ, data = self.conn.capability()
            self._capabilities = set(data[0].decode().upper().split()) if typ == "OK" else set()
        except (imaplib.IMAP4.error, OSError) as error:
            self.__exit__()
            raise FetchError(f"IMAP connexion/login: {error}") from error
        self._check(*self.conn.select(_quote(self.folder)), f"SELECT {self.folder}")
        self.uidvalidity = self._uidvalidity()
        if self.known_uidvalidity != self.uidvalidity:
            self.last_uid = 0  # new UIDVALIDITY: the old cursor means nothing, rescan
        if self.archive:
            typ, data = self.conn.list('""', _quote(self.archive))
            if typ != "OK" or not data or data[0] is None:
                self._check(*self.conn.create(_quote(self.archive)), f"CREATE {self.archive}")
        return self

    def __exit__(self, *exc) -> None:
        if self.conn is None:
            return
        try:
            if self.conn.state == "SELECTED":
                self.conn.close()
            self.conn.logout()
        except (imaplib.IMAP4.error, OSError):
            pass
        self.conn = None

    def _uidvalidity(self) -> int:
        _name, data = self.conn.response("UIDVALIDITY")
        if data and data[0]:
            return int(data[0])
        typ, data = self.conn.status(_quote(self.folder), "(UIDVALIDITY)")
        match = re.search(rb"UIDVALIDITY (\d+)", self._check(typ, data, "STATUS")[0])
        if not match:
            raise FetchError("IMAP: no UIDVALIDITY")
        return int(match.group(1))

    @property
    def capabilities(self) -> set[str]:
        return self._capabilities | {c.upper() for c in self.conn.capabilities}

    # --- fetch ------------------------------------------------------------------------
    def _new_uids(self) -> list[int]:
        typ, data = self.conn.uid("SEARCH", None, f"UID {self.last_uid + 1}:*")
        found = self._check(typ, data, "UID SEARCH")
        # "n:*" always matches the highest UID, even below n: keep only what is above.
        return sorted(
            int(u) for u in b" ".join(d for d in found if d).split() if int(u) > self.last_uid
        )

    def _sizes(self, uids: list[int]) -> dict[int, int]:
        sizes = {}
        for start in range(0, len(uids), 500):
            chunk = uids[start : start + 500]
            typ, data = self.conn.uid("FETCH", _uid_set(chunk), "(UID RFC822.SIZE)")
            for item in self._check(typ, data, "UID FETCH SIZE"):
                line = item[0] if isinstance(item, tuple) else item
                uid, size = UID_RE.search(line or b""), SIZE_RE.search(line or b"")
                if uid and size:
                    sizes[int(uid.group(1))] = int(size.group(1))
        return sizes

    def _plan(self, uids: list[int]) -> Iterator[list[int]]:
        sizes = self._sizes(uids)
        batch, total = [], 0
        for uid in uids:
            size = sizes.get(uid, 0)
            if batch and (len(batch) >= self.batch_size or total + size > self.batch_bytes):
                yield batch
                batch, total = [], 0
            batch.append(uid)
            total += size
        if batch:
            yield batch

    def _fetch(self, uids: list[int]) -> list[FetchedMail]:
        typ, data = self.conn.uid("FETCH", _uid_set(uids), "(UID BODY.PEEK[])")
        data = self._check(typ, data, "UID FETCH")
        mails = []
        for index, item in enumerate(data):
            if not isinstance(item, tuple):
                continue
            header, body = item
            match = UID_RE.search(header)
            if match is None and index + 1 < len(data) and isinstance(data[index + 1], bytes):
                match = UID_RE.search(data[index + 1])  # UID sent after the literal
            if match is None:
                raise FetchError(f"IMAP FETCH without UID: {header[:80]!r}")
            uid = int(match.group(1))
            mails.append(
                FetchedMail(data=body, source_ref=f"imap:{self.uidvalidity}:{uid}", key=uid)
            )
        return sorted(mails, key=lambda m: m.key)

    def batches(self) -> Iterator[list[FetchedMail]]:
        uids = self._new_uids()
        if not uids:
            return
        for planned in self._plan(uids):
            mails = self._fetch(planned)
            if mails:
                yield mails

    # --- removal, only after the store committed --------------------------------------
    def remove(self, batch: list[FetchedMail]) -> dict:
        uids = sorted(mail.key for mail in batch)
        uid_set = _uid_set(uids)
        caps = self.capabilities
        if self.archive and "MOVE" in caps:
            self._check(*self.conn.uid("MOVE", uid_set, _quote(self.archive)), "UID MOVE")
        else:
            if self.archive:
                self._check(*self.conn.uid("COPY", uid_set, _quote(self.archive)), "UID COPY")
            self._check(
                *self.conn.uid("STORE", uid_set, "+FLAGS.SILENT", r"(\Deleted)"), "UID STORE"
            )
            if "UIDPLUS" in caps:
                self._check(*self.conn.uid("EXPUNGE", uid_set), "UID EXPUNGE")
            else:
                self._check(*self.conn.expunge(), "EXPUNGE")
        self.last_uid = max(self.last_uid, uids[-1])
        return {"imap_uidvalidity": self.uidvalidity, "imap_last_uid": self.last_uid}
