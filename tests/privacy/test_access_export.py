"""Right of access: the zip holds every thread of the person and nothing of anyone else,
readable (escaped HTML) and machine-readable (JSON); each export is logged."""

import datetime as dt
import hashlib
import io
import json
import zipfile

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from backoffice.correspondence.models import Attachment, Message, ThreadRead
from backoffice.organisation import roles
from privacy.models import AccessExport
from privacy.services.access_export import access_export_build
from tests.correspondence.sla_factories import ThreadFactory
from tests.factories import (
    AgencyFactory,
    AssignmentFactory,
    CounsellorFactory,
    EmployerFactory,
    JobseekerFactory,
    RegionalPilotFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db
UTC = dt.UTC


def message(thread, text, *, at=None, direction=Message.Direction.INCOMING, html=""):
    return Message.objects.create(
        thread=thread,
        direction=direction,
        message_id=f"<{text[:20]}-{thread.pk}@example.org>",
        from_address=thread.correspondent_address,
        received_at=at or dt.datetime(2026, 3, 9, 10, tzinfo=UTC),
        subject=thread.subject,
        body_text=text,
        body_html=html,
    )


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture
def people(db):
    agency = AgencyFactory()
    counsellor = CounsellorFactory(agency=agency)
    camille = JobseekerFactory(first_name="Camille", last_name="Lefèvre")
    AssignmentFactory(jobseeker=camille, counsellor=counsellor)
    other = JobseekerFactory(first_name="Dominique", last_name="Autre")
    AssignmentFactory(jobseeker=other, counsellor=counsellor)
    threads = [
        ThreadFactory(
            agency=agency,
            counsellor=counsellor,
            jobseeker=camille,
            subject="<script>alert('x')</script> Formation",
        ),
        ThreadFactory(
            agency=agency, counsellor=counsellor, jobseeker=camille, subject="Rendez-vous"
        ),
        # Another agency's thread about the same person is hers too.
        ThreadFactory(jobseeker=camille, subject="Indemnisation"),
    ]
    first = message(
        threads[0],
        "Bonjour, voici mon CV.",
        html='<p onclick="steal()">Bonjour<img src="https://tracker.example/x.png"></p>',
    )
    attachment = Attachment(
        message=first,
        name="../../cv camille.pdf",
        content_type="application/pdf",
        size=9,
        sha256=hashlib.sha256(b"%PDF cv C").hexdigest(),
    )
    attachment.file.save("cv.pdf", ContentFile(b"%PDF cv C"), save=True)
    message(threads[0], "Votre CV est bien reçu.", direction=Message.Direction.OUTGOING)
    message(threads[1], "Je ne pourrai pas venir.")
    message(threads[2], "Où en est mon dossier ?")
    not_hers = ThreadFactory(
        agency=agency, counsellor=counsellor, jobseeker=other, subject="Secret de Dominique"
    )
    message(not_hers, "Message privé de Dominique.")
    reader = CounsellorFactory(agency=agency, user__first_name="Lucie", user__last_name="Lecteur")
    ThreadRead.objects.create(
        thread=threads[1],
        user=reader.user,
        read_at=dt.datetime(2026, 3, 10, 9, tzinfo=UTC),
        outside_caseload=True,
        via=ThreadRead.Via.LOOKUP,
    )
    return type(
        "People",
        (),
        {
            "agency": agency,
            "counsellor": counsellor,
            "camille": camille,
            "other": other,
            "threads": threads,
            "not_hers": not_hers,
            "admin": UserFactory(role=roles.NATIONAL_ADMIN),
        },
    )


def open_zip(content: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def test_the_zip_holds_every_thread_of_the_person_and_none_of_anyone_else(people):
    export = access_export_build(person=people.camille, by=people.admin)
    files = open_zip(export.file.read())

    data = json.loads(files["donnees.json"])
    assert {t["id"] for t in data["fils"]} == {t.pk for t in people.threads}
    assert data["personne"]["identifiant"] == people.camille.identifier
    assert data["affectations"][0]["conseiller"] == people.counsellor.full_name
    assert {f"fils/{t.pk}.html" for t in people.threads} <= set(files)
    everything = b"".join(files.values()).decode("utf-8", "replace")
    assert "Dominique" not in everything
    assert f"fils/{people.not_hers.pk}.html" not in files
    assert "Où en est mon dossier" in files[f"fils/{people.threads[2].pk}.html"].decode()


def test_attachments_and_readers_are_included(people):
    files = open_zip(access_export_build(person=people.camille, by=people.admin).file.read())
    data = json.loads(files["donnees.json"])
    first = next(t for t in data["fils"] if t["id"] == people.threads[0].pk)
    path = first["messages"][0]["pieces_jointes"][0]["fichier"]
    assert path.startswith(f"pieces-jointes/{people.threads[0].pk}/") and ".." not in path
    assert files[path] == b"%PDF cv C"
    second = next(t for t in data["fils"] if t["id"] == people.threads[1].pk)
    assert second["lectures"][0]["lecteur"] == "Lucie Lecteur"
    assert second["lectures"][0]["hors_portefeuille"] is True
    assert "Lucie Lecteur" in files[f"fils/{people.threads[1].pk}.html"].decode()


def test_the_pages_escape_and_sanitise_what_people_wrote(people):
    files = open_zip(access_export_build(person=people.camille, by=people.admin).file.read())
    index = files["index.html"].decode()
    page = files[f"fils/{people.threads[0].pk}.html"].decode()
    assert "<script>" not in index and "&lt;script&gt;" in index
    assert "<script>" not in page
    data = json.loads(files["donnees.json"])
    html = data["fils"][0]["messages"][0]["html_nettoye"]
    assert "onclick" not in html and "tracker.example" not in html


def test_an_employer_can_be_exported_too(people):
    employer = EmployerFactory(name="Boulangerie Dupain")
    thread = ThreadFactory(jobseeker=None, employer=employer, subject="Offre de stage")
    message(thread, "Nous cherchons un apprenti.")
    files = open_zip(access_export_build(person=employer, by=people.admin).file.read())
    data = json.loads(files["donnees.json"])
    assert [t["id"] for t in data["fils"]] == [thread.pk]
    assert data["personne"]["raison_sociale"] == "Boulangerie Dupain"


def test_an_admin_downloads_the_zip_and_the_export_is_logged(people, client):
    client.force_login(people.admin)
    assert client.get(reverse("privacy_access:new")).status_code == 200
    response = client.post(reverse("privacy_access:new"), {"jobseeker": people.camille.pk})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    content = b"".join(response.streaming_content)
    log = AccessExport.objects.get()
    assert (log.requested_by, log.jobseeker, log.threads) == (people.admin, people.camille, 3)
    assert log.sha256 == hashlib.sha256(content).hexdigest()
    assert log.size == len(content)
    listing = client.get(reverse("privacy_access:index")).content.decode()
    assert log.sha256 in listing


def test_the_form_wants_exactly_one_person(people, client):
    client.force_login(people.admin)
    response = client.post(
        reverse("privacy_access:new"),
        {"jobseeker": people.camille.pk, "employer": EmployerFactory().pk},
    )
    assert "soit une entreprise" in response.content.decode()
    assert not AccessExport.objects.exists()


@pytest.mark.parametrize("role", [roles.MANAGER, roles.COUNSELLOR, roles.REGIONAL_PILOT])
def test_only_administrators_export(people, client, role):
    if role == roles.REGIONAL_PILOT:
        user = RegionalPilotFactory(region=people.agency.region).user
    else:
        user = CounsellorFactory(agency=people.agency, user__role=role).user
    client.force_login(user)
    response = client.post(reverse("privacy_access:new"), {"jobseeker": people.camille.pk})
    assert response.status_code in (302, 403)
    assert response.get("Content-Type") != "application/zip"
    assert not AccessExport.objects.exists()
    assert client.get(reverse("privacy_access:index")).status_code in (302, 403)


def test_the_export_runs_in_a_fixed_number_of_queries(people, django_assert_max_num_queries):
    for n in range(5):
        thread = ThreadFactory(jobseeker=people.camille, subject=f"Fil {n}")
        message(thread, f"Message {n}")
    with django_assert_max_num_queries(16):
        access_export_build(person=people.camille, by=people.admin)
