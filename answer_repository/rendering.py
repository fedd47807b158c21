"""Rendering a published reply template for one correspondent.

Context contract (built by the caller, e.g. backoffice.correspondence from a thread):
    {"prenom": str | None, "nom": str | None, "identifiant": str | None,
     "conseiller": str | None, "agence": str | None, "date_rdv": str | None}
Values are plain text (dates already formatted in French). Missing/None/blank values
become visible gaps; `gaps_find(rendered.text)` must be empty before anything is sent.
"""

from dataclasses import dataclass, field

from wagtail.rich_text import expand_db_html

from answer_repository.placeholders import (
    PLACEHOLDERS,
    gaps_find,
    html_to_text,
    substitute_html,
    substitute_text,
)


class TemplateNotPublished(Exception):
    """Raised when rendering a template that has never been published."""


@dataclass(frozen=True)
class RenderedTemplate:
    text: str
    html: str
    gaps: list[str]
    legal_pages: list = field(default_factory=list)
    expired_legal_pages: list = field(default_factory=list)

    @property
    def is_complete(self) -> bool:
        return not self.gaps


def template_render(*, template, context: dict) -> RenderedTemplate:
    """Renders the published version of `template` with `context` (see the module doc).

    Returns text and HTML with the data escaped in HTML, the names of the gaps left,
    and the linked legal pages (those past their end date listed apart, to warn).
    """
    if not template.live:
        raise TemplateNotPublished(template.pk)
    return _render(template, context)


def template_render_preview(*, template) -> RenderedTemplate:
    """Preview for editors: sample values, so the layout and the gaps show."""
    sample = {name: f"‹{label}›" for name, label in PLACEHOLDERS.items()}
    sample["date_rdv"] = None
    return _render(template, sample)


def _render(template, context: dict) -> RenderedTemplate:
    body_html = template.body or ""
    html = substitute_html(expand_db_html(body_html), context)
    text = substitute_text(html_to_text(body_html), context)
    legal = sorted((p for p in template.legal_pages.all() if p.live), key=lambda p: p.title)
    return RenderedTemplate(
        text=text,
        html=html,
        gaps=gaps_find(text),
        legal_pages=legal,
        expired_legal_pages=[page for page in legal if page.is_expired],
    )
