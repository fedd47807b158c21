from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel
from wagtail.search import index

from answer_repository.search import search_text


class Motif(index.Indexed, models.Model):
    """Why people write, on two levels (a family such as "Formation", then a precise motif).

    Keywords (comma separated) feed the suggestions: a mail that mentions them points to
    the templates of this motif.
    """

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("nom"), max_length=120)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("motif parent"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        help_text=_("Vide pour une famille de motifs ; sinon la famille de ce motif."),
    )
    keywords = models.TextField(
        _("mots-clés"),
        blank=True,
        help_text=_("Séparés par des virgules ; utilisés pour suggérer les modèles."),
    )

    # Lets the suggestion index know when keywords changed.
    updated_at = models.DateTimeField(_("modifié le"), auto_now=True)

    panels = [FieldPanel("name"), FieldPanel("code"), FieldPanel("parent"), FieldPanel("keywords")]
    search_fields = [
        index.SearchField("name"),
        index.SearchField("keywords"),
        index.SearchField("search_stems"),
        index.AutocompleteField("name"),
        index.FilterField("parent_id"),
    ]

    class Meta:
        verbose_name = _("motif")
        verbose_name_plural = _("motifs")
        ordering = ["parent__name", "name"]

    def __str__(self):
        return f"{self.parent.name} › {self.name}" if self.parent_id else self.name

    def clean(self):
        if self.parent_id and self.parent.parent_id:
            raise ValidationError(
                {"parent": _("Deux niveaux seulement : le parent doit être une famille.")}
            )
        if self.parent_id and self.pk and self.parent_id == self.pk:
            raise ValidationError({"parent": _("Un motif ne peut pas être son propre parent.")})

    @property
    def keyword_list(self) -> list[str]:
        return [k.strip() for k in self.keywords.split(",") if k.strip()]

    def search_stems(self) -> str:
        return search_text(f"{self.name} {self.keywords}")
