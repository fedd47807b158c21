"""Benchmark [mail-in]: poll + ingest 20,000 generated mails from a maildir into PostgreSQL.

Run with `make bench` (DATABASE_URL pointing at PostgreSQL). Prints mails/s end to end, the
poller's peak memory, and the ratio to a bare `email.message_from_bytes(...,
policy=email.policy.default)` over the same files in the same run. The poller is the real
`manage.py mailbox_poll` (so the real `raw_mail_store` / `raw_mail_ingest`, whatever their
implementation) in a subprocess, which gives its own peak RSS.
Size: MAILNET_BENCH_MAILS (default 20000). Targets: >= 300 mails/s, >= 25% of the bare
parse rate, < 300 MB.

The mix is a working day's: 70% plain, 20% HTML, 10% with an attachment (see mailgen);
senders are jobseekers the counsellors follow, except 1 in 25 unknown (a triage thread);
1 in 50 goes to nobody we know (the raw mail is triaged); 1 in 5 answers an earlier mail of
the same jobseeker (In-Reply-To), so it continues that thread.
"""

import email
import email.policy
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from backoffice.correspondence.models import ArchiveEntry, Message, RawMail, Thread
from mailbox_sync.services import mailbox_add
from tests.factories import AgencyFactory, AssignmentFactory, CounsellorFactory, JobseekerFactory
from tests.mailbox_sync.mailgen import bench_message_id, mail_generate, maildir_files

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

MAILS = int(os.environ.get("MAILNET_BENCH_MAILS", "20000"))
COUNSELLORS = 40
JOBSEEKERS = 400


def _mail(index: int, addresses: list[str]) -> tuple[bytes, bool, bool]:
    """Mail number `index`, whether it reaches a counsellor, whether it answers an earlier one."""
    jobseeker = index % JOBSEEKERS
    routed = index % 50 != 49
    to = addresses[jobseeker % COUNSELLORS] if routed else "inconnu@mailnet.test"
    sender = f"inconnu.{index}@example.net" if index % 25 == 12 else f"de{jobseeker}@example.org"
    reply = index % 5 == 3 and index >= JOBSEEKERS  # to this jobseeker's previous mail
    data = mail_generate(
        index,
        to=to,
        sender=sender,
        message_id=bench_message_id(index),
        in_reply_to=index - JOBSEEKERS if reply else None,
    )
    return data, routed, reply and routed


def _postgres_url() -> str:
    db = connection.settings_dict
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def test_bench_poll_and_ingest_maildir_into_postgresql(tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("the ingest benchmark needs PostgreSQL (DATABASE_URL=postgres://...)")
    agency = AgencyFactory(code="75020")
    counsellors = [
        CounsellorFactory(agency=agency, public_address=f"conseiller.{n}@mailnet.test")
        for n in range(COUNSELLORS)
    ]
    for n in range(JOBSEEKERS):
        AssignmentFactory(
            counsellor=counsellors[n % COUNSELLORS],
            jobseeker=JobseekerFactory(email=f"de{n}@example.org"),
        )
    addresses = [c.public_address for c in counsellors]
    root = tmp_path / "Maildir"
    for sub in ("new", "cur", "tmp"):
        (root / sub).mkdir(parents=True)
    mailbox_add(name="Bench", uri=f"maildir://{root}", agency=agency)
    env = {
        **os.environ,
        "DATABASE_URL": _postgres_url(),
        "DJANGO_SETTINGS_MODULE": "backoffice.settings.test",
        "MAILNET_LOG_LEVEL": "WARNING",
        # As a deployed poller runs: with its bytecode cached (this machine's environment
        # sets PYTHONDONTWRITEBYTECODE, which recompiles Django and Wagtail at each start).
        "PYTHONPYCACHEPREFIX": str(tmp_path / "pycache"),
    }
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    poll = [sys.executable, str(Path(settings.BASE_DIR) / "manage.py"), "mailbox_poll"]
    subprocess.run([*poll, "--mailbox", "Bench"], env=env, check=True, capture_output=True)
    started = time.perf_counter()  # the second empty poll starts as every later one
    subprocess.run([*poll, "--mailbox", "Bench"], env=env, check=True, capture_output=True)
    startup = time.perf_counter() - started

    routed = replies = 0
    for index in range(MAILS):
        data, is_routed, is_reply = _mail(index, addresses)
        routed += is_routed
        replies += is_reply
        (root / "new" / f"1763971200.M{index:07d}P1.bench").write_bytes(data)
    files = maildir_files(root)
    size_mb = sum(p.stat().st_size for p in files) / 1e6

    started = time.perf_counter()
    for path in files:
        email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    bare_rate = len(files) / (time.perf_counter() - started)

    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    result = subprocess.run(
        [*poll, "--mailbox", "Bench"], env=env, capture_output=True, text=True, timeout=3600
    )
    elapsed = time.perf_counter() - started
    assert result.returncode == 0, result.stderr[-3000:]
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # kB on Linux
    rate = MAILS / elapsed

    print()
    print(f"[mail-in] {MAILS} mails ({size_mb:.0f} MB) maildir -> PostgreSQL, poll + ingest")
    print(f"  poller summary    : {result.stdout.strip().splitlines()[-1]}")
    print(f"  end to end        : {elapsed:.1f} s, {rate:.0f} mails/s (target >= 300)")
    print(f"  of which start-up : about {startup:.1f} s (an empty poll, bytecode cached)")
    print(
        f"  bare parse        : {bare_rate:.0f} mails/s (email.message_from_bytes, default policy)"
    )
    print(f"  ratio to bare     : {rate / bare_rate:.0%} (target >= 25%)")
    print(f"  poller peak RSS   : {peak_mb:.0f} MB (target < 300 MB)")
    print(
        f"  machine load      : {load_before:.1f} before, {os.getloadavg()[0]:.1f} after "
        f"(1-minute average, {os.cpu_count()} cores shared)"
    )

    assert RawMail.objects.count() == MAILS
    assert ArchiveEntry.objects.count() == MAILS
    assert Message.objects.count() == routed  # one message per mail that reaches someone
    assert Thread.objects.count() == routed - replies  # an answer continues its thread
    assert maildir_files(root) == []
