"""Factories of the answer repository (the shared UserFactory gives the role users)."""

import datetime
import itertools

import factory

from answer_repository.models import AnswerTemplate, LegalTextPage, Motif
from answer_repository.services import legal_index_ensure

_codes = itertools.count(1)


class MotifFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Motif
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"motif-{n}")
    name = factory.Sequence(lambda n: f"Motif {n}")
    keywords = ""


def answer_template_create(
    *,
    title: str = "Confirmation de rendez-vous",
    body: str = "<p>Bonjour {{ prenom }},</p><p>Rendez-vous le {{ date_rdv }}.</p>",
    code: str | None = None,
    motifs=(),
    legal_pages=(),
    audience: str = "jobseeker",
    live: bool = True,
    keywords: str = "",
    review_by: datetime.date | None = None,
    user=None,
) -> AnswerTemplate:
    """A template with one revision; published (live) unless live=False (a draft)."""
    template = AnswerTemplate(
        code=code or f"modele-{next(_codes)}",
        title=title,
        body=body,
        audience=audience,
        keywords=keywords,
        review_by=review_by,
        live=False,
    )
    template.motifs = list(motifs)
    template.legal_pages = list(legal_pages)
    template.full_clean()
    template.save()
    revision = template.save_revision(user=user)
    if live:
        revision.publish(user=user)
        template.refresh_from_db()
    return template


def legal_page_create(
    *,
    title: str = "Obligation de recherche active d'emploi",
    reference: str = "Code du travail, art. L5411-6",
    summary: str = "Actes positifs et répétés de recherche d'emploi.",
    effective_to: datetime.date | None = None,
) -> LegalTextPage:
    index = legal_index_ensure()
    page = LegalTextPage(
        title=title,
        reference=reference,
        summary=summary,
        effective_from=datetime.date(2008, 5, 1),
        effective_to=effective_to,
    )
    index.add_child(instance=page)
    page.save_revision().publish()
    page.refresh_from_db()
    return page
