"""The mailbox screens: the national administrator's alone; list, create, edit, poll now."""

import pytest
from django.urls import reverse
from django_mailbox.models import Mailbox

from backoffice.correspondence.models import RawMail
from backoffice.organisation import roles
from mailbox_sync.models import MailboxState
from mailbox_sync.services import mailbox_add
from tests.factories import AgencyFactory, CounsellorFactory, UserFactory

from .mailgen import mail_generate, maildir_files, maildir_write


@pytest.fixture
def national_admin():
    return UserFactory(role=roles.NATIONAL_ADMIN)


@pytest.fixture
def mailbox(agency):
    mailbox = mailbox_add(
        name="Belleville IMAP", uri="imap://agence:s3cret@imap.example:143", agency=agency
    )
    MailboxState.objects.filter(mailbox=mailbox).update(
        last_fetched=12, last_stored=10, last_duplicates=2, last_error="FetchError: IMAP login"
    )
    return mailbox


@pytest.mark.django_db
def test_national_admin_sees_last_poll_counts_and_error_but_never_the_password(
    client, national_admin, mailbox
):
    client.force_login(national_admin)

    response = client.get(reverse("mailboxes:index"))

    assert response.status_code == 200
    page = response.content.decode()
    assert "Belleville IMAP" in page
    assert "12 relevés, 10 enregistrés, 2 doublons" in page
    assert "FetchError: IMAP login" in page
    assert "s3cret" not in page
    assert reverse("mailboxes:poll", args=[mailbox.pk]) in page


@pytest.mark.django_db
@pytest.mark.parametrize("role", [roles.MANAGER, roles.COUNSELLOR])
def test_staff_of_an_agency_cannot_reach_the_mailboxes(client, mailbox, role):
    user = CounsellorFactory(agency=mailbox.sync_state.agency, user__role=role).user
    client.force_login(user)

    for url in (
        reverse("mailboxes:index"),
        reverse("mailboxes:edit", args=[mailbox.pk]),
        reverse("mailboxes:poll", args=[mailbox.pk]),
    ):
        response = client.get(url)
        assert response.status_code in (302, 403), url
        assert b"Belleville IMAP" not in response.content
    assert client.post(reverse("mailboxes:poll", args=[mailbox.pk])).status_code in (302, 403)


@pytest.mark.django_db
def test_national_admin_adds_a_mailbox_with_its_triage_agency(client, national_admin, tmp_path):
    agency = AgencyFactory(code="13001")
    client.force_login(national_admin)

    response = client.post(
        reverse("mailboxes:add"),
        {"name": "Marseille", "uri": f"maildir://{tmp_path}", "active": "on", "agency": agency.pk},
    )

    assert response.status_code == 302
    mailbox = Mailbox.objects.get(name="Marseille")
    assert mailbox.sync_state.agency == agency


@pytest.mark.django_db
def test_add_form_refuses_a_uri_our_poller_cannot_read(client, national_admin, agency):
    client.force_login(national_admin)

    response = client.post(
        reverse("mailboxes:add"),
        {"name": "POP", "uri": "pop3://u:p@host", "active": "on", "agency": agency.pk},
    )

    assert response.status_code == 200
    assert "non pris en charge" in response.content.decode()
    assert not Mailbox.objects.filter(name="POP").exists()


@pytest.mark.django_db
def test_changing_the_uri_restarts_the_imap_cursor(client, national_admin, mailbox):
    MailboxState.objects.filter(mailbox=mailbox).update(imap_uidvalidity=7, imap_last_uid=42)
    other = AgencyFactory(code="69001")
    client.force_login(national_admin)

    response = client.post(
        reverse("mailboxes:edit", args=[mailbox.pk]),
        {"name": mailbox.name, "uri": "imap+ssl://agence:s3cret@imap2.example", "agency": other.pk},
    )

    assert response.status_code == 302
    state = MailboxState.objects.get(mailbox=mailbox)
    assert (state.agency, state.imap_uidvalidity, state.imap_last_uid) == (other, None, 0)
    assert not Mailbox.objects.get(pk=mailbox.pk).active


@pytest.mark.django_db
def test_poll_now_queues_the_poll_for_after_the_commit(
    client, national_admin, agency, tmp_path, django_capture_on_commit_callbacks
):
    root = maildir_write(tmp_path / "Maildir", [mail_generate(1, to="x@mailnet.test")])
    mailbox = mailbox_add(name="Demo", uri=f"maildir://{root}", agency=agency)
    client.force_login(national_admin)

    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(reverse("mailboxes:poll", args=[mailbox.pk]))

    assert response.status_code == 302
    assert len(callbacks) == 1
    assert len(maildir_files(root)) == 1  # nothing happens before the commit


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_poll_now_polls_the_mailbox(client, agency, counsellor, tmp_path):
    admin = UserFactory(role=roles.NATIONAL_ADMIN)
    root = maildir_write(
        tmp_path / "Maildir", [mail_generate(i, to=counsellor.public_address) for i in range(3)]
    )
    mailbox = mailbox_add(name="Demo", uri=f"maildir://{root}", agency=agency)
    client.force_login(admin)

    response = client.post(reverse("mailboxes:poll", args=[mailbox.pk]), follow=True)

    assert "La relève de « Demo » est lancée" in response.content.decode()
    assert RawMail.objects.count() == 3  # the test settings run django-q2 tasks at once
    assert maildir_files(root) == []
    assert MailboxState.objects.get(mailbox=mailbox).last_stored == 3


@pytest.mark.django_db
def test_screens_speak_french(client, national_admin, mailbox):
    client.force_login(national_admin)

    for url in (
        reverse("mailboxes:index"),
        reverse("mailboxes:add"),
        reverse("mailboxes:edit", args=[mailbox.pk]),
        reverse("mailboxes:poll", args=[mailbox.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        page = response.content.decode()
        assert "Boîtes relevées" in page or "Relever maintenant" in page
        assert "Mailboxes" not in page


@pytest.mark.django_db
def test_settings_menu_offers_the_mailboxes_to_the_national_admin_only(client, national_admin):
    manager = CounsellorFactory(user__role=roles.MANAGER).user
    index = reverse("mailboxes:index")

    client.force_login(national_admin)
    assert index in client.get(reverse("wagtailadmin_home")).content.decode()
    client.force_login(manager)
    assert index not in client.get(reverse("wagtailadmin_home")).content.decode()
