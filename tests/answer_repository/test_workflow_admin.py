"""Workflow and permissions through the admin: editors submit, moderators approve,
counsellors only ever reach published templates (through the chooser)."""

import pytest
from django.urls import reverse
from wagtail.models import WorkflowState
from wagtail.test.utils.form_data import rich_text

from answer_repository.models import AnswerTemplate
from tests.factories import UserFactory

from .factories import MotifFactory, answer_template_create

pytestmark = pytest.mark.django_db

EDITOR = "Éditeur de contenu"
MODERATOR = "Modérateur"
COUNSELLOR = "Conseiller"
SNIPPET = "wagtailsnippets_answer_repository_answertemplate"
CHOOSER = "wagtailsnippetchoosers_answer_repository_answertemplate"


@pytest.fixture
def motif():
    return MotifFactory(code="rdv", name="Rendez-vous")


def _login(client, role):
    user = UserFactory(role=role)
    client.force_login(user)
    return user


def _form(template_or_none, motif, **overrides):
    data = {
        "title": "Confirmation de rendez-vous",
        "code": "rdv-confirmation",
        "motifs": [motif.pk],
        "audience": "jobseeker",
        "modality_choices": ["GUIDE", "RENFORCE"],
        "body": rich_text("<p>Bonjour {{ prenom }}, rendez-vous le {{ date_rdv }}.</p>"),
        "keywords": "",
        "review_by": "",
    }
    data.update(overrides)
    return data


def test_editor_creates_a_draft_and_cannot_publish(client, motif):
    _login(client, EDITOR)
    response = client.post(reverse(f"{SNIPPET}:add"), _form(None, motif, **{"action-publish": "1"}))
    assert response.status_code in (200, 302)
    template = AnswerTemplate.objects.get(code="rdv-confirmation")
    assert not template.live
    assert template.modality_codes == ["GUIDE", "RENFORCE"]
    edit = client.get(reverse(f"{SNIPPET}:edit", args=[template.pk]))
    assert edit.status_code == 200
    assert b'name="action-publish"' not in edit.content
    assert b'name="action-submit"' in edit.content


def test_unknown_placeholder_is_refused_in_the_admin_form(client, motif):
    _login(client, EDITOR)
    body = rich_text("<p>Bonjour {{ prenom }}, à {{ ville }}.</p>")
    response = client.post(reverse(f"{SNIPPET}:add"), _form(None, motif, body=body))
    assert response.status_code == 200
    assert "Champ inconnu « {{ ville }} »" in response.content.decode()
    assert not AnswerTemplate.objects.exists()


def test_editor_submits_and_moderator_approves_which_publishes(client, motif):
    _login(client, EDITOR)
    client.post(reverse(f"{SNIPPET}:add"), _form(None, motif, **{"action-submit": "1"}))
    template = AnswerTemplate.objects.get(code="rdv-confirmation")
    state = WorkflowState.objects.for_instance(template).get()
    assert state.status == WorkflowState.STATUS_IN_PROGRESS
    assert not template.live

    # The editor cannot approve their own submission.
    task_state = state.current_task_state
    url = reverse(f"{SNIPPET}:workflow_action", args=[template.pk, "approve", task_state.pk])
    client.post(url, {"comment": ""})
    template.refresh_from_db()
    assert not template.live

    _login(client, MODERATOR)
    response = client.post(url, {"comment": "Validé"})
    assert response.status_code in (200, 302)
    template.refresh_from_db()
    state.refresh_from_db()
    assert template.live
    assert state.status == WorkflowState.STATUS_APPROVED


def test_counsellor_never_reaches_the_listing_nor_a_draft(client, motif):
    draft = answer_template_create(title="Brouillon secret", live=False, motifs=[motif])
    _login(client, COUNSELLOR)
    assert client.get(reverse(f"{SNIPPET}:list")).status_code in (302, 403)
    assert client.get(reverse(f"{SNIPPET}:edit", args=[draft.pk])).status_code in (302, 403)
    assert client.get(reverse(f"{CHOOSER}:chosen", args=[draft.pk])).status_code == 404


def test_chooser_offers_only_published_templates_filtered_by_motif_and_audience(client, motif):
    other = MotifFactory(code="form", name="Formation")
    answer_template_create(title="Publié rendez-vous", motifs=[motif])
    answer_template_create(title="Publié formation", motifs=[other])
    answer_template_create(title="Publié employeur", motifs=[motif], audience="employer")
    answer_template_create(title="Brouillon rendez-vous", motifs=[motif], live=False)
    with_draft = answer_template_create(title="Publié puis modifié", motifs=[motif])
    with_draft.title = "Titre du brouillon"
    with_draft.save_revision()

    _login(client, COUNSELLOR)
    response = client.get(reverse(f"{CHOOSER}:choose_results"))
    content = response.content.decode()
    assert response.status_code == 200
    assert "Publié rendez-vous" in content and "Publié formation" in content
    assert "Brouillon rendez-vous" not in content
    assert "Publié puis modifié" in content and "Titre du brouillon" not in content

    response = client.get(
        reverse(f"{CHOOSER}:choose_results"), {"motif": motif.pk, "audience": "jobseeker"}
    )
    content = response.content.decode()
    assert "Publié rendez-vous" in content
    assert "Publié formation" not in content and "Publié employeur" not in content

    modal = client.get(reverse(f"{CHOOSER}:choose"), {"motif": motif.pk})
    assert modal.status_code == 200
    html = modal.json()["html"]
    assert "Publié rendez-vous" in html and "Brouillon rendez-vous" not in html
    assert "Publié formation" not in html

    chosen = client.get(reverse(f"{CHOOSER}:chosen", args=[with_draft.pk])).json()
    assert chosen["result"]["string"] == "Publié puis modifié"


def test_revisions_can_be_compared_and_restored(client, motif):
    editor = _login(client, EDITOR)
    template = answer_template_create(
        body="<p>Première version</p>", motifs=[motif], user=editor, live=False
    )
    first = template.latest_revision
    template.body = "<p>Deuxième version</p>"
    template.save_revision(user=editor)
    second = template.latest_revision

    compare = client.get(
        reverse(f"{SNIPPET}:revisions_compare", args=[template.pk, first.pk, second.pk])
    )
    assert compare.status_code == 200
    content = compare.content.decode()
    assert '<span class="deletion">Première</span>' in content
    assert '<span class="addition">Deuxième</span>' in content

    revert_url = reverse(f"{SNIPPET}:revisions_revert", args=[template.pk, first.pk])
    page = client.get(revert_url)
    assert page.status_code == 200
    assert "Première version" in page.context["form"].instance.body
    client.post(
        revert_url,
        _form(template, motif, code=template.code, body=rich_text("<p>Première version</p>")),
    )
    template.refresh_from_db()
    latest = template.latest_revision.as_object()
    assert "Première version" in latest.body
    assert template.revisions.count() == 3


def test_chooser_results_cost_the_same_few_queries_whatever_the_number_of_rows(
    client, motif, django_assert_max_num_queries
):
    for n in range(12):
        answer_template_create(title=f"Modèle {n}", motifs=[motif])
    _login(client, COUNSELLOR)
    url = reverse(f"{CHOOSER}:choose_results")
    client.get(url)
    with django_assert_max_num_queries(10):
        response = client.get(url, {"motif": motif.pk})
    assert "12 modèles de réponse" in response.content.decode()
