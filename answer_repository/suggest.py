"""Suggesting reply templates for an incoming mail (motif keywords + full-text similarity).

Pure scoring in Python over the published templates, so that the ranking is the same on
SQLite and PostgreSQL: a TF-IDF cosine between the mail and each template (title, motif
and template keywords, body), plus a bonus for every keyword phrase of the template's
motifs (or of the template itself) found in the mail, the subject counting double.
"""

import math
from collections import Counter
from dataclasses import dataclass

from answer_repository.placeholders import html_to_text
from answer_repository.search import search_text, words

# Weights chosen by hand and checked on the tuning part of answer_repository/demo/mails.txt;
# the held-out part (see demo/evaluation.py) is never used to choose them.
TITLE_WEIGHT = 3
KEYWORD_WEIGHT = 2
SUBJECT_WEIGHT = 2
MOTIF_KEYWORD_BONUS = 0.06
TEMPLATE_KEYWORD_BONUS = 0.12

STOPWORDS = set(
    words(
        "a au aux avec ce ces cet cette dans de des du elle en et eux il ils je la le les "
        "leur lui ma mais me mes moi mon ne nos notre nous on ou par pas pour qu que qui sa "
        "se ses son sur ta te tes toi ton tu un une vos votre vous c d j l m n s t y est "
        "suis ai as avons avez ont etre avoir fait faire bonjour madame monsieur merci "
        "cordialement bien salutations svp plait si tres plus peux pouvez voudrais "
        "souhaite souhaiterais comment quand quel quelle quels quelles ete sont mon ma "
        "aussi deja encore alors donc car comme tout tous toute toutes cela ca"
    )
)


def _tokens(text: str) -> list[str]:
    return [w for w in words(text) if w not in STOPWORDS and len(w) > 1]


def _phrase_in(phrase: str, padded_text: str) -> bool:
    return f" {phrase} " in padded_text


@dataclass
class Suggestion:
    template: object
    score: float


class SuggestionIndex:
    """The published templates prepared once for scoring many mails."""

    def __init__(self, templates):
        self.templates = list(templates)
        self.docs: list[Counter] = []
        self.motif_phrases: list[list[str]] = []
        self.template_phrases: list[list[str]] = []
        for template in self.templates:
            motifs = list(template.motifs.all())
            families = [m.parent for m in motifs if m.parent_id]
            motif_keywords = [k for m in [*motifs, *families] for k in m.keyword_list]
            own_keywords = [k.strip() for k in template.keywords.split(",") if k.strip()]
            tokens = (
                _tokens(template.title) * TITLE_WEIGHT
                + _tokens(" ".join(own_keywords + motif_keywords)) * KEYWORD_WEIGHT
                + _tokens(html_to_text(template.body))
            )
            self.docs.append(Counter(tokens))
            self.motif_phrases.append(sorted({search_text(k) for k in motif_keywords} - {""}))
            self.template_phrases.append(sorted({search_text(k) for k in own_keywords} - {""}))
        n = len(self.docs) or 1
        df = Counter(term for doc in self.docs for term in doc)
        self.idf = {term: math.log((1 + n) / (1 + count)) + 1 for term, count in df.items()}
        self.vectors = [self._weigh(doc) for doc in self.docs]

    def _weigh(self, counts: Counter) -> dict[str, float]:
        vector = {t: (1 + math.log(c)) * self.idf.get(t, 0.0) for t, c in counts.items()}
        norm = math.sqrt(sum(v * v for v in vector.values())) or 1.0
        return {t: v / norm for t, v in vector.items() if v}

    def rank(self, *, subject: str, body: str, audience: str | None = None, limit: int = 3):
        query = self._weigh(Counter(_tokens(subject) * SUBJECT_WEIGHT + _tokens(body)))
        padded_subject = f" {search_text(subject)} "
        padded_all = f" {search_text(subject)} {search_text(body)} "
        scored = []
        for i, template in enumerate(self.templates):
            if audience and template.audience != audience:
                continue
            vector = self.vectors[i]
            score = sum(w * vector.get(t, 0.0) for t, w in query.items())
            for phrase in self.motif_phrases[i]:
                if _phrase_in(phrase, padded_all):
                    score += MOTIF_KEYWORD_BONUS * (2 if _phrase_in(phrase, padded_subject) else 1)
            for phrase in self.template_phrases[i]:
                if _phrase_in(phrase, padded_all):
                    score += TEMPLATE_KEYWORD_BONUS * (
                        2 if _phrase_in(phrase, padded_subject) else 1
                    )
            if score > 0:
                scored.append(Suggestion(template, round(score, 4)))
        scored.sort(key=lambda s: (-s.score, s.template.title))
        return scored[:limit]


_index_cache: dict = {"key": None, "index": None}


def _index_key() -> tuple:
    from django.db.models import Count, Max

    from answer_repository.models import AnswerTemplate, Motif

    templates = AnswerTemplate.objects.filter(live=True).aggregate(
        n=Count("id"), last_id=Max("id"), published=Max("last_published_at")
    )
    motifs = Motif.objects.aggregate(n=Count("id"), updated=Max("updated_at"))
    return (*templates.values(), *motifs.values())


def _published_index() -> SuggestionIndex:
    """The index of the published templates, rebuilt only when they or the motifs change."""
    from answer_repository.selectors import templates_published

    key = _index_key()
    if _index_cache["key"] != key:
        _index_cache["index"] = SuggestionIndex(templates_published())
        _index_cache["key"] = key
    return _index_cache["index"]


def templates_suggest(
    *, subject: str, body: str, audience: str | None = None, limit: int = 3, queryset=None
) -> list[Suggestion]:
    """Ranks the published templates for an incoming mail, best first (at most `limit`).

    Takes the mail's subject and body text (the caller adapts its Message); `audience`
    ("jobseeker"/"employer") restricts to templates written for that correspondent.
    """
    index = _published_index() if queryset is None else SuggestionIndex(queryset)
    return index.rank(subject=subject, body=body, audience=audience, limit=limit)
