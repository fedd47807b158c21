"""[privacy-archive] The tamper-evident archive: one hash chain over every stored mail.

Each entry covers one raw mail (as fetched) or one sent message (as sent):
`entry_hash = sha256(previous entry_hash | seq | kind | object id | content_sha256)`.
`archive_verify` walks the chain by `seq` and names the first entry altered, removed or
reordered. Retention erases contents but keeps the entries, so the chain stays whole.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ArchiveEntry(models.Model):
    class Kind(models.TextChoices):
        RAW_MAIL = "raw", _("courriel reçu")
        SENT = "sent", _("courriel envoyé")

    # Dense, starting at 1, assigned under a lock: a gap is a removed entry.
    seq = models.PositiveBigIntegerField(_("rang"), unique=True)
    kind = models.CharField(_("nature"), max_length=4, choices=Kind.choices)
    object_id = models.PositiveBigIntegerField(_("identifiant"))
    content_sha256 = models.CharField(_("empreinte du contenu"), max_length=64)
    previous_hash = models.CharField(_("empreinte précédente"), max_length=64)
    entry_hash = models.CharField(_("empreinte"), max_length=64, unique=True)
    created_at = models.DateTimeField(_("ajouté le"), auto_now_add=True)
    # Set by retention when the content is deleted: the chain is then checked without it.
    content_erased_at = models.DateTimeField(_("contenu effacé le"), null=True, blank=True)

    class Meta:
        ordering = ["seq"]
        verbose_name = _("entrée d'archive")
        verbose_name_plural = _("entrées d'archive")
        constraints = [
            models.UniqueConstraint(fields=["kind", "object_id"], name="archive_entry_once"),
        ]

    def __str__(self) -> str:
        return f"#{self.seq} {self.get_kind_display()} {self.entry_hash[:12]}"
