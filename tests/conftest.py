"""Fixtures shared by the whole suite: role users, real parts and the browser."""

import importlib
import os
import shutil

import pytest

REQUIRE_REAL_PARTS = os.environ.get("MAILNET_REQUIRE_REAL_PARTS") == "1"


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
