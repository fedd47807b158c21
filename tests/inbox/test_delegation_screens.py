"""Screens of transfer, consultation and the expert's answers, per role."""

import datetime as dt

import pytest
from django.urls import reverse
from wagtail import hooks

from backoffice.correspondence.models import (
    Consultation,
    Message,
    Thread,
    ThreadEvent,
    ThreadRead,
)
from backoffice.correspondence.services.delegation import consultation_ask
from backoffice.organisation import roles
from tests.correspondence.factories import ThreadFactory
from tests.factories import (
    AgencyFactory,
    CounsellorFactory,
    RegionalPilotFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def thread():
    thread = ThreadFactory(status=Thread.Status.AWAITING_REPLY, subject="Mes droits ARE")
    Message.objects.create(
        thread=thread,
        direction=Message.Direction.INCOMING,
        message_id="<q@example.org>",
        from_address=thread.correspondent_address,
        received_at=dt.datetime(2026, 11, 23, 9, tzinfo=dt.UTC),
        subject="Mes droits ARE",
        body_text="Bonjour, quel sera le montant de mon allocation ?",
    )
    return thread


def refused(response) -> bool:
    """Wagtail turns a PermissionDenied into a redirect to the dashboard with a message."""
    return response.status_code == 302 and response["Location"] == reverse("wagtailadmin_home")


def login(client, counsellor_or_user):
    user = getattr(counsellor_or_user, "user", counsellor_or_user)
    client.force_login(user)
    return user


def test_the_holder_transfers_from_the_screen(client, thread):
    owner = thread.counsellor
    expert = CounsellorFactory(agency=thread.agency)
    login(client, owner)
    url = reverse("inbox:transfer", args=[thread.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert expert.full_name in page.content.decode()
    response = client.post(url, {"expert": expert.pk, "note": "Voir le calcul"})
    assert response.status_code == 302
    thread.refresh_from_db()
    assert thread.counsellor == expert
    event = ThreadEvent.objects.get(thread=thread)
    assert (event.kind, event.note) == (ThreadEvent.Kind.TRANSFERRED, "Voir le calcul")


def test_transfer_requires_a_note_and_a_listed_expert(client, thread):
    login(client, thread.counsellor)
    stranger = CounsellorFactory()  # another region, no speciality
    url = reverse("inbox:transfer", args=[thread.pk])
    assert client.post(url, {"expert": stranger.pk, "note": "x"}).status_code == 200
    expert = CounsellorFactory(agency=thread.agency)
    assert client.post(url, {"expert": expert.pk, "note": ""}).status_code == 200
    assert not ThreadEvent.objects.exists()


def test_transfer_to_another_agency_returns_to_the_inbox(client, thread):
    expert = CounsellorFactory(
        agency=AgencyFactory(region=thread.agency.region), handles_benefits=True
    )
    login(client, thread.counsellor)
    response = client.post(
        reverse("inbox:transfer", args=[thread.pk]), {"expert": expert.pk, "note": "ARE"}
    )
    assert response.status_code == 302
    assert str(thread.pk) not in response["Location"]  # the thread left the user's reach


def test_a_colleague_who_may_only_read_is_refused(client, thread):
    login(client, CounsellorFactory(agency=thread.agency))
    assert refused(client.get(reverse("inbox:transfer", args=[thread.pk])))
    assert refused(client.get(reverse("inbox:consult", args=[thread.pk])))
    expert = CounsellorFactory(agency=thread.agency)
    response = client.post(
        reverse("inbox:transfer", args=[thread.pk]), {"expert": expert.pk, "note": "x"}
    )
    assert refused(response)
    thread.refresh_from_db()
    assert thread.counsellor != expert


def test_another_agency_gets_404_and_a_pilot_is_refused(client, thread):
    login(client, CounsellorFactory())
    assert client.get(reverse("inbox:transfer", args=[thread.pk])).status_code == 404
    client.logout()
    login(client, RegionalPilotFactory(region=thread.agency.region))
    assert refused(client.get(reverse("inbox:transfer", args=[thread.pk])))
    assert refused(client.get(reverse("inbox:consultations")))


def test_consultation_round_trip_through_the_screens(
    client, thread, mailoutbox, django_capture_on_commit_callbacks
):
    owner = thread.counsellor
    expert = CounsellorFactory(
        agency=AgencyFactory(region=thread.agency.region), handles_benefits=True
    )
    login(client, owner)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("inbox:consult", args=[thread.pk]),
            {"expert": expert.pk, "question": "Quel montant ?"},
        )
    assert response.status_code == 302
    consultation = Consultation.objects.get()
    assert mailoutbox[-1].to == [expert.user.email]

    client.logout()
    login(client, expert)
    admin_home = client.get(reverse("wagtailadmin_home")).content.decode()
    assert "Consultations (1)" in admin_home
    listing = client.get(reverse("inbox:consultations")).content.decode()
    assert "Mes droits ARE" in listing and "Quel montant ?" in listing
    answer_url = reverse("inbox:consultation_answer", args=[consultation.pk])
    page = client.get(answer_url).content.decode()
    # An expert of another agency reads the thread's messages here, and the reading is logged.
    assert "quel sera le montant de mon allocation" in page
    assert ThreadRead.objects.filter(thread=thread, user=expert.user).count() == 1
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(answer_url, {"answer": "Environ 57 % du salaire de référence."})
    assert response.status_code == 302
    consultation.refresh_from_db()
    assert consultation.answered_at is not None
    assert mailoutbox[-1].to == [owner.user.email]
    assert "57 %" in mailoutbox[-1].body
    # Answered: no more waiting question, and the thread's text is no longer shown.
    assert "Consultations (1)" not in client.get(reverse("wagtailadmin_home")).content.decode()
    assert "quel sera le montant" not in client.get(answer_url).content.decode()
    answered = client.get(reverse("inbox:consultations"), {"state": "answered"})
    assert "Mes droits ARE" in answered.content.decode()


def test_only_the_expert_opens_a_consultation(client, thread):
    expert = CounsellorFactory(agency=thread.agency)
    consultation = consultation_ask(
        thread=thread, expert=expert, by=thread.counsellor.user, question="?"
    )
    login(client, CounsellorFactory(agency=thread.agency))
    url = reverse("inbox:consultation_answer", args=[consultation.pk])
    assert client.get(url).status_code == 404
    assert client.post(url, {"answer": "moi"}).status_code == 404
    assert Consultation.objects.get().answered_at is None


def test_a_second_answer_is_refused(client, thread):
    expert = CounsellorFactory(agency=thread.agency)
    consultation = consultation_ask(
        thread=thread, expert=expert, by=thread.counsellor.user, question="?"
    )
    login(client, expert)
    url = reverse("inbox:consultation_answer", args=[consultation.pk])
    client.post(url, {"answer": "oui"})
    client.post(url, {"answer": "non"})
    assert Consultation.objects.get().answer == "oui"


def test_thread_actions_are_offered_to_who_may_write_only(rf, thread):
    [hook] = [fn for fn in hooks.get_hooks("inbox_thread_actions") if "delegation" in fn.__name__]
    request = rf.get("/")
    request.user = thread.counsellor.user
    labels = [str(action.label) for action in hook(request, thread)]
    assert labels == ["Transférer", "Consulter un expert"]
    request.user = CounsellorFactory(agency=thread.agency).user
    assert hook(request, thread) == []
    request.user = thread.counsellor.user
    thread.status = Thread.Status.CLOSED
    assert hook(request, thread) == []
    thread.status = Thread.Status.AWAITING_REPLY
    manager = CounsellorFactory(agency=thread.agency, user=UserFactory(role=roles.MANAGER))
    request.user = manager.user
    assert len(hook(request, thread)) == 2


def test_the_consultations_list_is_bounded_in_queries(
    client, thread, django_assert_max_num_queries
):
    expert = CounsellorFactory(agency=thread.agency)
    for _ in range(15):
        consultation_ask(thread=thread, expert=expert, by=thread.counsellor.user, question="?")
    login(client, expert)
    with django_assert_max_num_queries(20):
        response = client.get(reverse("inbox:consultations"))
    assert response.content.decode().count("Mes droits ARE") == 15
