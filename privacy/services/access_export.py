"""[privacy-archive] Right of access: everything held about one jobseeker or employer.

The zip holds `index.html` (identity, assignments, the list of threads), one page per thread
(`fils/<id>.html`: messages, attachments, moves, consultations, who read it), the
attachments themselves (`pieces-jointes/`), and `donnees.json` with the same content for
machines. Every text is escaped by Django's templates; mail HTML is sanitised again. The
export is logged (`AccessExport`) with the zip's sha256.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import tempfile
import zipfile
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Prefetch
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import mark_safe

from backoffice.caseloads.models import Employer, Jobseeker
from backoffice.correspondence.models import (
    Attachment,
    Consultation,
    Message,
    Thread,
    ThreadEvent,
    ThreadRead,
)
from backoffice.correspondence.sanitize import html_sanitise

from ..models import AccessExport, LegalHold

SPOOL_BYTES = 32 * 1024 * 1024


@dataclass
class AccessExportFile:
    log: AccessExport
    file: object  # a binary file positioned at 0
    filename: str


def _iso(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).isoformat()
    return value.isoformat()


def _user_label(user) -> str:
    if user is None:
        return ""
    return user.get_full_name() or user.get_username()


def _safe_name(name: str) -> str:
    # No path separators and no "..": a name from a mail never leaves its folder.
    cleaned = re.sub(r"\.{2,}", ".", re.sub(r"[^\w.\- ]+", "_", name or "")).strip(" .")
    cleaned = cleaned or "piece"
    return cleaned[:100]


def person_threads(*, person) -> list[Thread]:
    """Every thread linked to `person`, with all it carries, in a fixed number of queries."""
    field = "jobseeker" if isinstance(person, Jobseeker) else "employer"
    return list(
        Thread.objects.filter(**{field: person})
        .select_related("agency", "counsellor__user", "motif")
        .prefetch_related(
            Prefetch(
                "messages",
                queryset=Message.objects.select_related("author").prefetch_related("attachments"),
            ),
            Prefetch(
                "reads",
                queryset=ThreadRead.objects.select_related("user").order_by("read_at", "pk"),
            ),
            Prefetch(
                "events",
                queryset=ThreadEvent.objects.select_related(
                    "actor", "from_counsellor__user", "to_counsellor__user"
                ),
            ),
            Prefetch(
                "consultations",
                queryset=Consultation.objects.select_related(
                    "asked_by__user", "expert__user"
                ).order_by("asked_at", "pk"),
            ),
        )
        .order_by("created_at", "pk")
    )


def _identity(person) -> dict:
    if isinstance(person, Jobseeker):
        return {
            "type": "demandeur d'emploi",
            "identifiant": person.identifier,
            "prenom": person.first_name,
            "nom": person.last_name,
            "courriel": person.email,
            "telephone": person.phone,
        }
    return {
        "type": "entreprise",
        "siret": person.siret,
        "raison_sociale": person.name,
        "contacts": [{"nom": c.name, "courriel": c.email} for c in person.contacts.all()],
    }


def _assignments(person) -> list[dict]:
    return [
        {
            "conseiller": a.counsellor.full_name,
            "agence": str(a.counsellor.agency),
            "type": a.get_kind_display(),
            "modalite": a.modality.name if a.modality else None,
            "debut": _iso(a.starts_on),
            "fin": _iso(a.ends_on),
        }
        for a in person.assignments.select_related(
            "counsellor__user", "counsellor__agency", "modality"
        ).order_by("starts_on", "pk")
    ]


def _thread_data(thread: Thread, files: dict[int, str]) -> dict:
    return {
        "id": thread.pk,
        "objet": thread.subject,
        "statut": thread.get_status_display(),
        "agence": str(thread.agency),
        "conseiller": thread.counsellor.full_name if thread.counsellor else None,
        "motif": str(thread.motif) if thread.motif else None,
        "adresse_du_correspondant": thread.correspondent_address,
        "cree_le": _iso(thread.created_at),
        "dernier_message": _iso(thread.last_message_at),
        "messages": [
            {
                "id": m.pk,
                "sens": m.get_direction_display(),
                "nature": m.get_kind_display(),
                "recu_ou_envoye_le": _iso(m.received_at),
                "de": m.from_address,
                "nom_expediteur": m.from_name,
                "a": m.to_addresses,
                "copie": m.cc_addresses,
                "objet": m.subject,
                "texte": m.body_text,
                "html_nettoye": html_sanitise(m.body_html, cid_urls={}).html if m.body_html else "",
                "auteur": _user_label(m.author),
                "pieces_jointes": [
                    {
                        "nom": a.name,
                        "type": a.content_type,
                        "taille": a.size,
                        "sha256": a.sha256,
                        "fichier": files.get(a.pk),
                    }
                    for a in m.attachments.all()
                ],
            }
            for m in thread.messages.all()
        ],
        "historique": [
            {
                "evenement": e.get_kind_display(),
                "le": _iso(e.at),
                "par": _user_label(e.actor) or "tâche automatique",
                "de": e.from_counsellor.full_name if e.from_counsellor else None,
                "a": e.to_counsellor.full_name if e.to_counsellor else None,
                "note": e.note,
            }
            for e in thread.events.all()
        ],
        "consultations": [
            {
                "demandee_par": c.asked_by.full_name,
                "expert": c.expert.full_name,
                "question": c.question,
                "le": _iso(c.asked_at),
                "reponse": c.answer,
                "repondu_le": _iso(c.answered_at),
            }
            for c in thread.consultations.all()
        ],
        "lectures": [
            {
                "lecteur": _user_label(r.user),
                "identifiant_lecteur": r.user.get_username(),
                "le": _iso(r.read_at),
                "acces": r.get_via_display(),
                "hors_portefeuille": r.outside_caseload,
            }
            for r in thread.reads.all()
        ],
    }


def access_export_build(*, person: Jobseeker | Employer, by) -> AccessExportFile:
    """Builds the zip for `person` and logs it. The caller streams `file` to the admin who
    asked; nothing is kept on disk once it is closed."""
    threads = person_threads(person=person)
    holds = LegalHold.objects.filter(
        **{"jobseeker" if isinstance(person, Jobseeker) else "employer": person}
    )
    # Handed open to the caller, who streams and closes it.
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115
    message_count = 0
    with zipfile.ZipFile(spool, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        files: dict[int, str] = {}
        for thread in threads:
            for message in thread.messages.all():
                message_count += 1
                for attachment in message.attachments.all():
                    files[attachment.pk] = _attachment_write(archive, thread, attachment)
        data = {
            "genere_le": _iso(timezone.now()),
            "genere_par": _user_label(by),
            "personne": _identity(person),
            "affectations": _assignments(person),
            "gels_juridiques": [
                {"motif": h.reason, "depuis": _iso(h.since), "jusqu_au": _iso(h.until)}
                for h in holds
            ],
            "fils": [_thread_data(thread, files) for thread in threads],
        }
        archive.writestr(
            "donnees.json", json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8")
        )
        archive.writestr(
            "index.html",
            render_to_string("privacy/access/index.html", {"data": data, "person": person}),
        )
        for thread_data in data["fils"]:
            for message in thread_data["messages"]:
                # Sanitised above by nh3: the one piece of markup the page does not escape.
                message["html_sur"] = mark_safe(message["html_nettoye"])
            archive.writestr(
                f"fils/{thread_data['id']}.html",
                render_to_string(
                    "privacy/access/thread.html", {"thread": thread_data, "data": data}
                ),
            )
    size = spool.tell()
    spool.seek(0)
    digest = hashlib.sha256()
    for chunk in iter(lambda: spool.read(1024 * 1024), b""):
        digest.update(chunk)
    spool.seek(0)
    field = "jobseeker" if isinstance(person, Jobseeker) else "employer"
    with transaction.atomic():
        log = AccessExport.objects.create(
            requested_by=by,
            person_label=str(person)[:300],
            threads=len(threads),
            messages=message_count,
            size=size,
            sha256=digest.hexdigest(),
            **{field: person},
        )
    stamp = timezone.localtime(log.created_at).strftime("%Y%m%d-%H%M")
    key = person.identifier if isinstance(person, Jobseeker) else person.siret
    return AccessExportFile(log=log, file=spool, filename=f"droit-acces_{key}_{stamp}.zip")


def _attachment_write(archive: zipfile.ZipFile, thread: Thread, attachment: Attachment) -> str:
    name = f"pieces-jointes/{thread.pk}/{attachment.pk}_{_safe_name(attachment.name)}"
    if not attachment.file:
        return ""
    try:
        with attachment.file.open("rb") as source, archive.open(name, "w") as target:
            for chunk in iter(lambda: source.read(1024 * 1024), b""):
                target.write(chunk)
    except FileNotFoundError:
        return ""
    return name
