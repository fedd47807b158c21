"""The demo loader publishes through the workflow and can run again (used by load_demo_data)."""

import io

import pytest
from wagtail.models import Site, WorkflowState

from answer_repository.demo import load_demo_content
from answer_repository.models import AnswerTemplate, LegalIndexPage, LegalTextPage, Motif

pytestmark = pytest.mark.django_db


def test_load_demo_content_publishes_through_the_workflow_and_is_idempotent():
    out = io.StringIO()
    load_demo_content(stdout=out)
    load_demo_content(stdout=out)

    assert Motif.objects.filter(parent=None).count() == 7
    assert Motif.objects.count() == 24
    assert AnswerTemplate.objects.filter(live=True).count() == AnswerTemplate.objects.count() >= 40
    assert LegalTextPage.objects.live().count() >= 15
    index = LegalIndexPage.objects.get()
    assert index.get_parent().pk == Site.objects.get(is_default_site=True).root_page_id
    approved = WorkflowState.objects.filter(status=WorkflowState.STATUS_APPROVED)
    assert approved.count() == AnswerTemplate.objects.count() + LegalTextPage.objects.count()
    assert "0 créés" in out.getvalue()
    # Every demo template passes the placeholder validation.
    for template in AnswerTemplate.objects.all():
        template.full_clean()
