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

    def user(self) -> str:
        """A fresh, empty mailbox user for one test."""
        return f"user{next(self._users)}@mailnet.test"

    def connect(self, user: str) -> imaplib.IMAP4:
        conn = imaplib.IMAP4("127.0.0.1", self.port, timeout=30)
        conn.login(user, PASSWORD)
        return conn

    def uri(self, user: str, **query) -> str:
        params = "&".join(f"{k}={v}" for k, v in query.items())
        return f"imap://{user.replace('@', '%40')}:{PASSWORD}@127.0.0.1:{self.port}" + (
            f"?{params}" if params else ""
        )


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
    (root / "dovecot.conf").write_text(
        CONFIG_TEMPLATE.read_text().replace("$D", str(root)).replace("$PORT", str(port))
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
    yield Dovecot(root=root, port=port, _users=itertools.count())
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
