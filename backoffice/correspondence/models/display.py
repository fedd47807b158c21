"""What readers chose about displaying mail: the logged choice to load remote images."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .core import Thread


class RemoteImagesConsent(models.Model):
    """A reader asked to load the remote images of one thread: who and when, kept as a log."""

    thread = models.ForeignKey(
        Thread, on_delete=models.CASCADE, related_name="remote_images_consents"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("qui")
    )
    created_at = models.DateTimeField(_("quand"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("affichage des images distantes")
        verbose_name_plural = _("affichages des images distantes")
        constraints = [
            models.UniqueConstraint(fields=["thread", "user"], name="remote_images_once_per_reader")
        ]

    def __str__(self) -> str:
        return f"{self.thread_id} – {self.user_id} ({self.created_at:%d/%m/%Y %H:%M})"
