"""What each role may do on legal-text pages and templates (from the data migration)."""

import pytest

from answer_repository.selectors import templates_published
from answer_repository.services import legal_index_ensure
from tests.factories import UserFactory

from .factories import answer_template_create

pytestmark = pytest.mark.django_db


def test_editors_write_legal_pages_but_only_moderators_publish_them():
    index = legal_index_ensure()
    editor = UserFactory(role="Éditeur de contenu")
    moderator = UserFactory(role="Modérateur")
    counsellor = UserFactory(role="Conseiller")
    assert index.permissions_for_user(editor).can_add_subpage()
    assert not index.permissions_for_user(editor).can_publish_subpage()
    assert index.permissions_for_user(moderator).can_publish_subpage()
    assert not index.permissions_for_user(counsellor).can_add_subpage()
    assert index.get_workflow().name == "Validation des modèles de réponse"


def test_template_permissions_by_role():
    editor = UserFactory(role="Éditeur de contenu")
    moderator = UserFactory(role="Modérateur")
    counsellor = UserFactory(role="Conseiller")
    assert editor.has_perm("answer_repository.change_answertemplate")
    assert not editor.has_perm("answer_repository.publish_answertemplate")
    assert moderator.has_perm("answer_repository.publish_answertemplate")
    assert not counsellor.has_perm("answer_repository.view_answertemplate")


def test_published_templates_by_modality():
    every = answer_template_create(title="Toutes modalités")
    guided = answer_template_create(title="Guidé")
    guided.modalities = "GUIDE,RENFORCE"
    guided.save()
    titles = {t.title for t in templates_published(modality="RENFORCE")}
    assert titles == {every.title, guided.title}
    assert {t.title for t in templates_published(modality="SUIVI")} == {every.title}
