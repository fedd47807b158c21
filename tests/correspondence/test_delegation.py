"""Transfer to an expert and consultation of an expert (services)."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from backoffice.correspondence.models import Consultation, Thread, ThreadEvent, ThreadRead
from backoffice.correspondence.services.delegation import (
    consultation_answer,
    consultation_ask,
    consultation_thread_read_record,
    thread_transfer,
)
from backoffice.correspondence.services.reads import thread_read_record
from backoffice.organisation import access, roles
from tests.factories import AgencyFactory, CounsellorFactory, UserFactory

from .factories import ThreadFactory

pytestmark = pytest.mark.django_db

DUE = dt.datetime(2026, 11, 25, 15, tzinfo=dt.UTC)


@pytest.fixture
def thread():
    return ThreadFactory(status=Thread.Status.AWAITING_REPLY, due_at=DUE)


def manager_of(agency):
    return CounsellorFactory(agency=agency, user=UserFactory(role=roles.MANAGER))


def test_transfer_hands_the_thread_to_the_expert_and_logs_it(thread):
    owner = thread.counsellor
    expert = CounsellorFactory(agency=thread.agency)
    thread_transfer(thread=thread, to_counsellor=expert, by=owner.user, note="Question de droits")
    thread.refresh_from_db()
    assert thread.counsellor == expert
    assert thread.due_at == DUE  # the clock keeps running
    [event] = ThreadEvent.objects.filter(thread=thread)
    assert (event.kind, event.actor, event.from_counsellor, event.to_counsellor, event.note) == (
        ThreadEvent.Kind.TRANSFERRED,
        owner.user,
        owner,
        expert,
        "Question de droits",
    )
    assert access.can_write(expert.user, thread)
    assert not access.can_write(owner.user, thread)


def test_transfer_to_a_benefits_expert_of_another_agency_moves_the_agency_too(thread):
    other_agency = AgencyFactory(region=thread.agency.region)
    expert = CounsellorFactory(agency=other_agency, handles_benefits=True)
    thread_transfer(thread=thread, to_counsellor=expert, by=thread.counsellor.user, note="")
    thread.refresh_from_db()
    assert (thread.counsellor, thread.agency) == (expert, other_agency)
    assert access.can_read(expert.user, thread) and access.can_write(expert.user, thread)


def test_a_colleague_of_another_agency_without_speciality_is_no_expert(thread):
    stranger = CounsellorFactory(agency=AgencyFactory(region=thread.agency.region))
    with pytest.raises(ValidationError):
        thread_transfer(thread=thread, to_counsellor=stranger, by=thread.counsellor.user, note="")
    assert not ThreadEvent.objects.exists()


def test_only_who_may_write_the_thread_transfers_it(thread):
    colleague = CounsellorFactory(agency=thread.agency)
    expert = CounsellorFactory(agency=thread.agency)
    with pytest.raises(PermissionDenied):
        thread_transfer(thread=thread, to_counsellor=expert, by=colleague.user, note="")
    thread.refresh_from_db()
    assert thread.counsellor != expert


def test_the_agency_manager_may_transfer(thread):
    manager = manager_of(thread.agency)
    expert = CounsellorFactory(agency=thread.agency)
    thread_transfer(thread=thread, to_counsellor=expert, by=manager.user, note="")
    thread.refresh_from_db()
    assert thread.counsellor == expert


def test_transfer_notifies_the_expert_by_mail(
    thread, mailoutbox, django_capture_on_commit_callbacks
):
    expert = CounsellorFactory(agency=thread.agency)
    with django_capture_on_commit_callbacks(execute=True):
        thread_transfer(thread=thread, to_counsellor=expert, by=thread.counsellor.user, note="n")
    [mail] = mailoutbox
    assert mail.to == [expert.user.email]
    assert "transfère" in mail.body


def test_a_transferred_thread_no_longer_returns_after_an_absence(thread):
    absent = CounsellorFactory(agency=thread.agency)
    Thread.objects.filter(pk=thread.pk).update(delegated_from=absent)
    expert = CounsellorFactory(agency=thread.agency)
    thread = thread_transfer(
        thread=thread, to_counsellor=expert, by=thread.counsellor.user, note=""
    )
    assert thread.delegated_from is None


def test_consultation_round_trip(thread, mailoutbox, django_capture_on_commit_callbacks):
    owner = thread.counsellor
    expert = CounsellorFactory(agency=thread.agency, handles_benefits=True)
    with django_capture_on_commit_callbacks(execute=True):
        consultation = consultation_ask(
            thread=thread, expert=expert, by=owner.user, question="Quel taux d'ARE ?"
        )
    assert mailoutbox[-1].to == [expert.user.email]
    assert "Quel taux d'ARE ?" in mailoutbox[-1].body
    with django_capture_on_commit_callbacks(execute=True):
        consultation_answer(consultation=consultation, by=expert.user, answer="57 % du SJR.")
    consultation.refresh_from_db()
    thread.refresh_from_db()
    assert consultation.answer == "57 % du SJR." and consultation.answered_at is not None
    assert thread.counsellor == owner  # the counsellor keeps the thread
    assert mailoutbox[-1].to == [owner.user.email]
    assert "57 % du SJR." in mailoutbox[-1].body
    kinds = list(ThreadEvent.objects.filter(thread=thread).values_list("kind", "to_counsellor"))
    assert kinds == [
        (ThreadEvent.Kind.CONSULTED, expert.pk),
        (ThreadEvent.Kind.CONSULTATION_ANSWERED, owner.pk),
    ]


def test_only_the_expert_answers_and_only_once(thread):
    expert = CounsellorFactory(agency=thread.agency)
    consultation = consultation_ask(
        thread=thread, expert=expert, by=thread.counsellor.user, question="?"
    )
    with pytest.raises(PermissionDenied):
        consultation_answer(consultation=consultation, by=thread.counsellor.user, answer="moi")
    consultation_answer(consultation=consultation, by=expert.user, answer="oui")
    with pytest.raises(ValidationError):
        consultation_answer(consultation=consultation, by=expert.user, answer="encore")
    assert Consultation.objects.get().answer == "oui"


def test_a_colleague_who_may_not_write_cannot_ask(thread):
    colleague = CounsellorFactory(agency=thread.agency)
    expert = CounsellorFactory(agency=thread.agency)
    with pytest.raises(PermissionDenied):
        consultation_ask(thread=thread, expert=expert, by=colleague.user, question="?")
    assert not Consultation.objects.exists()


def test_nobody_consults_themselves(thread):
    with pytest.raises(ValidationError):
        consultation_ask(
            thread=thread, expert=thread.counsellor, by=thread.counsellor.user, question="?"
        )


def test_the_expert_reading_through_the_consultation_is_logged_inside_the_caseload(thread):
    expert = CounsellorFactory(agency=AgencyFactory(region=thread.agency.region))
    expert.handles_employers = True
    expert.save()
    consultation = consultation_ask(
        thread=thread, expert=expert, by=thread.counsellor.user, question="?"
    )
    consultation_thread_read_record(consultation=consultation, user=expert.user)
    read = ThreadRead.objects.get()
    assert (read.thread, read.user, read.outside_caseload) == (thread, expert.user, False)


def test_the_expert_opening_the_thread_page_is_logged_as_asked_while_the_consultation_is_open(
    thread,
):
    expert = CounsellorFactory(
        agency=AgencyFactory(region=thread.agency.region), handles_employers=True
    )
    consultation = consultation_ask(
        thread=thread, expert=expert, by=thread.counsellor.user, question="?"
    )
    thread_read_record(thread=thread, user=expert.user, via=ThreadRead.Via.LOOKUP)
    consultation_answer(consultation=consultation, by=expert.user, answer="oui")
    thread_read_record(thread=thread, user=expert.user, via=ThreadRead.Via.LOOKUP)
    reads = ThreadRead.objects.filter(user=expert.user).order_by("pk")
    assert [read.outside_caseload for read in reads] == [False, True]
