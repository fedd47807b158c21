"""The report screen in a real browser: a pilot reads the charts and the table."""

import os

import pytest

# Playwright's sync API runs an event loop in the test thread (from its session-scoped
# browser on); the test's own ORM calls (fixtures, database set-up) are still synchronous.


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_pilot_reads_charts_and_table_in_chromium(page, live_server, week, pilot_nord, tmp_path):
    tmp_path = (
        tmp_path
        if os.environ.get("REPORTS_SCREENSHOT_DIR") is None
        else __import__("pathlib").Path(os.environ["REPORTS_SCREENSHOT_DIR"])
    )
    pilot_nord.set_password("correct-horse-battery")
    pilot_nord.save()
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("input[name=username]", pilot_nord.username)
    page.fill("input[name=password]", "correct-horse-battery")
    page.click("button[type=submit]")
    page.goto(
        f"{live_server.url}/admin/pilotage/?period=custom&day=2026-03-09&until=2026-03-15"
        "&group_by=agency"
    )
    page.screenshot(path=str(tmp_path / "pilot.png"), full_page=True)
    assert page.locator("svg[role=img]").count() == 2
    assert page.locator("table td", has_text="Lille Centre").first.is_visible()
    assert page.locator("svg", has_text="Lille Centre").count() == 1  # the rate chart
    assert page.locator("text=Alice").count() == 0
