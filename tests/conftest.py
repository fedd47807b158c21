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


@pytest.fixture(scope="session")
def _migrated_snapshot(django_db_setup, django_db_blocker):
    """Everything the migrations put in the test database (groups, permissions, modalities,
    Wagtail's root page and site, workflows, schedules), serialised once per session."""
    from django.db import connection

    with django_db_blocker.unblock():
        return connection.creation.serialize_db_to_string()


@pytest.fixture(autouse=True)
def _migrated_data_present(request):
    """A transactional test ends with a flush that empties every table, migrated data
    included; the next test that uses the database gets that data back first."""
    names = set(request.fixturenames)
    marker = request.node.get_closest_marker("django_db")
    if "transactional_db" in names or "live_server" in names:
        request.getfixturevalue("transactional_db")
    elif "db" in names:
        request.getfixturevalue("db")
    elif marker is None:
        yield
        return
    from django.contrib.auth.models import Group
    from django.db import connection

    if not Group.objects.exists():
        connection.creation.deserialize_db_from_string(
            request.getfixturevalue("_migrated_snapshot")
        )
    yield
