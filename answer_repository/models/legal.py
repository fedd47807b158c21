import datetime

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.fields import RichTextField
from wagtail.models import Page
from wagtail.search import index

from answer_repository.search import search_text

LEGAL_RICH_TEXT_FEATURES = ["bold", "italic", "ol", "ul", "link", "h3"]


class LegalIndexPage(Page):
    """The folder of legal-text pages (one per site)."""

    intro = models.TextField(_("introduction"), blank=True)

    content_panels = [*Page.content_panels, FieldPanel("intro")]
    subpage_types = ["answer_repository.LegalTextPage"]
    parent_page_types = ["wagtailcore.Page"]
    max_count = 1
    template = "answer_repository/legal_index_page.html"

    class Meta:
        verbose_name = _("index des textes juridiques")


class LegalTextPage(Page):
    """A legal text counsellors send along with an answer, with its period of effect."""

    reference = models.CharField(
        _("référence"),
        max_length=200,
        help_text=_("Par exemple « Code du travail, art. R5411-6 »."),
    )
    summary = models.TextField(_("résumé"))
    body = RichTextField(_("texte"), features=LEGAL_RICH_TEXT_FEATURES, blank=True)
    effective_from = models.DateField(_("en vigueur du"))
    effective_to = models.DateField(
        _("en vigueur jusqu'au"), null=True, blank=True, help_text=_("Vide si toujours en vigueur.")
    )
    source_url = models.URLField(_("source"), blank=True)

    content_panels = [
        *Page.content_panels,
        FieldPanel("reference"),
        FieldPanel("summary"),
        FieldPanel("body"),
        MultiFieldPanel(
            [FieldPanel("effective_from"), FieldPanel("effective_to")],
            heading=_("Période d'application"),
        ),
        FieldPanel("source_url"),
    ]
    search_fields = [
        *Page.search_fields,
        index.SearchField("reference"),
        index.SearchField("summary"),
        index.SearchField("body"),
        index.SearchField("search_stems"),
        index.AutocompleteField("reference"),
        index.FilterField("effective_to"),
    ]
    parent_page_types = ["answer_repository.LegalIndexPage"]
    subpage_types = []
    template = "answer_repository/legal_text_page.html"

    class Meta:
        verbose_name = _("texte juridique")
        verbose_name_plural = _("textes juridiques")

    def is_expired_on(self, day: datetime.date) -> bool:
        return self.effective_to is not None and self.effective_to < day

    @property
    def is_expired(self) -> bool:
        """Past its effective end date (the end date itself still applies)."""
        return self.is_expired_on(timezone.localdate())

    def search_stems(self) -> str:
        return search_text(f"{self.title} {self.reference} {self.summary} {self.body}")
