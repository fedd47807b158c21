"""Models of the answer repository: motifs, reply templates, legal-text pages, usage."""

from .legal import LegalIndexPage, LegalTextPage
from .motifs import Motif
from .templates import AnswerTemplate, Audience, Modality
from .usage import TemplateUsage

__all__ = [
    "AnswerTemplate",
    "Audience",
    "LegalIndexPage",
    "LegalTextPage",
    "Modality",
    "Motif",
    "TemplateUsage",
]
