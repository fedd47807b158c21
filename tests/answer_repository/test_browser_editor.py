"""In Chromium: an editor types a template in Draftail; an unknown placeholder is refused
with its name, a valid one is saved as a draft awaiting a moderator."""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from answer_repository.models import AnswerTemplate
from tests.factories import UserFactory

from .factories import MotifFactory

ADD = "wagtailsnippets_answer_repository_answertemplate:add"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_editor_writes_a_template_in_the_rich_text_editor(page, live_server, client):
    motif = MotifFactory(code="rdv", name="Rendez-vous")
    client.force_login(UserFactory(role="Éditeur de contenu"))
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )
    page.goto(live_server.url + reverse(ADD))
    page.fill("#id_title", "Confirmation de rendez-vous")
    page.fill("#id_code", "rdv-confirmation")
    page.check(f"input[name='motifs'][value='{motif.pk}']")
    editor = page.locator(".public-DraftEditor-content").first
    editor.click()
    page.keyboard.type("Bonjour {{ prenom }}, rendez-vous à {{ ville }}.")
    # Draftail mirrors its content into the hidden input the form posts.
    expect(page.locator("input[name='body']")).to_have_value(re.compile(r"ville"))
    page.locator("button.action-save").first.click()

    expect(page.get_by_text("Champ inconnu « {{ ville }} »", exact=False)).to_be_visible()
    assert not AnswerTemplate.objects.exists()

    editor = page.locator(".public-DraftEditor-content").first
    editor.click()
    page.keyboard.press("End")
    for _ in range(len("{{ ville }}.")):
        page.keyboard.press("Backspace")
    page.keyboard.type("{{ agence }}.")
    expect(page.locator("input[name='body']")).to_have_value(re.compile(r"agence"))
    page.locator("button.action-save").first.click()
    page.wait_for_url("**/edit/**")
    template = AnswerTemplate.objects.get(code="rdv-confirmation")
    assert not template.live
    assert "{{ agence }}" in template.get_latest_revision_as_object().body
