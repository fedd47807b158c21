"""Exactly once, with real parts: two django-q2 clusters on Redis, PostgreSQL, SMTP on loopback.

These tests start other processes that must see the test database's committed rows, so
they run on PostgreSQL only (SQLite's test database lives in this process's memory).
"""

import datetime as dt
import os
import socket
import subprocess
import sys
import threading
import time
from email import message_from_bytes
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from django.db import connection
from django.utils import timezone

from backoffice.correspondence.models import OutboxMail, ScheduledContact, SlaEvent, Thread
from backoffice.correspondence.services.sweep import sla_sweep_run
from tests.conftest import skip_or_fail

from .sla_factories import IncomingMessageFactory, ThreadFactory, team_with_manager

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = "redis://127.0.0.1:6379/13"
WAIT_SECONDS = 180


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (DATABASE_URL): other processes share the test database")
    # A transactional test database is flushed between tests: bring the role groups back.
    from django.apps import apps

    from backoffice.organisation.roles import roles_sync

    roles_sync(apps)


class Recorder:
    def __init__(self):
        self.lock = threading.Lock()
        self.received = []  # (Message-ID, To, X-Mailnet-Kind)

    async def handle_DATA(self, server, session, envelope):
        parsed = message_from_bytes(envelope.original_content or envelope.content)
        with self.lock:
            self.received.append(
                (parsed["Message-ID"].strip(), parsed["To"], parsed["X-Mailnet-Kind"])
            )
        return "250 OK"

    def of_kind(self, kind):
        with self.lock:
            return [r for r in self.received if r[2] == kind]


@pytest.fixture
def smtp():
    recorder = Recorder()
    with socket.socket() as probe:  # aiosmtpd's start() cannot use port 0: pick a free one
        probe.bind(("127.0.0.1", 0))
        recorder.port = probe.getsockname()[1]
    controller = Controller(recorder, hostname="127.0.0.1", port=recorder.port)
    controller.start()
    yield recorder
    controller.stop()


@pytest.fixture
def redis_broker():
    try:
        import redis

        client = redis.Redis.from_url(REDIS_URL)
        client.ping()
    except Exception as error:
        skip_or_fail(f"Redis is not reachable on 127.0.0.1:6379 ({error})")
    for key in client.scan_iter("django_q:mailnet*"):
        client.delete(key)
    return client


def child_env(smtp, tmp_path):
    db = connection.settings_dict
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "backoffice.settings.dev",
        "DATABASE_URL": (
            f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
        ),
        "REDIS_URL": REDIS_URL,
        "MAILNET_EMAIL_BACKEND": "smtp",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(smtp.port),
        "MAILNET_Q_WORKERS": "2",
        "MAILNET_VAR_DIR": str(tmp_path),
        "MAILNET_LOG_LEVEL": "WARNING",
    }


def due_threads(count, *, due_in=dt.timedelta(hours=2)):
    _, _, counsellor = team_with_manager()
    due_at = timezone.now() + due_in
    threads = []
    for _ in range(count):
        thread = ThreadFactory(counsellor=counsellor)
        IncomingMessageFactory(thread=thread, received_at=due_at - dt.timedelta(days=3))
        threads.append(thread)
    Thread.objects.filter(pk__in=[t.pk for t in threads]).update(
        due_at=due_at, awaiting_since=due_at - dt.timedelta(days=3)
    )
    return threads


def wait_for(condition, what):
    deadline = time.monotonic() + WAIT_SECONDS
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting for {what}")
        time.sleep(0.5)  # polling other processes, not timing the code under test


def test_two_clusters_sweeping_at_once_send_one_holding_notice_per_thread(
    smtp, redis_broker, tmp_path
):
    from django_q.models import Task

    threads = due_threads(12)
    env = child_env(smtp, tmp_path)
    clusters = [
        subprocess.Popen(
            [sys.executable, "manage.py", "qcluster"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(2)
    ]
    try:
        subprocess.run(
            [
                sys.executable,
                "manage.py",
                "shell",
                "-c",
                "from django_q.tasks import async_task\n"
                "for _ in range(6):\n"
                "    async_task('backoffice.correspondence.tasks.sla_sweep', group='sla-race')\n",
            ],
            cwd=ROOT,
            env=env,
            check=True,
        )
        wait_for(
            lambda: Task.objects.filter(group="sla-race").count() == 6,
            "six sweeps on two clusters",
        )
        wait_for(
            lambda: not OutboxMail.objects.filter(state=OutboxMail.State.PENDING).exists(),
            "the outbox to empty",
        )
    finally:
        for cluster in clusters:
            cluster.terminate()
        for cluster in clusters:
            try:
                cluster.wait(timeout=30)
            except subprocess.TimeoutExpired:
                cluster.kill()

    assert all(Task.objects.filter(group="sla-race").values_list("success", flat=True))
    notices = smtp.of_kind(OutboxMail.Kind.HOLDING_NOTICE)
    assert sorted(to for _, to, _ in notices) == sorted(t.correspondent_address for t in threads)
    assert len({message_id for message_id, _, _ in notices}) == len(threads)
    assert ScheduledContact.objects.filter(auto=True).count() == len(threads)
    assert SlaEvent.objects.filter(kind=SlaEvent.Kind.HOLDING_NOTICE).count() == len(threads)
    assert SlaEvent.objects.filter(kind=SlaEvent.Kind.WARNING).count() == len(threads)


CRASH_AFTER_SEND = """
import os, django
django.setup()
from backoffice.correspondence.services import outbox
def die(row, now):
    os._exit(9)  # killed after the SMTP transaction, before the row is marked sent
outbox._mark_sent = die
outbox.outbox_send_pending()
"""


def test_a_sender_killed_between_send_and_mark_resends_only_the_same_message_id(smtp, tmp_path):
    (thread,) = due_threads(1)
    report = sla_sweep_run()
    assert report.held == 1
    rows = {row.message_id: row for row in OutboxMail.objects.all()}
    first = OutboxMail.objects.order_by("queued_at", "pk").first()
    env = child_env(smtp, tmp_path)

    crashed = subprocess.run([sys.executable, "-c", CRASH_AFTER_SEND], cwd=ROOT, env=env)
    assert crashed.returncode == 9
    assert [r[0] for r in smtp.received] == [first.message_id]
    first.refresh_from_db()
    assert first.state == OutboxMail.State.PENDING, "the mark was lost with the process"

    subprocess.run(
        [sys.executable, "manage.py", "sla_sweep"],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    received_ids = [r[0] for r in smtp.received]
    assert sorted(received_ids) == sorted([*rows, first.message_id]), (
        "every queued mail once, and the interrupted one again under its own Message-ID"
    )
    assert set(OutboxMail.objects.values_list("state", flat=True)) == {OutboxMail.State.SENT}
    assert len(smtp.of_kind(OutboxMail.Kind.HOLDING_NOTICE)) in (1, 2)
    assert len({r[0] for r in smtp.of_kind(OutboxMail.Kind.HOLDING_NOTICE)}) == 1
    assert (
        OutboxMail.objects.filter(thread=thread, kind=OutboxMail.Kind.HOLDING_NOTICE).count() == 1
    )
