"""The counsellor's inbox: my threads awaiting a reply, what is due first."""

import datetime as dt
import json
import re

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from answer_repository.models import Motif
from backoffice.caseloads.models import Modality
from backoffice.correspondence.models import Thread
from backoffice.organisation import roles
from tests.factories import EmployerFactory, RegionalPilotFactory

from .inbox_helpers import (
    NOW,
    CounsellorFactory,
    ThreadFactory,
    UserFactory,
    admin_user,
    followed_thread,
    incoming,
)

pytestmark = pytest.mark.django_db
HOURS = dt.timedelta(hours=1)


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def me():
    return CounsellorFactory()


def rows(page: str) -> list[str]:
    listing = page.split('id="listing-results"', 1)[1]
    if "<tbody" not in listing:
        return []
    body = listing.split("<tbody", 1)[1].split("</tbody>", 1)[0]
    return re.findall(r"<tr.*?</tr>", body, flags=re.S)


def subjects(page: str) -> list[str]:
    return [re.search(r'href="[^"]*">\s*([^<]+?)\s*</a>', row).group(1) for row in rows(page)]


def menu_items(client) -> dict[str, dict]:
    page = client.get(reverse("wagtailadmin_home")).content.decode()
    props = page.split('<script id="wagtail-sidebar-props" type="application/json">', 1)[1]
    props = json.loads(props.split("</script>", 1)[0])
    (menu,) = [m for m in props["modules"] if m["_type"] == "wagtail.sidebar.MainMenuModule"]
    return {item["_args"][0]["name"]: item["_args"][0] for item in menu["_args"][0]}


def get_inbox(client, user, **params):
    client.force_login(user)
    response = client.get(reverse("inbox:index"), params)
    assert response.status_code == 200
    return response.content.decode()


def test_my_awaiting_threads_come_earliest_deadline_first(client, me):
    later = followed_thread(me, subject="Plus tard", due_in=60 * HOURS)
    sooner = followed_thread(me, subject="Bientôt", due_in=5 * HOURS)
    no_clock = followed_thread(me, subject="Sans échéance")
    page = get_inbox(client, me.user)
    assert subjects(page) == [t.subject for t in (sooner, later, no_clock)]


def test_each_row_shows_correspondent_modality_motif_subject_received_time_left_status(client, me):
    motif = Motif.objects.create(code="formation", name="Formation")
    thread = followed_thread(
        me, subject="Inscription au CACES", due_in=30 * HOURS, motif=motif, modality_code="RENFORCE"
    )
    incoming(thread, at=dt.datetime(2026, 3, 3, 14, 5, tzinfo=dt.UTC))
    page = get_inbox(client, me.user)
    (row,) = rows(page)
    jobseeker = thread.jobseeker
    assert f"{jobseeker.first_name} {jobseeker.last_name}" in row
    assert Modality.objects.get(code="RENFORCE").name in row
    assert "Formation" in row and "Inscription au CACES" in row
    assert "03/03/2026 15:05" in row, "received time, in the agency's time zone"
    assert "30 h 00" in row and "en attente de réponse" in row
    assert reverse("inbox:thread", args=[thread.pk]) + "?via=inbox" in row


def test_an_employer_or_unknown_sender_shows_by_name_or_address(client, me):
    ThreadFactory(counsellor=me, jobseeker=None, employer=EmployerFactory(name="Boulangerie Rio"))
    ThreadFactory(counsellor=me, jobseeker=None, correspondent_address="qui@example.net")
    page = get_inbox(client, me.user)
    assert "Boulangerie Rio" in page and "qui@example.net" in page


def test_time_left_counts_business_hours_and_highlights_under_a_day_and_overdue(client, me):
    # Wednesday 10:00 Paris; due Monday 10:00 is 72 business hours away (the weekend is free).
    followed_thread(me, subject="Lundi", due_at=dt.datetime(2026, 3, 9, 9, tzinfo=dt.UTC))
    followed_thread(me, subject="Demain", due_in=20 * HOURS)
    followed_thread(me, subject="Hier", due_in=-3 * HOURS)
    page = get_inbox(client, me.user)
    assert subjects(page) == ["Hier", "Demain", "Lundi"]
    hier, demain, lundi = rows(page)
    assert "inbox-time-left--overdue" in hier and "dépassé de 3 h 00" in hier
    assert "inbox-time-left--soon" in demain and "20 h 00" in demain
    assert "72 h 00" in lundi and "--soon" not in lundi and "--overdue" not in lundi


def test_only_my_threads_including_those_delegated_to_me_never_a_colleagues(client, me):
    colleague = CounsellorFactory(agency=me.agency)
    followed_thread(me, subject="Le mien")
    followed_thread(colleague, subject="Le sien")
    followed_thread(me, subject="Confié", delegated_from=colleague)
    ThreadFactory(counsellor=me, status=Thread.Status.TRIAGE, subject="À trier")
    page = get_inbox(client, me.user)
    assert sorted(subjects(page)) == ["Confié", "Le mien"]
    assert "confié en l&#x27;absence de" in page or "confié en l'absence de" in page


