from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalManyToManyField
from modelcluster.models import ClusterableModel
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.fields import RichTextField
from wagtail.models import (
    DraftStateMixin,
    LockableMixin,
    PreviewableMixin,
    RevisionMixin,
    WorkflowMixin,
)
from wagtail.search import index

from answer_repository.placeholders import html_to_text, placeholders_errors
from answer_repository.search import search_text

# Bold, italic, lists and links only: a reply is a mail, not a web page.
TEMPLATE_RICH_TEXT_FEATURES = ["bold", "italic", "ol", "ul", "link"]


class Audience(models.TextChoices):
    JOBSEEKER = "jobseeker", _("Demandeur d'emploi")
    EMPLOYER = "employer", _("Employeur")


class Modality(models.TextChoices):
    """Follow-up modalities (MSA). Codes mirror backoffice.caseloads' Modality.code, which
    this package may not import; an empty selection means "every modality"."""

    SUIVI = "SUIVI", _("Suivi")
    GUIDE = "GUIDE", _("Guidé")
    RENFORCE = "RENFORCE", _("Renforcé")
    GLOBAL = "GLOBAL", _("Accompagnement global")
    CVE = "CVE", _("CVE")
    AIJ = "AIJ", _("AIJ")


class AnswerTemplateForm(WagtailAdminModelForm):
    """Shows the modality codes (stored as "GUIDE,RENFORCE") as check boxes."""

    modality_choices = forms.MultipleChoiceField(
        label=_("modalités"),
        choices=Modality.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("Aucune case cochée : le modèle vaut pour toutes les modalités."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance is not None:
            self.initial.setdefault("modality_choices", self.instance.modality_codes)

    def clean(self):
        cleaned = super().clean()
        codes = cleaned.get("modality_choices") or []
        self.instance.modalities = ",".join(c for c, _label in Modality.choices if c in codes)
        return cleaned


class AnswerTemplate(
    PreviewableMixin,
    WorkflowMixin,
    DraftStateMixin,
    LockableMixin,
    RevisionMixin,
    index.Indexed,
    ClusterableModel,
):
    """A reply template. Counsellors only ever get its published version (the row of a
    live template); drafts and pending changes live in revisions until a moderator
    approves them through the workflow."""

    code = models.SlugField(
        _("code"), max_length=60, unique=True, help_text=_("Identifiant stable du modèle.")
    )
    title = models.CharField(_("titre"), max_length=200)
    motifs = ParentalManyToManyField(
        "answer_repository.Motif", verbose_name=_("motifs"), related_name="templates"
    )
    audience = models.CharField(
        _("public"), max_length=20, choices=Audience.choices, default=Audience.JOBSEEKER
    )
    modalities = models.CharField(_("modalités"), max_length=100, blank=True, editable=False)
    body = RichTextField(
        _("texte"),
        features=TEMPLATE_RICH_TEXT_FEATURES,
        help_text=_(
            "Champs disponibles : {{ prenom }}, {{ nom }}, {{ identifiant }}, "
            "{{ conseiller }}, {{ agence }}, {{ date_rdv }}."
        ),
    )
    legal_pages = ParentalManyToManyField(
        "answer_repository.LegalTextPage",
        verbose_name=_("textes juridiques liés"),
        blank=True,
        related_name="answer_templates",
    )
    keywords = models.TextField(
        _("mots-clés"),
        blank=True,
        help_text=_("Propres à ce modèle, séparés par des virgules ; aident les suggestions."),
    )
    review_by = models.DateField(_("à revoir avant le"), null=True, blank=True)

    base_form_class = AnswerTemplateForm
    panels = [
        FieldPanel("title"),
        FieldPanel("code"),
        MultiFieldPanel(
            [
                FieldPanel("motifs", widget=forms.CheckboxSelectMultiple),
                FieldPanel("audience"),
                FieldPanel("modality_choices"),
            ],
            heading=_("À qui et pourquoi"),
        ),
        FieldPanel("body"),
        FieldPanel("legal_pages", widget=forms.CheckboxSelectMultiple),
        FieldPanel("keywords"),
        FieldPanel("review_by"),
    ]
    search_fields = [
        index.SearchField("title", boost=3),
        index.SearchField("body"),
        index.SearchField("search_stems"),
        index.AutocompleteField("title"),
        index.FilterField("live"),
        index.FilterField("audience"),
        index.FilterField("code"),
    ]

    class Meta:
        verbose_name = _("modèle de réponse")
        verbose_name_plural = _("modèles de réponse")
        ordering = ["title"]

    def __str__(self):
        return self.title

    @property
    def modality_codes(self) -> list[str]:
        return [c for c in self.modalities.split(",") if c]

    def applies_to_modality(self, code: str | None) -> bool:
        return not code or not self.modality_codes or code in self.modality_codes

    def clean(self):
        super().clean()
        errors = placeholders_errors(html_to_text(self.body or ""))
        errors += [f"{_('titre')} : {e}" for e in placeholders_errors(self.title or "")]
        if errors:
            raise ValidationError({"body": errors})

    def search_stems(self) -> str:
        motifs = " ".join(f"{m.name} {m.keywords}" for m in self.motifs.all())
        return search_text(f"{self.title} {self.keywords} {motifs} {self.body}")

    @property
    def is_due_for_review(self) -> bool:
        return self.review_by is not None and self.review_by <= timezone.localdate()

    def expired_legal_pages(self) -> list:
        return [page for page in self.legal_pages.all() if page.is_expired]

    def get_preview_template(self, request, mode_name, extra_context=None):
        return "answer_repository/answer_template_preview.html"

    def get_preview_context(self, request, mode_name):
        from answer_repository.rendering import template_render_preview

        context = super().get_preview_context(request, mode_name)
        context["rendered"] = template_render_preview(template=self)
        return context
