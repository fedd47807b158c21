"""[inbox] Proactive mail: one individual mail and thread per jobseeker, never a shared To."""

import pytest
from django.core.exceptions import PermissionDenied

from backoffice.correspondence.models import Message, Thread
from backoffice.correspondence.services.outgoing import proactive_queue
from backoffice.correspondence.subjects import token_from_subject
from tests.factories import AssignmentFactory, CounsellorFactory, JobseekerFactory

pytestmark = pytest.mark.django_db


def caseload(counsellor, emails):
    return [
        AssignmentFactory(counsellor=counsellor, jobseeker=JobseekerFactory(email=email)).jobseeker
        for email in emails
    ]


def test_each_recipient_gets_an_individual_mail_and_thread_and_invalid_ones_are_listed(
    smtp_server, django_capture_on_commit_callbacks
):
    counsellor = CounsellorFactory()
    jobseekers = caseload(
        counsellor,
        ["a@example.org", "b@example.org", "c@example.org", "", "d@nowhere.invalid"],
    )
    with django_capture_on_commit_callbacks(execute=True):
        result = proactive_queue(
            author=counsellor.user,
            jobseekers=jobseekers,
            subject="Atelier CV jeudi",
            body_html="<p>Bonjour,</p><p>Un atelier CV a lieu jeudi.</p>",
            idempotency_key="workshop",
        )
    assert sorted(j.email for j in result.skipped) == ["", "d@nowhere.invalid"]
    assert len(result.messages) == 3
    envelopes = smtp_server.envelopes
    assert sorted(e.rcpt_tos[0] for e in envelopes) == [
        "a@example.org",
        "b@example.org",
        "c@example.org",
    ]
    assert all(len(e.rcpt_tos) == 1 for e in envelopes)
    for mail in smtp_server.messages():
        assert len(mail["To"].addresses) == 1 and mail["Cc"] is None and mail["Bcc"] is None
        assert mail["In-Reply-To"] is None
        assert mail["Subject"].startswith("Atelier CV jeudi [#")
    threads = Thread.objects.filter(counsellor=counsellor)
    assert threads.count() == 3
    assert {t.jobseeker.email for t in threads} == {
        "a@example.org",
        "b@example.org",
        "c@example.org",
    }
    for message in result.messages:
        message.refresh_from_db()
        assert message.send_state == Message.SendState.SENT
        assert token_from_subject(message.subject) == message.thread.token


def test_the_same_proactive_form_twice_sends_each_mail_once(
    smtp_server, django_capture_on_commit_callbacks
):
    counsellor = CounsellorFactory()
    jobseekers = caseload(counsellor, ["a@example.org", "b@example.org"])
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            result = proactive_queue(
                author=counsellor.user,
                jobseekers=jobseekers,
                subject="Atelier",
                body_html="<p>Bonjour</p>",
                idempotency_key="twice",
            )
        assert len(result.messages) == 2
    assert len(smtp_server.envelopes) == 2
    assert Thread.objects.count() == 2


def test_a_jobseeker_of_another_caseload_is_refused():
    counsellor = CounsellorFactory()
    mine = caseload(counsellor, ["a@example.org"])
    other = AssignmentFactory(counsellor=CounsellorFactory(agency=counsellor.agency)).jobseeker
    with pytest.raises(PermissionDenied):
        proactive_queue(
            author=counsellor.user,
            jobseekers=[*mine, other],
            subject="Atelier",
            body_html="<p>Bonjour</p>",
            idempotency_key="k",
        )
    assert not Message.objects.exists()
