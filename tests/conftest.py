"""Fixtures shared by the whole suite: role users, real parts and the browser."""

import importlib
import os
import shutil

import pytest

REQUIRE_REAL_PARTS = os.environ.get("MAILNET_REQUIRE_REAL_PARTS") == "1"
# Playwright's sync API runs an event loop in the test thread; Django's async-safety check
# would then refuse the ORM calls the tests make around it. Tests only.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def skip_or_fail(reason: str):
    """Skips locally when a real part is missing; in CI (MAILNET_REQUIRE_REAL_PARTS=1) fails."""
    if REQUIRE_REAL_PARTS:
        pytest.fail(f"real part missing in CI: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    if not os.path.exists(chromium):
        skip_or_fail("Debian's chromium is not installed (apt-get install chromium)")
    return {
        **browser_type_launch_args,
        "executable_path": chromium,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ],
    }


@pytest.fixture(autouse=True)
def _clear_cache():
    """The login lockout and other counters live in the cache: start each test clean."""
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture
def reference_data(transactional_db):
    """A transactional test starts from a flushed database: put back what migrations seed
    (role groups, modalities), which the shared factories expect."""
    from django.apps import apps

    from backoffice.organisation.roles import roles_sync

    roles_sync(apps)
    importlib.import_module("backoffice.caseloads.migrations.0002_modalities").seed(apps, None)


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items):
    """Every transactional test (marker, transactional_db or live_server) rolls back by
    serialisation: its closing flush then keeps what the migrations put in the database
    (groups, permissions, modalities, Wagtail's root page, workflows, schedules), which the
    next transactional test gets back, instead of leaving an emptied database behind."""
    for item in items:
        marker = item.get_closest_marker("django_db")
        fixtures = set(getattr(item, "fixturenames", ()))
        transactional = bool(marker and marker.kwargs.get("transaction")) or bool(
            {"transactional_db", "live_server"} & fixtures
        )
        if transactional and not (marker and marker.kwargs.get("serialized_rollback")):
            kwargs = {**(marker.kwargs if marker else {}), "transaction": True}
            item.add_marker(pytest.mark.django_db(**kwargs, serialized_rollback=True), append=False)
    # Tests served by live_server last: on in-memory SQLite, the live server's shared
    # connection loses the serialised copy that the flushes above restore from.
    items.sort(key=lambda item: "live_server" in getattr(item, "fixturenames", ()))


@pytest.fixture(scope="session", autouse=True)
def _serialized_migrated_data(django_db_setup, django_db_blocker):
    """The serialised migrated data Django keeps on the connection, kept here too."""
    from django.db import connection

    return getattr(connection, "_test_serialized_contents", None)


@pytest.fixture(autouse=True)
def _live_server_data(request, _serialized_migrated_data):
    """A live_server test gets the migrated data back even when the shared in-memory
    connection lost its serialised copy (see pytest_collection_modifyitems)."""
    if "live_server" in request.fixturenames and _serialized_migrated_data:
        from django.contrib.auth.models import Group
        from django.db import connection

        if not getattr(connection, "_test_serialized_contents", None):
            connection._test_serialized_contents = _serialized_migrated_data
        if not Group.objects.exists():
            connection.creation.deserialize_db_from_string(_serialized_migrated_data)
    yield


class SmtpRecorder:
    """[inbox] What a real SMTP server on loopback received: one envelope per mail."""

    def __init__(self):
        import threading

        self.envelopes = []
        self.lock = threading.Lock()
        self.port = 0

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.envelopes.append(envelope)
        return "250 OK"

    def messages(self):
        from email import message_from_bytes, policy

        with self.lock:
            return [message_from_bytes(e.content, policy=policy.default) for e in self.envelopes]


def _free_port() -> int:
    import socket

    with socket.socket() as probe:  # aiosmtpd's start() cannot use port 0: pick a free one
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp_server(settings):
    """[inbox] aiosmtpd on loopback, with Django's SMTP backend pointed at it."""
    from aiosmtpd.controller import Controller

    recorder = SmtpRecorder()
    recorder.port = _free_port()
    controller = Controller(recorder, hostname="127.0.0.1", port=recorder.port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = recorder.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 5
    yield recorder
    controller.stop()


@pytest.fixture
def smtp_down(settings):
    """[inbox] Django's SMTP backend pointed at a loopback port nobody listens on."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = _free_port()
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_TIMEOUT = 5
    return settings
