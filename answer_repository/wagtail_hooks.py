from django.urls import include, path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.snippets.models import register_snippet

from answer_repository.viewsets import (
    AnswerRepositoryGroup,
    ExpiredLegalTextsReportView,
    TemplatesAttentionReportView,
)

register_snippet(AnswerRepositoryGroup)

_report_urls = [
    path("modeles-a-revoir/", TemplatesAttentionReportView.as_view(), name="templates_attention"),
    path(
        "modeles-a-revoir/resultats/",
        TemplatesAttentionReportView.as_view(results_only=True),
        name="templates_attention_results",
    ),
    path("textes-expires/", ExpiredLegalTextsReportView.as_view(), name="legal_expired"),
    path(
        "textes-expires/resultats/",
        ExpiredLegalTextsReportView.as_view(results_only=True),
        name="legal_expired_results",
    ),
]


@hooks.register("register_admin_urls")
def register_report_urls():
    return [
        path(
            "referentiel/rapports/",
            include(
                (_report_urls, "answer_repository_reports"), namespace="answer_repository_reports"
            ),
        )
    ]


class _EditorsMenuItem(MenuItem):
    def is_shown(self, request):
        return request.user.has_perm("answer_repository.change_answertemplate")


@hooks.register("register_reports_menu_item")
def register_templates_attention_menu_item():
    return _EditorsMenuItem(
        _("Modèles à revoir"),
        reverse("answer_repository_reports:templates_attention"),
        name="answer-templates-attention",
        icon_name="warning",
        order=1100,
    )


@hooks.register("register_reports_menu_item")
def register_legal_expired_menu_item():
    return _EditorsMenuItem(
        _("Textes juridiques expirés"),
        reverse("answer_repository_reports:legal_expired"),
        name="answer-legal-expired",
        icon_name="warning",
        order=1110,
    )
