"""The labelled demo mails and the measure of the suggestions on them.

Every third mail of each template (positions 2, 5, ...) forms the held-out part: the
weights in answer_repository.suggest were tuned on the other part only.
"""

from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from answer_repository.suggest import SuggestionIndex

MAILS_FILE = Path(__file__).with_name("mails.txt")
EMPLOYER_PREFIX = "recr-"


@dataclass(frozen=True)
class LabelledMail:
    expected: str
    subject: str
    body: str
    held_out: bool

    @property
    def audience(self) -> str:
        return "employer" if self.expected.startswith(EMPLOYER_PREFIX) else "jobseeker"


def labelled_mails() -> list[LabelledMail]:
    seen: dict[str, int] = defaultdict(int)
    mails = []
    for line in MAILS_FILE.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        expected, subject, body = (part.strip() for part in line.split("|", 2))
        position = seen[expected]
        seen[expected] += 1
        mails.append(LabelledMail(expected, subject, body, held_out=position % 3 == 2))
    return mails


@dataclass(frozen=True)
class HitRates:
    count: int
    top1: float
    top3: float


def suggestions_measure(templates, mails, *, use_audience: bool = True) -> HitRates:
    """Top-1 and top-3 hit rates of the suggestions over `mails`."""
    index = SuggestionIndex(templates)
    top1 = top3 = 0
    for mail in mails:
        ranked = index.rank(
            subject=mail.subject,
            body=mail.body,
            audience=mail.audience if use_audience else None,
            limit=3,
        )
        codes = [s.template.code for s in ranked]
        top1 += bool(codes) and codes[0] == mail.expected
        top3 += mail.expected in codes
    n = len(mails) or 1
    return HitRates(len(mails), top1 / n, top3 / n)
