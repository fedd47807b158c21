"""A real Dovecot for the IMAP tests, and the mailbox fixtures of the poll tests."""

import grp
import imaplib
import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import skip_or_fail

from .mailgen import SENDER

CONFIG_TEMPLATE = Path(__file__).with_name("dovecot.conf.template")
USERS = 30
PASSWORD = "secret-imap"


@dataclass
class Dovecot:
    root: Path
    port: int
    _users: itertools.count
    tls_port: int | None = None  # IMAPS, when openssl made the server a certificate
    certificate: Path | None = None  # self-signed, for 127.0.0.1: the CA file to trust

    def user(self) -> str:
        """A fresh, empty mailbox user for one test."""
        return f"user{next(self._users)}@mailnet.test"

    def connect(self, user: str) -> imaplib.IMAP4:
        conn = imaplib.IMAP4("127.0.0.1", self.port, timeout=30)
        conn.login(user, PASSWORD)
        return conn

    def uri(self, user: str, *, scheme: str = "imap", port: int | None = None, **query) -> str:
        params = "&".join(f"{k}={v}" for k, v in query.items())
        address = f"127.0.0.1:{port or self.port}"
        return f"{scheme}://{user.replace('@', '%40')}:{PASSWORD}@{address}" + (
            f"?{params}" if params else ""
        )


def _certificate(root: Path) -> Path | None:
    """A self-signed certificate for 127.0.0.1 (openssl), or None without openssl."""
    openssl = shutil.which("openssl")
    if openssl is None:
        return None
    subprocess.run(
        [
            openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
            "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
            "-keyout", str(root / "key.pem"), "-out", str(root / "cert.pem"),
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return root / "cert.pem"


_TLS_CONFIG = """
ssl = yes
ssl_cert = <$D/cert.pem
ssl_key = <$D/key.pem
service imap-login {
  inet_listener imaps {
    address = 127.0.0.1
    port = $TLSPORT
    ssl = yes
  }
}
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def dovecot():
    binary = shutil.which("dovecot") or (
        "/usr/sbin/dovecot" if os.path.exists("/usr/sbin/dovecot") else None
    )
    if binary is None:
        skip_or_fail("dovecot is not installed (apt-get install dovecot-imapd)")
    try:
        uid, gid = pwd.getpwnam("dovecot").pw_uid, grp.getgrnam("dovecot").gr_gid
    except KeyError:
        skip_or_fail("the dovecot system user is missing (apt-get install dovecot-imapd)")
    root = Path(tempfile.mkdtemp(prefix="mailnet-dovecot-"))
    root.chmod(0o755)
    (root / "mail").mkdir()
    os.chown(root / "mail", uid, gid)
    port = _free_port()
    certificate = _certificate(root)
    tls_port = _free_port() if certificate else None
    config = CONFIG_TEMPLATE.read_text()
    if certificate:
        config = config.replace("ssl = no\n", "") + _TLS_CONFIG
    (root / "dovecot.conf").write_text(
        config.replace("$D", str(root))
        .replace("$PORT", str(port))
        .replace("$TLSPORT", str(tls_port))
    )
    (root / "passwd").write_text(
        "".join(
            f"user{n}@mailnet.test:{{PLAIN}}{PASSWORD}:{uid}:{gid}::{root}/mail/%u\n"
            for n in range(USERS)
        )
    )
    process = subprocess.Popen(
        [binary, "-F", "-c", str(root / "dovecot.conf")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 15
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
                if sock.recv(100).startswith(b"* OK"):
                    break
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            log = (root / "dovecot.log").read_text() if (root / "dovecot.log").exists() else ""
            pytest.fail(f"dovecot did not start: {process.stderr.read()!r} {log[-2000:]}")
        time.sleep(0.1)
    yield Dovecot(
        root=root,
        port=port,
        _users=itertools.count(),
        tls_port=tls_port,
        certificate=certificate,
    )
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def agency():
    from tests.factories import AgencyFactory

    return AgencyFactory(code="75001", name="Paris Belleville")


@pytest.fixture
def counsellor(agency):
    from tests.factories import AssignmentFactory, CounsellorFactory, JobseekerFactory

    counsellor = CounsellorFactory(agency=agency, public_address="claire.dupont@mailnet.test")
    # The generated mails come from a jobseeker this counsellor follows (mailgen.SENDER).
    AssignmentFactory(counsellor=counsellor, jobseeker=JobseekerFactory(email=SENDER))
    return counsellor
