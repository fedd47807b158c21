"""[privacy-archive] The model-level half of "no update path" for archived mail bytes.

A raw mail's `data` and a sent message's `mime` are chained in the archive: once stored
they may only be erased (set to empty bytes, by retention), never changed. `save()`
refuses anything else; on PostgreSQL a trigger (privacy migration 0002) refuses the same
for every UPDATE, including `QuerySet.update()` and raw SQL.
"""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

_MISSING = object()


def _as_bytes(value):
    return None if value is None else bytes(value)


class ImmutableContentMixin:
    """Keeps the stored value of `immutable_content_field` and refuses to change it on save.

    Storing a value for the first time (NULL before) and erasing (empty bytes) are allowed.
    """

    immutable_content_field = ""

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        name = cls.immutable_content_field
        if name in instance.__dict__:  # not deferred
            instance._stored_content = _as_bytes(instance.__dict__[name])
        return instance

    def save(self, *args, **kwargs):
        name = self.immutable_content_field
        update_fields = kwargs.get("update_fields")
        # A deferred content is not written by a full save (Django saves the loaded fields).
        touches = (
            update_fields is None or name in update_fields
        ) and name not in self.get_deferred_fields()
        if self.pk is not None and not self._state.adding and touches:
            stored = getattr(self, "_stored_content", _MISSING)
            if stored is _MISSING:
                stored = _as_bytes(
                    type(self)
                    ._base_manager.using(kwargs.get("using") or self._state.db)
                    .filter(pk=self.pk)
                    .values_list(name, flat=True)
                    .first()
                )
            new = _as_bytes(getattr(self, name))
            if stored is not None and new != stored and new != b"":
                raise ValidationError(
                    _(
                        "Le contenu archivé d'un courriel ne peut pas être modifié, seulement effacé."
                    )
                )
            if update_fields is None and new == stored:
                # Unchanged: a full save leaves the bytes alone (no rewrite of a large blob,
                # and a stale copy never writes its old value over newer bytes).
                deferred = self.get_deferred_fields()
                kwargs["update_fields"] = [
                    field.attname
                    for field in self._meta.concrete_fields
                    if not field.primary_key and field.attname not in deferred | {name}
                ]
        super().save(*args, **kwargs)
        if name not in self.get_deferred_fields():
            self._stored_content = _as_bytes(getattr(self, name))
