"""A consultation in a real Chromium: the counsellor asks, the expert (another agency)
sees the count in the menu, reads the thread's text and answers; the counsellor keeps it."""

import datetime as dt

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.urls import reverse

from backoffice.correspondence.models import Consultation, Message, Thread, ThreadEvent
from tests.correspondence.factories import ThreadFactory
from tests.factories import AgencyFactory, CounsellorFactory

pytestmark = pytest.mark.browser


def login(page, live_server, user):
    page.context.clear_cookies()
    client = Client()
    client.force_login(user)
    cookie = client.cookies[django_settings.SESSION_COOKIE_NAME]
    page.context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_server.url}])


@pytest.fixture
def thread(reference_data):
    thread = ThreadFactory(status=Thread.Status.AWAITING_REPLY, subject="Montant de mon ARE")
    Message.objects.create(
        thread=thread,
        direction=Message.Direction.INCOMING,
        message_id="<are@example.org>",
        from_address=thread.correspondent_address,
        received_at=dt.datetime(2026, 11, 23, 9, tzinfo=dt.UTC),
        subject="Montant de mon ARE",
        body_text="Bonjour, mon allocation a baissé ce mois-ci, pourquoi ?",
    )
    return thread


def test_a_consultation_round_trip_in_the_browser(thread, live_server, page):
    owner = thread.counsellor
    expert = CounsellorFactory(
        agency=AgencyFactory(region=thread.agency.region), handles_benefits=True
    )
    login(page, live_server, owner.user)
    page.goto(live_server.url + reverse("inbox:consult", args=[thread.pk]))
    page.select_option("select[name=expert]", str(expert.pk))
    page.fill("textarea[name=question]", "Une reprise d'activité explique-t-elle la baisse ?")
    page.click("#w-editor-form button[type=submit]")
    page.wait_for_load_state()
    assert Consultation.objects.filter(thread=thread, expert=expert).exists()

    login(page, live_server, expert.user)
    page.goto(live_server.url + reverse("wagtailadmin_home"))
    menu = page.locator("[data-waiting='1']")
    assert "Consultations (1)" in menu.inner_text()
    menu.click()
    page.get_by_role("link", name="Montant de mon ARE").click()
    assert "mon allocation a baissé" in page.inner_text("main")
    page.fill("textarea[name=answer]", "Oui : les jours travaillés décalent le versement.")
    page.click("#w-editor-form button[type=submit]")
    page.wait_for_load_state()
    assert "Votre réponse est transmise" in page.inner_text("body")
    assert "Consultations (1)" not in page.inner_text("body")

    thread.refresh_from_db()
    assert thread.counsellor == owner
    assert list(thread.events.values_list("kind", flat=True)) == [
        ThreadEvent.Kind.CONSULTED,
        ThreadEvent.Kind.CONSULTATION_ANSWERED,
    ]
