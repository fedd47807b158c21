"""A poller killed (SIGKILL) at random moments and restarted loses and duplicates nothing.

The poller is a real `manage.py mailbox_poll` subprocess on a real database file (SQLite, a
copy of the test database) or on the PostgreSQL test database; the source is a maildir, or
a real Dovecot over IMAP (UID cursor, BODY.PEEK[], UID MOVE after the commit).
"""

import os
import random
import re
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from backoffice.correspondence.models import Message, RawMail
from mailbox_sync.services import mailbox_add

from .mailgen import mail_generate, maildir_files, maildir_write
from .test_services_polling_imap import _append, _folder_uids

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

SUMMARY = re.compile(r"fetched \d+, stored \d+, duplicates \d+, triaged \d+, failed \d+")
MAILS = 500
MAX_KILLS = int(os.environ.get("MAILNET_CRASH_KILLS", "4"))
MANAGE = Path(settings.BASE_DIR) / "manage.py"


def _database_url(tmp_path: Path) -> str:
    """A URL another process can open onto the data this test just committed."""
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        copy = tmp_path / "crash.sqlite3"
        target = sqlite3.connect(copy)
        connection.connection.backup(target)
        target.close()
        return f"sqlite:///{copy}"
    db = connection.settings_dict
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def _counts(url: str) -> tuple[int, int, int, int]:
    """(raw mails, distinct raw sha256, messages, raw mails with one message exactly)."""
    if url.startswith("sqlite"):
        db = sqlite3.connect(url.removeprefix("sqlite:///"))
        try:
            one = db.execute
            raw = one(
                "select count(*), count(distinct sha256) from correspondence_rawmail"
            ).fetchone()
            messages = one("select count(*) from correspondence_message").fetchone()[0]
            once = one(
                "select count(*) from (select raw_mail_id from correspondence_message "
                "group by raw_mail_id having count(*) = 1)"
            ).fetchone()[0]
            pending = one("select count(*) from correspondence_rawmail where state='pending'")
            assert pending.fetchone()[0] == 0
            return raw[0], raw[1], messages, once
        finally:
            db.close()
    assert not RawMail.objects.filter(state=RawMail.State.PENDING).exists()
    from django.db.models import Count

    once = Message.objects.values("raw_mail_id").annotate(n=Count("pk")).filter(n=1).count()
    raws = RawMail.objects.count()
    distinct = RawMail.objects.values("sha256").distinct().count()
    return raws, distinct, Message.objects.count(), once


def _poller_env(url: str, tmp_path: Path) -> dict[str, str]:
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DJANGO_SETTINGS_MODULE": "backoffice.settings.test",
        "MAILNET_LOG_LEVEL": "CRITICAL",
        # Bytecode cached as on a server, so kills land in the poll rather than the start-up.
        "PYTHONPYCACHEPREFIX": str(tmp_path.parent / "crash-pycache"),
    }
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def _kill_and_restart_until_done(
    command: list[str],
    env: dict[str, str],
    *,
    moved: Callable[[], int],
    left: Callable[[], int],
    total: int,
) -> tuple[int, int]:
    """Runs the poller, SIGKILLs it at random moments (MAX_KILLS times), then lets it finish;
    returns (kills, kills while the source was partly emptied)."""
    rng = random.Random(int(os.environ.get("MAILNET_CRASH_SEED", "0")) or None)
    kills, killed_mid_poll = 0, 0
    while True:
        before = moved()
        process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        if kills < MAX_KILLS:
            if kills % 2 == 0:
                # Wait until this poller moved something, then kill it a moment later: the
                # first kill always lands mid-poll, however fast the machine.
                while process.poll() is None and moved() == before:
                    time.sleep(0.01)
                time.sleep(rng.uniform(0, 0.1))
            else:
                time.sleep(rng.uniform(0.3, 2.0))  # anywhere: start-up, store, ingest, move
            if process.poll() is None:
                process.send_signal(signal.SIGKILL)
                process.wait()
                kills += 1
                killed_mid_poll += 0 < left() < total
                continue
        out, err = process.communicate(timeout=300)
        assert process.returncode == 0, err.decode()[-2000:]
        assert SUMMARY.fullmatch(out.decode().splitlines()[-1])
        if not left():
            return kills, killed_mid_poll


def test_poller_killed_at_random_moments_loses_and_duplicates_nothing(tmp_path, agency, counsellor):
    mails = [mail_generate(i, to=counsellor.public_address) for i in range(MAILS)]
    root = maildir_write(tmp_path / "Maildir", mails)
    mailbox_add(name="Crash", uri=f"maildir://{root}", agency=agency)
    url = _database_url(tmp_path)
    archive = root / ".Archive" / "cur"
    started = time.monotonic()
    kills, killed_mid_poll = _kill_and_restart_until_done(
        [sys.executable, str(MANAGE), "mailbox_poll", "--mailbox", "Crash"],
        _poller_env(url, tmp_path),
        moved=lambda: len(list(archive.glob("*"))) if archive.exists() else 0,
        left=lambda: len(maildir_files(root)),
        total=MAILS,
    )
    elapsed = time.monotonic() - started
    print(f"crash test: {kills} kills ({killed_mid_poll} mid-poll), {elapsed:.1f} s")

    raws, distinct, messages, once = _counts(url)
    assert (raws, distinct, messages, once) == (MAILS, MAILS, MAILS, MAILS)
    assert maildir_files(root) == []
    archived = sorted(p.read_bytes() for p in archive.glob("*"))
    assert archived == sorted(mails)  # every mail is at the archive once, none lost
    assert kills >= 1


@pytest.mark.dovecot
def test_imap_poller_killed_at_random_moments_loses_and_duplicates_nothing(
    tmp_path, dovecot, agency, counsellor
):
    user = dovecot.user()
    mails = [mail_generate(i, to=counsellor.public_address) for i in range(MAILS)]
    _append(dovecot, user, mails)
    mailbox_add(name="CrashImap", uri=dovecot.uri(user, archive="Archive"), agency=agency)
    url = _database_url(tmp_path)
    started = time.monotonic()
    kills, killed_mid_poll = _kill_and_restart_until_done(
        [sys.executable, str(MANAGE), "mailbox_poll", "--mailbox", "CrashImap"],
        _poller_env(url, tmp_path),
        moved=lambda: len(_folder_uids(dovecot, user, "Archive")),
        left=lambda: len(_folder_uids(dovecot, user, "INBOX")),
        total=MAILS,
    )
    elapsed = time.monotonic() - started
    print(f"IMAP crash test: {kills} kills ({killed_mid_poll} mid-poll), {elapsed:.1f} s")

    raws, distinct, messages, once = _counts(url)
    assert (raws, distinct, messages, once) == (MAILS, MAILS, MAILS, MAILS)
    assert _folder_uids(dovecot, user, "INBOX") == []
    assert sorted(_folder_bodies(dovecot, user, "Archive")) == sorted(mails)  # each once
    assert kills >= 1


def _folder_bodies(dovecot, user, folder) -> list[bytes]:
    conn = dovecot.connect(user)
    try:
        conn.select(f'"{folder}"', readonly=True)
        _typ, data = conn.uid("FETCH", "1:*", "(BODY.PEEK[])")
        return [item[1] for item in data if isinstance(item, tuple)]
    finally:
        conn.logout()
