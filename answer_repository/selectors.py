"""Reads of the answer repository: what counsellors may be offered, search, reports."""

import datetime

from django.db.models import (
    BooleanField,
    Count,
    Exists,
    ExpressionWrapper,
    Max,
    OuterRef,
    Q,
    QuerySet,
)
from django.utils import timezone
from wagtail.search.backends import get_search_backend

from answer_repository.models import AnswerTemplate, LegalTextPage, Motif
from answer_repository.search import search_text


def modality_q(code: str) -> Q:
    """Templates for modality `code`: those listing it, and those listing none (all)."""
    return (
        Q(modalities="")
        | Q(modalities=code)
        | Q(modalities__startswith=f"{code},")
        | Q(modalities__endswith=f",{code}")
        | Q(modalities__contains=f",{code},")
    )


def templates_published(
    *,
    audience: str | None = None,
    motif: Motif | int | None = None,
    modality: str | None = None,
) -> QuerySet[AnswerTemplate]:
    """Templates a counsellor may use: live ones only (their row is the published version).

    `motif` matches the motif itself or, for a family, any of its motifs; `modality` is a
    follow-up modality code (SUIVI, GUIDE, ...).
    """
    qs = AnswerTemplate.objects.filter(live=True)
    if audience:
        qs = qs.filter(audience=audience)
    if modality:
        qs = qs.filter(modality_q(modality))
    if motif:
        motif_id = motif.pk if isinstance(motif, Motif) else int(motif)
        qs = qs.filter(Q(motifs__id=motif_id) | Q(motifs__parent_id=motif_id)).distinct()
    return qs.prefetch_related("motifs", "legal_pages")


def templates_search(query: str, queryset: QuerySet | None = None):
    """Wagtail search over templates, French-aware on both databases.

    The query is normalised like the indexed `search_stems` (no accents, plurals
    folded). Never passes `fields=` (SQLite's FTS backend cannot search single fields).
    """
    queryset = AnswerTemplate.objects.all() if queryset is None else queryset
    normalised = search_text(query)
    if not normalised:
        return queryset
    return get_search_backend().search(normalised, queryset, operator="and")


def legal_pages_search(query: str):
    """Same French-aware search over legal-text pages."""
    normalised = search_text(query)
    qs = LegalTextPage.objects.live()
    if not normalised:
        return qs
    return get_search_backend().search(normalised, qs, operator="and")


def legal_pages_expired(*, on: datetime.date | None = None) -> QuerySet[LegalTextPage]:
    """Legal-text pages past their effective end date, with the templates that link them."""
    on = on or timezone.localdate()
    return (
        LegalTextPage.objects.filter(effective_to__lt=on)
        .annotate(template_count=Count("answer_templates", distinct=True))
        .order_by("effective_to")
    )


def templates_with_usage(queryset: QuerySet | None = None) -> QuerySet[AnswerTemplate]:
    """Templates annotated with `usage_count` and `last_used_at`."""
    queryset = AnswerTemplate.objects.all() if queryset is None else queryset
    return queryset.annotate(usage_count=Count("usages"), last_used_at=Max("usages__used_at"))


def legal_links_expired_exists(*, on: datetime.date | None = None) -> Exists:
    """Per template row: does it link a legal text past its effective end?"""
    on = on or timezone.localdate()
    return Exists(
        LegalTextPage.objects.filter(answer_templates=OuterRef("pk"), effective_to__lt=on)
    )


def templates_needing_attention(*, on: datetime.date | None = None) -> QuerySet[AnswerTemplate]:
    """Templates never used, due for review, or linking an expired legal text.

    Annotated with `never_used`, `due_for_review`, `links_expired` and the usage figures.
    """
    on = on or timezone.localdate()
    expired = LegalTextPage.objects.filter(answer_templates=OuterRef("pk"), effective_to__lt=on)
    qs = templates_with_usage().annotate(
        links_expired=Exists(expired),
        due_for_review=ExpressionWrapper(Q(review_by__lte=on), output_field=BooleanField()),
    )
    return (
        qs.filter(Q(usage_count=0) | Q(due_for_review=True) | Q(links_expired=True))
        .prefetch_related("motifs")
        .order_by("title")
    )
