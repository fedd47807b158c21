"""In Chromium: a manager logs in, opens the team queue, sees a thread of an absent
counsellor, reassigns it to a colleague; the thread then shows its new counsellor and the
move in its history."""

import datetime as dt

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from backoffice.correspondence.models import Thread, ThreadEvent
from backoffice.organisation import roles
from backoffice.organisation.models import Absence
from tests.correspondence.sla_factories import ThreadFactory
from tests.factories import CounsellorFactory, UserFactory


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_manager_reassigns_a_thread_of_an_absent_counsellor(page, live_server, tmp_path):
    now = timezone.now()
    away = CounsellorFactory(
        user=UserFactory(first_name="Aline", last_name="Absente", role=roles.COUNSELLOR)
    )
    agency = away.agency
    colleague = CounsellorFactory(
        agency=agency,
        user=UserFactory(first_name="Bruno", last_name="Présent", role=roles.COUNSELLOR),
    )
    manager_user = UserFactory(
        username="responsable", first_name="Rita", last_name="Responsable", role=roles.MANAGER
    )
    CounsellorFactory(agency=agency, user=manager_user)
    manager_user.groups.add(Group.objects.get(name=roles.COUNSELLOR))
    Absence.objects.create(
        counsellor=away, starts_at=now - dt.timedelta(days=1), ends_at=now + dt.timedelta(days=5)
    )
    due_at = now + dt.timedelta(hours=30)
    thread = ThreadFactory(counsellor=away, subject="Attestation employeur", due_at=due_at)
    ThreadFactory(counsellor=colleague, subject="Fil de Bruno")

    page.goto(f"{live_server.url}/admin/login/")
    page.fill("input[name=username]", "responsable")
    page.fill("input[name=password]", "correct-horse-battery")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/admin/")
    page.get_by_role("link", name="File de l'équipe").click()
    page.wait_for_url("**/admin/inbox/queue/")

    row = page.locator("tr", has_text="Attestation employeur")
    expect(row).to_be_visible()
    expect(row.get_by_test_id("absent")).to_be_visible()
    expect(page.locator("tr", has_text="Fil de Bruno")).to_have_count(0)
    row.locator("input[name=threads]").check()
    page.select_option("#id_action", "reassign")
    page.select_option("#id_counsellor", str(colleague.pk))
    page.fill("#id_note", "Reprise pendant l'absence")
    page.screenshot(path=str(tmp_path / "queue.png"), full_page=True)
    page.get_by_role("button", name="Appliquer").click()

    expect(page.get_by_text("1 fil réattribué à Bruno Présent.")).to_be_visible()
    expect(page.locator("tr", has_text="Attestation employeur")).to_have_count(0)

    page.goto(live_server.url + reverse("inbox:thread", args=[thread.pk]))
    expect(page.get_by_test_id("thread-counsellor")).to_contain_text("Bruno Présent")
    history = page.get_by_test_id("thread-history")
    expect(history).to_contain_text("réattribué")
    expect(history).to_contain_text("Aline Absente → Bruno Présent")
    expect(history).to_contain_text("Reprise pendant l'absence")
    page.screenshot(path=str(tmp_path / "thread.png"), full_page=True)

    thread.refresh_from_db()
    assert thread.counsellor == colleague and thread.due_at == due_at
    assert thread.status == Thread.Status.AWAITING_REPLY
    event = ThreadEvent.objects.get(thread=thread)
    assert (event.kind, event.actor) == (ThreadEvent.Kind.REASSIGNED, manager_user)
