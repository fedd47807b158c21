"""Fixtures for caseload imports: a small network, role users, and files written on the fly."""

import csv
import datetime
import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from backoffice.caseloads.imports import services
from backoffice.organisation import roles
from tests.factories import AgencyFactory, CounsellorFactory, RegionFactory, UserFactory

HEADERS = [
    "Identifiant DE",
    "Nom",
    "Prénom",
    "Courriel",
    "Modalité",
    "Matricule conseiller",
    "Agence",
    "Date d'affectation",
]
EMPLOYER_HEADERS = [
    "SIRET",
    "Raison sociale",
    "Courriel",
    "Matricule conseiller",
    "Agence",
    "Date d'affectation",
]


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def _reference_data() -> None:
    """Groups and modalities come from data migrations; a transactional test's flush
    removes them, so put them back when missing."""
    import importlib

    from django.apps import apps as django_apps
    from django.contrib.auth.models import Group

    from backoffice.caseloads.models import Modality
    from backoffice.organisation.roles import MANAGER, roles_sync

    if not Group.objects.filter(name=MANAGER).exists():
        roles_sync(django_apps)
    if not Modality.objects.exists():
        seed = importlib.import_module("backoffice.caseloads.migrations.0002_modalities")
        seed.seed(django_apps, None)


@pytest.fixture
def network(db):
    _reference_data()
    region = RegionFactory()
    home = AgencyFactory(code="01234", region=region)
    other = AgencyFactory(code="75001", region=region)
    return {
        "home": home,
        "other": other,
        "alice": CounsellorFactory(matricule="ALICE01", agency=home),
        "bruno": CounsellorFactory(matricule="BRUNO02", agency=home),
        "olga": CounsellorFactory(matricule="OLGA03", agency=other),
        "manager": CounsellorFactory(
            matricule="MGR0001", agency=home, user=UserFactory(role=roles.MANAGER)
        ),
        "admin": UserFactory(role=roles.NATIONAL_ADMIN),
    }


@pytest.fixture
def manager(network):
    return network["manager"].user


@pytest.fixture
def admin(network):
    return network["admin"]


def row(identifier="1000001A", matricule="ALICE01", agency="01234", day="05/01/2026", **extra):
    values = {
        "Identifiant DE": identifier,
        "Nom": extra.pop("nom", "Martin"),
        "Prénom": extra.pop("prenom", "Camille"),
        "Courriel": extra.pop("courriel", "camille@example.org"),
        "Modalité": extra.pop("modalite", "Guidé"),
        "Matricule conseiller": matricule,
        "Agence": agency,
        "Date d'affectation": day,
    }
    values.update(extra)
    return values


def xlsx_bytes(rows, headers=None, *, title=None, blank_rows=0) -> bytes:
    headers = headers or (list(rows[0].keys()) if rows else HEADERS)
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    if title:
        sheet.append([title])
    for _ in range(blank_rows):
        sheet.append([])
    sheet.append(headers)
    for values in rows:
        sheet.append([values.get(h) for h in headers])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def csv_bytes(rows, headers=None, *, delimiter=";", encoding="utf-8") -> bytes:
    headers = headers or (list(rows[0].keys()) if rows else HEADERS)
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter)
    writer.writerow(headers)
    for values in rows:
        writer.writerow([values.get(h, "") for h in headers])
    return buffer.getvalue().encode(encoding)


def upload(user, content: bytes, name="affectations.xlsx"):
    """Uploads and previews a file as `user`, like the screen does."""
    batch = services.import_batch_create(uploaded_file=SimpleUploadedFile(name, content), user=user)
    return services.import_batch_start_preview(batch=batch)


def apply(batch, user, **kwargs):
    return services.import_batch_start_apply(batch=batch, user=user, sha256=batch.sha256, **kwargs)


def tables_state() -> dict[str, list[tuple]]:
    """Every row of every table an undo reads or writes, to compare before and after."""
    from backoffice.caseloads.models import Assignment, Employer, EmployerContact, Jobseeker
    from backoffice.correspondence.models import ScheduledContact, Thread
    from privacy.models import AccessExport, LegalHold

    tables = {
        "assignments": Assignment,
        "jobseekers": Jobseeker,
        "employers": Employer,
        "contacts": EmployerContact,
        "legal holds": LegalHold,
        "access exports": AccessExport,
        "threads": Thread,
        "scheduled contacts": ScheduledContact,
    }
    return {
        name: [tuple(values.values()) for values in model.objects.order_by("pk").values()]
        for name, model in tables.items()
    }


def messages_of(batch, level="erreur"):
    return [(r, c, m) for r, c, m, lvl in batch.errors if lvl == level]


TODAY = datetime.date(2026, 3, 2)
