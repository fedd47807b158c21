"""Generated mails for the poll tests and the ingest benchmark: French, varied, all distinct.

70% plain text, 20% HTML (with a text alternative), 10% with a PDF-like attachment.
"""

import email.policy
import random
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

SUBJECTS = [
    "Rendez-vous de suivi",
    "Demande de formation CACES",
    "Question sur mon allocation",
    "Candidature au poste de vendeur",
    "Attestation employeur",
    "Offre d'emploi : aide-soignant(e)",
    "Atelier CV de jeudi",
    "Aide à la mobilité",
]
BODY = (
    "Bonjour,\n\nJe me permets de vous écrire au sujet de {topic}. "
    "Pourriez-vous me dire quelles démarches effectuer ? Je reste disponible "
    "pour un entretien téléphonique cette semaine.\n\nCordialement,\n{name}\n"
)


# A jobseeker followed by the tests' counsellor, so the real ingest files each mail.
SENDER = "camille.martin@example.org"


def mail_subject(index: int) -> str:
    return f"{SUBJECTS[index % len(SUBJECTS)]} (n° {index})"


def mail_generate(
    index: int,
    *,
    to: str,
    sender: str | None = None,
    rng=None,
    message_id: str | None = None,
    in_reply_to: int | None = None,
) -> bytes:
    """Mail number `index`; `in_reply_to` makes it an answer to mail number `in_reply_to`
    (whose Message-ID must then have been `bench_message_id` of that number)."""
    rng = rng or random.Random(index)
    subject = SUBJECTS[index % len(SUBJECTS)]
    name = f"Camille Martin {index}"
    msg = EmailMessage()
    msg["From"] = f"{name} <{sender or SENDER}>"
    msg["To"] = to
    if in_reply_to is None:
        msg["Subject"] = mail_subject(index)
    else:
        msg["Subject"] = f"Re: {mail_subject(in_reply_to)}"
        msg["In-Reply-To"] = msg["References"] = bench_message_id(in_reply_to)
    msg["Date"] = format_datetime(datetime(2026, 11, 2, 9, tzinfo=UTC) + timedelta(minutes=index))
    msg["Message-ID"] = message_id or make_msgid(idstring=str(index), domain="example.org")
    text = BODY.format(topic=subject.lower(), name=name) * rng.randint(1, 4)
    kind = index % 10
    msg.set_content(text)
    if kind in (7, 8):  # 20% HTML
        paragraphs = "".join(f"<p>{line}</p>" for line in text.splitlines() if line)
        msg.add_alternative(
            f"<html><body style='font-family:sans-serif'>{paragraphs}"
            f"<img src='https://tracker.example/p.gif?{index}'></body></html>",
            subtype="html",
        )
    elif kind == 9:  # 10% with an attachment
        blob = rng.randbytes(rng.randint(20_000, 80_000))
        msg.add_attachment(
            b"%PDF-1.4\n" + blob, maintype="application", subtype="pdf", filename=f"cv-{index}.pdf"
        )
    # CRLF line ends, as on the wire: IMAP APPEND keeps them byte for byte.
    return msg.as_bytes(policy=email.policy.SMTP)


def bench_message_id(index: int) -> str:
    return f"<bench.{index}@example.org>"


def maildir_write(root: Path, mails: list[bytes], *, sub: str = "new") -> Path:
    """Writes `mails` as files of a maildir (creating new/, cur/, tmp/); returns the root."""
    for folder in ("new", "cur", "tmp"):
        (root / folder).mkdir(parents=True, exist_ok=True)
    for index, data in enumerate(mails):
        (root / sub / f"1763971200.M{index:06d}P1.mailnet.test").write_bytes(data)
    return root


def maildir_files(root: Path) -> list[Path]:
    return sorted(p for sub in ("new", "cur") for p in (root / sub).glob("*") if p.is_file())
