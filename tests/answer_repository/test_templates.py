"""Reply templates: validation on save, rendering of the published version, legal texts."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from answer_repository.models import AnswerTemplate
from answer_repository.rendering import TemplateNotPublished, template_render

from .factories import answer_template_create, legal_page_create

pytestmark = pytest.mark.django_db

FULL_CONTEXT = {
    "prenom": "Léa",
    "nom": "Martin",
    "identifiant": "1234567A",
    "conseiller": "Paul Durand",
    "agence": "Lyon Part-Dieu",
    "date_rdv": "mardi 3 mars à 10 h",
}


def test_unknown_placeholder_refuses_the_save_naming_it_and_its_position():
    template = AnswerTemplate(
        code="x", title="Titre", body="<p>Bonjour {{ prenom }},</p><p>Le {{ date_rendezvous }}</p>"
    )
    with pytest.raises(ValidationError) as error:
        template.full_clean()
    [message] = error.value.message_dict["body"]
    assert "date_rendezvous" in message and "ligne 3" in message


def test_render_returns_text_and_html_with_the_data_escaped_in_html():
    template = answer_template_create()
    rendered = template_render(template=template, context={**FULL_CONTEXT, "prenom": "<script>"})
    assert rendered.text == "Bonjour <script>,\n\nRendez-vous le mardi 3 mars à 10 h."
    assert "&lt;script&gt;" in rendered.html and "<script>" not in rendered.html
    assert rendered.is_complete


def test_render_shows_missing_values_as_gaps():
    template = answer_template_create()
    rendered = template_render(template=template, context={"prenom": "Léa", "date_rdv": None})
    assert "[[À COMPLÉTER : date_rdv]]" in rendered.text
    assert 'data-placeholder="date_rdv"' in rendered.html
    assert rendered.gaps == ["date_rdv"]


def test_render_uses_the_published_version_not_a_later_draft():
    template = answer_template_create(body="<p>Version publiée</p>")
    template.body = "<p>Brouillon non validé</p>"
    template.save_revision()
    template = AnswerTemplate.objects.get(pk=template.pk)
    assert template.has_unpublished_changes
    assert template_render(template=template, context={}).text == "Version publiée"


def test_a_never_published_template_cannot_be_rendered():
    draft = answer_template_create(live=False)
    with pytest.raises(TemplateNotPublished):
        template_render(template=draft, context=FULL_CONTEXT)


def test_expired_legal_texts_are_flagged_on_the_templates_that_link_them():
    current = legal_page_create(title="En vigueur")
    expired = legal_page_create(title="Ancien règlement", effective_to=datetime.date(2024, 12, 31))
    template = answer_template_create(legal_pages=[current, expired])
    rendered = template_render(template=template, context=FULL_CONTEXT)
    assert [p.title for p in rendered.legal_pages] == ["Ancien règlement", "En vigueur"]
    assert rendered.expired_legal_pages == [expired]
    assert template.expired_legal_pages() == [expired]


def test_preview_shows_sample_values_gaps_and_expired_texts(rf):
    expired = legal_page_create(title="Ancien règlement", effective_to=datetime.date(2024, 12, 31))
    template = answer_template_create(legal_pages=[expired])
    request = rf.get("/")
    request.user = None
    response = template.serve_preview(request, template.default_preview_mode)
    content = response.rendered_content if hasattr(response, "rendered_content") else ""
    content = content or response.content.decode()
    assert "‹Prénom du correspondant›" in content
    assert "[[À COMPLÉTER : date_rdv]]" in content
    assert "Texte expiré" in content


def test_expired_legal_page_says_so_to_its_reader(client):
    page = legal_page_create(title="Ancien règlement", effective_to=datetime.date(2024, 12, 31))
    response = client.get(page.get_url())
    assert response.status_code == 200
    assert "plus en vigueur depuis le 31 décembre 2024" in response.content.decode()