def test_answered_and_closed_threads_are_a_status_filter_away(client, me):
    followed_thread(me, subject="Attend")
    followed_thread(me, subject="Répondu", status=Thread.Status.ANSWERED)
    followed_thread(me, subject="Clos", status=Thread.Status.CLOSED)
    assert subjects(get_inbox(client, me.user)) == ["Attend"]
    assert subjects(get_inbox(client, me.user, status="answered")) == ["Répondu"]
    assert subjects(get_inbox(client, me.user, status="closed")) == ["Clos"]
    assert sorted(subjects(get_inbox(client, me.user, status="all"))) == [
        "Attend",
        "Clos",
        "Répondu",
    ]


def test_filters_on_motif_modality_and_deadline(client, me):
    motif = Motif.objects.create(code="aides", name="Aides")
    followed_thread(me, subject="Aide mobilité", motif=motif, due_in=50 * HOURS)
    followed_thread(me, subject="Renforcé", modality_code="RENFORCE", due_in=10 * HOURS)
    followed_thread(me, subject="En retard", due_in=-2 * HOURS)
    assert subjects(get_inbox(client, me.user, motif=motif.pk)) == ["Aide mobilité"]
    renforce = Modality.objects.get(code="RENFORCE")
    assert subjects(get_inbox(client, me.user, modality=renforce.pk)) == ["Renforcé"]
    assert subjects(get_inbox(client, me.user, deadline="overdue")) == ["En retard"]
    assert subjects(get_inbox(client, me.user, deadline="soon")) == ["Renforcé"]


def test_search_on_subject_and_correspondent(client, me):
    thread = followed_thread(me, subject="Attestation employeur")
    followed_thread(me, subject="Autre chose")
    assert subjects(get_inbox(client, me.user, q="attestation")) == ["Attestation employeur"]
    assert subjects(get_inbox(client, me.user, q=thread.jobseeker.last_name)) == [
        "Attestation employeur"
    ]


def test_the_menu_shows_the_count_of_my_awaiting_threads(client, me):
    for _ in range(3):
        followed_thread(me)
    followed_thread(me, status=Thread.Status.ANSWERED)
    followed_thread(CounsellorFactory(agency=me.agency))
    client.force_login(me.user)
    item = menu_items(client)["inbox"]
    assert item["label"] == "Ma boîte (3)"
    assert item["attrs"]["data-inbox-count"] == "3"
    assert item["url"] == reverse("inbox:index")


@pytest.mark.parametrize("role", [roles.REGIONAL_PILOT, roles.CONTENT_EDITOR])
def test_pilots_and_editors_have_no_inbox(client, role):
    user = RegionalPilotFactory().user if role == roles.REGIONAL_PILOT else UserFactory(role=role)
    client.force_login(user)
    response = client.get(reverse("inbox:index"))
    assert (response.status_code, response["Location"]) == (302, "/admin/")
    assert not {"inbox", "inbox-queue", "inbox-lookup"} & set(menu_items(client))


def test_an_administrator_without_a_caseload_gets_an_empty_inbox(client, me):
    followed_thread(me, subject="Le mien")
    page = get_inbox(client, admin_user())
    assert "Le mien" not in page and "pas celui d&#x27;un conseiller" in page


def test_the_inbox_runs_a_constant_number_of_queries(client, django_assert_max_num_queries):
    few, many = CounsellorFactory(), CounsellorFactory()
    for counsellor, count in ((few, 10), (many, 100)):
        motif = Motif.objects.create(code=f"m{counsellor.pk}", name=f"Motif {counsellor.pk}")
        away = CounsellorFactory(agency=counsellor.agency)
        for n in range(count):
            delegated_from = away if n % 2 else None
            thread = followed_thread(
                counsellor, due_in=n * HOURS, motif=motif, delegated_from=delegated_from
            )
            incoming(thread, n)
    counts = []
    for counsellor in (few, many):
        client.force_login(counsellor.user)
        client.get(reverse("inbox:index"))  # warm caches (content types, sessions)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("inbox:index")).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1], counts
    with django_assert_max_num_queries(counts[0]):
        client.get(reverse("inbox:index"), {"p": 2})


def test_an_invalid_filter_never_widens_the_list(client, me):
    followed_thread(me, subject="Attend")
    followed_thread(me, subject="Répondu", status=Thread.Status.ANSWERED)
    assert subjects(get_inbox(client, me.user, motif=999999)) == ["Attend"]
    assert subjects(get_inbox(client, me.user, status="bogus")) == ["Attend"]


def test_the_results_fragment_refreshes_with_the_filters(client, me):
    followed_thread(me, subject="Attend")
    followed_thread(me, subject="Répondu", status=Thread.Status.ANSWERED)
    client.force_login(me.user)
    response = client.get(reverse("inbox:index_results"), {"status": "answered"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "Répondu" in page and "Attend" not in page and "<html" not in page
