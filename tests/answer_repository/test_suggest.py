"""Suggestions: the floor on the held-out part of the labelled demo mails.

The templates are built from the demo definitions (answer_repository/demo/templates.py):
the suggestion is measured against that content, which is what the mails were labelled
with. The held-out part (every third mail of each template) never served to choose the
weights of answer_repository.suggest.
"""

import pytest

from answer_repository.demo.evaluation import labelled_mails, suggestions_measure
from answer_repository.demo.motifs import MOTIFS
from answer_repository.demo.templates import HOLDING_NOTICE_CODE, TEMPLATES
from answer_repository.models import AnswerTemplate, Motif
from answer_repository.selectors import templates_published
from answer_repository.suggest import templates_suggest

pytestmark = pytest.mark.django_db

HELD_OUT_TOP3_FLOOR = 0.60


@pytest.fixture
def demo_templates():
    motifs = {}
    for code, name, parent, keywords in MOTIFS:
        motifs[code] = Motif.objects.create(
            code=code, name=name, parent=motifs.get(parent), keywords=keywords
        )
    for code, title, audience, motif_codes, _mods, keywords, body, _legal, _review in TEMPLATES:
        template = AnswerTemplate.objects.create(
            code=code,
            title=title,
            audience=audience,
            keywords=keywords,
            body="".join(f"<p>{p}</p>" for p in body),
            live=True,
        )
        template.motifs.set([motifs[c] for c in motif_codes])
    return list(templates_published())


def test_labelled_set_is_large_enough_and_covers_every_template():
    mails = labelled_mails()
    assert len(mails) >= 200
    assert {m.expected for m in mails} == {t[0] for t in TEMPLATES if t[0] != HOLDING_NOTICE_CODE}
    held_out = [m for m in mails if m.held_out]
    assert len(held_out) >= 40


def test_top3_on_the_held_out_mails_stays_above_the_floor(demo_templates):
    held_out = [m for m in labelled_mails() if m.held_out]
    rates = suggestions_measure(demo_templates, held_out)
    print(f"held-out n={rates.count} top-1={rates.top1:.1%} top-3={rates.top3:.1%}")
    assert rates.top3 >= HELD_OUT_TOP3_FLOOR


def test_suggest_ranks_published_templates_for_a_mail(demo_templates):
    suggestions = templates_suggest(
        subject="Remboursement billet de train",
        body="Bonjour, j'ai pris le train pour un entretien d'embauche à Lyon, "
        "peut-on me rembourser le transport ?",
    )
    assert len(suggestions) == 3
    assert suggestions[0].template.code == "aide-deplacement"
    assert suggestions[0].score >= suggestions[1].score >= suggestions[2].score


def test_suggest_never_offers_a_draft_and_respects_the_audience(demo_templates):
    AnswerTemplate.objects.filter(code="aide-deplacement").update(live=False)
    subject, body = "Frais de déplacement", "Mon billet de train pour l'entretien est remboursé ?"
    codes = [s.template.code for s in templates_suggest(subject=subject, body=body)]
    assert "aide-deplacement" not in codes
    employer = templates_suggest(subject=subject, body=body, audience="employer")
    assert all(s.template.audience == "employer" for s in employer)
