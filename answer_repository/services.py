"""Writes of the answer repository that other packages call."""

import datetime

from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.utils import timezone
from wagtail.models import GroupPagePermission, Page, Site, Workflow, WorkflowPage

from answer_repository.models import AnswerTemplate, LegalIndexPage, TemplateUsage


@transaction.atomic
def template_usage_record(
    *, template: AnswerTemplate, used_at: datetime.datetime | None = None
) -> TemplateUsage:
    """Records that a counsellor used `template` in a reply (called by the reply screen).

    Feeds the usage count, the last use and the "never used" report.
    """
    return TemplateUsage.objects.create(template=template, used_at=used_at or timezone.now())


EDITOR_GROUP = "Éditeur de contenu"
MODERATOR_GROUP = "Modérateur"
WORKFLOW_NAME = "Validation des modèles de réponse"
EDITOR_PAGE_ACTIONS = ["add_page", "change_page"]
MODERATOR_PAGE_ACTIONS = ["add_page", "change_page", "publish_page", "lock_page", "unlock_page"]


@transaction.atomic
def legal_index_ensure(*, title: str = "Textes juridiques") -> LegalIndexPage:
    """Returns the legal-text index, creating it under the default site's root page.

    Also grants editors (add, change) and moderators (add, change, publish) their page
    permissions on it and puts its pages under the repository's approval workflow.
    """
    index = LegalIndexPage.objects.first()
    if index is None:
        site = Site.objects.filter(is_default_site=True).select_related("root_page").first()
        root = site.root_page if site else Page.get_first_root_node()
        index = root.add_child(
            instance=LegalIndexPage(
                title=title,
                slug="textes-juridiques",
                intro="Les textes juridiques que les conseillers joignent à leurs réponses.",
            )
        )
    for group_name, codenames in (
        (EDITOR_GROUP, EDITOR_PAGE_ACTIONS),
        (MODERATOR_GROUP, MODERATOR_PAGE_ACTIONS),
    ):
        group, _created = Group.objects.get_or_create(name=group_name)
        for permission in Permission.objects.filter(
            content_type__app_label="wagtailcore", codename__in=codenames
        ):
            GroupPagePermission.objects.get_or_create(
                group=group, page=index, permission=permission
            )
    workflow = Workflow.objects.filter(name=WORKFLOW_NAME).first()
    if workflow is not None:
        WorkflowPage.objects.update_or_create(page=index, defaults={"workflow": workflow})
    return index
