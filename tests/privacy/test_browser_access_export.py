"""The right-of-access screen in a real browser: an administrator picks a jobseeker with the
chooser modal, downloads the zip, and the export is logged."""

import json
import zipfile

import pytest

from backoffice.organisation import roles
from privacy.models import AccessExport
from tests.correspondence.sla_factories import ThreadFactory
from tests.factories import JobseekerFactory, UserFactory


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_admin_picks_a_person_and_downloads_the_zip(page, live_server, reference_data, tmp_path):
    admin = UserFactory(role=roles.NATIONAL_ADMIN, first_name="Alain", last_name="Admin")
    camille = JobseekerFactory(first_name="Camille", last_name="Zerbib")
    JobseekerFactory(first_name="Dominique", last_name="Autre")
    thread = ThreadFactory(jobseeker=camille, subject="Ma formation")

    page.goto(f"{live_server.url}/admin/login/")
    page.fill("input[name=username]", admin.username)
    page.fill("input[name=password]", "correct-horse-battery")
    page.click("button[type=submit]")
    page.goto(f"{live_server.url}/admin/privacy_access/nouveau/")
    page.get_by_role("button", name="Choisir un demandeur d'emploi").click()
    # The caseloads chooser lists (and pages) the people the admin may read.
    page.locator(".modal").get_by_role("link", name="Camille Zerbib").click()
    page.locator("#id_jobseeker-title", has_text="Camille Zerbib").wait_for()
    page.screenshot(path=str(tmp_path / "access.png"), full_page=True)
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Télécharger le zip").click()
    path = download_info.value.path()

    with zipfile.ZipFile(path) as archive:
        data = json.loads(archive.read("donnees.json"))
    assert [t["id"] for t in data["fils"]] == [thread.pk]
    assert data["personne"]["nom"] == "Zerbib"
    assert AccessExport.objects.get().requested_by == admin
