"""[inbox] In Chromium: a counsellor logs in, opens their inbox, opens a thread, answers it
with a suggested template, types a line, previews, sends; the mail reaches a real SMTP
server."""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from backoffice.correspondence.models import Message
from inbox.views.compose import thread_url
from tests.answer_repository.factories import answer_template_create
from tests.correspondence.outgoing_helpers import thread_from_jobseeker


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_counsellor_answers_with_a_suggested_template_and_the_mail_leaves(
    page, live_server, smtp_server, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path / "media"
    thread = thread_from_jobseeker()
    template = answer_template_create(
        title="Suivi de votre inscription",
        body="<p>Bonjour {{ prenom }},</p><p>Votre inscription est bien enregistrée.</p>",
        keywords="inscription",
    )
    answer_template_create(
        title="Attestation employeur", body="<p>Bonjour {{ prenom }}.</p>", keywords="attestation"
    )
    user = thread.counsellor.user

    page.goto(live_server.url + reverse("wagtailadmin_login"))
    page.fill("#id_username", user.username)
    page.fill("#id_password", "correct-horse-battery")
    page.locator("button[type=submit]").click()
    page.wait_for_url(f"{live_server.url}/admin/")

    page.goto(live_server.url + reverse("inbox:index"))
    page.get_by_role("link", name="Question sur mon inscription").click()
    page.wait_for_url(re.compile(re.escape(reverse("inbox:thread", args=[thread.pk]))))
    page.get_by_test_id("thread-actions").get_by_role("link", name="Répondre").click()
    page.wait_for_url(re.compile(re.escape(reverse("inbox:reply", args=[thread.pk]))))
    suggestion = page.get_by_test_id("suggestion").first
    expect(suggestion).to_have_text(template.title)
    suggestion.click()
    expect(page.get_by_test_id("chosen-template")).to_contain_text(template.title)
    editor = page.locator(".public-DraftEditor-content").first
    expect(editor).to_contain_text(f"Bonjour {thread.jobseeker.first_name},")
    editor.click()
    page.keyboard.press("Control+End")
    page.keyboard.press("Enter")
    page.keyboard.type("Bonne journée.")
    expect(page.locator("input[name='body']")).to_have_value(re.compile("Bonne journ"))
    page.get_by_role("button", name="Prévisualiser").click()

    expect(page.get_by_test_id("preview-subject")).to_have_text(
        f"Re: Question sur mon inscription [#{thread.token}]"
    )
    expect(page.get_by_test_id("preview-from")).to_contain_text(thread.counsellor.public_address)
    preview = page.frame_locator("iframe.mail-html")
    expect(preview.locator("body")).to_contain_text("Votre inscription est bien enregistrée.")
    page.get_by_test_id("send").dblclick()  # a double click sends once
    page.wait_for_url(f"**{thread_url(thread.pk)}")

    messages = smtp_server.messages()
    assert len(messages) == 1
    mail = messages[0]
    assert mail["Subject"] == f"Re: Question sur mon inscription [#{thread.token}]"
    text = mail.get_body(("plain",)).get_content()
    assert f"Bonjour {thread.jobseeker.first_name}," in text and "Bonne journée." in text
    sent = Message.objects.get(direction=Message.Direction.OUTGOING)
    assert sent.send_state == Message.SendState.SENT
    assert template.usages.count() == 1
