"""Admin screens of the answer repository: snippets, chooser and reports."""

import django_filters
from django import forms
from django.contrib import messages
from django.contrib.admin.utils import quote
from django.http import Http404
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.forms.choosers import BaseFilterForm
from wagtail.admin.ui.tables import BooleanColumn, Column, DateColumn, TitleColumn
from wagtail.admin.views.reports import ReportView
from wagtail.permission_policies import ModelPermissionPolicy
from wagtail.snippets.views.chooser import (
    ChooseResultsView,
    ChooseView,
    SnippetChooserViewSet,
    SnippetChosenView,
)
from wagtail.snippets.views.snippets import (
    EditView,
    IndexView,
    SnippetViewSet,
    SnippetViewSetGroup,
)

from answer_repository.models import AnswerTemplate, Audience, Modality, Motif
from answer_repository.selectors import (
    legal_links_expired_exists,
    legal_pages_expired,
    modality_q,
    templates_needing_attention,
    templates_search,
    templates_with_usage,
)


def _day(obj) -> str:
    return date_format(obj.review_by, "SHORT_DATE_FORMAT") if obj.review_by else ""


def _effective_to(page) -> str:
    return date_format(page.effective_to, "SHORT_DATE_FORMAT") if page.effective_to else ""


# --- Motifs -------------------------------------------------------------------------------


class MotifViewSet(SnippetViewSet):
    model = Motif
    icon = "tag"
    menu_label = _("Motifs")
    list_display = ["__str__", "code", "keywords"]
    ordering = ["parent__name", "name"]


# --- Templates ----------------------------------------------------------------------------


class AnswerTemplateFilterSet(WagtailFilterSet):
    motifs = django_filters.ModelChoiceFilter(
        label=_("Motif"), queryset=Motif.objects.all(), method="filter_motif"
    )
    audience = django_filters.ChoiceFilter(label=_("Public"), choices=Audience.choices)

    class Meta:
        model = AnswerTemplate
        fields = ["audience", "motifs", "live"]

    def filter_motif(self, queryset, name, value):
        return queryset.filter(motifs__in=[value, *value.children.all()]).distinct()


class AnswerTemplateIndexView(IndexView):
    """Listing with usage figures; the search is normalised (accents, plurals)."""

    def get_base_queryset(self):
        return templates_with_usage(super().get_base_queryset()).annotate(
            links_expired=legal_links_expired_exists()
        )

    def search_queryset(self, queryset):
        if not self.is_searching:
            return queryset
        return templates_search(self.search_query, queryset)


class AnswerTemplateEditView(EditView):
    """Warns the editor when the template links a legal text past its effective end."""

    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        expired = self.object.expired_legal_pages()
        if expired:
            messages.warning(
                request,
                _("Ce modèle cite un texte juridique qui n'est plus en vigueur : %(titles)s.")
                % {"titles": ", ".join(page.title for page in expired)},
            )
        return response


class PublishedTemplateFilterForm(BaseFilterForm):
    q = forms.CharField(
        label=_("Rechercher"),
        required=False,
        widget=forms.TextInput(attrs={"placeholder": _("Rechercher")}),
    )
    motif = forms.ModelChoiceField(label=_("Motif"), queryset=Motif.objects.all(), required=False)
    audience = forms.ChoiceField(
        label=_("Public"), choices=[("", _("Tous")), *Audience.choices], required=False
    )

    modality = forms.ChoiceField(
        label=_("Modalité"), choices=[("", _("Toutes")), *Modality.choices], required=False
    )

    def filter(self, objects):
        if self.cleaned_data.get("modality"):
            objects = objects.filter(modality_q(self.cleaned_data["modality"]))
        motif = self.cleaned_data.get("motif")
        if motif:
            objects = objects.filter(motifs__in=[motif, *motif.children.all()]).distinct()
        if self.cleaned_data.get("audience"):
            objects = objects.filter(audience=self.cleaned_data["audience"])
        query = self.cleaned_data.get("q")
        if query:
            self.is_searching = True
            self.search_query = query
            objects = templates_search(query, objects)
        return objects


class _PublishedOnly:
    """Counsellors are only ever offered the published templates, never a draft."""

    filter_form_class = PublishedTemplateFilterForm

    def get_object_list(self):
        return AnswerTemplate.objects.filter(live=True)

    @property
    def columns(self):
        # No draft/live status column: everything offered is published (and the status
        # tag would cost two queries per row).
        return [
            self.title_column,
            Column("audience", label=_("Public"), accessor="get_audience_display"),
        ]


