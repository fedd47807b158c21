"""The Wagtail screens: upload, preview, confirm, undo, downloads, progress JSON, history."""

import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from backoffice.caseloads.imports.models import ImportBatch, ImportStatus
from backoffice.caseloads.models import Assignment

from .conftest import row, xlsx_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager_client(client, manager):
    client.force_login(manager)
    return client


def _upload(client, content, name="affectations.xlsx"):
    return client.post(
        reverse("caseload_imports:history"),
        {"file": SimpleUploadedFile(name, content)},
        follow=True,
    )


def test_upload_preview_confirm_and_undo_through_the_screens(manager_client, network):
    response = _upload(
        manager_client, xlsx_bytes([row("1000001A"), row("1000002A", matricule="NOPE")])
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "Prêt à confirmer" in page
    assert "Conseiller de matricule « NOPE » inconnu." in page
    assert "Appliquer sans les lignes en erreur" in page
    batch = ImportBatch.objects.get()

    confirm = reverse("caseload_imports:confirm", args=[batch.pk])
    response = manager_client.post(confirm, {"sha256": batch.sha256}, follow=True)
    assert "ligne(s) en erreur" in response.content.decode()
    assert Assignment.objects.count() == 0

    response = manager_client.post(
        confirm, {"sha256": batch.sha256, "skip_errors": "on"}, follow=True
    )
    assert "Import appliqué." in response.content.decode()
    assert Assignment.objects.count() == 1
    assert "Journal des modifications" in response.content.decode()

    response = manager_client.post(reverse("caseload_imports:undo", args=[batch.pk]), follow=True)
    assert "Import annulé" in response.content.decode()
    assert Assignment.objects.count() == 0


def test_a_refused_file_shows_its_reason(manager_client, network):
    response = _upload(manager_client, b"", "vide.xlsx")
    assert "Le fichier est vide." in response.content.decode()


def test_history_lists_who_when_file_counts_and_result(manager_client, network):
    _upload(manager_client, xlsx_bytes([row("1000001A")]))
    page = manager_client.get(reverse("caseload_imports:history")).content.decode()
    assert "affectations.xlsx" in page and "Prêt à confirmer" in page


def test_status_endpoint_for_the_progress_bar(manager_client, network):
    _upload(manager_client, xlsx_bytes([row("1000001A")]))
    batch = ImportBatch.objects.get()
    data = manager_client.get(reverse("caseload_imports:status", args=[batch.pk])).json()
    assert data["status"] == ImportStatus.PREVIEWED and data["percent"] == 100
    assert data["running"] is False


def test_template_download_has_the_french_headers(manager_client, network):
    response = manager_client.get(reverse("caseload_imports:template", args=["jobseekers"]))
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    headers = [c.value for c in next(sheet.iter_rows(max_row=1))]
    assert headers[:3] == ["Identifiant DE", "Nom", "Prénom"]
    assert "Date d'affectation" in headers


def test_errors_download(manager_client, network):
    _upload(manager_client, xlsx_bytes([row("1000001A", matricule="=EVIL")]))
    batch = ImportBatch.objects.get()
    response = manager_client.get(reverse("caseload_imports:errors", args=[batch.pk]))
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("Ligne", "Colonne", "Message", "Niveau")
    assert rows[1][0] == 2 and rows[1][1] == "Matricule conseiller"


def test_the_kept_file_can_be_downloaded(manager_client, network):
    content = xlsx_bytes([row("1000001A")])
    _upload(manager_client, content)
    batch = ImportBatch.objects.get()
    response = manager_client.get(reverse("caseload_imports:file", args=[batch.pk]))
    assert b"".join(response.streaming_content) == content


def test_another_agencys_import_is_invisible_and_counsellors_are_refused(client, network, admin):
    client.force_login(admin)
    _upload(client, xlsx_bytes([row("1000001A")]))
    batch = ImportBatch.objects.get()
    client.force_login(network["manager"].user)
    assert client.get(reverse("caseload_imports:detail", args=[batch.pk])).status_code == 404
    client.force_login(network["alice"].user)
    response = client.get(reverse("caseload_imports:history"))
    assert (response.status_code, response["Location"]) == (302, "/admin/")  # Wagtail's refusal
