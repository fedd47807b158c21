"""Demo content of the answer repository, loaded through the real workflow.

`load_demo_content(stdout=None)` is idempotent: motifs are updated in place, templates
and legal pages that already exist (by code / slug) are left as they are.
"""

import datetime

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from answer_repository.models import AnswerTemplate, LegalTextPage, Motif
from answer_repository.services import EDITOR_GROUP, MODERATOR_GROUP, legal_index_ensure

from .legal import LEGAL_TEXTS
from .motifs import MOTIFS
from .templates import TEMPLATES

GREETING = "<p>Bonjour {{ prenom }} {{ nom }},</p>"
SIGNATURE = "<p>Cordialement,<br/>{{ conseiller }}<br/>France Travail – {{ agence }}</p>"


def _role_user(group_name: str, username: str):
    """First member of the group, or a demo account without a usable password."""
    group, _created = Group.objects.get_or_create(name=group_name)
    user = group.user_set.order_by("pk").first()
    if user is None:
        user, created = get_user_model().objects.get_or_create(
            username=username, defaults={"first_name": "Démo", "last_name": group_name}
        )
        if created:
            user.set_unusable_password()
            user.save()
        user.groups.add(group)
    return user


def _approve(obj, *, editor, moderator):
    """Submits the latest revision as the editor and approves it as the moderator."""
    workflow = obj.get_workflow()
    if workflow is None:
        (obj.get_latest_revision() or obj.save_revision(user=editor)).publish(user=moderator)
        return
    workflow_state = workflow.start(obj, editor)
    while workflow_state.status == workflow_state.STATUS_IN_PROGRESS:
        task_state = workflow_state.current_task_state
        task_state.task.specific.on_action(task_state, moderator, "approve")
        workflow_state.refresh_from_db()


def _paragraphs(paragraphs: list[str]) -> str:
    return "".join(f"<p>{p}</p>" for p in paragraphs)


def _write(stdout, message: str):
    if stdout is not None:
        stdout.write(message)


@transaction.atomic
def load_demo_content(*, stdout=None) -> None:
    """Loads motifs, legal-text pages and reply templates, published through the workflow."""
    editor = _role_user(EDITOR_GROUP, "demo.editeur")
    moderator = _role_user(MODERATOR_GROUP, "demo.moderateur")
    today = timezone.localdate()

    motifs = {}
    for code, name, parent, keywords in MOTIFS:
        motifs[code], _created = Motif.objects.update_or_create(
            code=code,
            defaults={"name": name, "parent": motifs.get(parent), "keywords": keywords},
        )
    _write(stdout, f"Référentiel : {len(motifs)} motifs.")

    index = legal_index_ensure()
    pages = {}
    created = 0
    for slug, title, reference, summary, body, start, end, source in LEGAL_TEXTS:
        page = LegalTextPage.objects.filter(slug=slug).first()
        if page is None:
            page = index.add_child(
                instance=LegalTextPage(
                    title=title,
                    slug=slug,
                    reference=reference,
                    summary=summary,
                    body=_paragraphs(body),
                    effective_from=start,
                    effective_to=end,
                    source_url=source,
                    live=False,
                    owner=editor,
                )
            )
            page.save_revision(user=editor)
            _approve(page, editor=editor, moderator=moderator)
            page.refresh_from_db()
            created += 1
        pages[slug] = page
    _write(stdout, f"Référentiel : {len(pages)} textes juridiques ({created} créés).")

    created = 0
    for code, title, audience, motif_codes, modalities, keywords, body, legal, review in TEMPLATES:
        if AnswerTemplate.objects.filter(code=code).exists():
            continue
        template = AnswerTemplate(
            code=code,
            title=title,
            audience=audience,
            modalities=",".join(modalities),
            keywords=keywords,
            body=GREETING + _paragraphs(body) + SIGNATURE,
            review_by=today + datetime.timedelta(days=review) if review else None,
            live=False,
        )
        template.motifs = [motifs[c] for c in motif_codes]
        template.legal_pages = [pages[s] for s in legal]
        template.full_clean()
        template.save()
        template.save_revision(user=editor)
        _approve(template, editor=editor, moderator=moderator)
        created += 1
    _write(
        stdout, f"Référentiel : {len(TEMPLATES)} modèles de réponse ({created} créés et publiés)."
    )
