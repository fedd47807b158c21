import importlib

import pytest


@pytest.fixture
def reference_data(transactional_db):
    """A transactional test starts from a flushed database: put back what migrations seed
    (role groups, modalities), which the shared factories expect."""
    from django.apps import apps

    from backoffice.organisation.roles import roles_sync

    roles_sync(apps)
    importlib.import_module("backoffice.caseloads.migrations.0002_modalities").seed(apps, None)
