"""French-aware search: accents and plurals, on SQLite and on PostgreSQL alike."""

import pytest
from django.urls import reverse

from answer_repository.search import search_text
from answer_repository.selectors import legal_pages_search, templates_search
from tests.factories import UserFactory

from .factories import MotifFactory, answer_template_create, legal_page_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def repository(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        motif = MotifFactory(code="form", name="Formation", keywords="stage, qualification")
        answer_template_create(
            title="Règlement intérieur de l'organisme", body="<p>Le règlement s'applique.</p>"
        )
        answer_template_create(
            title="Entrée en formation", body="<p>Votre formation commence.</p>", motifs=[motif]
        )
        answer_template_create(title="Aide au permis", body="<p>Auto-école.</p>")
        answer_template_create(
            title="Brouillon formation", body="<p>formation</p>", live=False, motifs=[motif]
        )
        legal_page_create(title="Règlement d'assurance chômage", reference="Décret, annexe A")


def _titles(results):
    return sorted(obj.title for obj in results)


def test_normalisation_folds_accents_and_plurals():
    assert search_text("Règlements Sociaux FORMATIONS") == "reglement social formation"


def test_query_without_accent_finds_the_accented_word(repository):
    assert _titles(templates_search("reglement")) == ["Règlement intérieur de l'organisme"]
    assert _titles(legal_pages_search("reglement")) == ["Règlement d'assurance chômage"]


def test_plural_query_finds_the_singular(repository):
    assert "Entrée en formation" in _titles(templates_search("formations"))
    assert _titles(templates_search("règlements")) == ["Règlement intérieur de l'organisme"]


def test_motif_keywords_are_searchable(repository):
    assert _titles(templates_search("stages")) == ["Brouillon formation", "Entrée en formation"]


def test_admin_listing_search_is_french_aware(client, repository):
    client.force_login(UserFactory(role="Éditeur de contenu"))
    response = client.get(
        reverse("wagtailsnippets_answer_repository_answertemplate:list"), {"q": "formations"}
    )
    content = response.content.decode()
    assert response.status_code == 200
    assert "Entrée en formation" in content and "Aide au permis" not in content


def test_chooser_search_is_french_aware_and_published_only(client, repository):
    client.force_login(UserFactory(role="Conseiller"))
    response = client.get(
        reverse("wagtailsnippetchoosers_answer_repository_answertemplate:choose_results"),
        {"q": "formations"},
    )
    content = response.content.decode()
    assert "Entrée en formation" in content and "Brouillon formation" not in content
