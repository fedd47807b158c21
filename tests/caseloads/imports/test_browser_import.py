"""A manager uploads a file in Chromium, reads the preview, confirms, then undoes."""

import pytest

from backoffice.caseloads.models import Assignment

from .conftest import row, xlsx_bytes

# Playwright's sync API keeps an event loop in the main thread, so Django takes every ORM
# call there (even the test database set-up) for async code. Django's documented way out
# for such tests; set at collection because the database set-up is session-scoped.

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_manager_imports_then_undoes_in_the_browser(page, live_server, network, manager, tmp_path):
    path = tmp_path / "affectations.xlsx"
    path.write_bytes(xlsx_bytes([row("1000001A"), row("1000002A", matricule="NOPE")]))
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("input[name=username]", manager.username)
    page.fill("input[name=password]", "correct-horse-battery")
    page.click("button[type=submit]")
    page.goto(f"{live_server.url}/admin/caseload-imports/")
    page.set_input_files("input[type=file]", str(path))
    page.click("text=Analyser le fichier")
    page.wait_for_selector("[data-import-counts]")
    assert page.inner_text("[data-count=new]") == "1"
    assert page.inner_text("[data-count=errors]") == "1"
    assert "Conseiller de matricule « NOPE » inconnu." in page.inner_text("[data-import-errors]")
    page.check("input[name=skip_errors]")
    page.click("text=Confirmer et appliquer")
    page.wait_for_selector("text=Import appliqué.")
    assert Assignment.objects.count() == 1
    page.click("text=Annuler cet import")
    page.wait_for_selector("text=Import annulé")
    assert Assignment.objects.count() == 0
