"""Usage counts, the "templates to review" report and the expired legal texts report."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from answer_repository.selectors import (
    legal_pages_expired,
    templates_needing_attention,
    templates_with_usage,
)
from answer_repository.services import template_usage_record
from tests.factories import UserFactory

from .factories import answer_template_create, legal_page_create

pytestmark = pytest.mark.django_db

EXPIRED_ON = datetime.date(2024, 12, 31)


@pytest.fixture
def templates():
    expired = legal_page_create(title="Ancien règlement", effective_to=EXPIRED_ON)
    current = legal_page_create(title="Texte en vigueur")
    used = answer_template_create(title="Utilisé", legal_pages=[current])
    never = answer_template_create(title="Jamais utilisé")
    due = answer_template_create(title="À revoir", review_by=timezone.localdate())
    stale = answer_template_create(title="Cite un texte expiré", legal_pages=[expired])
    for template in (used, due, stale):
        template_usage_record(template=template)
    return {"used": used, "never": never, "due": due, "stale": stale, "expired": expired}


def test_usage_count_and_last_use(templates):
    when = timezone.now() + datetime.timedelta(hours=1)
    template_usage_record(template=templates["used"], used_at=when)
    row = templates_with_usage().get(pk=templates["used"].pk)
    assert row.usage_count == 2
    assert row.last_used_at == when


def test_attention_lists_never_used_due_for_review_and_expired_links(templates):
    rows = {t.title: t for t in templates_needing_attention()}
    assert set(rows) == {"Jamais utilisé", "À revoir", "Cite un texte expiré"}
    assert rows["Jamais utilisé"].usage_count == 0
    assert rows["À revoir"].due_for_review
    assert rows["Cite un texte expiré"].links_expired


def test_expired_legal_texts_with_the_number_of_templates_citing_them(templates):
    [page] = legal_pages_expired()
    assert page.title == "Ancien règlement" and page.template_count == 1


def test_report_screens_for_editors_and_not_for_counsellors(client, templates):
    client.force_login(UserFactory(role="Éditeur de contenu"))
    response = client.get(reverse("answer_repository_reports:templates_attention"))
    assert response.status_code == 200
    assert "Jamais utilisé" in response.content.decode()
    assert "Utilisé<" not in response.content.decode()
    response = client.get(reverse("answer_repository_reports:legal_expired"))
    assert response.status_code == 200 and "Ancien règlement" in response.content.decode()
    export = client.get(reverse("answer_repository_reports:templates_attention"), {"export": "csv"})
    assert export.status_code == 200
    assert "Jamais utilisé" in b"".join(export.streaming_content).decode()

    client.force_login(UserFactory(role="Conseiller"))
    response = client.get(reverse("answer_repository_reports:templates_attention"))
    assert response.status_code in (302, 403)


def test_template_listing_shows_usage_count(client, templates):
    client.force_login(UserFactory(role="Modérateur"))
    response = client.get(reverse("wagtailsnippets_answer_repository_answertemplate:list"))
    assert response.status_code == 200
    content = response.content.decode()
    assert "Utilisations" in content and "Cite un texte expiré" in content


def test_editing_a_template_that_cites_an_expired_text_warns_the_editor(client, templates):
    client.force_login(UserFactory(role="Éditeur de contenu"))
    url = reverse(
        "wagtailsnippets_answer_repository_answertemplate:edit", args=[templates["stale"].pk]
    )
    content = client.get(url).content.decode()
    assert "n&#x27;est plus en vigueur : Ancien règlement" in content