class PublishedTemplateChooseView(_PublishedOnly, ChooseView):
    pass


class PublishedTemplateChooseResultsView(_PublishedOnly, ChooseResultsView):
    pass


class PublishedTemplateChosenView(SnippetChosenView):
    def get_object(self, pk):
        obj = AnswerTemplate.objects.get(pk=pk)
        if not obj.live:
            raise Http404
        return obj


class PublishedTemplateChooserViewSet(SnippetChooserViewSet):
    choose_view_class = PublishedTemplateChooseView
    choose_results_view_class = PublishedTemplateChooseResultsView
    chosen_view_class = PublishedTemplateChosenView
    preserve_url_parameters = ["multiple", "motif", "audience", "modality"]


class AnswerTemplateViewSet(SnippetViewSet):
    model = AnswerTemplate
    icon = "mail"
    menu_label = _("Modèles de réponse")
    index_view_class = AnswerTemplateIndexView
    edit_view_class = AnswerTemplateEditView
    chooser_viewset_class = PublishedTemplateChooserViewSet
    filterset_class = AnswerTemplateFilterSet
    list_display = [
        "title",
        Column("audience", label=_("Public"), accessor="get_audience_display"),
        Column("usage_count", label=_("Utilisations"), sort_key="usage_count"),
        DateColumn("last_used_at", label=_("Dernière utilisation"), sort_key="last_used_at"),
        Column("review_by", label=_("À revoir avant le"), sort_key="review_by", accessor=_day),
        BooleanColumn("links_expired", label=_("Cite un texte expiré")),
    ]
    list_export = [
        "code",
        "title",
        "audience",
        "usage_count",
        "last_used_at",
        "review_by",
        "links_expired",
    ]
    search_fields = None


class AnswerRepositoryGroup(SnippetViewSetGroup):
    items = (AnswerTemplateViewSet, MotifViewSet)
    menu_icon = "mail"
    menu_label = _("Référentiel de réponses")
    menu_name = "answer-repository"


# --- Reports ------------------------------------------------------------------------------


class TemplatesAttentionFilterSet(WagtailFilterSet):
    audience = django_filters.ChoiceFilter(label=_("Public"), choices=Audience.choices)

    class Meta:
        model = AnswerTemplate
        fields = ["audience"]


class TemplatesAttentionReportView(ReportView):
    """Templates never used, due for review, or linking an expired legal text."""

    page_title = _("Modèles à revoir")
    header_icon = "warning"
    index_url_name = "answer_repository_reports:templates_attention"
    index_results_url_name = "answer_repository_reports:templates_attention_results"
    permission_policy = ModelPermissionPolicy(AnswerTemplate)
    permission_required = "change"
    filterset_class = TemplatesAttentionFilterSet
    list_export = ["code", "title", "usage_count", "last_used_at", "review_by", "links_expired"]
    columns = [
        TitleColumn(
            "title",
            label=_("Modèle"),
            get_url=lambda obj: reverse(
                AnswerTemplate.snippet_viewset.get_url_name("edit"), args=[quote(obj.pk)]
            ),
        ),
        Column("usage_count", label=_("Utilisations")),
        DateColumn("last_used_at", label=_("Dernière utilisation")),
        Column("review_by", label=_("À revoir avant le"), accessor=_day),
        BooleanColumn("due_for_review", label=_("Révision due")),
        BooleanColumn("links_expired", label=_("Texte juridique expiré")),
    ]

    def get_queryset(self):
        return templates_needing_attention()

    def get_filename(self):
        return "modeles-a-revoir"


class ExpiredLegalTextsReportView(ReportView):
    """Legal-text pages past their effective end, with how many templates link them."""

    page_title = _("Textes juridiques expirés")
    header_icon = "warning"
    index_url_name = "answer_repository_reports:legal_expired"
    index_results_url_name = "answer_repository_reports:legal_expired_results"
    permission_policy = ModelPermissionPolicy(AnswerTemplate)
    permission_required = "change"
    list_export = ["title", "reference", "effective_to", "template_count"]
    columns = [
        TitleColumn(
            "title",
            label=_("Texte"),
            get_url=lambda page: reverse("wagtailadmin_pages:edit", args=[page.pk]),
        ),
        Column("reference", label=_("Référence")),
        Column("effective_to", label=_("Fin de validité"), accessor=_effective_to),
        Column("template_count", label=_("Modèles qui le citent")),
    ]

    def get_queryset(self):
        return legal_pages_expired()

    def get_filename(self):
        return "textes-juridiques-expires"
